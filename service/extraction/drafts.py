"""What the LLM fills in: small, ordered for a small model, pointing instead of copying.

Code numbers the sentence's candidate names and counts; the model answers with those numbers
and with labels from closed lists. Validators check every number against the lists in the
validation ``context`` (``names``, ``counts``) so that instructor re-asks with the exact error.
"""

from __future__ import annotations

from typing import Any, Literal, Self, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from service.extraction.taxonomy import (
    SUB_EVENT_LABELS,
    ActorType,
    Factuality,
    FigureCategory,
    SubEventType,
)

NOT_A_COUNT = "not_a_count"
# not_a_count comes last: under grammar-constrained decoding a small model drifts to the first
# option of a list.
FigureLabel = Literal[
    "killed", "wounded", "killed_or_wounded", "missing", "abducted", "arrested", "evacuated",
    "displaced", "besieged", "fighters", "munitions", "other", "not_a_count",
]  # fmt: skip
FIGURE_LABELS: frozenset[str] = frozenset(get_args(FigureLabel))
assert {c.value for c in FigureCategory} | {NOT_A_COUNT} == FIGURE_LABELS

NameNumber = int


def _listed(info: ValidationInfo, key: str = "names") -> list[str] | None:
    context = info.context if isinstance(info.context, dict) else {}
    items = context.get(key)
    return list(items) if items is not None else None


def _check_number(
    number: int | None, items: list[str] | None, what: str, listed: str = "name"
) -> None:
    if number is None or items is None:
        return
    if not 1 <= number <= len(items):
        choices = f"1 to {len(items)}" if items else "null (none is listed)"
        raise ValueError(f"{what} {number} is not a listed {listed} number; use {choices}")


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActorPick(Draft):
    """A listed name, by number, with its ACLED actor type."""

    name: NameNumber
    type: ActorType

    @model_validator(mode="after")
    def _number_listed(self, info: ValidationInfo) -> Self:
        _check_number(self.name, _listed(info), "name")
        return self


class EventDraft(Draft):
    status: Factuality = Field(description="'happened' only if the article says it happened")
    type: SubEventType
    by: list[ActorPick] = Field(default_factory=list, max_length=4, description="Perpetrators")
    against: list[ActorPick] = Field(default_factory=list, max_length=4, description="Targets")
    location: NameNumber | None = Field(default=None, description="Number of the place")

    @model_validator(mode="after")
    def _place_listed(self, info: ValidationInfo) -> Self:
        _check_number(self.location, _listed(info, "places"), "location", "place")
        return self


class SentenceLabels(Draft):
    """Everything one sentence reports, as numbers of listed names and closed labels.

    ``figures`` labels, in order, the counts listed in the prompt.
    """

    source: NameNumber | None = Field(
        default=None, description="Number of the name the sentence attributes its claims to"
    )
    events: list[EventDraft] = Field(default_factory=list, max_length=4)
    figures: list[FigureLabel] = Field(
        default_factory=list, max_length=12, description="One label per listed count, in order"
    )

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Self:
        _check_number(self.source, _listed(info), "source")
        context = info.context if isinstance(info.context, dict) else {}
        counts = context.get("counts")
        if counts is not None and len(self.figures) > len(counts):
            raise ValueError(
                f"{len(self.figures)} figure labels for {len(counts)} listed counts; give one "
                "label per listed count, in order"
            )
        return self


def _reason(error: ValidationError) -> str:
    return "; ".join(item["msg"] for item in error.errors(include_url=False))


def _valid_picks(items: Any, context: dict[str, Any], dropped: list[str]) -> list[ActorPick]:
    picks = []
    for item in items if isinstance(items, list) else []:
        try:
            picks.append(ActorPick.model_validate(item, context=context))
        except ValidationError as error:
            dropped.append(f"event actor: {_reason(error)}")
    return picks


def salvage_labels(
    raw: dict[str, Any], context: dict[str, Any]
) -> tuple[SentenceLabels, list[str]]:
    """Keep the parts of a failed answer that validate on their own; name what was dropped."""
    dropped: list[str] = []
    events: list[EventDraft] = []
    for item in raw.get("events") or []:
        if isinstance(item, dict):
            item = {
                **item,
                "by": _valid_picks(item.get("by"), context, dropped),
                "against": _valid_picks(item.get("against"), context, dropped),
            }
        try:
            events.append(EventDraft.model_validate(item, context=context))
        except ValidationError as error:
            dropped.append(f"event: {_reason(error)}")
    labels = [label for label in raw.get("figures") or [] if label in FIGURE_LABELS]
    counts = context.get("counts")
    if counts is not None and len(labels) > len(counts):
        dropped.append(f"figures: {len(labels) - len(counts)} labels beyond the listed counts")
        labels = labels[: len(counts)]
    source = raw.get("source")
    try:
        number = source if isinstance(source, int) else None
        _check_number(number, context.get("names"), "source")
    except ValueError as error:
        dropped.append(f"source: {error}")
        source = None
    labels_model = SentenceLabels.model_construct(
        source=source if isinstance(source, int) else None, events=events, figures=labels
    )
    return labels_model, dropped


# extract.v2: the answer holds numbers and labels only. Actor types are not asked per pick:
# code types what its rules know (actor_types.py) and asks one short question per other
# actor. With a llama.cpp grammar (``answer_schema``) the model cannot write a number that is
# not listed, a field that cannot apply, or a wrong count of figure labels, so no re-asks.


