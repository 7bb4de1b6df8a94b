"""Read endpoints for stored records. By default they show each article's latest successful
run; ``run_id`` selects any run, older ones included."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import anyio.to_thread
from litestar import Controller, HttpMethod, Request, Response, get, patch, post, route
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from service.access import Caller
from service.api.access import PUBLIC, WRITE
from service.api.errors import error_responses
from service.api.filters import FILTERS, Cursor, EventFields, Limit, narrowed
from service.api.openapi import EitherPage, openapi_schema_of
from service.api.pages import decode_cursor, page
from service.api.params import PathId, parse_time, query_time
from service.api.review_input import (
    EventPatch,
    FigurePatch,
    VerdictIn,
    parse_event_patch,
    parse_figure_patch,
    parse_verdict,
)
from service.store.filters import (
    ActorFilter,
    CanonicalActorFilter,
    EventFilter,
    FigureFilter,
)
from service.store.read_models import (
    ActorRead,
    CanonicalActorDetail,
    CanonicalActorRead,
    DeletedRecord,
    EventFieldsPage,
    EventRead,
    FigureRead,
    Page,
)
from service.store.repository import Store
from service.store.tables import RecordKind


def _reviewer(request: Request[Any, Any, Any]) -> str:
    caller = request.scope.get("auth")
    return caller.reviewer if isinstance(caller, Caller) else "anonymous"


@dataclass
class _EventPatchBody(Operation):
    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            content={"application/json": OpenAPIMediaType(schema=openapi_schema_of(EventPatch))},
        )


@dataclass
class _FigurePatchBody(Operation):
    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            content={"application/json": OpenAPIMediaType(schema=openapi_schema_of(FigurePatch))},
        )


@dataclass
class _VerdictBody(Operation):
    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            content={"application/json": OpenAPIMediaType(schema=openapi_schema_of(VerdictIn))},
        )


class EventController(Controller):
    path = "/events"
    tags = ["events"]
    dependencies = FILTERS

    @route("/{event_id:int}", http_method=HttpMethod.OPTIONS, include_in_schema=False, opt=PUBLIC)
    async def allow_one(self, event_id: PathId) -> Response[None]:
        # As ArticleController.allow_one (litestar#4169): registers before the path's others.
        return Response(
            None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": "GET, OPTIONS, PATCH"}
        )

    @get(
        "/{event_id:int}",
        operation_id="getEvent",
        summary="One event of any run, with its review state and corrections",
        sync_to_thread=True,
        responses=error_responses(400, 404, 503),
    )
    def get_event(self, store: NamedDependency[Store], event_id: PathId) -> EventRead:
        return store.get_event(event_id)

    @patch(
        "/{event_id:int}",
        operation_id="correctEvent",
        summary="Correct fields of an event; the model's values are kept beside the corrections",
        description="Only the fields sent are corrected; each change is stored with who made "
        "it and when, the model's value stays (`model_values`). Sending a sub_event_type alone "
        "sets its event_type. `actors` replaces the event's sides (actor ids of the event's "
        "run, each with a role); a re-run maps them onto its actors of the same names, or "
        "keeps the model's when one is gone. Only events of their article's current run can "
        "be corrected; the corrections carry over to a re-run that extracts the event again "
        "(same stable_id).",
        operation_class=_EventPatchBody,
        opt=WRITE,
        request_max_body_size=16_384,
        responses=error_responses(400, 401, 403, 404, 408, 413, 415, 429, 503),
    )
    async def correct_event(
        self, request: Request[Any, Any, Any], store: NamedDependency[Store], event_id: PathId
    ) -> EventRead:
        correction = parse_event_patch(request.headers.get("content-type"), await request.body())
        return await anyio.to_thread.run_sync(
            store.correct_event,
            event_id,
            correction.fields,
            correction.actor_roles,
            _reviewer(request),
            correction.sides,
        )

    @post(
        "/{event_id:int}/verdict",
        operation_id="reviewEvent",
        summary="Confirm or reject an event",
        description="The latest verdict is the event's `review` state: lists and exports leave "
        "rejected events out unless ?review= asks for them. Kept across re-runs that extract "
        "the event again.",
        operation_class=_VerdictBody,
        status_code=HTTP_200_OK,
        opt=WRITE,
        request_max_body_size=16_384,
        responses=error_responses(400, 401, 403, 404, 408, 413, 415, 429, 503),
    )
    async def review_event(
        self, request: Request[Any, Any, Any], store: NamedDependency[Store], event_id: PathId
    ) -> EventRead:
        verdict = parse_verdict(request.headers.get("content-type"), await request.body())
        return await anyio.to_thread.run_sync(
            store.set_verdict, event_id, verdict.verdict, verdict.note, _reviewer(request)
        )

    @get(
        "/",
        operation_id="listEvents",
        summary="Events, filtered, oldest first, cursor-paginated",
        description="With ?fields=, each event has only the fields named (EventFieldsPage).",
        operation_class=EitherPage,
        sync_to_thread=True,
        responses=error_responses(400, 503),
    )
    def list_events(
        self,
        store: NamedDependency[Store],
        event_filter: NamedDependency[EventFilter],
        event_fields: NamedDependency[EventFields],
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> Page[EventRead] | EventFieldsPage:
        found = page(store.list_events(event_filter, decode_cursor(cursor), limit))
        return narrowed(found, event_fields)


class ActorController(Controller):
    """Real actors across articles: one row per actor, with every name articles use for it."""

    path = "/actors"
    tags = ["actors"]
    dependencies = FILTERS

    @get(
        "/",
        operation_id="listActors",
        summary="Canonical actors with aliases, type and mention counts, cursor-paginated",
        sync_to_thread=True,
        responses=error_responses(400, 503),
    )
    def list_actors(
        self,
        store: NamedDependency[Store],
        canonical_actor_filter: NamedDependency[CanonicalActorFilter],
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> Page[CanonicalActorRead]:
        return page(
            store.list_canonical_actors(canonical_actor_filter, decode_cursor(cursor), limit)
        )

    @get(
        "/{actor_id:int}",
        operation_id="getActor",
        summary="One canonical actor with its mentions and the events it took part in",
        sync_to_thread=True,
        responses=error_responses(400, 404, 503),
    )
    def get_actor(self, store: NamedDependency[Store], actor_id: PathId) -> CanonicalActorDetail:
        return store.get_canonical_actor(actor_id)


class ActorMentionController(Controller):
    """Actors as each article names them; ``canonical_id`` links to GET /actors/{id}."""

    path = "/actor-mentions"
    tags = ["actors"]
    dependencies = FILTERS

    @get(
        "/",
        operation_id="listActorMentions",
        summary="Actor mentions, filtered, cursor-paginated",
        sync_to_thread=True,
        responses=error_responses(400, 503),
    )
    def list_actor_mentions(
        self,
        store: NamedDependency[Store],
        actor_filter: NamedDependency[ActorFilter],
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> Page[ActorRead]:
        return page(store.list_actors(actor_filter, decode_cursor(cursor), limit))


class FigureController(Controller):
    path = "/figures"
    tags = ["figures"]
    dependencies = FILTERS

    @route("/{figure_id:int}", http_method=HttpMethod.OPTIONS, include_in_schema=False, opt=PUBLIC)
    async def allow_one(self, figure_id: PathId) -> Response[None]:
        # As EventController.allow_one (litestar#4169).
        return Response(None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": "OPTIONS, PATCH"})

    @patch(
        "/{figure_id:int}",
        operation_id="correctFigure",
        summary="Correct fields of a figure; the model's values are kept beside the corrections",
        description="Only the fields sent are corrected; each change is stored with who made "
        "it and when, the model's value stays (`model_values`). event_id must be an event of "
        "the figure's run. Only figures of their article's current run can be corrected; the "
        "corrections carry over to a re-run that extracts the figure again (same stable_id).",
        operation_class=_FigurePatchBody,
        opt=WRITE,
        request_max_body_size=16_384,
        responses=error_responses(400, 401, 403, 404, 408, 413, 415, 429, 503),
    )
    async def correct_figure(
        self, request: Request[Any, Any, Any], store: NamedDependency[Store], figure_id: PathId
    ) -> FigureRead:
        fields = parse_figure_patch(request.headers.get("content-type"), await request.body())
        return await anyio.to_thread.run_sync(
            store.correct_figure, figure_id, fields, _reviewer(request)
        )

    @post(
        "/{figure_id:int}/verdict",
        operation_id="reviewFigure",
        summary="Confirm or reject a figure",
        description="The latest verdict is the figure's `review` state: GET /figures and "
        "figures.jsonl leave rejected figures out unless ?review= asks for them, and "
        "events.csv's fatalities never count them. Kept across re-runs that extract the "
        "figure again.",
        operation_class=_VerdictBody,
        status_code=HTTP_200_OK,
        opt=WRITE,
        request_max_body_size=16_384,
        responses=error_responses(400, 401, 403, 404, 408, 413, 415, 429, 503),
    )
    async def review_figure(
        self, request: Request[Any, Any, Any], store: NamedDependency[Store], figure_id: PathId
    ) -> FigureRead:
        verdict = parse_verdict(request.headers.get("content-type"), await request.body())
        return await anyio.to_thread.run_sync(
            store.set_figure_verdict, figure_id, verdict.verdict, verdict.note, _reviewer(request)
        )

    @get(
        "/",
        operation_id="listFigures",
        summary="Reported figures, filtered, cursor-paginated",
        sync_to_thread=True,
        responses=error_responses(400, 503),
    )
    def list_figures(
        self,
        store: NamedDependency[Store],
        figure_filter: NamedDependency[FigureFilter],
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> Page[FigureRead]:
        return page(store.list_figures(figure_filter, decode_cursor(cursor), limit))


class DeletedController(Controller):
    """Records that disappeared, so that a copy kept with ?updated_since= can drop them."""

    path = "/deleted"
    tags = ["sync"]

    @get(
        "/",
        operation_id="listDeleted",
        summary="Stable ids of events and figures that disappeared, with when and why",
        description="A record disappears when a newer run of its article does not extract it "
        "again, or when its article is deleted. Its stable id is never given again.",
        sync_to_thread=True,
        responses=error_responses(400, 503),
    )
    def list_deleted(
        self,
        store: NamedDependency[Store],
        since: Annotated[
            str | None, query_time("Deleted at or after this ISO 8601 time (UTC if bare)")
        ] = None,
        kind: Annotated[RecordKind | None, QueryParameter()] = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> Page[DeletedRecord]:
        return page(
            store.list_deleted(
                parse_time("since", since),
                kind.value if kind else None,
                decode_cursor(cursor),
                limit,
            )
        )
