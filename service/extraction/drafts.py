"""What the LLM fills in for one sentence: small, ordered for a small model, grounded.

The model classifies and links; it never does arithmetic nor copies long text. Validators check
every string it copies against the article (validation ``context``: ``text`` is the article,
``sentence`` the sentence under analysis) so that instructor re-asks with the exact error.
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from service.extraction.grounding import appears_in
from service.extraction.quantities import parse_quantity
from service.extraction.taxonomy import ActorType, Factuality, FigureCategory, SubEventType

Name = Annotated[str, Field(min_length=1, max_length=120)]


def _context(info: ValidationInfo) -> dict[str, Any]:
    return info.context if isinstance(info.context, dict) else {}


def _must_appear(value: str | None, info: ValidationInfo, what: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    text = _context(info).get("text")
    if text is not None and not appears_in(text, value):
        raise ValueError(f"{what} {value!r} does not appear in the article; copy it exactly")
    return value


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActorDraft(Draft):
    name: Name = Field(description="Proper name exactly as written in the article, not 'the group'")
    type: ActorType

    @field_validator("name")
    @classmethod
    def _grounded(cls, value: str, info: ValidationInfo) -> str:
        return _must_appear(value, info, "actor name") or value


class EventDraft(Draft):
    summary: str = Field(min_length=3, max_length=300, description="Who did what to whom, where")
    status: Factuality = Field(description="'happened' only if the article says it happened")
    type: SubEventType
    by: list[ActorDraft] = Field(default_factory=list, description="Who carried it out")
    against: list[ActorDraft] = Field(default_factory=list, description="Who was hit")
    location: str | None = Field(default=None, description="Place as written, or null")

    @field_validator("location")
    @classmethod
    def _location_grounded(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _must_appear(value, info, "location")


class FigureDraft(Draft):
    text: str = Field(
        min_length=1,
        max_length=200,
        description="The number with what it counts, copied from the sentence",
    )
    category: FigureCategory
    event: int | None = Field(
        default=None, ge=1, description="Number of the event in this answer it belongs to"
    )

    @field_validator("text")
    @classmethod
    def _grounded_number(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        sentence = _context(info).get("sentence")
        if sentence is not None and not appears_in(sentence, value):
            raise ValueError(f"figure text {value!r} is not in the sentence; copy it exactly")
        if parse_quantity(value) is None:
            raise ValueError(f"figure text {value!r} holds no count of people or things")
        return value


class SentenceFacts(Draft):
    """Everything one sentence reports."""

    source: str | None = Field(
        default=None, description="Who the sentence attributes its claims to, or null"
    )
    events: list[EventDraft] = Field(default_factory=list)
    figures: list[FigureDraft] = Field(default_factory=list)
    actors: list[ActorDraft] = Field(
        default_factory=list, description="Other actors the sentence names"
    )

    @field_validator("source")
    @classmethod
    def _source_grounded(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _must_appear(value, info, "source")

    @model_validator(mode="after")
    def _links(self) -> Self:
        for figure in self.figures:
            if figure.event is not None and figure.event > len(self.events):
                raise ValueError(
                    f"figure {figure.text!r} points to event {figure.event}, "
                    f"but there are {len(self.events)} events"
                )
        return self


def _reason(error: ValidationError) -> str:
    return "; ".join(item["msg"] for item in error.errors(include_url=False))


def salvage(raw: dict[str, Any], context: dict[str, Any]) -> tuple[SentenceFacts, list[str]]:
    """Keep the parts of a failed answer that validate on their own; name what was dropped."""
    dropped: list[str] = []

    def keep(model: type[Draft], items: Any, kind: str) -> list[Any]:
        kept = []
        for item in items if isinstance(items, list) else []:
            try:
                kept.append(model.model_validate(item, context=context))
            except ValidationError as error:
                dropped.append(f"{kind}: {_reason(error)}")
        return kept

    events: list[EventDraft] = []
    for item in raw.get("events") or []:
        if isinstance(item, dict):
            item = {
                **item,
                "by": keep(ActorDraft, item.get("by"), "event actor"),
                "against": keep(ActorDraft, item.get("against"), "event actor"),
            }
        events.extend(keep(EventDraft, [item], "event"))
    figures: list[FigureDraft] = keep(FigureDraft, raw.get("figures"), "figure")
    actors: list[ActorDraft] = keep(ActorDraft, raw.get("actors"), "actor")
    for figure in figures:
        if figure.event is not None and figure.event > len(events):
            dropped.append(f"figure link: event {figure.event} does not exist")
            figure.event = None
    try:
        source = SentenceFacts.model_validate({"source": raw.get("source")}, context=context).source
    except ValidationError as error:
        dropped.append(f"source: {_reason(error)}")
        source = None
    facts = SentenceFacts.model_construct(
        source=source, actors=actors, events=events, figures=figures
    )
    return facts, dropped