# extract.v4 writes each event as a row, [status, type, by, against, location], with a short
# type label (SUB_EVENT_LABELS): a third fewer answer tokens than an object per event.
ROW_FIELDS = ("status", "type", "by", "against", "location")


class EventAnswer(Draft):
    status: Factuality
    type: SubEventType
    by: list[NameNumber] = Field(default_factory=list, max_length=4)
    against: list[NameNumber] = Field(default_factory=list, max_length=4)
    location: NameNumber | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_row(cls, data: Any) -> Any:
        if isinstance(data, list):
            if len(data) != len(ROW_FIELDS):
                raise ValueError(
                    f"an event row has {len(ROW_FIELDS)} items {list(ROW_FIELDS)}, not {len(data)}"
                )
            data = dict(zip(ROW_FIELDS, data, strict=True))
        if isinstance(data, dict) and data.get("type") in SUB_EVENT_LABELS:
            data = {**data, "type": SUB_EVENT_LABELS[data["type"]]}
        return data

    @model_validator(mode="after")
    def _listed(self, info: ValidationInfo) -> Self:
        for number in (*self.by, *self.against):
            _check_number(number, _listed(info), "name")
        _check_number(self.location, _listed(info, "places"), "location", "place")
        return self


class SentenceAnswer(Draft):
    """What one sentence reports: ``source`` and actors by name number, ``figures`` labels the
    listed counts in order."""

    source: NameNumber | None = None
    events: list[EventAnswer] = Field(default_factory=list, max_length=4)
    figures: list[FigureLabel] = Field(default_factory=list, max_length=12)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Self:
        _check_number(self.source, _listed(info), "source")
        counts = _listed(info, "counts")
        if counts is not None and len(self.figures) > len(counts):
            raise ValueError(
                f"{len(self.figures)} figure labels for {len(counts)} listed counts; give one "
                "label per listed count, in order"
            )
        return self


class ActorTypeAnswer(Draft):
    type: ActorType


def _numbers(count: int, *, nullable: bool = False) -> dict[str, Any]:
    values: list[int | None] = list(range(1, count + 1))
    return {"enum": [*values, None] if nullable else values}


def answer_schema(names: int, places: int, counts: int, *, rows: bool = False) -> dict[str, Any]:
    """The JSON schema of a ``SentenceAnswer`` for a sentence with this many listed names,
    places and counts: numbers limited to the listed ones, fields that cannot apply left out
    (their defaults hold), exactly one figure label per count. Meant as a decoding grammar.

    ``rows``: each event is a row ``[status, type, by, against, location]`` with a short type
    label; a field that cannot apply is still there, empty (``[]``, ``null``)."""
    if rows:
        nobody: dict[str, Any] = {"type": "array", "maxItems": 0}
        picks = {"type": "array", "items": _numbers(names), "maxItems": min(names, 4)}
        row = [
            {"enum": [f.value for f in Factuality]},
            {"enum": list(SUB_EVENT_LABELS)},
            picks if names else nobody,
            picks if names else nobody,
            _numbers(places, nullable=True) if places else {"type": "null"},
        ]
        event_item: dict[str, Any] = {
            "type": "array", "prefixItems": row, "minItems": len(row), "maxItems": len(row)
        }  # fmt: skip
    else:
        event: dict[str, Any] = {
            "status": {"enum": [f.value for f in Factuality]},
            "type": {"enum": [t.value for t in SubEventType]},
        }
        if names:
            picks = {"type": "array", "items": _numbers(names), "maxItems": min(names, 4)}
            event |= {"by": picks, "against": picks}
        if places:
            event["location"] = _numbers(places, nullable=True)
        event_item = _object(event)
    answer: dict[str, Any] = {}
    if names:
        answer["source"] = _numbers(names, nullable=True)
    answer["events"] = {"type": "array", "items": event_item, "maxItems": 4}
    if counts:
        labels = {"enum": list(get_args(FigureLabel))}
        answer["figures"] = {
            "type": "array", "items": labels, "minItems": counts, "maxItems": counts
        }  # fmt: skip
    return _object(answer)


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def actor_type_schema() -> dict[str, Any]:
    return _object({"type": {"enum": [t.value for t in ActorType]}})


def salvage_answer(
    raw: dict[str, Any], context: dict[str, Any]
) -> tuple[SentenceAnswer, list[str]]:
    """Keep the parts of a failed v2 (or v4 rows) answer that validate on their own; name what
    was dropped."""
    labels, dropped = salvage_labels({**raw, "events": []}, context)
    events: list[EventAnswer] = []
    names = len(context.get("names") or [])
    for item in raw.get("events") or []:
        if isinstance(item, list) and len(item) == len(ROW_FIELDS):
            item = dict(zip(ROW_FIELDS, item, strict=True))
        if isinstance(item, dict):
            for key in ("by", "against"):
                picks = item.get(key)
                kept = (
                    [n for n in picks if isinstance(n, int) and 1 <= n <= names]
                    if isinstance(picks, list)
                    else []
                )
                if isinstance(picks, list) and len(kept) < len(picks):
                    dropped.append(f"event actor: {len(picks) - len(kept)} unlisted name numbers")
                item = {**item, key: kept}
        try:
            events.append(EventAnswer.model_validate(item, context=context))
        except ValidationError as error:
            dropped.append(f"event: {_reason(error)}")
    answer = SentenceAnswer.model_construct(
        source=labels.source, events=events, figures=labels.figures
    )
    return answer, dropped
