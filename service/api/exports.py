"""Bulk exports: every record the list endpoints would return, all pages, in one streamed body.

The filters are the list endpoints' own dependencies (service/api/filters.py), so a bad value
gets the same 400.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anyio.to_thread
from litestar import Controller, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.response import Stream

from service import exports
from service.api.errors import error_responses
from service.api.filters import FILTERS, EventFields
from service.store.filters import (
    ActorFilter,
    CanonicalActorFilter,
    EventFilter,
    FigureFilter,
)
from service.store.repository import Store

CSV = "text/csv"
NDJSON = "application/x-ndjson"
GEOJSON = "application/geo+json"


async def _threaded(chunks: Iterator[str]) -> AsyncIterator[str]:
    """Step the store-reading iterator in a worker thread.

    Not left to Stream: Litestar's wrapper for sync iterators ends the body quietly on any
    ValueError (pydantic's ValidationError included), which would pass a cut export as whole.
    """
    while (chunk := await anyio.to_thread.run_sync(next, chunks, None)) is not None:
        yield chunk


class ExportController(Controller):
    """The bodies are lazy: the store is read page by page while the response streams, so a
    failure after the first chunk aborts the response (the status line is already sent)."""

    path = "/"
    tags = ["exports"]
    dependencies = FILTERS

    @get(
        "/events.csv",
        operation_id="exportEventsCsv",
        summary="All events matching the /events filters as CSV: ACLED's columns, then this "
        "service's",
        media_type=CSV,
        responses=error_responses(400),
        response_headers=[
            ResponseHeader(name="Content-Disposition", value='attachment; filename="events.csv"')
        ],
    )
    async def events_csv(
        self, store: NamedDependency[Store], event_filter: NamedDependency[EventFilter]
    ) -> Stream:
        return Stream(_threaded(exports.events_csv(store, event_filter)), media_type=CSV)

    @get(
        "/events.jsonl",
        operation_id="exportEventsJsonl",
        summary="All events matching the /events filters, one JSON object per line",
        media_type=NDJSON,
        responses=error_responses(400),
    )
    async def events_jsonl(
        self,
        store: NamedDependency[Store],
        event_filter: NamedDependency[EventFilter],
        event_fields: NamedDependency[EventFields],
    ) -> Stream:
        pages = exports.event_pages(store, event_filter)
        return Stream(_threaded(exports.jsonl(pages, event_fields.names)), media_type=NDJSON)

    @get(
        "/events.geojson",
        operation_id="exportEventsGeojson",
        summary="All geocoded events matching the /events filters as a GeoJSON FeatureCollection",
        description="One Point feature per event with coordinates ([longitude, latitude] of its "
        "place); events without are left out and counted in the collection's last member, "
        f"`{exports.WITHOUT_COORDINATES}`.",
        media_type=GEOJSON,
        responses=error_responses(400),
        response_headers=[
            ResponseHeader(
                name="Content-Disposition", value='attachment; filename="events.geojson"'
            )
        ],
    )
    async def events_geojson(
        self, store: NamedDependency[Store], event_filter: NamedDependency[EventFilter]
    ) -> Stream:
        return Stream(_threaded(exports.events_geojson(store, event_filter)), media_type=GEOJSON)

    @get(
        "/actors.jsonl",
        operation_id="exportActorsJsonl",
        summary="All canonical actors matching the /actors filters, one JSON object per line",
        media_type=NDJSON,
        responses=error_responses(400),
    )
    async def actors_jsonl(
        self,
        store: NamedDependency[Store],
        canonical_actor_filter: NamedDependency[CanonicalActorFilter],
    ) -> Stream:
        pages = exports.actor_pages(store, canonical_actor_filter)
        return Stream(_threaded(exports.jsonl(pages)), media_type=NDJSON)

    @get(
        "/actor-mentions.jsonl",
        operation_id="exportActorMentionsJsonl",
        summary="All actor mentions matching the /actor-mentions filters, one JSON object per line",
        media_type=NDJSON,
        responses=error_responses(400),
    )
    async def actor_mentions_jsonl(
        self, store: NamedDependency[Store], actor_filter: NamedDependency[ActorFilter]
    ) -> Stream:
        pages = exports.actor_mention_pages(store, actor_filter)
        return Stream(_threaded(exports.jsonl(pages)), media_type=NDJSON)

    @get(
        "/figures.jsonl",
        operation_id="exportFiguresJsonl",
        summary="All figures matching the /figures filters, one JSON object per line",
        media_type=NDJSON,
        responses=error_responses(400),
    )
    async def figures_jsonl(
        self, store: NamedDependency[Store], figure_filter: NamedDependency[FigureFilter]
    ) -> Stream:
        return Stream(
            _threaded(exports.jsonl(exports.figure_pages(store, figure_filter))), media_type=NDJSON
        )
