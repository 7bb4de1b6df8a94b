"""Validated extraction records: what the pipeline produces and the store accepts.

Plain Pydantic v2, strict, ``extra="forbid"``. Every record carries a ``[start, end)`` span whose
slice of the article text must equal its ``evidence``; pass the article text as validation
context (``context={"text": ...}``) and the span is verified.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from service.extraction.taxonomy import (
    EVENT_TYPE_OF,
    ActorRole,
    ActorType,
    DatePrecision,
    EventType,
    FigureCategory,
    Qualifier,
    SubEventType,
)

# 2: confidence and model_probability on actors, events, event sides and figures.
SCHEMA_VERSION = "2"
# No count of people or things in a conflict report comes near this; a larger number is a typo
# or an attack on the store (an integer column holds at most 2**63 - 1), and is dropped.
MAX_FIGURE = 10_000_000_000

NonEmpty = Annotated[str, Field(min_length=1)]
Probability = Annotated[float | None, Field(default=None, ge=0.0, le=1.0)]


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Grounded(Strict):
    """A record tied to the exact characters of the article it came from."""

    evidence: NonEmpty
    start: int = Field(ge=0)
    end: int = Field(ge=1)

    @model_validator(mode="after")
    def _evidence_is_the_slice(self, info: ValidationInfo) -> Self:
        if self.end <= self.start:
            raise ValueError(f"span [{self.start}, {self.end}) is empty")
        text = info.context.get("text") if isinstance(info.context, dict) else None
        if text is not None and text[self.start : self.end] != self.evidence:
            raise ValueError(
                f"span [{self.start}, {self.end}) slices {text[self.start : self.end]!r}, "
                f"not the evidence {self.evidence!r}"
            )
        return self


class Scored(Strict):
    """``model_probability``: the model's token probability for the record; ``confidence``: that
    probability calibrated (service/extraction/confidence.py). None without logprobs."""

    confidence: Probability = None
    model_probability: Probability = None


class ActorRef(Scored):
    """An event's participant: the index of an actor record of the same extraction."""

    actor: int = Field(ge=0)
    role: ActorRole


class ActorRecord(Grounded, Scored):
    name: NonEmpty
    actor_type: ActorType


class EventRecord(Grounded, Scored):
    event_type: EventType
    sub_event_type: SubEventType
    summary: NonEmpty
    actors: list[ActorRef] = Field(default_factory=list)
    location: str | None = None
    location_inferred: bool = False  # chosen by code, not the model (every_event_placed)
    date: dt.date | None = None
    date_precision: DatePrecision = DatePrecision.UNKNOWN
    date_text: str | None = None
    reported_by: str | None = None
    sentence: int = Field(ge=1)

    @model_validator(mode="after")
    def _types_pair(self) -> Self:
        expected = EVENT_TYPE_OF[self.sub_event_type]
        if self.event_type is not expected:
            raise ValueError(
                f"sub_event_type {self.sub_event_type.value!r} belongs to "
                f"{expected.value!r}, not {self.event_type.value!r}"
            )
        if (self.date is None) != (self.date_precision is DatePrecision.UNKNOWN):
            raise ValueError("date must be set exactly when date_precision is not 'unknown'")
        return self


class FigureRecord(Grounded, Scored):
    """A reported count. ``evidence`` is the verbatim figure text; numbers are parsed by code."""

    category: FigureCategory
    population: str | None = None
    low: int | None = Field(default=None, ge=0, le=MAX_FIGURE)
    high: int | None = Field(default=None, ge=0, le=MAX_FIGURE)
    qualifier: Qualifier
    reported_by: str | None = None
    event: int | None = Field(default=None, ge=0, description="Index into the events list.")

    @model_validator(mode="after")
    def _interval(self) -> Self:
        if self.low is None and self.high is None:
            raise ValueError("a figure needs a low or a high bound")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        return self


class Dropped(Strict):
    """Model output that failed validation after every re-ask: counted, never stored as fact."""

    sentence: int
    kind: str
    reason: str


class ArticleExtraction(Strict):
    schema_version: str = SCHEMA_VERSION
    actors: list[ActorRecord] = Field(default_factory=list)
    events: list[EventRecord] = Field(default_factory=list)
    figures: list[FigureRecord] = Field(default_factory=list)
    dropped: list[Dropped] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> Self:
        for event in self.events:
            for ref in event.actors:
                if ref.actor >= len(self.actors):
                    raise ValueError(f"event refers to actor {ref.actor}, which does not exist")
        for figure in self.figures:
            if figure.event is not None and figure.event >= len(self.events):
                raise ValueError(f"figure refers to event {figure.event}, which does not exist")
        return self
