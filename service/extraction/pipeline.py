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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from service.errors import ExtractionError, LLMOutputError
from service.extraction.actor_types import rule_type
from service.extraction.aliases import key as name_key
from service.extraction.builder import RecordBuilder
from service.extraction.confidence import AnswerProbabilities, Calibration
from service.extraction.drafts import (
    ActorTypeAnswer,
    SentenceAnswer,
    actor_type_schema,
)
from service.extraction.formats import Answer
from service.extraction.prompts import ExtractionPrompt
from service.extraction.questions import Question, questions_for
from service.extraction.records import ArticleExtraction, Dropped
from service.extraction.subtypes import rule_fires
from service.extraction.taxonomy import ActorType, EventType, Factuality, SubEventType
from service.llm import CallStats, Choice, Outcome

# StructuredLLM.ask: (response_model, messages, context, salvage) -> Outcome
Ask = Callable[..., Awaitable[Outcome[Any]]]
# Content-free inputs of contextual calibration (Zhao et al. 2021) and the floor of a prior.
_CONTENT_FREE = ("N/A", "", "[MASK]")
_PRIOR_FLOOR = 1e-3

# StructuredLLM.choose: (messages, option labels) -> Outcome[Choice]
Choose = Callable[[list[dict[str, str]], list[str]], Awaitable[Outcome[Choice]]]


@dataclass(slots=True)
class PipelineResult:
    extraction: ArticleExtraction
    stats: CallStats
    sentences: int
    non_events: int = 0


