"""Article -> validated, grounded records. The model classifies and links; code does the rest.

Code splits and numbers sentences, finds each sentence's candidate names and places
(mentions.py) and counts (counts.py), and asks the model one short question per sentence that
may report something: which names did what to whom (by number, with an actor type), which
event type, where, and a label per count. Offsets, numbers, qualifiers, dates and summaries
are computed here, never taken from the model.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from pydantic import ValidationError

from service.errors import ExtractionError, LLMOutputError
from service.extraction import nlp
from service.extraction.actor_types import home_country, rule_type
from service.extraction.confidence import AnswerProbabilities, Calibration, Kind, combine
from service.extraction.counts import Count, find_counts
from service.extraction.dates import find_date_expressions, resolve_date
from service.extraction.drafts import (
    FIGURE_LABELS,
    NOT_A_COUNT,
    ActorPick,
    ActorTypeAnswer,
    EventAnswer,
    EventDraft,
    SentenceAnswer,
    SentenceLabels,
    actor_type_schema,
    answer_schema,
    salvage_answer,
    salvage_labels,
)
from service.extraction.mentions import Mention, find_mentions
from service.extraction.prompts import ExtractionPrompt
from service.extraction.records import (
    ActorRecord,
    ActorRef,
    ArticleExtraction,
    Dropped,
    EventRecord,
    FigureRecord,
)
from service.extraction.rules import (
    OccurrenceKey,
    dateline,
    figure_category,
    headline_end,
    same_occurrence,
)
from service.extraction.sentences import Sentence, split_sentences
from service.extraction.taxonomy import (
    EVENT_TYPE_OF,
    ActorRole,
    ActorType,
    DatePrecision,
    Factuality,
    FigureCategory,
    Qualifier,
)
from service.llm import CallStats, Outcome

_BOILERPLATE = re.compile(
    r"^(read more:|like this:?$|latest news$|image\b|advertisement$|published\b)", re.I
)
_MIN_WORDS = 4
# extract.v5: scraped link lists and teasers ("- Five killed in ...", "Related: ...").
_TEASER = re.compile(r"^(?:[-\u2013\u2022*>]\s|related\b|also read\b|see also\b|watch:)", re.I)
# Totals over a period report no new occurrence: "A total of 109 people have been killed".
_CUMULATIVE = re.compile(
    r"\b(?:a total of|in total|so far|to date|since the (?:start|beginning)|this year|"
    r"since (?:19|20)\d\d|death toll (?:has )?(?:risen|rose|climbed)|overall"
    r"|(?:over|in) the (?:past|last) (?:\w+ )?(?:years?|months?|decades?))\b",
    re.IGNORECASE,
)
# Victims are counted by figures, not listed as actors (the labelling guide).
_VICTIMS = re.compile(
    r"^(?:\w+\s+)?(?:civilians|residents|people|villagers|passengers|children|women|students"
    r"|worshippers|families|patients|refugees)$",
    re.IGNORECASE,
)
# A sentence with no count and none of these words reports no event: it is not sent to the model.
_EVENT_WORDS = re.compile(
    r"\b(kill|attack|strike|struck|shell|bomb|clash|fight|assault|offensive|raid|mortar|rocket"
    r"|missile|fire|fired|firing|gun|shot|shoot|wound|injur|dead|death|die|massacre|evacuat"
    r"|deal|agree|ceasefire|truce|withdr|surrender|captur|seiz|control|advanc|push"
    r"|retak|recaptur|liberat|enter|kidnap|abduct|hostage|detain|arrest|protest|demonstrat"
    r"|riot|siege|besieg|destr|explo|blast|warplane|helicopter|drone|artillery|troops"
    r"|terror|chemical|gas|loot|burn|leaflet|bus|relocat)",
    re.IGNORECASE,
)
# extract.v5 also asks about what ACLED's other sub-types are made of.
_MORE_EVENT_WORDS = re.compile(
    r"\b(grenade|rape|sexual|lynch|mob|ambush|behead|execut|torch|set fire|storm|overran"
    r"|occup|displac|fled|flee|hostage|missing|clash|stab|beat|tear gas|crackdown|disperse"
    r"|curfew|mutiny|defect|coup|truce|negotiat)",
    re.IGNORECASE,
)


# Figure labels that count people; a count of things ("Thousands of homes") is none of them.
_PEOPLE_LABELS = FIGURE_LABELS - {"munitions", "other", NOT_A_COUNT}
_THINGS = re.compile(
    r"\b(batch|pocket|area|home|house|building|village|town|neighbou?rhood|district|bus"
    r"|convoy|vehicle|hospital|school|camp|city|cities|province|front|position|checkpoint)(es|s)?$",
    re.IGNORECASE,
)


_MORE_THINGS = re.compile(
    r"\b(truck|pick-?up|car|vehicle|tank|weapon|rifle|gun|boat|aircraft|plane|shop|market"
    r"|mosque|church|bridge|road|well|tent|shelter|hectare|acre|tonne|ton|dollar|euro)(e?s)?$",
    re.IGNORECASE,
)


def _counts_things(population: str | None, pipeline: int = 1) -> bool:
    if population is None:
        return False
    if _THINGS.search(population) is not None:
        return True
    return pipeline >= 2 and _MORE_THINGS.search(population) is not None


# StructuredLLM.ask: (response_model, messages, context, salvage) -> Outcome
Ask = Callable[..., Awaitable[Outcome[Any]]]


@dataclass(slots=True)
class PipelineResult:
    extraction: ArticleExtraction
    stats: CallStats
    sentences: int
    non_events: int = 0


@dataclass(frozen=True, slots=True)
class _Question:
    sentence: Sentence
    names: list[Mention]  # who may act or be hit
    places: list[Mention]  # where it may happen
    counts: list[Count]

    @classmethod
    def about(cls, sentence: Sentence) -> _Question:
        mentions = find_mentions(sentence.text)
        return cls(
            sentence,
            [m for m in mentions if not m.only_place],
            [m for m in mentions if m.may_be_place],
            find_counts(sentence.text),
        )


def questions_for(text: str, pipeline: int = 1) -> list[_Question]:
    """One question per sentence that may report something: not boilerplate, a fragment or a
    repeated line (headline), and holding a count or a word of violence, force or negotiation."""
    if pipeline >= 2:
        return _questions_v2(text)
    seen: set[str] = set()
    questions = []
    for sentence in split_sentences(text):
        key = " ".join(sentence.text.split()).casefold()
        if key in seen or len(key.split()) < _MIN_WORDS or _BOILERPLATE.match(key):
            continue
        seen.add(key)
        question = _Question.about(sentence)
        if question.counts or _EVENT_WORDS.search(sentence.text):
            questions.append(question)
    return questions


def _questions_v2(text: str) -> list[_Question]:
    """extract.v5: sentences and candidates from spaCy; the headline (a restatement of the
    body) is not asked about; a dateline's place ("MOGADISHU (Mareeg) -") is no candidate."""
    seen: set[str] = set()
    skip_until = headline_end(text) or 0
    datelines: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        found = dateline(line.group())
        if found is not None:
            datelines.append((line.start() + found[0], line.start() + found[1]))
    questions = []
    for parsed in nlp.split_sentences(text):
        sentence = parsed.sentence
        key = " ".join(sentence.text.split()).casefold()
        if sentence.end <= skip_until:
            seen.add(key)
            continue
        if key in seen or len(key.split()) < _MIN_WORDS or _BOILERPLATE.match(key):
            continue
        if _TEASER.match(key):
            continue
        seen.add(key)
        # Where the reporter filed from, not who acted or where: left out of the candidates.
        local = [(s - sentence.start, e - sentence.start) for s, e in datelines]
        mentions = [
            m
            for m in nlp.find_mentions(parsed, exclude=local)
            if not _VICTIMS.match(m.text) and not m.person
        ]
        question = _Question(
            sentence,
            [m for m in mentions if not m.only_place],
            [m for m in mentions if m.may_be_place],
            find_counts(sentence.text),
        )
        words = _EVENT_WORDS.search(sentence.text) or _MORE_EVENT_WORDS.search(sentence.text)
        if question.counts or words:
            questions.append(question)
    return questions


