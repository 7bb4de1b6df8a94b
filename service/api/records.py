"""Read endpoints for stored records. By default they show each article's latest successful
run; ``run_id`` selects any run, older ones included."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from service.api.errors import error_responses
from service.api.filters import FILTERS, Cursor, Limit
from service.api.pages import decode_cursor, page
from service.api.params import PathId
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
    EventRead,
    FigureRead,
    Page,
)
from service.store.repository import Store


class EventController(Controller):
    path = "/events"
    tags = ["events"]
    dependencies = FILTERS

    @get(
        "/",
        operation_id="listEvents",
        summary="Events, filtered, oldest first, cursor-paginated",
        sync_to_thread=True,
        responses=error_responses(400, 503),
    )
    def list_events(
        self,
        store: NamedDependency[Store],
        event_filter: NamedDependency[EventFilter],
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> Page[EventRead]:
        return page(store.list_events(event_filter, decode_cursor(cursor), limit))


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
