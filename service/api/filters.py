"""Query filters of the record endpoints, declared once and shared by the list and export
endpoints as dependencies (their query parameters appear in the OpenAPI of both)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from litestar.di import Provide
from litestar.params import QueryParameter

from service.api.params import QueryId, parse_time, query_id, query_time
from service.errors import BadRequestError
from service.extraction.taxonomy import (
    ActorType,
    EventType,
    FigureCategory,
    Qualifier,
    SubEventType,
)
from service.store.filters import (
    ActorFilter,
    CanonicalActorFilter,
    EventFilter,
    FigureFilter,
    ReviewFilter,
)

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
        description="Events by their latest verdict (POST /events/{id}/verdict); unset: every "
        "event not rejected"
    ),
]


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
    )


FILTERS = {
    "event_filter": Provide(event_filter, sync_to_thread=False),
    "actor_filter": Provide(actor_filter, sync_to_thread=False),
    "canonical_actor_filter": Provide(canonical_actor_filter, sync_to_thread=False),
    "figure_filter": Provide(figure_filter, sync_to_thread=False),
}
