"""Bodies of the review endpoints (PATCH /events/{id}, /figures/{id}, POST .../verdict), parsed
by hand like articles (service/api/article_input.py) so every mistake gets a 4xx saying what to
fix."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from service.api.article_input import _iso_date, json_object
from service.api.params import MAX_ID
from service.errors import BadRequestError
from service.extraction.records import MAX_FIGURE
from service.extraction.taxonomy import (
    ActorRole,
    DatePrecision,
    EventType,
    FigureCategory,
    Qualifier,
    SubEventType,
)
from service.store.review_reads import FIGURE_NOT_NULL, NOT_NULL
from service.store.tables import Verdict


class SideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor_id: int = Field(
        ge=1, le=MAX_ID, description="An actor of the event's run (GET /actor-mentions)"
    )
    role: ActorRole


class EventPatch(BaseModel):
    """Corrections of an event: only the fields sent change (null clears location, date or
    reported_by). The model's values are kept beside them."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "sub_event_type": "Shelling/artillery/missile attack",
                    "location": "Harasta",
                    "actor_roles": {"Jaysh al-Islam": "perpetrator"},
                }
            ]
        },
    )

    event_type: EventType | None = Field(
        default=None, description="Set from sub_event_type when only that is sent"
    )
    sub_event_type: SubEventType | None = None
    summary: str | None = Field(default=None, min_length=1, max_length=2000)
    location: str | None = Field(default=None, min_length=1, max_length=200)
    date: Annotated[dt.date | None, BeforeValidator(_iso_date)] = Field(
        default=None, description="ISO date"
    )
    date_precision: DatePrecision | None = None
    reported_by: str | None = Field(default=None, min_length=1, max_length=200)
    actor_roles: dict[str, ActorRole] | None = Field(
        default=None,
        max_length=50,
        description="The role of each named actor of the event, by its name as the event lists it",
    )
    actors: list[SideIn] | None = Field(
        default=None,
        max_length=50,
        description="The event's sides as a whole, replacing the model's: actors of the "
        "event's article (GET /actor-mentions?run_id=), each with its role",
    )


class FigurePatch(BaseModel):
    """Corrections of a figure: only the fields sent change (null clears low, high, population,
    reported_by or event_id). The model's values are kept beside them."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"low": 40, "high": 45, "qualifier": "range"}]},
    )

    category: FigureCategory | None = None
    low: int | None = Field(default=None, ge=0, le=MAX_FIGURE)
    high: int | None = Field(default=None, ge=0, le=MAX_FIGURE)
    qualifier: Qualifier | None = None
    population: str | None = Field(default=None, min_length=1, max_length=200)
    reported_by: str | None = Field(default=None, min_length=1, max_length=200)
    event_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="An event of the figure's run; null: no event"
    )


class VerdictIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"verdict": "confirmed", "note": "matches the source"}]},
    )

    verdict: Verdict
    note: str | None = Field(default=None, max_length=2000)


@dataclass(frozen=True, slots=True)
class Correction:
    fields: dict[str, Any]
    actor_roles: dict[str, str]
    sides: list[tuple[int, str]] | None = None


def parse_event_patch(content_type: str | None, raw: bytes) -> Correction:
    patch = json_object(content_type, raw, EventPatch, '{"location": "..."}')
    sent = patch.model_fields_set
    if not sent:
        raise BadRequestError(
            "nothing to correct: send one or more of "
            + ", ".join(name for name in EventPatch.model_fields)
        )
    fields: dict[str, Any] = {}
    for name in sorted(sent - {"actor_roles", "actors"}):
        value = getattr(patch, name)
        if value is None and name in NOT_NULL:
            raise BadRequestError(f"{name}: cannot be null; send a value", field=name)
        fields[name] = value.value if isinstance(value, EventType | SubEventType) else value
        if isinstance(value, DatePrecision):
            fields[name] = value.value
    if "actor_roles" in sent and not patch.actor_roles:
        raise BadRequestError(
            'actor_roles: send an object of actor name to role, like {"army": "perpetrator"}',
            field="actor_roles",
        )
    roles = {name: role.value for name, role in (patch.actor_roles or {}).items()}
    if "actors" in sent and patch.actors is None:
        raise BadRequestError(
            'actors: cannot be null; send a list like [{"actor_id": 3, "role": "perpetrator"}]',
            field="actors",
        )
    if patch.actors is not None and roles:
        raise BadRequestError(
            "actor_roles: send either actors or actor_roles, not both", field="actor_roles"
        )
    sides = None
    if patch.actors is not None:
        sides = [(side.actor_id, side.role.value) for side in patch.actors]
    return Correction(fields=fields, actor_roles=roles, sides=sides)


def parse_figure_patch(content_type: str | None, raw: bytes) -> dict[str, Any]:
    """The corrected fields of a figure, by name."""
    patch = json_object(content_type, raw, FigurePatch, '{"low": 40}')
    sent = patch.model_fields_set
    if not sent:
        raise BadRequestError(
            "nothing to correct: send one or more of " + ", ".join(FigurePatch.model_fields)
        )
    fields: dict[str, Any] = {}
    for name in sorted(sent):
        value = getattr(patch, name)
        if value is None and name in FIGURE_NOT_NULL:
            raise BadRequestError(f"{name}: cannot be null; send a value", field=name)
        fields[name] = value.value if isinstance(value, FigureCategory | Qualifier) else value
    return fields


def parse_verdict(content_type: str | None, raw: bytes) -> VerdictIn:
    return json_object(content_type, raw, VerdictIn, '{"verdict": "confirmed"}')