class ExtractionPipeline:
    def __init__(
        self,
        ask: Ask,
        prompt: ExtractionPrompt,
        concurrency: int = 1,
        calibration: Calibration | None = None,
    ) -> None:
        self._ask = ask
        self.prompt = prompt
        self._concurrency = concurrency
        self._calibration = calibration

    async def run(
        self, text: str, title: str | None = None, published: dt.date | None = None
    ) -> PipelineResult:
        # spaCy parses (and first loads its model) off the event loop.
        questions = await anyio.to_thread.run_sync(questions_for, text, self.prompt.pipeline)
        gate = asyncio.Semaphore(self._concurrency)

        rows = self.prompt.answer == "rows"
        numbers = rows or self.prompt.answer == "numbers"
        builder = _RecordBuilder(text, published, self.prompt.pipeline, self._calibration)
        learned: dict[str, ActorType] = {}  # actor types answered in follow-ups, by name key

        async def label(
            question: _Question,
        ) -> Outcome[SentenceLabels] | Outcome[SentenceAnswer]:
            names = [m.text for m in question.names]
            places = [m.text for m in question.places]
            counts = [c.text for c in question.counts]
            messages = self.prompt.sentence_messages(
                question.sentence.text, names, places, counts, title, published
            )
            context = {"names": names, "places": places, "counts": counts}
            async with gate:
                try:
                    if numbers:
                        outcome: Outcome[SentenceAnswer] = await self._ask(
                            SentenceAnswer,
                            messages,
                            context,
                            lambda raw: salvage_answer(raw, context),
                            schema=answer_schema(len(names), len(places), len(counts), rows=rows),
                        )
                        if rows and outcome.raw is not None:
                            await self._follow_up(question, messages, outcome, builder, learned)
                        return outcome
                    return await self._ask(
                        SentenceLabels, messages, context, lambda raw: salvage_labels(raw, context)
                    )
                except LLMOutputError as error:
                    # One unusable answer costs its sentence, not the article's other records.
                    failed = CallStats(calls=1, unusable=1)
                    if numbers:
                        return Outcome(value=SentenceAnswer(), stats=failed, dropped=[str(error)])
                    return Outcome(value=SentenceLabels(), stats=failed, dropped=[str(error)])

        outcomes = await _all(label(q) for q in questions)
        stats = CallStats()
        for question, outcome in zip(questions, outcomes, strict=True):
            stats.add(outcome.stats)
            builder.dropped.extend(
                Dropped(sentence=question.sentence.index, kind="model output", reason=reason)
                for reason in outcome.dropped
            )
            builder.add(
                question, outcome.value, AnswerProbabilities.of(outcome.raw, outcome.tokens)
            )
        if numbers:
            await self._type_actors(builder, title, published, stats, learned)

        return PipelineResult(
            extraction=builder.build(),
            stats=stats,
            sentences=len(questions),
            non_events=builder.non_events,
        )

    async def _ask_actor_type(self, messages: list[dict[str, str]]) -> Outcome[ActorTypeAnswer]:
        answer: Outcome[ActorTypeAnswer] = await self._ask(
            ActorTypeAnswer,
            messages,
            {},
            lambda raw: (ActorTypeAnswer(type=ActorType.OTHER), ["actor type: unusable"]),
            schema=actor_type_schema(),
        )
        return answer

    async def _follow_up(
        self,
        question: _Question,
        conversation: list[dict[str, str]],
        outcome: Outcome[SentenceAnswer],
        builder: _RecordBuilder,
        learned: dict[str, ActorType],
    ) -> None:
        """Ask the type of each side of the sentence's events that neither the rules nor an
        earlier follow-up typed, as the next turn of the sentence's own conversation."""
        assert outcome.raw is not None
        for event in outcome.value.events:
            if event.status is not Factuality.HAPPENED:
                continue
            for number in (*event.by, *event.against):
                if not 1 <= number <= len(question.names):
                    continue
                name = question.names[number - 1].text
                key = _key(name)
                if key in learned or rule_type(name, builder.home) is not None:
                    continue
                messages = self.prompt.actor_followup(conversation, outcome.raw, name)
                try:
                    answer = await self._ask_actor_type(messages)
                except LLMOutputError as error:
                    outcome.dropped.append(str(error))
                    outcome.stats.add(CallStats(calls=1, unusable=1))
                    continue
                outcome.stats.add(answer.stats)
                learned[key] = answer.value.type

    async def _type_actors(
        self,
        builder: _RecordBuilder,
        title: str | None,
        published: dt.date | None,
        stats: CallStats,
        learned: dict[str, ActorType],
    ) -> None:
        """Type each actor of an event that the rules cannot type: by its follow-up answer,
        else by one short question."""
        for actor in builder.untyped():
            if _key(actor.name) in learned:
                actor.actor_type = learned[_key(actor.name)]
                continue
            messages = self.prompt.actor_messages(actor.sentence, actor.name, title, published)
            try:
                outcome = await self._ask_actor_type(messages)
            except LLMOutputError as error:
                builder.dropped.append(
                    Dropped(sentence=actor.sentence_index, kind="model output", reason=str(error))
                )
                stats.add(CallStats(calls=1, unusable=1))
                continue
            stats.add(outcome.stats)
            actor.actor_type = outcome.value.type


