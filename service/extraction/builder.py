"""Sentence answers -> validated, grounded records of one article.

Offsets, numbers, qualifiers, dates and summaries are computed here, never taken from the
model; the model's answer only picks among the numbered candidates and closed labels.
Several sentences about one occurrence become one event (extract.v5).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from service.extraction import nlp
from service.extraction.actor_types import home_country, rule_type
from service.extraction.aliases import alias_groups, canonical
from service.extraction.aliases import key as name_key
from service.extraction.arguments import (
    acted_as_subject,
    describes_an_actor,
    filed_from,
    glued,
    led_completed,
    named_by_the_words,
    reports_only,
    speaks,
)
from service.extraction.confidence import AnswerProbabilities, Calibration, Kind, combine
from service.extraction.dates import find_date_expressions, resolve_date
from service.extraction.drafts import (
    FIGURE_LABELS,
    NOT_A_COUNT,
    ActorPick,
    EventAnswer,
    EventDraft,
    SentenceAnswer,
    SentenceLabels,
)
from service.extraction.junk import not_a_name
from service.extraction.mentions import Mention
from service.extraction.nonactors import generic, is_person, is_place, place_named
from service.extraction.nonevents import (
    DEFINITE,
    GENERIC,
    SAME_TOLL,
    a_call,
    long_before,
    no_occurrence,
    period_total,
    unreal,
)
from service.extraction.places import Candidate, Placeness, choose_place, judge
from service.extraction.questions import Question
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
    quoted_statement,
    same_occurrence,
)
from service.extraction.sentences import Sentence, split_sentences
from service.extraction.sides import Side, settle_sides, victims
from service.extraction.subtypes import (
    PROTEST_OUTCOMES,
    protest_outcome,
    rule_over_battles,
    rule_over_proposal,
    rule_sub_type,
    territory_by_taker,
)
from service.extraction.taxonomy import (
    EVENT_TYPE_OF,
    ActorRole,
    ActorType,
    DatePrecision,
    EventType,
    Factuality,
    FigureCategory,
    Qualifier,
    SubEventType,
)

if TYPE_CHECKING:
    from spacy.tokens import Token

# Totals over a period report no new occurrence: "A total of 109 people have been killed".
_CUMULATIVE = re.compile(
    r"\b(?:a total of|in total|so far|to date|since the (?:start|beginning)|this year|"
    r"since (?:19|20)\d\d|death toll (?:has )?(?:risen|rose|climbed)|overall"
    r"|(?:over|in) the (?:past|last) (?:\w+ )?(?:years?|months?|decades?))\b",
    re.IGNORECASE,
)
# extract.v12's ``background_totals``: totals over a period ("so far", "over the past three
# years") and habitual or unspecific activity ("has been hit repeatedly in recent weeks",
# "months of fighting"), the labelling guide's background. Not "a total of" or "the past four
# days of fighting": the count or the days of one occurrence ("A total of 2,963 militants
# evacuated Douma in three batches over the past few days"). A day of its own says a specific
# occurrence, whatever the sentence's words of background.
_BACKGROUND = re.compile(
    r"\b(?:so far|to date|since the (?:start|beginning)|this year|since (?:19|20)\d\d"
    r"|death toll (?:has )?(?:risen|rose|climbed)"
    r"|(?:over|in) the (?:past|last) (?:\w+ )?(?:years?|months?|decades?)"
    r"|(?:have|has|had) (?:been )?(?:\w+ )?repeatedly|in recent (?:months|years)"
    r"|for (?:weeks|months|years)|(?:weeks|months|years) of (?:fighting|violence|conflict|war"
    r"|clashes)|since (?:the |a |an )?(?:\w+ ){0,3}in (?:19|20)\d\d)\b",
    re.IGNORECASE,
)
# extract.v12's ``reactions``: a sentence whose main verb condemns, calls, urges, warns, vows
# or denies reports a reaction, not an occurrence (the guide: statements, calls and quotes are
# not events). Not one that accuses or blames: an allegation names who did it ("monitors accuse
# ISIL of using poison gas", "He blamed Ansarul Islam"), and ACLED codes reported allegations.
_REACTION = re.compile(
    r"^(?:condemn|denounc|urg|call|vow|warn|pledg|welcom|demand|den(?:y|ie)|appeal"
    r"|express|promis|insist|stress)"
)
_CROWD = re.compile(
    r"\b(?:protest|demonstrat|rall(?:y|ies|ied)|march|sit-in|picket|riot|strikers|crowd)",
    re.IGNORECASE,
)
# extract.v7: how far (in sentences) a detail may stand from the event it adds to, and the words
# that announce another incident rather than a detail of the last one.
_DETAIL_REACH = 2
_ANOTHER = re.compile(
    r"\b(?:another|other (?:attacks?|incidents?|strikes?)|separate(?:ly)?|second|elsewhere"
    r"|meanwhile|earlier|later)\b",
    re.IGNORECASE,
)
# extract.v12's ``definite_reports``: "the attack", "this strike", "the same blast": an
# occurrence the article has already told.
_DEFINITE = re.compile(
    r"\b(?:the|this|that|these|those)\s+(?:same\s+|latest\s+|deadly\s+|suicide\s+|twin\s+"
    r"|car\s+|drone\s+|air\s+|missile\s+|rocket\s+)?(?:attacks?|assaults?|strikes?|airstrikes?"
    r"|air raids?|raids?|blasts?|explosions?|bombings?|ambush(?:es)?|clash(?:es)?|incident"
    r"|killings?|shelling|bombardment|massacre|shooting)\b",
    re.IGNORECASE,
)
# "the air strikes", "this blast": a report of remote violence, not of the battle its sentence
# may go on to tell.
_REMOTE_NOUN = re.compile(
    r"\b(?:the|this|that|these|those)\s+(?:\w+\s+)?(?:strikes?|airstrikes?|air raids?|bombings?"
    r"|bombardment|shelling|blasts?|explosions?)\b",
    re.IGNORECASE,
)
_SIMILAR = re.compile(
    r"\b(?:similar|previous|prior|recent|series|last (?:week|month|year)|months? ago"
    r"|years? ago|weeks? ago)\b",
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


def _numbers(picks: list[Any]) -> list[int]:
    return [pick.name if isinstance(pick, ActorPick) else pick for pick in picks]


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
    # the names the model gave as sides, before sides_are_actors: whether a sentence is a
    # detail of the event before it is judged on them, as it was before that rule
    picked: set[str] = field(default_factory=set)
    # the event type the model answered, before any rule retyped it
    answered: EventType | None = None
    # the places its sentence names (name keys), whether or not one became its location
    named_places: frozenset[str] = frozenset()
    # the numbers its sentence counts ("Three people were killed": 3)
    counts: frozenset[int] = frozenset()
    # the records of the reports folded into it (extract.v15's informative_evidence)
    reports: list[dict[str, Any]] = field(default_factory=list)
    # its sentence's most place-like name, for an event the model gave no place
    # (extract.v16's every_event_placed)
    sentence_place: str | None = None

    def join(self, other: _PendingEvent, sides: bool = True) -> None:
        """Take in another report of the same occurrence. ``sides=False``: its sides only fill
        a role this event has none for (a later mention of "the attack" names the attacker)."""
        roles = {role for _, role in self.refs}
        for ref, p in other.refs.items():
            if not sides and ref[1] in roles:
                continue
            self.refs[ref] = combine((self.refs.get(ref), p)) if ref in self.refs else p
        self.probability = combine((self.probability, other.probability))
        self.picked |= other.picked
        self.reports += [other.record, *other.reports]

    def fill(self, other: _PendingEvent, fields: tuple[str, ...] = ("location",)) -> None:
        """Take ``fields`` and the day (with its precision and words) where this event lacks
        them and the other report gives them."""
        for field_name in fields:
            if self.record[field_name] is None:
                self.record[field_name] = other.record[field_name]
        if self.record["date"] is None and other.record["date"] is not None:
            for field_name in ("date", "date_precision", "date_text"):
                self.record[field_name] = other.record[field_name]


# The event types with a side that acted by force (extract.v16's named_perpetrators).
_VIOLENT = frozenset(
    {EventType.BATTLES, EventType.EXPLOSIONS_REMOTE_VIOLENCE, EventType.VIOLENCE_AGAINST_CIVILIANS}
)


class RecordBuilder:
    def __init__(
        self,
        text: str,
        published: dt.date | None,
        pipeline: int = 1,
        calibration: Calibration | None = None,
        rules: frozenset[str] = frozenset(),
    ) -> None:
        self.text = text
        self.pipeline = pipeline
        self.rules = rules  # extract.v6 on: see ExtractionPrompt.rules
        self._calibration = calibration
        self.published = published
        self.dropped: list[Dropped] = []
        self.non_events = 0
        self._actors: list[_ActorMention] = []
        self._actor_index: dict[str, int] = {}
        self._events: list[_PendingEvent] = []
        self._figures: list[tuple[int, dict[str, Any]]] = []  # (sentence, record fields)
        self.home = home_country(text)  # the country the article names most
        # extract.v10: the names that stand for another name of the same actor in this article
        self._aliases = alias_groups(text) if "article_aliases" in rules else {}
        # extract.v12: the headline's answers wait until the body's events are known
        self._headline_end = (
            headline_end(text, chrome="site_chrome" in rules)
            if "headline_restates" in rules
            else None
        )
        self._held: list[tuple[Question, SentenceLabels | SentenceAnswer, Any]] = []

    def _actor(
        self, sentence: Sentence, mention: Mention, actor_type: ActorType | None = None
    ) -> int:
        """The article's actor for a mention; the first type the model gives it sticks."""
        key = name_key(mention.text)
        key = canonical(self._aliases, key)
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

    def _no_reporters(self, sentence: Sentence, sides: list[Side]) -> list[Side]:
        """extract.v16's reporters_not_sides: the sides less the names credited with the
        report, which stay actors of the article as a source does; "Saudi-led" completed."""
        kept = []
        for side in sides:
            if reports_only(sentence.text, side.mention):
                self._actor(sentence, side.mention, side.actor_type)
            else:
                kept.append(replace(side, mention=led_completed(sentence.text, side.mention)))
        return kept

    def _filed_from(self) -> str | None:
        """The place of the article's dateline ("KABUL, Afghanistan (AP) -"), if it has one."""
        for line in self.text.splitlines()[:8]:
            span = dateline(line.strip())
            if span is not None:
                return line.strip()[span[0] : span[1]]
        return None

    def _not_a_place(self, mention: Mention, sentence: str) -> bool:
        """extract.v16's place_shapes: a word describing an actor ("Britain-based"), a name
        that speaks ("Sobejana said"), or a name the article uses for a side and never as a
        place ("Daesh"), is no place."""
        if "place_shapes" not in self.rules:
            return False
        if describes_an_actor(mention.text) or speaks(sentence, mention):
            return True
        key = canonical(self._aliases, name_key(mention.text))
        return (
            key in self._actor_index
            and self._actors[self._actor_index[key]].in_event
            and not is_place(mention.text, self.text, al_places=True)
        )

    def _is_outlet(self, mention: Mention) -> bool:
        return rule_type(mention.text, self.home) is ActorType.MONITOR_MEDIA

    def _scored(self, kind: Kind, p: float | None) -> dict[str, float | None]:
        calibrated = self._calibration.apply(kind, p) if self._calibration else p
        return {"model_probability": p, "confidence": calibrated}

    def add(
        self,
        question: Question,
        labels: SentenceLabels | SentenceAnswer,
        probabilities: AnswerProbabilities | None = None,
    ) -> None:
        if self._in_headline(question.sentence):
            self._held.append((question, labels, probabilities))
            return
        self._add(question, labels, probabilities)

    def _in_headline(self, sentence: Sentence) -> bool:
        return self._headline_end is not None and sentence.end <= self._headline_end

    def add_held(self) -> None:
        """The headline restates the lead (extract.v12's ``headline_restates``): a headline
        event of the event type of the body's first event is that report told again (the
        model's sub-type for a headline often differs from the lead's: "attack kills 15
        soldiers" as a takeover beside the lead's clash), not another event. A headline event
        of another type ("Syria Forces Launch Assault On Rebel-Held Douma" over a body that
        opens with shelling) stays; so do its counts. Call after the body's sentences."""
        lead: frozenset[EventType] = frozenset()
        if self._events:
            first = self._events[0]
            lead = frozenset({first.record["event_type"]})
            if (
                "words_over_model" in self.rules
                and first.answered is not None
                and first.record["event_type"] is EventType.VIOLENCE_AGAINST_CIVILIANS
            ):
                # a lead whose words say civilians were attacked, answered as the model answers
                # most violence (a clash): a headline answered alike restates it (extract.v14).
                # A lead retyped to remote violence keeps v12's reading: a headline's assault
                # beside the lead's shelling is another event.
                lead |= {first.answered}
        held, self._held = self._held, []
        for question, labels, probabilities in held:
            told = lead
            if "site_chrome" in self.rules:
                # "Russian missile strike kills three": a body event that counts three is the
                # one it restates, wherever the body tells it and however the model typed it
                counts = _counted(question)
                if any(pending.counts & counts for pending in self._events):
                    told = frozenset(EventType)
            self._add(question, labels, probabilities, lead=told)

    def _add(
        self,
        question: Question,
        labels: SentenceLabels | SentenceAnswer,
        probabilities: AnswerProbabilities | None = None,
        lead: frozenset[EventType] = frozenset(),
    ) -> None:
        sentence, names = question.sentence, question.names
        chance = _Chances(probabilities)
        names_only = "names_are_names" in self.rules

        dated = filed_from(sentence.text) if "datelines_not_sides" in self.rules else 0

        def junk(mention: Mention) -> bool:
            if "glued_names" in self.rules and glued(mention.text):
                return True
            if mention.start < dated:
                return True  # the dateline's place: where the reporter filed from
            return names_only and not_a_name(nlp.parse(sentence.text), mention)

        def name(number: int | None, listed: list[Mention] = names) -> Mention | None:
            valid = number is not None and 1 <= number <= len(listed)
            return listed[number - 1] if valid and number is not None else None

        source = name(labels.source)
        if source is not None and junk(source):
            source = None
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
        if "background_totals" in self.rules:
            # a day of its own says a specific occurrence, whatever its aside of background
            specific = precision in (DatePrecision.DAY, DatePrecision.WEEK)
            cumulative = not specific and (
                _BACKGROUND.search(sentence.text) is not None or _habitual(sentence.text)
            )
        else:
            cumulative = self.pipeline >= 2 and _CUMULATIVE.search(sentence.text) is not None
        if "reactions" in self.rules and _reaction(sentence.text):
            cumulative = True  # no event; its counts are claims worth keeping
        if "calls_for_protest" in self.rules and a_call(sentence.text):
            cumulative = True  # a protest called for is no protest held
        if "earlier_periods" in self.rules and (
            long_before(date, self.published) or period_total(sentence.text)
        ):
            cumulative = True  # an earlier period's occurrence or a total: context, not news
        unreal_sentence = "unreal_events" in self.rules and unreal(sentence.text)
        headline = self._in_headline(sentence)
        if "present_states" in self.rules and not headline and no_occurrence(sentence.text):
            cumulative = True  # a statement, a habit or a state; headlines tell in the present
        restated = False
        quoted = "quoted_statements" in self.rules and quoted_statement(sentence.text)
        reported: list[_PendingEvent] = []
        judged: list[Candidate] | None = None  # the sentence's places, judged once if asked
        specific = "most_specific_place" in self.rules
        for position, draft in zip(positions, drafts, strict=True):
            if draft.status is not Factuality.HAPPENED or cumulative or quoted or unreal_sentence:
                self.non_events += 1
                continue
            if EVENT_TYPE_OF[draft.type] in lead:
                restated = True
                continue
            place = name(draft.location, question.places)
            if place is not None and self._is_outlet(place):
                place = None  # "the Observatory" is no place
            # "Preliminary" is no place: the sentence's best place stands in, as for any pick
            # that is none (places.choose_place)
            no_place = place is not None and junk(place)
            if place is not None and "places_are_places" in self.rules:
                if judged is None:
                    judged = judge(
                        sentence.text,
                        question.places,
                        sized=specific,
                        shapes="place_shapes" in self.rules,
                    )
                candidates = [
                    Candidate(c.mention, Placeness.NOT_A_PLACE, c.country)
                    if (no_place and c.mention is place)
                    or self._not_a_place(c.mention, sentence.text)
                    else c
                    for c in judged
                ]
                place = choose_place(place, candidates, sentence.text if specific else None)
            elif no_place:
                place = None
            if place is not None and self.pipeline >= 2:
                sides = {
                    name_key(n.text)
                    for n in map(
                        name, (*_numbers(draft.by), *_numbers(draft.against), labels.source)
                    )
                    if n
                }
                if name_key(place.text) in sides:
                    place = None  # one name is not both a side (or the source) and the place
            sentence_place = None
            if "every_event_placed" in self.rules and place is None:
                if judged is None:
                    judged = judge(
                        sentence.text,
                        question.places,
                        sized=specific,
                        shapes="place_shapes" in self.rules,
                    )
                fallback = choose_place(
                    # the sentence's best candidate, as for a pick that is no place
                    Mention(0, 0, ""),
                    [c for c in judged if not self._not_a_place(c.mention, sentence.text)],
                    sentence.text if specific else None,
                )
                if fallback is None:
                    # a name the place candidates left out ("the town of al-Safra")
                    fallback = next(
                        (
                            n
                            for n in names
                            if is_place(n.text, sentence.text, al_places=True)
                            and not self._not_a_place(n, sentence.text)
                        ),
                        None,
                    )
                sentence_place = fallback.text if fallback is not None else None
            pending = _PendingEvent(
                sentence_place=sentence_place,
                answered=EVENT_TYPE_OF[draft.type],
                named_places=frozenset(name_key(p.text) for p in question.places),
                counts=_counted(question),
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
            roles: tuple[tuple[list[Any], str, int], ...] = (
                (draft.by, "by", 2),
                (draft.against, "against", 3),
            )
            picked: list[list[Side]] = []
            for picks, key, column in roles:
                picked.append([])
                for n, pick in enumerate(picks):
                    number, actor_type = (
                        (pick.name, pick.type) if isinstance(pick, ActorPick) else (pick, None)
                    )
                    if reporter is not None and number == reporter:
                        continue
                    mention = name(number)
                    if mention is not None and junk(mention):
                        mention = None
                    if mention is not None:
                        p = chance.side(position, key, column, n)
                        picked[-1].append(Side(mention, actor_type, p))
            by, against = picked
            pending.picked = {name_key(side.mention.text) for side in (*by, *against)}
            if "sides_are_actors" in self.rules:
                by, against = settle_sides(sentence.text, by, against)
            if "reporters_not_sides" in self.rules:
                by, against = (
                    self._no_reporters(sentence, by),
                    self._no_reporters(sentence, against),
                )
            if "active_subjects" in self.rules:
                acted = [s for s in against if acted_as_subject(sentence.text, s.mention)]
                if acted:
                    keys = {name_key(s.mention.text) for s in acted}
                    against = [s for s in against if s not in acted]
                    by = acted + [s for s in by if name_key(s.mention.text) not in keys]
            violent = EVENT_TYPE_OF[draft.type] in _VIOLENT
            if "named_perpetrators" in self.rules and not by and violent:
                hit = {name_key(side.mention.text) for side in against}
                by = [
                    Side(mention, None, None)
                    for mention in named_by_the_words(sentence.text, names)
                    if name_key(mention.text) not in hit
                    and not junk(mention)
                    and not (place is not None and mention.text == place.text)
                    and not reports_only(sentence.text, mention)
                ]
            for chosen, role in ((by, ActorRole.PERPETRATOR), (against, ActorRole.TARGET)):
                for side in chosen:
                    actor = self._actor(sentence, side.mention, side.actor_type)
                    self._actors[actor].in_event = True
                    self._actors[actor].probability = combine(
                        (self._actors[actor].probability, side.probability)
                    )
                    earlier = pending.refs.get((actor, role))
                    pending.refs[(actor, role)] = combine((earlier, side.probability))
            reported.append(pending)
        if "one_event_per_sentence" in self.rules:
            reported = _one_per_place(reported)
        if "subtype_rules" in self.rules and len(reported) == 1:
            # the words of a sentence decide the sub-type of its one event; of several events
            # they cannot say which words belong to which
            record = reported[0].record
            decide: Callable[[str, SubEventType | None], tuple[SubEventType, str] | None]
            decide = rule_sub_type
            if "words_over_model" in self.rules:
                decide = rule_over_proposal
            elif "rules_over_clash" in self.rules:
                decide = rule_over_battles
            typed = decide(sentence.text, record["sub_event_type"])
            if typed is not None:
                record["sub_event_type"], record["event_type"] = typed[0], EVENT_TYPE_OF[typed[0]]
        for pending in reported:
            self._events.append(pending)
            happened.append(len(self._events) - 1)

        # a quotation's counts are claims worth keeping even when what it says is no event
        # a total over a period is a claim worth keeping too (extract.v12)
        kept_claims = quoted or restated or (cumulative and self.pipeline == 1)
        hypothetical_only = bool(labels.events) and not happened and not kept_claims
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
        # the index of each actor kept among the records (extract.v15's actors_are_organisations)
        numbered: dict[int, int] = {}
        actors: list[ActorRecord] = []
        unnamed: list[int] = []  # unnamed forces ("soldiers"), for the named actor they stand for
        for number, actor in enumerate(self._actors):
            if "civilians_in_figures" in self.rules and (
                actor.actor_type is ActorType.CIVILIANS or victims(actor.name)
            ):
                continue  # the people an event hit: its figures count them
            if "generic_sides" in self.rules and generic(actor.name):
                unnamed.append(number)
                continue
            if "actors_are_organisations" in self.rules and self._not_an_actor(actor):
                continue
            numbered[number] = len(actors)
            actors.append(self._record(actor, context))
        kept_names = list(numbered)
        for number in unnamed:
            # "soldiers" in an article whose one named actor of that type is the Somali army is
            # that army (the guide: a generic word is an alias of a named group when every use
            # of it refers to that group); beside none or several, an actor of its own
            kind = self._actors[number].actor_type
            named = [n for n in kept_names if kind and self._actors[n].actor_type is kind]
            if len(named) == 1:
                numbered[number] = numbered[named[0]]
            else:
                # "Gunmen abducted three civilians": ACLED's unidentified armed group, whose type
                # still gives the row its inter code
                numbered[number] = len(actors)
                actors.append(self._record(self._actors[number], context))
        events: list[EventRecord] = []
        kept: dict[int, int] = {}
        if "territory_sides" in self.rules:
            self._type_territory()
        if self.pipeline >= 2:
            kept = self._merge_occurrences()
        if "detail_sentences" in self.rules:
            kept.update(self._fold_details(kept))
        if "definite_reports" in self.rules:
            kept.update(self._fold_definite(kept))
        if "bare_details" in self.rules:
            kept.update(self._fold_bare(kept))
        if "placeless_details" in self.rules:
            kept.update(self._fold_into_last(kept, _is_placeless_detail))
        if "protest_outcomes" in self.rules:
            kept.update(self._protest_outcomes(kept))
        last_place: str | None = None  # the location of the last event kept
        for number, pending in enumerate(self._events):
            if number in kept:
                continue
            if "informative_evidence" in self.rules:
                _most_informative(pending)
            if "every_event_placed" in self.rules:
                if pending.record["location"] is None:
                    pending.record["location"] = (
                        pending.sentence_place or last_place or self._filed_from()
                    )
                    pending.record["location_inferred"] = pending.record["location"] is not None
                last_place = pending.record["location"] or last_place
            sides: dict[tuple[int, ActorRole], float | None] = {}
            for (who, role), p in pending.refs.items():
                if who in numbered:
                    side = (numbered[who], role)
                    sides[side] = combine((sides[side], p)) if side in sides else p
            refs = sorted(
                ((who, role, p) for (who, role), p in sides.items()),
                key=lambda ref: (ref[1].value, ref[0]),
            )
            record = {
                **pending.record,
                **self._scored("event", pending.probability),
                "summary": _summary(pending.record, [(a, role) for a, role, _ in refs], actors),
                "actors": [
                    ActorRef(actor=actor, role=role, **self._scored("actor", p))
                    for actor, role, p in refs
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

    def _record(self, actor: _ActorMention, context: dict[str, str]) -> ActorRecord:
        return ActorRecord.model_validate(
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

    def _not_an_actor(self, actor: _ActorMention) -> bool:
        """A person or a place: the guide's actors are organisations. Civilian victims stay:
        the guide leaves them to the figures, but ACLED's rows name them as actor2 (inter 7)."""
        return (
            # credited with a report and nothing else: a place reports nothing ("MOGADISHU",
            # "DRC" picked as the source)
            (actor.actor_type is None and place_named(actor.name))
            or is_person(actor.name, self.text)
            or is_place(actor.name, self.text, al_places="place_shapes" in self.rules)
        )

    def _type_territory(self) -> None:
        """A place taken in a battle: its perpetrators' actor types say by whom (subtypes.
        territory_by_taker). Run once every actor has its type."""
        for pending in self._events:
            record = pending.record
            takers = [
                self._actors[actor].actor_type
                for actor, role in pending.refs
                if role is ActorRole.PERPETRATOR
            ]
            typed = territory_by_taker(record["evidence"], record["sub_event_type"], takers)
            if typed is not None:
                record["sub_event_type"], record["event_type"] = typed, EVENT_TYPE_OF[typed]

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
                first.fill(pending, ("location", "reported_by"))
                merged[later] = -earlier - 1
                break
        return merged

    def _fold_details(self, merged: dict[int, int]) -> dict[int, int]:
        """A sentence that adds detail to the event just told (its toll, a witness, another
        source: "Eight others were injured in the raid, the tribal leader said.") is that
        event, not a new one: an event with no day and no place of its own (none, or the
        previous event's), no side the previous event lacks and no word that announces
        another incident, within ``_DETAIL_REACH`` sentences of the last event kept, is
        folded into it. Returns folded event -> -(index of the event it joined) - 1."""
        return self._fold_into_last(merged, self._is_detail)

    def _fold_into_last(
        self, merged: dict[int, int], belongs: Callable[[_PendingEvent, _PendingEvent], bool]
    ) -> dict[int, int]:
        """Each event that ``belongs`` to the last event kept before it is folded into that
        one. Returns folded event -> -(index of the event it joined) - 1."""
        folded: dict[int, int] = {}
        last: int | None = None
        for number, pending in enumerate(self._events):
            if number in merged:
                continue
            if last is not None and belongs(pending, self._events[last]):
                self._events[last].join(pending)
                folded[number] = -last - 1
                continue
            last = number
        return folded

    def _fold_definite(self, merged: dict[int, int]) -> dict[int, int]:
        """A sentence that names what it reports with a definite article ("the attack took
        place in the commune of Mulekera", "BBC Burmese also reported the air strikes") tells
        more of an occurrence already told, however far back: it is folded into the last event
        of its event type kept before it, unless a word announces another incident ("another",
        "a similar"...) or the sentence names remote violence and reports a battle ("The
        airstrikes backed the launch of the army's ground assault"). Its place and day fill what
        that event lacks; its sides only a role it has none for. Returns folded event ->
        -(index of the event it joined) - 1."""
        folded: dict[int, int] = {}
        kept: list[int] = []
        wider = "any_definite" in self.rules
        definite = DEFINITE if wider else _DEFINITE
        for number, pending in enumerate(self._events):
            if number in merged:
                continue
            record = pending.record
            earlier = [k for k in kept if self._events[k].record["sentence"] < record["sentence"]]
            if (
                not earlier
                or definite.search(record["evidence"]) is None
                or _ANOTHER.search(record["evidence"]) is not None
                or _SIMILAR.search(record["evidence"]) is not None
            ):
                kept.append(number)
                continue
            alike = [
                k for k in earlier if self._events[k].record["event_type"] == record["event_type"]
            ]
            if not alike and wider and GENERIC.search(record["evidence"]) is not None:
                # "the attack", "the violence" do not say its kind: the model's type for their
                # sentence says nothing either (extract.v15's any_definite)
                alike = earlier
            if wider:
                # "The Tuesday raids" after Wednesday's strikes: a day of its own, another
                # occurrence
                alike = [k for k in alike if not _other_day(record, self._events[k].record)]
            remote = _REMOTE_NOUN.search(record["evidence"]) is not None
            if not alike or (
                remote and record["event_type"] is not EventType.EXPLOSIONS_REMOTE_VIOLENCE
            ):
                kept.append(number)  # "The airstrikes backed the ground assault": the assault
                continue
            into = alike[-1]
            self._events[into].join(pending, sides=False)
            self._events[into].fill(pending)
            folded[number] = -into - 1
        return folded

    def _fold_bare(self, merged: dict[int, int]) -> dict[int, int]:
        """An event with no side, no place and no day of its own ("He said four police were
        also wounded.", "One resident said he saw at least 12 dead soldiers.") says nothing
        that sets it apart from the occurrence told before it, however far back: it is folded
        into the last event kept before it, unless a word announces another incident."""
        return self._fold_into_last(merged, _is_bare_detail)

    def _protest_outcomes(self, merged: dict[int, int]) -> dict[int, int]:
        """What happened at a protest is told in the sentences after it (subtypes.
        protest_outcome): a peaceful protest takes the sub-type its next sentences give it,
        within ``_DETAIL_REACH``, and their events (the police's dispersal, the shots at the
        rally) are folded into it: one occurrence. A next sentence with an event of its own
        (another place or day, a sub-type that is not something done at a protest) or a word
        that announces another incident ends the protest's report. Returns folded event ->
        -(index of the event it joined) - 1."""
        protests = [
            number
            for number, pending in enumerate(self._events)
            if number not in merged
            and pending.record["sub_event_type"] == SubEventType.PEACEFUL_PROTEST
        ]
        if not protests:
            return {}
        texts = {sentence.index: sentence.text for sentence in split_sentences(self.text)}
        by_sentence: dict[int, list[int]] = {}
        for number, pending in enumerate(self._events):
            if number not in merged:
                by_sentence.setdefault(pending.record["sentence"], []).append(number)
        folded: dict[int, int] = {}
        for number in protests:
            if number in folded:
                continue
            pending = self._events[number]
            record = pending.record
            report = texts.get(record["sentence"], record["evidence"])
            following: list[str] = []
            told: list[int] = []
            for index in range(record["sentence"] + 1, record["sentence"] + _DETAIL_REACH + 1):
                after = texts.get(index)
                if after is None or _ANOTHER.search(after) is not None:
                    break
                events = [k for k in by_sentence.get(index, []) if k not in folded]
                if not all(_at_protest(self._events[k].record, record) for k in events):
                    break
                told.extend(events)
                following.append(after)
                typed = protest_outcome(report, " ".join(following))
                if typed is None:
                    continue
                record["sub_event_type"], record["event_type"] = typed, EVENT_TYPE_OF[typed]
                for k in told:
                    pending.join(self._events[k])
                    pending.fill(self._events[k])
                    folded[k] = -number - 1
                break
        return folded

    def _is_detail(self, pending: _PendingEvent, previous: _PendingEvent) -> bool:
        record, told = pending.record, previous.record
        # rows of one sentence are another rule's business; a held headline's event, added
        # last, comes before the body
        if record["sentence"] <= told["sentence"]:
            return False
        if record["sentence"] - told["sentence"] > _DETAIL_REACH:
            return False
        if record["date"] is not None:
            return False
        place = record["location"]
        if place is not None and (
            told["location"] is None or name_key(place) != name_key(told["location"])
        ):
            return False  # a place of its own
        if _ANOTHER.search(record["evidence"]) is not None:
            return False
        if "sides_are_actors" in self.rules:
            return pending.picked <= previous.picked
        sides = {actor for actor, _ in previous.refs}
        return all(actor in sides for actor, _ in pending.refs)

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


def _main_verb(sentence: str) -> Token | None:
    roots = [token for token in nlp.parse(sentence) if token.dep_ == "ROOT"]
    return roots[0] if roots else None


# What may be done at a protest, by its participants or to them, as the model types it.
_AT_PROTEST = frozenset(
    {
        *PROTEST_OUTCOMES,
        SubEventType.PEACEFUL_PROTEST,
        SubEventType.MOB_VIOLENCE,
        SubEventType.ATTACK,
        SubEventType.ARRESTS,
        SubEventType.ARMED_CLASH,
    }
)


def _at_protest(record: dict[str, Any], protest: dict[str, Any]) -> bool:
    """Whether an event of a sentence after a protest's report may be something that happened
    at it: a sub-type of what is done at protests, and no place or day of its own."""
    if record["sub_event_type"] not in _AT_PROTEST:
        return False
    place, there = record["location"], protest["location"]
    if place is not None and (there is None or name_key(place) != name_key(there)):
        return False
    return record["date"] is None or record["date"] == protest["date"]


def _is_placeless_detail(pending: _PendingEvent, previous: _PendingEvent) -> bool:
    """extract.v15's ``placeless_details``: an event with no place and no day of its own (none,
    or the last event's) says nothing that sets it apart from the occurrence told before it,
    whoever its sides ("He said four police were also wounded.", "One resident said he saw at
    least 12 dead soldiers."), unless a word announces another incident."""
    record, told = pending.record, previous.record
    there = {name_key(told["location"])} if told["location"] is not None else set()
    # "in government-held west Aleppo", even if no location was chosen: a place of its own;
    # "gave the same death toll": the same occurrence, wherever it names
    if not pending.named_places <= there and SAME_TOLL.search(record["evidence"]) is None:
        return False
    return (
        record["sentence"] > told["sentence"]
        and record["date"] in (None, told["date"])
        and _ANOTHER.search(record["evidence"]) is None
        and _SIMILAR.search(record["evidence"]) is None
    )


_EVIDENCE = ("sentence", "evidence", "start", "end")


def _most_informative(pending: _PendingEvent) -> None:
    """The guide's evidence: "the most informative sentence (actors + place + source beat a
    bare casualty headline)". Of the reports folded into an event, the one that gives most of
    its place, day and source becomes its evidence (the first of equals)."""

    def told(record: dict[str, Any]) -> int:
        return sum(record[key] is not None for key in ("location", "date", "reported_by"))

    best = max([pending.record, *pending.reports], key=told)
    if told(best) > told(pending.record):
        for key in _EVIDENCE:
            pending.record[key] = best[key]


def _counted(question: Question) -> frozenset[int]:
    return frozenset(
        count.quantity.low for count in question.counts if count.quantity.low is not None
    )


def _other_day(record: dict[str, Any], told: dict[str, Any]) -> bool:
    return record["date"] is not None and told["date"] not in (None, record["date"])


def _is_bare_detail(pending: _PendingEvent, previous: _PendingEvent) -> bool:
    record = pending.record
    return (
        not pending.refs
        and record["location"] is None
        and record["date"] is None
        and record["sentence"] > previous.record["sentence"]
        and _ANOTHER.search(record["evidence"]) is None
    )


def _habitual(sentence: str) -> bool:
    """Whether the main verb is a present perfect progressive: "Insurgents have been attacking
    government installations around the country" (ongoing, habitual activity). A past perfect
    one tells what had been going on before a specific occurrence ("buses had been carrying
    residents from Douma for nearly a week"): not background."""
    verb = _main_verb(sentence)
    if verb is None or verb.tag_ != "VBG":
        return False
    auxiliaries = {child.lower_ for child in verb.children if child.dep_ == "aux"}
    return "been" in auxiliaries and bool(auxiliaries & {"have", "has"})


def _reaction(sentence: str) -> bool:
    """Whether the sentence's main verb is a reaction's: "The UN condemned the attack". A
    crowd that demands or denounces is a protest, not a reaction."""
    if _CROWD.search(sentence) is not None:
        return False
    verb = _main_verb(sentence)
    return verb is not None and verb.pos_ == "VERB" and _REACTION.match(verb.lower_) is not None


def _one_per_place(reported: list[_PendingEvent]) -> list[_PendingEvent]:
    """ACLED codes concurrent tactics of one occurrence as one event ("event types and
    sub-event types are hierarchical to accommodate concurrent tactics within the same
    event"): the rows one sentence gives for one place (or for no place) are one event, of the
    first row's sub-type, with the sides of all. Rows for different places stay apart.
    (Keeping rows of different event types apart as well cost 7 false events on dev.v1 and
    1 on the seeds, and found no event more: docs/extract-v6-v7.md.)"""
    kept: list[_PendingEvent] = []
    for pending in reported:
        place = pending.record["location"]
        into = next(
            (
                first
                for first in kept
                if place is None
                or first.record["location"] is None
                or name_key(first.record["location"]) == name_key(place)
            ),
            None,
        )
        if into is None:
            kept.append(pending)
            continue
        into.join(pending)
        if into.record["location"] is None:
            into.record["location"] = place
    return kept


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
