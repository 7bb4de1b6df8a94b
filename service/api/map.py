from __future__ import annotations

from typing import Annotated

from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from service.api.errors import error_responses
from service.api.filters import FILTERS
from service.api.security import page_csp
from service.store.filters import EventFilter
from service.store.repository import Store
from service.view.map_page import map_page, page_template

# The page's own inline script and style, by hash: nothing else may run on it.
MAP_CSP = page_csp(page_template().encode("utf-8"))

MapLimit = Annotated[
    int, QueryParameter(ge=1, le=2000, description="At most this many events (oldest first).")
]


class MapController(Controller):
    path = "/map"
    tags = ["events"]
    dependencies = FILTERS

    @get(
        "/",
        operation_id="viewMap",
        summary="The geocoded events on a world map, as an HTML page",
        description="The events GET /events would list for the same filters, one point each "
        "at its place, coloured by event type, sized by fatalities, zoomed to them (a button "
        "shows the whole world); click a point for its record and a link to its article's "
        "page. Drawn offline: country outlines from a pinned package, no tiles or scripts from "
        "elsewhere.",
        media_type=MediaType.HTML,
        sync_to_thread=True,
        responses=error_responses(400, 503),
    )
    def view(
        self,
        store: NamedDependency[Store],
        event_filter: NamedDependency[EventFilter],
        limit: MapLimit = 500,
    ) -> Response[str]:
        return Response(
            map_page(store, event_filter, limit),
            media_type=MediaType.HTML,
            headers={"Content-Security-Policy": MAP_CSP},
        )