def _numbers(picks: list[Any]) -> list[int]:
    return [pick.name if isinstance(pick, ActorPick) else pick for pick in picks]


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


async def _all(calls: Any) -> list[Any]:
    """Run calls concurrently; on an extraction error cancel the rest and raise that error."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call) for call in calls]
    except BaseExceptionGroup as failure:
        errors = [e for e in failure.exceptions if isinstance(e, ExtractionError)]
        if errors:
            raise errors[0] from failure
        raise
    return [task.result() for task in tasks]


@dataclass(slots=True)
class _ActorMention:
    name: str
    start: int
    end: int
    sentence: str  # where it is first named
    sentence_index: int
    actor_type: ActorType | None = None
    in_event: bool = False
    probability: float | None = None  # the most certain of its sides (or its source pick)


@dataclass(slots=True)
class _PendingEvent:
    record: dict[str, Any]
    # (actor, role) -> the model's probability of that side
    refs: dict[tuple[int, ActorRole], float | None] = field(default_factory=dict)
    probability: float | None = None

    def join(self, other: _PendingEvent) -> None:
        """Take in another report of the same occurrence."""
        for ref, p in other.refs.items():
            self.refs[ref] = combine((self.refs.get(ref), p)) if ref in self.refs else p
        self.probability = combine((self.probability, other.probability))


class _RecordBuilder:
    def __init__(
        self,
        text: str,
        published: dt.date | None,
        pipeline: int = 1,
        calibration: Calibration | None = None,
    ) -> None:
        self.text = text
        self.pipeline = pipeline
        self._calibration = calibration
        self.published = published
        self.dropped: list[Dropped] = []
        self.non_events = 0
        self._actors: list[_ActorMention] = []
        self._actor_index: dict[str, int] = {}
        self._events: list[_PendingEvent] = []
        self._figures: list[tuple[int, dict[str, Any]]] = []  # (sentence, record fields)
        self.home = home_country(text)  # the country the article names most

    def _actor(
        self, sentence: Sentence, mention: Mention, actor_type: ActorType | None = None
    ) -> int:
        """The article's actor for a mention; the first type the model gives it sticks."""
        key = _key(mention.text)
        if key not in self._actor_index:
            start = sentence.start + mention.start
            self._actors.append(
                _ActorMention(
                    mention.text, start, start + len(mention.text), sentence.text, sentence.index
                )
            )
            self._actor_index[key] = len(self._actors) - 1
        actor = self._actors[self._actor_index[key]]
        if actor.actor_type is None:
            actor.actor_type = actor_type
        return self._actor_index[key]

    def untyped(self) -> list[_ActorMention]:
        """Actors of events that neither the model's picks nor the name's words typed; actors
        named only as sources get their type from the rules or default to monitor/media."""
        for actor in self._actors:
            if actor.actor_type is None:
                actor.actor_type = rule_type(actor.name, self.home)
        return [a for a in self._actors if a.actor_type is None and a.in_event]

    def _is_outlet(self, mention: Mention) -> bool:
        return rule_type(mention.text, self.home) is ActorType.MONITOR_MEDIA

    def _scored(self, kind: Kind, p: float | None) -> dict[str, float | None]:
        calibrated = self._calibration.apply(kind, p) if self._calibration else p
        return {"model_probability": p, "confidence": calibrated}

    def add(
        self,
        question: _Question,
        labels: SentenceLabels | SentenceAnswer,
        probabilities: AnswerProbabilities | None = None,
    ) -> None:
        sentence, names = question.sentence, question.names
        chance = _Chances(probabilities)

        def name(number: int | None, listed: list[Mention] = names) -> Mention | None:
            valid = number is not None and 1 <= number <= len(listed)
            return listed[number - 1] if valid and number is not None else None

        source = name(labels.source)
        if source is not None:
            named = self._actors[self._actor(sentence, source)]
            named.probability = combine((named.probability, chance.of(("source",))))
        # A monitor or news outlet the sentence credits reported the event; it did not do it
        # or suffer it (small models often list it among the sides).
        reporter = labels.source if source is not None and self._is_outlet(source) else None
        date_text, date, precision = self._date(sentence)
        happened: list[int] = []
        # A small model under a grammar sometimes repeats a row until the list is full; the
        # same event twice in one sentence is one event.
        drafts: list[EventDraft | EventAnswer] = []
        positions: list[int] = []  # of each kept draft in the answer
        answered: list[EventDraft | EventAnswer] = list(labels.events)
        for position, draft in enumerate(answered):
            if draft not in drafts:
                drafts.append(draft)
                positions.append(position)
        cumulative = self.pipeline >= 2 and _CUMULATIVE.search(sentence.text) is not None
        for position, draft in zip(positions, drafts, strict=True):
            if draft.status is not Factuality.HAPPENED or cumulative:
                self.non_events += 1
                continue
            place = name(draft.location, question.places)
            if place is not None and self._is_outlet(place):
                place = None  # "the Observatory" is no place
            if place is not None and self.pipeline >= 2:
                sides = {
                    _key(n.text)
                    for n in map(
                        name, (*_numbers(draft.by), *_numbers(draft.against), labels.source)
                    )
                    if n
                }
                if _key(place.text) in sides:
                    place = None  # one name is not both a side (or the source) and the place
            pending = _PendingEvent(
                record={
                    "event_type": EVENT_TYPE_OF[draft.type],
                    "sub_event_type": draft.type,
                    "location": place.text if place else None,
                    "date": date,
                    "date_precision": precision,
                    "date_text": date_text,
                    "reported_by": source.text if source else None,
                    "sentence": sentence.index,
                    "evidence": sentence.text,
                    "start": sentence.start,
                    "end": sentence.end,
                },
                probability=chance.event(position),
            )
            roles: tuple[tuple[list[Any], ActorRole, str, int], ...] = (
                (draft.by, ActorRole.PERPETRATOR, "by", 2),
                (draft.against, ActorRole.TARGET, "against", 3),
            )
            for picks, role, key, column in roles:
                for n, pick in enumerate(picks):
                    number, actor_type = (
                        (pick.name, pick.type) if isinstance(pick, ActorPick) else (pick, None)
                    )
                    if reporter is not None and number == reporter:
                        continue
                    mention = name(number)
                    if mention is not None:
                        actor = self._actor(sentence, mention, actor_type)
                        p = chance.side(position, key, column, n)
                        self._actors[actor].in_event = True
                        self._actors[actor].probability = combine(
                            (self._actors[actor].probability, p)
                        )
                        earlier = pending.refs.get((actor, role))
                        pending.refs[(actor, role)] = combine((earlier, p))
            self._events.append(pending)
            happened.append(len(self._events) - 1)

        hypothetical_only = bool(labels.events) and not happened
        for k, (count, label) in enumerate(zip(question.counts, labels.figures, strict=False)):
            if self.pipeline >= 2:
                decided = figure_category(sentence.text, count.start, count.end)
                if decided is not None and not _counts_things(count.population, 2):
                    label = decided.value  # "15 soldiers were killed": the words decide
            if label == NOT_A_COUNT:
                continue
            if label in _PEOPLE_LABELS and _counts_things(count.population, self.pipeline):
                label = FigureCategory.OTHER.value  # "three batches" were not fighters
            if hypothetical_only:
                self.non_events += 1  # a count of a hypothetical or denied event is no fact
                continue
            start, end = sentence.start + count.start, sentence.start + count.end
            fields = {
                "category": FigureCategory(label),
                "population": count.population,
                "low": count.quantity.low,
                "high": count.quantity.high,
                "qualifier": Qualifier(count.quantity.qualifier),
                "reported_by": source.text if source else None,
                "event": happened[0] if len(happened) == 1 else None,
                "evidence": self.text[start:end],
                "start": start,
                "end": end,
                **self._scored("figure", chance.of(("figures", k))),
            }
            self._figures.append((sentence.index, fields))
        for count in question.counts[len(labels.figures) :]:
            self._drop(sentence.index, "figure", f"the model gave no label for {count.text!r}")

    def build(self) -> ArticleExtraction:
        context = {"text": self.text}
        actors = [
            ActorRecord.model_validate(
                {
                    "name": actor.name,
                    # named only as a source of claims: a monitor, agency or official outlet
                    "actor_type": actor.actor_type or ActorType.MONITOR_MEDIA,
                    "evidence": self.text[actor.start : actor.end],
                    "start": actor.start,
                    "end": actor.end,
                    **self._scored("actor", actor.probability),
                },
                context=context,
                strict=False,
            )
            for actor in self._actors
        ]
        events: list[EventRecord] = []
        kept: dict[int, int] = {}
        if self.pipeline >= 2:
            kept = self._merge_occurrences()
        for number, pending in enumerate(self._events):
            if number in kept:
                continue
            refs = sorted(pending.refs, key=lambda ref: (ref[1].value, ref[0]))
            record = {
                **pending.record,
                **self._scored("event", pending.probability),
                "summary": _summary(pending.record, refs, actors),
                "actors": [
                    ActorRef(
                        actor=actor, role=role, **self._scored("actor", pending.refs[(actor, role)])
                    )
                    for actor, role in refs
                ],
            }
            try:
                events.append(EventRecord.model_validate(record, context=context, strict=False))
            except ValidationError as error:
                self._drop(pending.record["sentence"], "event", str(error))
                continue
            kept[number] = len(events) - 1
        for number, into in list(kept.items()):
            if into < 0:  # merged into the event at -into - 1: it takes that one's index
                kept[number] = kept.get(-into - 1, -1)
        kept = {number: index for number, index in kept.items() if index >= 0}
        figures: list[FigureRecord] = []
        for sentence, figure in self._figures:
            figure["event"] = kept.get(figure["event"]) if figure["event"] is not None else None
            try:
                figures.append(FigureRecord.model_validate(figure, context=context, strict=False))
            except ValidationError as error:
                self._drop(sentence, "figure", str(error))
        return ArticleExtraction(
            actors=actors, events=events, figures=figures, dropped=self.dropped
        )

    def _merge_occurrences(self) -> dict[int, int]:
        """Several sentences about one occurrence are one event: each later report of the same
        sub-type, place and day is folded into the first (its sides, place and day fill what
        the first lacks). Returns merged event -> -(index of the event it joined) - 1."""
        merged: dict[int, int] = {}
        for later, pending in enumerate(self._events):
            key = _occurrence(pending)
            for earlier in range(later):
                if earlier in merged:
                    continue
                first = self._events[earlier]
                if not same_occurrence(_occurrence(first), key):
                    continue
                first.join(pending)
                for field_name in ("location", "reported_by"):
                    if first.record[field_name] is None:
                        first.record[field_name] = pending.record[field_name]
                if first.record["date"] is None and pending.record["date"] is not None:
                    for field_name in ("date", "date_precision", "date_text"):
                        first.record[field_name] = pending.record[field_name]
                merged[later] = -earlier - 1
                break
        return merged

    def _drop(self, sentence: int, kind: str, reason: str) -> None:
        self.dropped.append(Dropped(sentence=sentence, kind=kind, reason=reason))

    def _date(self, sentence: Sentence) -> tuple[str | None, dt.date | None, DatePrecision]:
        for _, _, expression in find_date_expressions(sentence.text):
            resolved = resolve_date(expression, self.published)
            return expression, resolved.value, DatePrecision(resolved.precision)
        return None, None, DatePrecision.UNKNOWN


