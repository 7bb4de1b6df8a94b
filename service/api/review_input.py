"""Bodies of the review endpoints (PATCH /events/{id}, POST /events/{id}/verdict), parsed by
hand like articles (service/api/article_input.py) so every mistake gets a 4xx saying what to fix."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from service.api.article_input import _iso_date, json_object
from service.errors import BadRequestError
from service.extraction.taxonomy import ActorRole, DatePrecision, EventType, SubEventType
from service.store.review_reads import NOT_NULL
from service.store.tables import Verdict


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


def parse_event_patch(content_type: str | None, raw: bytes) -> Correction:
    patch = json_object(content_type, raw, EventPatch, '{"location": "..."}')
    sent = patch.model_fields_set
    if not sent:
        raise BadRequestError(
            "nothing to correct: send one or more of "
            + ", ".join(name for name in EventPatch.model_fields)
        )
    fields: dict[str, Any] = {}
    for name in sorted(sent - {"actor_roles"}):
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
    return Correction(fields=fields, actor_roles=roles)


def parse_verdict(content_type: str | None, raw: bytes) -> VerdictIn:
    return json_object(content_type, raw, VerdictIn, '{"verdict": "confirmed"}')
