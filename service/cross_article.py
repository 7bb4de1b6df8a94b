"""Cross-article views: clustered events, campaigns and who-said-what figure groups.

Maintained in tables by the store (service/store/views.py) in the transaction that stores each
run, from each article's latest successful run, so they always agree with /events and /figures.
A page is read by id from those tables, then only its members are loaded. Cluster, campaign and
group ids are the ids of their first event, first cluster and first figure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from service.errors import NotFoundError
from service.extraction.taxonomy import FigureCategory
from service.resolution.events import EventCluster, EventPoint
from service.resolution.figures import FigureGroup, FigurePoint
from service.store.filters import (
    CampaignFilter,
    ClusterFilter,
    FigureGroupFilter,
    Window,
    window,
)
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

__all__ = ["CampaignFilter", "ClusterFilter", "CrossArticleViews", "FigureGroupFilter"]


@dataclass(slots=True)
class _Snapshot:
    """The members of one page of views: its clusters, their events, figure groups, figures
    and articles."""

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
        ids = self.store.cluster_ids(f, after, limit + 1)
        snap = self._snapshot(ids)
        return window([self._cluster(snap, c) for c in snap.clusters], limit)

    def get_cluster(self, cluster_id: int) -> EventClusterDetail:
        snap = self._snapshot([cluster_id])
        if not snap.clusters:
            raise NotFoundError(
                f"event cluster {cluster_id} does not exist; cluster ids are the first event id "
                "of a cluster, see GET /event-clusters"
            )
        [cluster] = snap.clusters
        return EventClusterDetail(
            **self._cluster(snap, cluster).model_dump(),
            events=[snap.events[m.id] for m in cluster.members],
            figure_groups=[self._group(snap, g) for g in snap.groups_of.get(cluster_id, [])],
        )

    # -- campaigns ---------------------------------------------------------------------------

    def list_campaigns(self, f: CampaignFilter, after: int, limit: int) -> Window[CampaignRead]:
        ids = self.store.campaign_ids(f, after, limit + 1)
        clusters_of = self.store.clusters_of_campaigns(ids)
        snap = self._snapshot([c for i in ids for c in clusters_of.get(i, [])], figures=False)
        by_id = {c.id: c for c in snap.clusters}
        campaigns = [
            self._campaign(snap, [by_id[c] for c in clusters_of[i]])
            for i in ids
            if clusters_of.get(i)
        ]
        return window(campaigns, limit)

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
        ids = self.store.figure_group_ids(f, after, limit + 1)
        groups = self.store.figure_groups(group_ids=ids)
        snap = self._snapshot(sorted({g.cluster_id for g, _ in groups}), figures=False)
        chosen = self._figure_groups(snap, groups)
        return window([self._group(snap, g) for g in chosen], limit)

    # -- building ----------------------------------------------------------------------------

    def _snapshot(self, cluster_ids: list[int], figures: bool = True) -> _Snapshot:
        """The clusters ``cluster_ids`` with their events, and (``figures``) their figure
        groups."""
        members = self.store.cluster_members(cluster_ids)
        events = self.store.events_by_id([e for c in cluster_ids for e in members.get(c, [])])
        canonical = {a.canonical_id for e in events.values() for a in e.actors}
        generic = self.store.generic_among({c for c in canonical if c is not None})
        clusters = [
            EventCluster([_point(events[e], generic) for e in members[c]])
            for c in cluster_ids
            if members.get(c)
        ]
        snap = _Snapshot(events, clusters, [], {}, {})
        if figures and clusters:
            groups = self.store.figure_groups(cluster_ids=[c.id for c in clusters])
            snap = _Snapshot(events, clusters, self._figure_groups(snap, groups), snap.figures, {})
        article_ids = {e.article_id for e in events.values()}
        article_ids |= {f.article_id for f in snap.figures.values()}
        snap.articles = self.store.article_refs(article_ids)
        return snap

    def _figure_groups(self, snap: _Snapshot, groups: list[Any]) -> list[FigureGroup]:
        """Stored groups as FigureGroup, their figures loaded into ``snap.figures``."""
        snap.figures.update(self.store.figures_by_id([f for _, ids in groups for f in ids]))
        found = []
        for row, figure_ids in groups:
            group = FigureGroup(row.cluster_id, row.category, row.population)
            for figure_id in figure_ids:
                figure = snap.figures[figure_id]
                group.members.append(
                    FigurePoint(
                        id=figure.id,
                        article_id=figure.article_id,
                        event_id=figure.event_id or 0,
                        category=figure.category,
                        population=figure.population,
                        low=figure.low,
                    )
                )
            if group.members:
                found.append(group)
        return found

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


def _point(event: EventRead, generic: set[int]) -> EventPoint:
    return EventPoint(
        id=event.id,
        article_id=event.article_id,
        sub_event_type=event.sub_event_type,
        location=event.location,
        date=event.date,
        date_precision=event.date_precision,
        evidence=event.evidence,
        actors=frozenset(
            a.canonical_id
            for a in event.actors
            if a.canonical_id is not None and a.canonical_id not in generic
        ),
    )