class _Chances:
    """The model's probability of parts of one sentence's answer (row or object events)."""

    def __init__(self, probabilities: AnswerProbabilities | None) -> None:
        self._p = probabilities

    def of(self, *paths: tuple[str | int, ...]) -> float | None:
        return self._p.of_paths(*paths) if self._p is not None else None

    def _rows(self, event: int) -> bool:
        return self._p is not None and self._p.has(("events", event, 0))

    def event(self, event: int) -> float | None:
        """That there is this event, with its status and type."""
        if self._p is None:
            return None
        fields: tuple[str | int, str | int] = (0, 1) if self._rows(event) else ("status", "type")
        return self._p.of_paths(*(("events", event, f) for f in fields), opening=("events", event))

    def side(self, event: int, key: str, column: int, n: int) -> float | None:
        """That the n-th pick of ``by``/``against`` is this name."""
        if self._p is None:
            return None
        where: tuple[str | int, ...] = (
            ("events", event, column, n) if self._rows(event) else ("events", event, key, n)
        )
        if self._p.has((*where, "name")):
            where = (*where, "name")  # a pick written as {"name": n, "type": ...}
        return self._p.of_paths(where)


def _occurrence(pending: _PendingEvent) -> OccurrenceKey:
    record = pending.record
    precision = str(record["date_precision"])
    return OccurrenceKey(
        str(record["sub_event_type"]), record["location"], record["date"], precision
    )


def _summary(
    record: dict[str, Any], refs: list[tuple[int, ActorRole]], actors: list[ActorRecord]
) -> str:
    """One sentence from the structured fields: who, what, against whom, where, when."""
    by = [actors[a].name for a, role in refs if role is ActorRole.PERPETRATOR]
    against = [actors[a].name for a, role in refs if role is ActorRole.TARGET]
    parts = [" and ".join(by) if by else "Unidentified actors"]
    parts.append(f"- {record['sub_event_type'].value.lower()}")
    if against:
        parts.append("against " + " and ".join(against))
    if record["location"]:
        parts.append(f"in {record['location']}")
    if record["date"] is not None:
        parts.append(f"on {record['date'].isoformat()}")
    return " ".join(parts) + "."
