"""Query filters of the record endpoints, declared once and shared by the list and export
endpoints as dependencies (their query parameters appear in the OpenAPI of both)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from litestar.di import Provide
from litestar.params import QueryParameter

from service.api.params import QueryId, parse_time, query_id, query_time
from service.errors import BadRequestError
from service.extraction.records import MAX_FIGURE
from service.extraction.taxonomy import (
    ActorType,
    EventType,
    FigureCategory,
    Qualifier,
    SubEventType,
)
from service.geo.countries import countries
from service.store.filters import (
    ActorFilter,
    BBox,
    CanonicalActorFilter,
    EventFilter,
    FigureFilter,
    ReviewFilter,
)
from service.store.read_models import EventFieldsPage, EventRead, Page

Id = QueryId
Text = Annotated[str | None, QueryParameter(min_length=1, max_length=200)]
ActorId = Annotated[int | None, query_id("A canonical actor (GET /actors) took part")]
Limit = Annotated[int, QueryParameter(ge=1, le=500, description="Page size.")]
Cursor = Annotated[str | None, QueryParameter(description="next_cursor of the previous page.")]
MinConfidence = Annotated[
    float | None,
    QueryParameter(
        ge=0.0,
        le=1.0,
        description="Only records whose confidence is at least this (records without a "
        "confidence are left out); docs/confidence.md gives the threshold chosen for exports",
    ),
]


UpdatedSince = Annotated[
    str | None,
    query_time(
        "Only records a run re-extracted or a reviewer changed at or after this ISO 8601 "
        "time (UTC when it has no offset): pass the previous sync's start, and drop what "
        "GET /deleted?since= lists"
    ),
]


class ReviewChoice(StrEnum):
    CONFIRMED = "confirmed"
    UNREVIEWED = "unreviewed"
    REJECTED = "rejected"
    ALL = "all"


ReviewParam = Annotated[
    ReviewChoice | None,
    QueryParameter(
        description="By the latest verdict (POST /events/{id}/verdict, "
        "/figures/{id}/verdict); unset: every record not rejected"
    ),
]


BBOX = (
    "min_lon,min_lat,max_lon,max_lat in degrees (GeoJSON's order): events whose place lies in "
    "the box; min_lon greater than max_lon is a box across the antimeridian"
)


def parse_bbox(value: str) -> BBox:
    """``min_lon,min_lat,max_lon,max_lat``; a 400 naming ``bbox`` for anything else."""
    parts = value.split(",")
    if len(parts) != 4:
        raise BadRequestError(f"bbox: {BBOX}; got {len(parts)} values, not 4")
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError as exc:
        raise BadRequestError(f"bbox: {value!r} is not four numbers: {BBOX}") from exc
    for name, number, bound in (
        ("min_lon", min_lon, 180),
        ("min_lat", min_lat, 90),
        ("max_lon", max_lon, 180),
        ("max_lat", max_lat, 90),
    ):
        if not -bound <= number <= bound:  # NaN fails too
            raise BadRequestError(f"bbox: {name} {number} is outside -{bound}..{bound}")
    if min_lat > max_lat:
        raise BadRequestError(f"bbox: min_lat {min_lat} is north of max_lat {max_lat}")
    return BBox(min_lon, min_lat, max_lon, max_lat)


def country_code(country: str | None, iso: str | None) -> str | None:
    """The ISO2 code ``?country=`` (a name, any case) and ``?iso=`` (alpha-2, alpha-3 or
    numeric) name; a 400 when either names no country or they name two."""
    known = countries()
    named = coded = None
    if country is not None:
        named = known.named(country)
        if named is None:
            raise BadRequestError(
                f"country: no country is named {country!r} (GeoNames' English names, e.g. "
                "'Syria', 'Democratic Republic of the Congo'; or ?iso=)"
            )
    if iso is not None:
        coded = known.coded(iso)
        if coded is None:
            raise BadRequestError(
                f"iso: {iso!r} is no ISO 3166-1 alpha-2, alpha-3 or numeric country code "
                "(e.g. SY, SYR or 760)"
            )
    if named is not None and coded is not None and named != coded:
        raise BadRequestError(f"country {country!r} and iso {iso!r} are two countries")
    return named or coded


def event_filter(
    article_id: Id = None,
    run_id: Id = None,
    event_type: Annotated[EventType | None, QueryParameter()] = None,
    sub_event_type: Annotated[SubEventType | None, QueryParameter()] = None,
    actor: Annotated[
        str | None, QueryParameter(min_length=1, description="Actor name contains")
    ] = None,
    actor_id: ActorId = None,
    location: Annotated[
        str | None, QueryParameter(min_length=1, description="Location contains")
    ] = None,
    reported_by: Text = None,
    date_from: Annotated[dt.date | None, QueryParameter(description="ISO date")] = None,
    date_to: Annotated[dt.date | None, QueryParameter(description="ISO date")] = None,
    min_confidence: MinConfidence = None,
    updated_since: UpdatedSince = None,
    review: ReviewParam = None,
    country: Annotated[
        str | None,
        QueryParameter(
            min_length=1,
            max_length=200,
            description="The country of the event's place, by name, any case ('syria')",
        ),
    ] = None,
    iso: Annotated[
        str | None,
        QueryParameter(
            min_length=1,
            max_length=3,
            description="The country of the event's place by ISO 3166-1 code: alpha-2 (SY), "
            "alpha-3 (SYR) or numeric (760, as ACLED's iso column)",
        ),
    ] = None,
    admin1: Annotated[
        str | None,
        QueryParameter(
            min_length=1,
            max_length=200,
            description="The admin1 region of the event's place (as the place's admin1), any case",
        ),
    ] = None,
    bbox: Annotated[
        str | None, QueryParameter(min_length=1, max_length=200, description=BBOX)
    ] = None,
    fatalities_min: Annotated[
        int | None,
        QueryParameter(
            ge=0,
            le=MAX_FIGURE,
            description="Only events whose ACLED fatalities (the lowest 'killed' figure; none "
            "is 0) are at least this",
        ),
    ] = None,
    inter: Annotated[
        int | None,
        QueryParameter(
            ge=1,
            le=8,
            description="Only events with an actor of this ACLED inter code on either side "
            "(1 state forces, 2 rebel groups, 3 political militias, 4 identity militias, "
            "5 rioters, 6 protesters, 7 civilians, 8 external/other forces); 7 also takes "
            "violence against civilians with no named target, as the ACLED export does",
        ),
    ] = None,
) -> EventFilter:
    if date_from and date_to and date_from > date_to:
        raise BadRequestError(f"date_from {date_from} is after date_to {date_to}")
    return EventFilter(
        article_id=article_id,
        run_id=run_id,
        event_type=event_type.value if event_type else None,
        sub_event_type=sub_event_type.value if sub_event_type else None,
        actor=actor,
        actor_id=actor_id,
        location=location,
        reported_by=reported_by,
        date_from=date_from,
        date_to=date_to,
        min_confidence=min_confidence,
        updated_since=parse_time("updated_since", updated_since),
        review=ReviewFilter(review.value) if review else ReviewFilter.NOT_REJECTED,
        country_iso2=country_code(country, iso),
        admin1=admin1,
        bbox=parse_bbox(bbox) if bbox is not None else None,
        fatalities_min=fatalities_min,
        inter=inter,
    )


EVENT_FIELDS = tuple(EventRead.model_fields)


@dataclass(frozen=True, slots=True)
class EventFields:
    """The top-level fields of each event to return; empty: every field."""

    names: tuple[str, ...] = ()


def event_fields(
    fields: Annotated[
        str | None,
        QueryParameter(
            min_length=1,
            max_length=1000,
            description="Comma-separated top-level fields of each event to return (e.g. "
            f"id,event_id_cnty,place); unset: all. One of: {', '.join(EVENT_FIELDS)}",
        ),
    ] = None,
) -> EventFields:
    if fields is None:
        return EventFields()
    names = tuple(dict.fromkeys(name.strip() for name in fields.split(",")))
    if unknown := [name for name in names if name not in EVENT_FIELDS]:
        raise BadRequestError(
            f"fields: {', '.join(repr(n) for n in unknown)} is not a field of an event; "
            f"valid: {', '.join(EVENT_FIELDS)}"
        )
    return EventFields(names)


def narrowed(found: Page[EventRead], fields: EventFields) -> Page[EventRead] | EventFieldsPage:
    """``found`` as it is, or with only the fields asked for."""
    if not fields.names:
        return found
    include = set(fields.names)
    return EventFieldsPage(
        items=[event.model_dump(mode="json", include=include) for event in found.items],
        next_cursor=found.next_cursor,
    )


def actor_filter(
    article_id: Id = None,
    run_id: Id = None,
    name: Annotated[str | None, QueryParameter(min_length=1, description="Name contains")] = None,
    actor_type: Annotated[ActorType | None, QueryParameter()] = None,
    min_confidence: MinConfidence = None,
) -> ActorFilter:
    return ActorFilter(
        article_id=article_id,
        run_id=run_id,
        name=name,
        actor_type=actor_type.value if actor_type else None,
        min_confidence=min_confidence,
    )


def canonical_actor_filter(
    name: Annotated[
        str | None, QueryParameter(min_length=1, description="Name or any alias contains")
    ] = None,
    actor_type: Annotated[ActorType | None, QueryParameter()] = None,
    article_id: Annotated[int | None, query_id("Named in this article")] = None,
    generic: Annotated[
        bool | None,
        QueryParameter(description="true: only article-bound descriptions ('rebels'); false: none"),
    ] = None,
) -> CanonicalActorFilter:
    return CanonicalActorFilter(
        name=name,
        actor_type=actor_type.value if actor_type else None,
        article_id=article_id,
        generic=generic,
    )


def figure_filter(
    article_id: Id = None,
    run_id: Id = None,
    event_id: Id = None,
    category: Annotated[FigureCategory | None, QueryParameter()] = None,
    qualifier: Annotated[Qualifier | None, QueryParameter()] = None,
    reported_by: Text = None,
    min_confidence: MinConfidence = None,
    updated_since: UpdatedSince = None,
    review: ReviewParam = None,
) -> FigureFilter:
    return FigureFilter(
        article_id=article_id,
        run_id=run_id,
        event_id=event_id,
        category=category.value if category else None,
        qualifier=qualifier.value if qualifier else None,
        reported_by=reported_by,
        min_confidence=min_confidence,
        updated_since=parse_time("updated_since", updated_since),
        review=ReviewFilter(review.value) if review else ReviewFilter.NOT_REJECTED,
    )


FILTERS = {
    "event_filter": Provide(event_filter, sync_to_thread=False),
    "actor_filter": Provide(actor_filter, sync_to_thread=False),
    "canonical_actor_filter": Provide(canonical_actor_filter, sync_to_thread=False),
    "figure_filter": Provide(figure_filter, sync_to_thread=False),
    "event_fields": Provide(event_fields, sync_to_thread=False),
}
