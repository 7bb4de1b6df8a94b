"""Cross-article read endpoints: one row per real occurrence, and who reported which figure."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter

from service.api.errors import error_responses
from service.api.filters import ActorId, Cursor, Limit
from service.api.pages import decode_cursor, page
from service.api.params import PathId, query_id
from service.cross_article import (
    CampaignFilter,
    ClusterFilter,
    CrossArticleViews,
    FigureGroupFilter,
)
from service.extraction.taxonomy import EventType, FigureCategory, SubEventType
from service.store.read_models import (
    CampaignRead,
    EventClusterDetail,
    EventClusterRead,
    FigureGroupRead,
    Page,
)

Location = Annotated[
    str | None, QueryParameter(min_length=1, max_length=200, description="Location contains")
]
MinArticles = Annotated[
    int, QueryParameter(ge=1, le=1000, description="Only those reported by this many articles")
]


def cluster_filter(
    event_type: Annotated[EventType | None, QueryParameter()] = None,
    sub_event_type: Annotated[SubEventType | None, QueryParameter()] = None,
    location: Location = None,
    actor_id: ActorId = None,
    article_id: Annotated[int | None, query_id("This article reported it")] = None,
    min_articles: MinArticles = 1,
) -> ClusterFilter:
    return ClusterFilter(
        event_type=event_type.value if event_type else None,
        sub_event_type=sub_event_type.value if sub_event_type else None,
        location=location,
        actor_id=actor_id,
        article_id=article_id,
        min_articles=min_articles,
    )


def figure_group_filter(
    category: Annotated[FigureCategory | None, QueryParameter()] = None,
    cluster_id: Annotated[int | None, query_id("GET /event-clusters/{id}")] = None,
    min_articles: MinArticles = 1,
) -> FigureGroupFilter:
    return FigureGroupFilter(
        category=category.value if category else None,
        cluster_id=cluster_id,
        min_articles=min_articles,
    )


class EventClusterController(Controller):
    """Events deduplicated across articles, with every article and source that reported them."""

    path = "/event-clusters"
    tags = ["cross-article"]
    dependencies = {"cluster_filter": Provide(cluster_filter, sync_to_thread=False)}

    @get(
        "/",
        operation_id="listEventClusters",
        summary="Occurrences reported across articles, oldest first, cursor-paginated",
        sync_to_thread=True,
        responses=error_responses(400, 503),
    )
    def list_clusters(
        self,
        views: NamedDependency[CrossArticleViews],
        cluster_filter: NamedDependency[ClusterFilter],
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> Page[EventClusterRead]:
        return page(views.list_clusters(cluster_filter, decode_cursor(cursor), limit))

    @get(
        "/{cluster_id:int}",
        operation_id="getEventCluster",
        summary="One occurrence with every report of it and its figures side by side",
        sync_to_thread=True,
        responses=error_responses(400, 404, 503),
    )
    def get_cluster(
        self, views: NamedDependency[CrossArticleViews], cluster_id: PathId
    ) -> EventClusterDetail:
        return views.get_cluster(cluster_id)


def campaign_filter(
    location: Location = None,
    min_articles: MinArticles = 1,
) -> CampaignFilter:
    return CampaignFilter(location=location, min_articles=min_articles)


class CampaignController(Controller):
    """Offensives: violent occurrences at one place over overlapping dates, across articles."""

    path = "/campaigns"
    tags = ["cross-article"]
    dependencies = {"campaign_filter": Provide(campaign_filter, sync_to_thread=False)}

    @get(
        "/",
        operation_id="listCampaigns",
        summary="Violent event clusters grouped by place and overlapping dates, with articles",
        sync_to_thread=True,
        responses=error_responses(400, 503),
    )
    def list_campaigns(
        self,
        views: NamedDependency[CrossArticleViews],
        campaign_filter: NamedDependency[CampaignFilter],
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> Page[CampaignRead]:
        return page(views.list_campaigns(campaign_filter, decode_cursor(cursor), limit))


class FigureGroupController(Controller):
    """Who said what: every reported value of one figure, with its source; the conservative
    (lowest credible) value marked."""

    path = "/figure-groups"
    tags = ["cross-article"]
    dependencies = {"figure_group_filter": Provide(figure_group_filter, sync_to_thread=False)}

    @get(
        "/",
        operation_id="listFigureGroups",
        summary="Figures about one occurrence grouped across articles, cursor-paginated",
        sync_to_thread=True,
        responses=error_responses(400, 503),
    )
    def list_groups(
        self,
        views: NamedDependency[CrossArticleViews],
        figure_group_filter: NamedDependency[FigureGroupFilter],
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> Page[FigureGroupRead]:
        return page(views.list_figure_groups(figure_group_filter, decode_cursor(cursor), limit))
