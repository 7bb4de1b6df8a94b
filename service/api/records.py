"""Read endpoints for stored records. By default they show each article's latest successful
run; ``run_id`` selects any run, older ones included."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from service.errors import BadRequestError
from service.extraction.taxonomy import (
    ActorType,
    EventType,
    FigureCategory,
    Qualifier,
    SubEventType,
)
from service.store.read_models import ActorRead, EventRead, FigureRead, Page
from service.store.repository import ActorFilter, EventFilter, FigureFilter, Store

Id = Annotated[int | None, QueryParameter(ge=1)]
Text = Annotated[str | None, QueryParameter(min_length=1, max_length=200)]
Limit = Annotated[int, QueryParameter(ge=1, le=500, description="Page size.")]
Cursor = Annotated[str | None, QueryParameter(description="next_cursor of the previous page.")]


class EventController(Controller):
    path = "/events"
    tags = ["events"]

    @get(
        "/",
        operation_id="listEvents",
        summary="Events, filtered, oldest first, cursor-paginated",
        sync_to_thread=True,
    )
    def list_events(
        self,
        store: NamedDependency[Store],
        article_id: Id = None,
        run_id: Id = None,
        event_type: Annotated[EventType | None, QueryParameter()] = None,
        sub_event_type: Annotated[SubEventType | None, QueryParameter()] = None,
        actor: Annotated[
            str | None, QueryParameter(min_length=1, description="Actor name contains")
        ] = None,
        location: Annotated[
            str | None, QueryParameter(min_length=1, description="Location contains")
        ] = None,
        reported_by: Text = None,
        date_from: Annotated[dt.date | None, QueryParameter(description="ISO date")] = None,
        date_to: Annotated[dt.date | None, QueryParameter(description="ISO date")] = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> Page[EventRead]:
        if date_from and date_to and date_from > date_to:
            raise BadRequestError(f"date_from {date_from} is after date_to {date_to}")
        filters = EventFilter(
            article_id=article_id,
            run_id=run_id,
            event_type=event_type.value if event_type else None,
            sub_event_type=sub_event_type.value if sub_event_type else None,
            actor=actor,
            location=location,
            reported_by=reported_by,
            date_from=date_from,
            date_to=date_to,
        )
        return store.list_events(filters, cursor, limit)


class ActorController(Controller):
    path = "/actors"
    tags = ["actors"]

    @get(
        "/",
        operation_id="listActors",
        summary="Actor mentions, filtered, cursor-paginated",
        sync_to_thread=True,
    )
    def list_actors(
        self,
        store: NamedDependency[Store],
        article_id: Id = None,
        run_id: Id = None,
        name: Annotated[
            str | None, QueryParameter(min_length=1, description="Name contains")
        ] = None,
        actor_type: Annotated[ActorType | None, QueryParameter()] = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> Page[ActorRead]:
        filters = ActorFilter(
            article_id=article_id,
            run_id=run_id,
            name=name,
            actor_type=actor_type.value if actor_type else None,
        )
        return store.list_actors(filters, cursor, limit)


class FigureController(Controller):
    path = "/figures"
    tags = ["figures"]

    @get(
        "/",
        operation_id="listFigures",
        summary="Reported figures, filtered, cursor-paginated",
        sync_to_thread=True,
    )
    def list_figures(
        self,
        store: NamedDependency[Store],
        article_id: Id = None,
        run_id: Id = None,
        event_id: Id = None,
        category: Annotated[FigureCategory | None, QueryParameter()] = None,
        qualifier: Annotated[Qualifier | None, QueryParameter()] = None,
        reported_by: Text = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> Page[FigureRead]:
        filters = FigureFilter(
            article_id=article_id,
            run_id=run_id,
            event_id=event_id,
            category=category.value if category else None,
            qualifier=qualifier.value if qualifier else None,
            reported_by=reported_by,
        )
        return store.list_figures(filters, cursor, limit)