class ExtractionPipeline:
    def __init__(
        self,
        ask: Ask,
        prompt: ExtractionPrompt,
        concurrency: int = 1,
        calibration: Calibration | None = None,
        choose: Choose | None = None,
    ) -> None:
        if prompt.typing is not None and choose is None:
            raise ValueError(f"prompt {prompt.id} asks a typing question: pass choose")
        self._ask = ask
        self._choose = choose
        # the typing question's options' probabilities for content-free input, by question
        self._priors: dict[EventType | None, tuple[float, ...]] = {}
        self._priors_lock = asyncio.Lock()
        self.prompt = prompt
        self._concurrency = concurrency
        self._calibration = calibration

    async def run(
        self, text: str, title: str | None = None, published: dt.date | None = None
    ) -> PipelineResult:
        # spaCy parses (and first loads its model) off the event loop.
        questions = await anyio.to_thread.run_sync(
            questions_for, text, self.prompt.pipeline, self.prompt.rules
        )
        gate = asyncio.Semaphore(self._concurrency)

        answer = self.prompt.answer
        builder = RecordBuilder(
            text, published, self.prompt.pipeline, self._calibration, self.prompt.rules
        )
        learned: dict[str, ActorType] = {}  # actor types answered in follow-ups, by name key

        async def label(question: Question) -> Outcome[Answer]:
            names = [m.text for m in question.names]
            places = [m.text for m in question.places]
            counts = [c.text for c in question.counts]
            messages = self.prompt.sentence_messages(
                question.sentence.text, names, places, counts, title, published
            )
            context = {"names": names, "places": places, "counts": counts}
            async with gate:
                try:
                    outcome: Outcome[Answer] = await self._ask(
                        answer.response_model,
                        messages,
                        context,
                        lambda raw: answer.salvage(raw, context),
                        schema=answer.schema(len(names), len(places), len(counts)),
                    )
                except LLMOutputError as error:
                    # One unusable answer costs its sentence, not the article's other records.
                    failed = CallStats(calls=1, unusable=1)
                    return Outcome(value=answer.empty(), stats=failed, dropped=[str(error)])
                if answer.follows_up and outcome.raw is not None:
                    await self._follow_up(question, messages, outcome, builder, learned)
                if self.prompt.typing is not None:
                    await self._definition_type(question, outcome)
                return outcome

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
        builder.add_held()
        if answer.asks_actor_types:
            await self._type_actors(builder, title, published, stats, learned)

        return PipelineResult(
            extraction=builder.build(),
            stats=stats,
            sentences=len(questions),
            non_events=builder.non_events,
        )

    async def _definition_type(self, question: Question, outcome: Outcome[Answer]) -> None:
        """extract.v13's definition_types: the one event a sentence reports, when no sub-type
        rule would type it, gets the sub-type the model finds most probable among the
        prompt's definitions (the event type first where the prompt defines them)."""
        typing = self.prompt.typing
        assert typing is not None
        if not isinstance(outcome.value, SentenceAnswer):
            return
        happened = [e for e in outcome.value.events if e.status is Factuality.HAPPENED]
        sentence = question.sentence.text
        if len(happened) != 1 or rule_fires(sentence):
            return
        event_type: EventType | None = None
        if typing.event_types is not None:
            name = await self._pick(sentence, None, outcome.stats)
            if name is None:
                return
            event_type = EventType(name)
        name = await self._pick(sentence, event_type, outcome.stats)
        if name is not None:
            happened[0].type = SubEventType(name)

    async def _pick(
        self, sentence: str, event_type: EventType | None, stats: CallStats
    ) -> str | None:
        """The name of the option (of the event types with ``event_type`` None and event types
        defined, else of ``event_type``'s sub-types) the model finds most probable for the
        sentence, each probability divided by the option's probability for content-free input
        (contextual calibration, Zhao et al. 2021, "Calibrate Before Use"): a small model leans
        to some labels whatever the sentence says."""
        typing, choose = self.prompt.typing, self._choose
        assert typing is not None and choose is not None
        options = typing.options(event_type)
        if len(options) == 1:
            return options[0][0]
        chosen = await choose(typing.messages(sentence, event_type), typing.labels(event_type))
        stats.add(chosen.stats)
        probabilities = chosen.value.probabilities
        if probabilities is None:
            index = chosen.value.index
            return options[index][0] if index is not None else None
        prior = await self._prior(event_type, stats)
        scores = [p / max(q, _PRIOR_FLOOR) for p, q in zip(probabilities, prior, strict=True)]
        return options[max(range(len(scores)), key=scores.__getitem__)][0]

    async def _prior(self, event_type: EventType | None, stats: CallStats) -> tuple[float, ...]:
        """The options' mean probability over the content-free inputs, once per question."""
        async with self._priors_lock:
            if event_type not in self._priors:
                typing, choose = self.prompt.typing, self._choose
                assert typing is not None and choose is not None
                labels = typing.labels(event_type)
                found = []
                for free in _CONTENT_FREE:
                    chosen = await choose(typing.messages(free, event_type), labels)
                    stats.add(chosen.stats)
                    if chosen.value.probabilities is not None:
                        found.append(chosen.value.probabilities)
                self._priors[event_type] = tuple(
                    sum(f[k] for f in found) / len(found) if found else 1.0
                    for k in range(len(labels))
                )
            return self._priors[event_type]

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
        question: Question,
        conversation: list[dict[str, str]],
        outcome: Outcome[Answer],
        builder: RecordBuilder,
        learned: dict[str, ActorType],
    ) -> None:
        """Ask the type of each side of the sentence's events that neither the rules nor an
        earlier follow-up typed, as the next turn of the sentence's own conversation."""
        assert outcome.raw is not None
        if not isinstance(outcome.value, SentenceAnswer):
            return
        for event in outcome.value.events:
            if event.status is not Factuality.HAPPENED:
                continue
            for number in (*event.by, *event.against):
                if not 1 <= number <= len(question.names):
                    continue
                name = question.names[number - 1].text
                key = name_key(name)
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
        builder: RecordBuilder,
        title: str | None,
        published: dt.date | None,
        stats: CallStats,
        learned: dict[str, ActorType],
    ) -> None:
        """Type each actor of an event that the rules cannot type: by its follow-up answer,
        else by one short question."""
        for actor in builder.untyped():
            if name_key(actor.name) in learned:
                actor.actor_type = learned[name_key(actor.name)]
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
