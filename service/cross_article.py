"""Cross-article views: clustered events and who-said-what figure groups.

Computed on read from each article's latest successful run, so they always agree with
/events and /figures (a re-extraction or a new article changes them at once). Cluster and
group ids are the ids of their first event and first figure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from service.errors import NotFoundError
from service.exports import event_pages, figure_pages
from service.extraction.taxonomy import EVENT_TYPE_OF, EventType, FigureCategory, SubEventType
from service.resolution.events import EventCluster, EventPoint, cluster_events, group_campaigns
from service.resolution.figures import FigureGroup, FigurePoint, group_figures
from service.store.filters import EventFilter, FigureFilter, Window, window
from service.store.read_models import (
    ArticleRef,
    CampaignRead,
    ClusterActor,
    ClusterReport,
    EventClusterDetail,
    EventClusterRead,
    EventRead,
    FigureGroupRead,
    FigureRead,
    FigureReport,
)
from service.store.repository import Store


@dataclass(frozen=True, slots=True)
class ClusterFilter:
    event_type: str | None = None
    sub_event_type: str | None = None
    location: str | None = None  # contains, any report
    actor_id: int | None = None  # a canonical actor took part
    article_id: int | None = None  # this article reported it
    min_articles: int = 1


@dataclass(frozen=True, slots=True)
class CampaignFilter:
    location: str | None = None
    min_articles: int = 1


def _violent(sub_event_type: str) -> bool:
    return EVENT_TYPE_OF[SubEventType(sub_event_type)] in _VIOLENT


_VIOLENT = {
    EventType.BATTLES,
    EventType.EXPLOSIONS_REMOTE_VIOLENCE,
    EventType.VIOLENCE_AGAINST_CIVILIANS,
}


@dataclass(frozen=True, slots=True)
class FigureGroupFilter:
    category: str | None = None
    cluster_id: int | None = None
    min_articles: int = 1


@dataclass(slots=True)
class _Snapshot:
    events: dict[int, EventRead]
    clusters: list[EventCluster]
    groups: list[FigureGroup]
    figures: dict[int, FigureRead]
    articles: dict[int, ArticleRef]
    groups_of: dict[int, list[FigureGroup]] = field(default_factory=dict)  # by cluster id

    def __post_init__(self) -> None:
        for group in self.groups:
            self.groups_of.setdefault(group.cluster_id, []).append(group)


class CrossArticleViews:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- event clusters ----------------------------------------------------------------------

    def list_clusters(self, f: ClusterFilter, after: int, limit: int) -> Window[EventClusterRead]:
        snap = self._snapshot()
        chosen = [
            c for c in snap.clusters if c.id > after and self._matches(snap, c, f)
        ]  # clusters come in id order
        return window([self._cluster(snap, c) for c in chosen[: limit + 1]], limit)

    def get_cluster(self, cluster_id: int) -> EventClusterDetail:
        snap = self._snapshot()
        cluster = next((c for c in snap.clusters if c.id == cluster_id), None)
        if cluster is None:
            raise NotFoundError(
                f"event cluster {cluster_id} does not exist; cluster ids are the first event id "
                "of a cluster, see GET /event-clusters"
            )
        return EventClusterDetail(
            **self._cluster(snap, cluster).model_dump(),
            events=[snap.events[m.id] for m in cluster.members],
            figure_groups=[self._group(snap, g) for g in snap.groups_of.get(cluster_id, [])],
        )

    # -- campaigns ---------------------------------------------------------------------------

    def list_campaigns(self, f: CampaignFilter, after: int, limit: int) -> Window[CampaignRead]:
        snap = self._snapshot()
        chosen = []
        for group in group_campaigns(snap.clusters, _violent):
            if group[0].id <= after:
                continue
            campaign = self._campaign(snap, group)
            if campaign.article_count < f.min_articles:
                continue
            if f.location and not any(
                f.location.casefold() in (snap.events[m.id].location or "").casefold()
                for c in group
                for m in c.members
            ):
                continue
            chosen.append(campaign)
            if len(chosen) > limit:
                break
        return window(chosen, limit)

    @staticmethod
    def _campaign(snap: _Snapshot, group: list[EventCluster]) -> CampaignRead:
        events = [snap.events[m.id] for c in group for m in c.members]
        article_ids = sorted({e.article_id for e in events})
        named = frozenset().union(*(c.actors for c in group))  # clustering left out generics
        return CampaignRead(
            id=group[0].id,
            **_extent(events),
            cluster_ids=[c.id for c in group],
            sub_event_types=dict(Counter(c.members[0].sub_event_type for c in group)),
            actors=[a for a in _actors(events) if a.canonical_id in named],
            article_count=len(article_ids),
            articles=[snap.articles[i] for i in article_ids],
        )

    # -- figure groups -----------------------------------------------------------------------

    def list_figure_groups(
        self, f: FigureGroupFilter, after: int, limit: int
    ) -> Window[FigureGroupRead]:
        snap = self._snapshot()
        chosen = sorted(
            (
                g
                for g in snap.groups
                if g.id > after
                and (f.category is None or g.category == f.category)
                and (f.cluster_id is None or g.cluster_id == f.cluster_id)
                and len({m.article_id for m in g.members}) >= f.min_articles
            ),
            key=lambda g: g.id,
        )
        return window([self._group(snap, g) for g in chosen[: limit + 1]], limit)

    # -- building ----------------------------------------------------------------------------

    def _snapshot(self) -> _Snapshot:
        events = {e.id: e for page in event_pages(self.store, EventFilter()) for e in page.items}
        generic = self.store.generic_actor_ids()
        points = [
            EventPoint(
                id=e.id,
                article_id=e.article_id,
                sub_event_type=e.sub_event_type,
                location=e.location,
                date=e.date,
                date_precision=e.date_precision,
                evidence=e.evidence,
                actors=frozenset(
                    a.canonical_id
                    for a in e.actors
                    if a.canonical_id is not None and a.canonical_id not in generic
                ),
            )
            for e in events.values()
        ]
        clusters = cluster_events(points)
        cluster_of = {m.id: c.id for c in clusters for m in c.members}
        figures = {f.id: f for page in figure_pages(self.store, FigureFilter()) for f in page.items}
        groups = group_figures(
            (
                FigurePoint(
                    id=f.id,
                    article_id=f.article_id,
                    event_id=f.event_id,
                    category=f.category,
                    population=f.population,
                    low=f.low,
                )
                for f in figures.values()
                if f.event_id is not None
            ),
            cluster_of,
        )
        articles = self.store.article_refs({e.article_id for e in events.values()})
        return _Snapshot(events, clusters, groups, figures, articles)

    @staticmethod
    def _matches(snap: _Snapshot, cluster: EventCluster, f: ClusterFilter) -> bool:
        events = [snap.events[m.id] for m in cluster.members]
        first = events[0]
        if len({e.article_id for e in events}) < f.min_articles:
            return False
        if f.event_type and first.event_type != f.event_type:
            return False
        if f.sub_event_type and first.sub_event_type != f.sub_event_type:
            return False
        if f.article_id is not None and all(e.article_id != f.article_id for e in events):
            return False
        if f.location and not any(
            e.location and f.location.casefold() in e.location.casefold() for e in events
        ):
            return False
        return f.actor_id is None or any(
            a.canonical_id == f.actor_id for e in events for a in e.actors
        )

    def _cluster(self, snap: _Snapshot, cluster: EventCluster) -> EventClusterRead:
        events = [snap.events[m.id] for m in cluster.members]
        first = events[0]
        killed = [
            g.conservative.low
            for g in snap.groups_of.get(cluster.id, [])
            if g.category == FigureCategory.KILLED
            and g.conservative is not None
            and g.conservative.low is not None
        ]
        reports = [_report(e, snap.articles[e.article_id]) for e in events]
        return EventClusterRead(
            id=cluster.id,
            event_type=first.event_type,
            sub_event_type=first.sub_event_type,
            **_extent(events),
            actors=_actors(events),
            article_count=len({e.article_id for e in events}),
            sources=list(dict.fromkeys(s for r in reports if (s := r.reported_by or r.source))),
            # Populations overlap ("civilians" within "people"): the largest conservative count
            # of one population, never a sum.
            fatalities=max(killed, default=None),
            reports=reports,
        )

    @staticmethod
    def _group(snap: _Snapshot, group: FigureGroup) -> FigureGroupRead:
        conservative = group.conservative
        first_event = snap.events[group.cluster_id]
        reports = []
        for member in group.members:
            figure = snap.figures[member.id]
            article = snap.articles[figure.article_id]
            reports.append(
                FigureReport(
                    figure_id=figure.id,
                    article_id=figure.article_id,
                    event_id=member.event_id,
                    evidence=figure.evidence,
                    population=figure.population,
                    low=figure.low,
                    high=figure.high,
                    qualifier=figure.qualifier,
                    reported_by=figure.reported_by or article.source,
                    conservative=conservative is not None and member.id == conservative.id,
                )
            )
        return FigureGroupRead(
            id=group.id,
            cluster_id=group.cluster_id,
            category=group.category,
            population=group.population,
            sub_event_type=first_event.sub_event_type,
            location=first_event.location,
            conservative_low=conservative.low if conservative else None,
            conservative_figure_id=conservative.id if conservative else None,
            article_count=len({m.article_id for m in group.members}),
            reports=reports,
        )


def _extent(events: list[EventRead]) -> dict[str, Any]:
    """The most reported location and the first and last known dates of some events."""
    dates = sorted(e.date for e in events if e.date is not None)
    locations = Counter(e.location for e in events if e.location)
    return {
        "location": locations.most_common(1)[0][0] if locations else None,
        "date_from": dates[0] if dates else None,
        "date_to": dates[-1] if dates else None,
    }


def _report(event: EventRead, article: ArticleRef) -> ClusterReport:
    return ClusterReport(
        **article.model_dump(),
        event_id=event.id,
        reported_by=event.reported_by,
        location=event.location,
        date=event.date,
        date_precision=event.date_precision,
        evidence=event.evidence,
    )


def _actors(events: Iterable[EventRead]) -> list[ClusterActor]:
    """Each canonical actor once, with every role the reports give it."""
    found: dict[tuple[int | None, str], ClusterActor] = {}
    for event in events:
        for actor in event.actors:
            name = actor.canonical_name or actor.name
            key = (actor.canonical_id, name if actor.canonical_id is None else "")
            entry = found.setdefault(
                key,
                ClusterActor(
                    canonical_id=actor.canonical_id,
                    name=name,
                    actor_type=actor.actor_type,
                    roles=[],
                ),
            )
            if actor.role not in entry.roles:
                entry.roles.append(actor.role)
    return list(found.values())
