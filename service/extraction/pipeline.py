"""Article -> validated, grounded records. The model classifies and links; code does the rest.

Sentences are split and numbered by code; the model is asked about one sentence at a time with
the whole numbered article in a prompt prefix that every call of the article shares. Offsets,
numbers, qualifiers and dates are computed here, never taken from the model.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from service.errors import ExtractionError
from service.extraction.dates import find_date_expressions, resolve_date
from service.extraction.drafts import SentenceFacts
from service.extraction.grounding import find_span
from service.extraction.prompts import ExtractionPrompt
from service.extraction.quantities import parse_quantity
from service.extraction.records import (
    ActorRecord,
    ActorRef,
    ArticleExtraction,
    Dropped,
    EventRecord,
    FigureRecord,
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
from service.llm import CallStats, SentenceOutcome

_BOILERPLATE = re.compile(
    r"^(read more:|like this:?$|latest news$|image\b|advertisement$|published\b)", re.I
)
_MIN_WORDS = 4

SentenceExtractor = Callable[[list[dict[str, str]], dict[str, Any]], Awaitable[SentenceOutcome]]


@dataclass(slots=True)
class PipelineResult:
    extraction: ArticleExtraction
    stats: CallStats
    sentences: int
    non_events: int = 0
    dropped: list[Dropped] = field(default_factory=list)


def sentences_to_ask(sentences: list[Sentence]) -> list[Sentence]:
    """Skip what cannot report anything: boilerplate, fragments, repeated lines (headlines)."""
    seen: set[str] = set()
    chosen = []
    for sentence in sentences:
        key = " ".join(sentence.text.split()).casefold()
        if key in seen or len(key.split()) < _MIN_WORDS or _BOILERPLATE.match(key):
            continue
        seen.add(key)
        chosen.append(sentence)
    return chosen


class ExtractionPipeline:
    def __init__(
        self, extract: SentenceExtractor, prompt: ExtractionPrompt, concurrency: int = 1
    ) -> None:
        self._extract = extract
        self.prompt = prompt
        self._concurrency = concurrency

    async def run(
        self, text: str, title: str | None = None, published: dt.date | None = None
    ) -> PipelineResult:
        sentences = split_sentences(text)
        targets = sentences_to_ask(sentences)
        gate = asyncio.Semaphore(self._concurrency)

        async def ask(sentence: Sentence) -> SentenceOutcome:
            messages = self.prompt.messages_for(sentences, sentence, title, published)
            context = {"text": text, "sentence": sentence.text}
            async with gate:
                return await self._extract(messages, context)

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(ask(sentence)) for sentence in targets]
        except BaseExceptionGroup as failure:
            errors = [e for e in failure.exceptions if isinstance(e, ExtractionError)]
            if errors:
                raise errors[0] from failure
            raise
        outcomes = [task.result() for task in tasks]
        builder = _RecordBuilder(text, published)
        stats = CallStats()
        for sentence, outcome in zip(targets, outcomes, strict=True):
            stats.add(outcome.stats)
            builder.dropped.extend(
                Dropped(sentence=sentence.index, kind="model output", reason=reason)
                for reason in outcome.dropped
            )
            builder.add(sentence, outcome.facts)
        extraction = builder.build()
        return PipelineResult(
            extraction=extraction,
            stats=stats,
            sentences=len(targets),
            non_events=builder.non_events,
            dropped=list(extraction.dropped),
        )


class _RecordBuilder:
    def __init__(self, text: str, published: dt.date | None) -> None:
        self.text = text
        self.published = published
        self.actors: list[ActorRecord] = []
        self.events: list[EventRecord] = []
        self.figures: list[FigureRecord] = []
        self.dropped: list[Dropped] = []
        self.non_events = 0
        self._actor_index: dict[str, int] = {}
        self._context = {"text": text}

    def build(self) -> ArticleExtraction:
        return ArticleExtraction(
            actors=self.actors, events=self.events, figures=self.figures, dropped=self.dropped
        )

    def _drop(self, sentence: Sentence, kind: str, reason: str) -> None:
        self.dropped.append(Dropped(sentence=sentence.index, kind=kind, reason=reason))

    def _actor(self, sentence: Sentence, name: str, actor_type: ActorType) -> int | None:
        key = " ".join(name.split()).casefold()
        if key in self._actor_index:
            return self._actor_index[key]
        span = find_span(self.text, name, sentence.start, sentence.end) or find_span(
            self.text, name
        )
        if span is None:
            self._drop(sentence, "actor", f"{name!r} not found in the article")
            return None
        start, end = span
        record = ActorRecord.model_validate(
            {
                "name": self.text[start:end],
                "actor_type": actor_type,
                "evidence": self.text[start:end],
                "start": start,
                "end": end,
            },
            context=self._context,
            strict=False,
        )
        self.actors.append(record)
        self._actor_index[key] = len(self.actors) - 1
        return len(self.actors) - 1

    def add(self, sentence: Sentence, facts: SentenceFacts) -> None:
        for actor in facts.actors:
            self._actor(sentence, actor.name, actor.type)

        date_text, date, precision = self._date(sentence)
        event_numbers: dict[int, int] = {}
        for number, draft in enumerate(facts.events, start=1):
            if draft.status is not Factuality.HAPPENED:
                self.non_events += 1
                continue
            refs: set[tuple[int, ActorRole]] = set()
            for actors, role in (
                (draft.by, ActorRole.PERPETRATOR),
                (draft.against, ActorRole.TARGET),
            ):
                for actor in actors:
                    index = self._actor(sentence, actor.name, actor.type)
                    if index is not None:
                        refs.add((index, role))
            try:
                event = EventRecord.model_validate(
                    {
                        "event_type": EVENT_TYPE_OF[draft.type],
                        "sub_event_type": draft.type,
                        "summary": draft.summary.strip(),
                        "actors": [
                            ActorRef(actor=actor, role=role)
                            for actor, role in sorted(refs, key=lambda r: (r[1].value, r[0]))
                        ],
                        "location": self._as_written(draft.location, sentence),
                        "date": date,
                        "date_precision": precision,
                        "date_text": date_text,
                        "reported_by": facts.source,
                        "sentence": sentence.index,
                        "evidence": sentence.text,
                        "start": sentence.start,
                        "end": sentence.end,
                    },
                    context=self._context,
                    strict=False,
                )
            except ValidationError as error:
                self._drop(sentence, "event", str(error))
                continue
            self.events.append(event)
            event_numbers[number] = len(self.events) - 1

        for figure in facts.figures:
            if figure.event is not None and figure.event not in event_numbers:
                linked = (
                    facts.events[figure.event - 1] if figure.event <= len(facts.events) else None
                )
                if linked is not None and linked.status is not Factuality.HAPPENED:
                    self.non_events += 1
                    continue
            self._figure(
                sentence,
                figure.text,
                figure.category,
                facts.source,
                event_numbers.get(figure.event) if figure.event else None,
            )

    def _figure(
        self,
        sentence: Sentence,
        text: str,
        category: FigureCategory,
        source: str | None,
        event: int | None,
    ) -> None:
        span = find_span(self.text, text, sentence.start, sentence.end)
        quantity = parse_quantity(text)
        if span is None or quantity is None:
            self._drop(sentence, "figure", f"{text!r} is not a count in sentence {sentence.index}")
            return
        start, end = span
        evidence = self.text[start:end]
        if any(f.start == start and f.end == end for f in self.figures):
            return
        population = evidence[quantity.end :].strip(" ,.;:") or None
        if population and population.casefold().startswith("of "):
            population = population[3:].strip() or None
        try:
            record = FigureRecord.model_validate(
                {
                    "category": category,
                    "population": population,
                    "low": quantity.low,
                    "high": quantity.high,
                    "qualifier": Qualifier(quantity.qualifier),
                    "reported_by": source,
                    "event": event,
                    "evidence": evidence,
                    "start": start,
                    "end": end,
                },
                context=self._context,
                strict=False,
            )
        except ValidationError as error:
            self._drop(sentence, "figure", str(error))
            return
        self.figures.append(record)

    def _as_written(self, value: str | None, sentence: Sentence) -> str | None:
        if value is None:
            return None
        span = find_span(self.text, value, sentence.start, sentence.end) or find_span(
            self.text, value
        )
        return self.text[span[0] : span[1]] if span else None

    def _date(self, sentence: Sentence) -> tuple[str | None, dt.date | None, DatePrecision]:
        for _, _, expression in find_date_expressions(sentence.text):
            resolved = resolve_date(expression, self.published)
            return expression, resolved.value, DatePrecision(resolved.precision)
        return None, None, DatePrecision.UNKNOWN
