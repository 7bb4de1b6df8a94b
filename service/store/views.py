"""Cross-article views maintained in tables, not recomputed per request.

Event clusters, campaigns, figure groups (and canonical actors' counts, in
service/store/actor_view.py) are stored (``EventView``, ``eventcluster``,
``campaign``, ``figuregroup``, ``FigureView``) for the events and figures of each article's
latest successful run, and updated in the transaction that stores a run (``refresh_article``),
so reads are indexed lookups of one page.

Clustering (service/resolution/events.py) decides within a block: events of one sub-event type
at one normalised place, taken in id order. Storing a run therefore re-clusters only the blocks
its new events and its article's previous events are in, the campaigns of their places, and the
figure groups of those blocks' events: the result is the one clustering all events at once gives.

Writers take one lock for the cross-article state (canonical actors and these tables): on
PostgreSQL a transaction-scoped advisory lock, on SQLite the database's single writer. Another
version of the rules (``VIEWS_VERSION``) rebuilds the tables at start-up.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, text
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from service.extraction.taxonomy import EVENT_TYPE_OF, EventType, SubEventType
from service.resolution.events import (
    EventCluster,
    EventPoint,
    cluster_events,
    extend_clusters,
    group_campaigns,
    place_key,
)
from service.resolution.figures import FigurePoint, group_figures
from service.store.actor_view import rebuild_actors, refresh_article_actors
from service.store.filters import CampaignFilter, ClusterFilter, FigureGroupFilter, contains
from service.store.tables import (
    ActorLink,
    CampaignRow,
    CanonicalActor,
    Event,
    EventActor,
    EventClusterRow,
    EventView,
    ExtractionRun,
    Figure,
    FigureGroupRow,
    FigureView,
    RunStatus,
    ViewState,
)

VIEWS_VERSION = "events.v1+figures.v1"
_STATE = "cross_article"
_CROSS_ARTICLE_LOCK = 7_201_302
_VIOLENT = {
    EventType.BATTLES,
    EventType.EXPLOSIONS_REMOTE_VIOLENCE,
    EventType.VIOLENCE_AGAINST_CIVILIANS,
}

Block = tuple[str, str | None]


def violent(sub_event_type: str) -> bool:
    return EVENT_TYPE_OF[SubEventType(sub_event_type)] in _VIOLENT


def lock_cross_article(session: Session) -> None:
    """Serialise writers of canonical actors and views until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT pg_advisory_xact_lock({_CROSS_ARTICLE_LOCK})"))


def refresh_article(
    session: Session, article_id: int, *, removed: bool = False, actors: bool = True
) -> None:
    """Make the views show the article's latest successful run (or nothing, without one or
    when the article is being ``removed``); the canonical actors' too unless not ``actors``.
    The caller holds ``lock_cross_article`` and commits."""
    current = None
    if not removed:
        current = session.exec(
            select(func.max(ExtractionRun.id)).where(
                ExtractionRun.article_id == article_id,
                ExtractionRun.status == RunStatus.SUCCEEDED,
            )
        ).one()
    old = session.exec(
        select(EventView.sub_event_type, EventView.place).where(EventView.article_id == article_id)
    ).all()
    blocks: set[Block] = {(s, p) for s, p in old}
    session.execute(delete(EventView).where(col(EventView.article_id) == article_id))
    session.execute(delete(FigureView).where(col(FigureView.article_id) == article_id))
    added: dict[Block, set[int]] = defaultdict(set)
    if current is not None:
        for event_id, sub_event_type, location, inferred in session.exec(
            select(Event.id, Event.sub_event_type, Event.location, Event.location_inferred).where(
                Event.run_id == current
            )
        ).all():
            assert event_id is not None
            # the article's place, not the event's: no sign that two reports are one occurrence
            place = None if inferred else place_key(location)
            added[(sub_event_type, place)].add(event_id)
            session.add(
                EventView(
                    event_id=event_id,
                    article_id=article_id,
                    sub_event_type=sub_event_type,
                    place=place,
                    cluster_id=event_id,
                )
            )
    session.flush()
    if actors:
        refresh_article_actors(session, article_id, current)
    # Every block's reads and writes are batched into a few statements for all of them:
    # blocks are disjoint in events, clusters and figure groups.
    touched = blocks | set(added)
    points_of, stored = _block_points(session, touched)
    cluster_ids = _block_cluster_ids(session, touched)
    writes = _ClusterWrites()
    places: set[str] = set()
    for block in sorted(touched, key=lambda b: (b[0], b[1] or "")):
        sub_event_type, place = block
        points = points_of.get(block, [])
        new = added.get(block, set())
        if block not in blocks and all(p.id in new or p.id < min(new) for p in points):
            # Only events newer than any in the block came: they join as cluster_events
            # would have added them last (the common case: a new article).
            _extend_block(writes, block, points, stored, new)
        else:
            clusters = cluster_events(points)
            writes.add(block, clusters, cluster_ids.get(block, set()), stored)
        if place is not None and violent(sub_event_type):
            places.add(place)
    writes.store(session)
    _store_figure_groups(session, writes.cluster_of, writes.clusters)
    _store_campaigns(session, places)
    session.flush()


def _extend_block(
    writes: _ClusterWrites,
    block: Block,
    points: list[EventPoint],
    stored: dict[int, int],
    new: set[int],
) -> None:
    clusters: dict[int, EventCluster] = {}
    for point in sorted(points, key=lambda p: p.id):
        if point.id not in new:
            clusters.setdefault(stored[point.id], EventCluster()).members.append(point)
    before = {c.id: len(c.members) for c in clusters.values()}
    extended = extend_clusters(
        sorted(clusters.values(), key=lambda c: c.id), [p for p in points if p.id in new]
    )
    changed = [c for c in extended if before.get(c.id) != len(c.members)]
    writes.add(block, changed, {c.id for c in changed} & set(before), stored)


def _block_filter(table: Any, sub_event_type: str, place: str | None) -> Any:
    same_place = col(table.place).is_(None) if place is None else col(table.place) == place
    return (col(table.sub_event_type) == sub_event_type) & same_place


def _blocks_filter(table: Any, blocks: set[Block]) -> Any:
    return or_(*(_block_filter(table, sub_event_type, place) for sub_event_type, place in blocks))


def _block_cluster_ids(session: Session, blocks: set[Block]) -> dict[Block, set[int]]:
    found: dict[Block, set[int]] = defaultdict(set)
    if blocks:
        for cluster_id, sub_event_type, place in session.exec(
            select(EventClusterRow.id, EventClusterRow.sub_event_type, EventClusterRow.place).where(
                _blocks_filter(EventClusterRow, blocks)
            )
        ).all():
            found[(sub_event_type, place)].add(cluster_id)
    return found


def _block_points(
    session: Session, blocks: set[Block]
) -> tuple[dict[Block, list[EventPoint]], dict[int, int]]:
    """The blocks' current events, and the cluster each is stored in."""
    if not blocks:
        return {}, {}
    rows = session.execute(
        sa_select(
            col(Event.id),
            col(Event.article_id),
            col(EventView.sub_event_type),
            col(EventView.place),
            col(Event.location),
            col(Event.location_inferred),
            col(Event.date),
            col(Event.date_precision),
            col(Event.evidence),
            col(EventView.cluster_id),
        )
        .join(EventView, col(EventView.event_id) == col(Event.id))
        .where(_blocks_filter(EventView, blocks))
    ).all()
    actors = _named_actors(session, [row[0] for row in rows if row[0] is not None])
    cluster_of = {row[0] or 0: row[9] for row in rows}
    points: dict[Block, list[EventPoint]] = defaultdict(list)
    for row in rows:
        event_id, article_id, sub_event_type, place, location, inferred = row[:6]
        date, precision, evidence = row[6:9]
        points[(sub_event_type, place)].append(
            EventPoint(
                id=event_id or 0,
                article_id=article_id,
                sub_event_type=sub_event_type,
                location=None if inferred else location,
                date=date,
                date_precision=precision,
                evidence=evidence,
                actors=frozenset(actors.get(event_id or 0, ())),
            )
        )
    return points, cluster_of


def _named_actors(session: Session, event_ids: list[int]) -> dict[int, set[int]]:
    """Each event's canonical actors, generic descriptions ("rebels") left out."""
    found: dict[int, set[int]] = defaultdict(set)
    if not event_ids:
        return found
    links = session.exec(
        select(EventActor.event_id, ActorLink.canonical_id)
        .join(ActorLink, col(ActorLink.actor_id) == col(EventActor.actor_id))
        .where(col(EventActor.event_id).in_(event_ids))
    ).all()
    canonical = {c for _, c in links}
    generic = set(
        session.exec(
            select(CanonicalActor.id).where(
                col(CanonicalActor.id).in_(canonical), col(CanonicalActor.article_id).is_not(None)
            )
        ).all()
    )
    for event_id, canonical_id in links:
        if canonical_id not in generic:
            found[event_id].add(canonical_id)
    return found


class _ClusterWrites:
    """The clusters of several blocks, written in place of their old ones by a few
    statements for all blocks; only events that moved are written (a block can be large)."""

    def __init__(self) -> None:
        self.old: set[int] = set()
        self.old_placeless: set[int] = set()
        self.rows: list[EventClusterRow | CampaignRow] = []
        self.moved: list[dict[str, int]] = []
        self.cluster_of: dict[int, int] = {}  # event -> cluster, every event of ``clusters``
        self.clusters: set[int] = set()  # the clusters whose figure groups are redone

    def add(
        self,
        block: Block,
        clusters: list[EventCluster],
        old_clusters: set[int],
        stored: dict[int, int],
    ) -> None:
        """``clusters`` replace ``old_clusters``; ``stored``: each event's cluster as stored."""
        sub_event_type, place = block
        self.old |= old_clusters
        if place is None:  # a placeless violent occurrence is a campaign of its own
            self.old_placeless |= old_clusters
        event_type = EVENT_TYPE_OF[SubEventType(sub_event_type)].value
        for cluster in clusters:
            for member in cluster.members:
                self.cluster_of[member.id] = cluster.id
                if stored.get(member.id) != cluster.id:
                    self.moved.append({"moved_event": member.id, "to_cluster": cluster.id})
            articles = len({m.article_id for m in cluster.members})
            campaign = cluster.id if place is None and violent(sub_event_type) else None
            self.rows.append(
                EventClusterRow(
                    id=cluster.id,
                    event_type=event_type,
                    sub_event_type=sub_event_type,
                    place=place,
                    article_count=articles,
                    campaign_id=campaign,
                )
            )
            if campaign is not None:
                self.rows.append(CampaignRow(id=campaign, place=None, article_count=articles))
        self.clusters |= old_clusters | {c.id for c in clusters}

    def store(self, session: Session) -> None:
        if self.old:
            old = sorted(self.old)
            session.execute(delete(EventClusterRow).where(col(EventClusterRow.id).in_(old)))
        if self.old_placeless:
            placeless = sorted(self.old_placeless)
            session.execute(delete(CampaignRow).where(col(CampaignRow.id).in_(placeless)))
        session.add_all(self.rows)
        if self.moved:
            table = EventView.__table__  # type: ignore[attr-defined]
            session.execute(
                table.update()
                .where(table.c.event_id == bindparam("moved_event"))
                .values(cluster_id=bindparam("to_cluster")),
                self.moved,
            )
        session.flush()


def _store_figure_groups(session: Session, cluster_of: dict[int, int], clusters: set[int]) -> None:
    """Group the figures of the events in ``cluster_of`` (every event of ``clusters``) anew,
    writing only what changed."""
    if not clusters:
        return
    figures = session.exec(select(Figure).where(col(Figure.event_id).in_(list(cluster_of)))).all()
    points = [
        FigurePoint(
            id=f.id or 0,
            article_id=f.article_id,
            event_id=f.event_id or 0,
            category=f.category,
            population=f.population,
            low=f.low,
        )
        for f in figures
    ]
    wanted_rows: dict[int, tuple[int, str, str, int]] = {}
    wanted_view: dict[int, tuple[int, int]] = {}  # figure -> (group, article)
    for group in group_figures(points, cluster_of):
        articles = len({m.article_id for m in group.members})
        wanted_rows[group.id] = (group.cluster_id, group.category, group.population, articles)
        for member in group.members:
            wanted_view[member.id] = (group.id, member.article_id)
    rows = {
        row.id: row
        for row in session.exec(
            select(FigureGroupRow).where(col(FigureGroupRow.cluster_id).in_(clusters))
        ).all()
    }
    for group_id, row in rows.items():
        values = (row.cluster_id, row.category, row.population, row.article_count)
        if wanted_rows.get(group_id) != values:
            session.delete(row)
    session.flush()
    for group_id, (cluster_id, category, population, articles) in wanted_rows.items():
        old = rows.get(group_id)
        if old is None or (old.cluster_id, old.category, old.population, old.article_count) != (
            cluster_id,
            category,
            population,
            articles,
        ):
            session.add(
                FigureGroupRow(
                    id=group_id,
                    cluster_id=cluster_id,
                    category=category,
                    population=population,
                    article_count=articles,
                )
            )
    ids = [p.id for p in points]
    views = {
        v.figure_id: v
        for v in (
            session.exec(select(FigureView).where(col(FigureView.figure_id).in_(ids))).all()
            if ids
            else []
        )
    }
    for figure_id, view in views.items():
        if wanted_view.get(figure_id, (None, None))[0] != view.group_id:
            session.delete(view)
    session.flush()
    for figure_id, (group_id, article_id) in wanted_view.items():
        found = views.get(figure_id)
        if found is None or found.group_id != group_id:
            session.add(FigureView(figure_id=figure_id, article_id=article_id, group_id=group_id))


def _store_campaigns(session: Session, places: set[str]) -> None:
    """Re-group the violent occurrences at each of these places into campaigns."""
    if not places:
        return
    at = sorted(places)
    session.execute(delete(CampaignRow).where(col(CampaignRow.place).in_(at)))
    rows = session.execute(
        sa_select(
            col(EventView.place),
            col(EventView.cluster_id),
            col(Event.id),
            col(Event.article_id),
            col(Event.sub_event_type),
            col(Event.date),
            col(Event.date_precision),
        )
        .join(Event, col(Event.id) == col(EventView.event_id))
        .where(col(EventView.place).in_(at))
        .order_by(col(Event.id))
    ).all()
    clusters: dict[str, dict[int, EventCluster]] = {place: {} for place in at}
    for place, cluster_id, event_id, article_id, sub_event_type, date, precision in rows:
        if not violent(sub_event_type):
            continue
        clusters[place].setdefault(cluster_id, EventCluster()).members.append(
            EventPoint(
                id=event_id or 0,
                article_id=article_id,
                sub_event_type=sub_event_type,
                location=place,
                date=date,
                date_precision=precision,
            )
        )
    joined: list[dict[str, int]] = []
    for place in at:
        ordered = sorted(clusters[place].values(), key=lambda c: c.id)
        for group in group_campaigns(ordered, violent):
            campaign_id = group[0].id
            joined.extend({"in_cluster": c.id, "to_campaign": campaign_id} for c in group)
            articles = {m.article_id for c in group for m in c.members}
            session.add(CampaignRow(id=campaign_id, place=place, article_count=len(articles)))
    if joined:
        table = EventClusterRow.__table__  # type: ignore[attr-defined]
        session.execute(
            table.update()
            .where(table.c.id == bindparam("in_cluster"))
            .values(campaign_id=bindparam("to_campaign")),
            joined,
        )


def ensure_views(engine: Engine, force: bool = False) -> bool:
    """Rebuild the view tables when another version of the rules (or none) built them, or
    when ``force``d (actor links were added since). Returns whether it rebuilt."""
    with Session(engine) as session:
        lock_cross_article(session)
        state = session.get(ViewState, _STATE)
        if not force and state is not None and state.version == VIEWS_VERSION:
            return False
        for table in (FigureView, FigureGroupRow, CampaignRow, EventClusterRow, EventView):
            session.execute(delete(table))
        rebuild_actors(session)
        articles = session.exec(
            select(ExtractionRun.article_id)
            .where(ExtractionRun.status == RunStatus.SUCCEEDED)
            .distinct()
            .order_by(col(ExtractionRun.article_id))
        ).all()
        for article_id in articles:
            refresh_article(session, article_id, actors=False)
        if state is None:
            state = ViewState(name=_STATE, version=VIEWS_VERSION)
        state.version = VIEWS_VERSION
        session.add(state)
        session.commit()
        return True


class ViewQueries:
    """Pages of the maintained views: ids in order, then their members."""

    engine: Engine

    def cluster_ids(self, f: ClusterFilter, after: int, limit: int) -> list[int]:
        stmt = select(EventClusterRow.id).where(
            col(EventClusterRow.id) > after, col(EventClusterRow.article_count) >= f.min_articles
        )
        if f.event_type:
            stmt = stmt.where(EventClusterRow.event_type == f.event_type)
        if f.sub_event_type:
            stmt = stmt.where(EventClusterRow.sub_event_type == f.sub_event_type)
        members = select(EventView.cluster_id)
        if f.location:
            located = members.join(Event, col(Event.id) == col(EventView.event_id))
            stmt = stmt.where(
                col(EventClusterRow.id).in_(located.where(contains(Event.location, f.location)))
            )
        if f.article_id is not None:
            stmt = stmt.where(
                col(EventClusterRow.id).in_(members.where(EventView.article_id == f.article_id))
            )
        if f.actor_id is not None:
            acted = (
                members.join(EventActor, col(EventActor.event_id) == col(EventView.event_id))
                .join(ActorLink, col(ActorLink.actor_id) == col(EventActor.actor_id))
                .where(ActorLink.canonical_id == f.actor_id)
            )
            stmt = stmt.where(col(EventClusterRow.id).in_(acted))
        with Session(self.engine) as session:
            return list(session.exec(stmt.order_by(col(EventClusterRow.id)).limit(limit)).all())

    def campaign_ids(self, f: CampaignFilter, after: int, limit: int) -> list[int]:
        stmt = select(CampaignRow.id).where(
            col(CampaignRow.id) > after, col(CampaignRow.article_count) >= f.min_articles
        )
        if f.location:
            located = (
                select(EventClusterRow.campaign_id)
                .join(EventView, col(EventView.cluster_id) == col(EventClusterRow.id))
                .join(Event, col(Event.id) == col(EventView.event_id))
                .where(contains(Event.location, f.location))
            )
            stmt = stmt.where(col(CampaignRow.id).in_(located))
        with Session(self.engine) as session:
            return list(session.exec(stmt.order_by(col(CampaignRow.id)).limit(limit)).all())

    def figure_group_ids(self, f: FigureGroupFilter, after: int, limit: int) -> list[int]:
        stmt = select(FigureGroupRow.id).where(
            col(FigureGroupRow.id) > after, col(FigureGroupRow.article_count) >= f.min_articles
        )
        if f.category:
            stmt = stmt.where(FigureGroupRow.category == f.category)
        if f.cluster_id is not None:
            stmt = stmt.where(FigureGroupRow.cluster_id == f.cluster_id)
        with Session(self.engine) as session:
            return list(session.exec(stmt.order_by(col(FigureGroupRow.id)).limit(limit)).all())

    def clusters_of_campaigns(self, campaign_ids: list[int]) -> dict[int, list[int]]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(EventClusterRow.campaign_id, EventClusterRow.id)
                .where(col(EventClusterRow.campaign_id).in_(campaign_ids))
                .order_by(col(EventClusterRow.id))
            ).all()
        found: dict[int, list[int]] = defaultdict(list)
        for campaign_id, cluster_id in rows:
            assert campaign_id is not None
            found[campaign_id].append(cluster_id)
        return found

    def cluster_members(self, cluster_ids: list[int]) -> dict[int, list[int]]:
        """Event ids of each cluster, in the order they joined it (id order)."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(EventView.cluster_id, EventView.event_id)
                .where(col(EventView.cluster_id).in_(cluster_ids))
                .order_by(col(EventView.event_id))
            ).all()
        found: dict[int, list[int]] = defaultdict(list)
        for cluster_id, event_id in rows:
            found[cluster_id].append(event_id)
        return found

    def figure_groups(
        self, *, group_ids: list[int] | None = None, cluster_ids: list[int] | None = None
    ) -> list[tuple[FigureGroupRow, list[int]]]:
        """Groups by id or by cluster, in id order, each with its figure ids in id order."""
        stmt = select(FigureGroupRow)
        if group_ids is not None:
            stmt = stmt.where(col(FigureGroupRow.id).in_(group_ids))
        if cluster_ids is not None:
            stmt = stmt.where(col(FigureGroupRow.cluster_id).in_(cluster_ids))
        with Session(self.engine) as session:
            groups = session.exec(stmt.order_by(col(FigureGroupRow.id))).all()
            members: dict[int, list[int]] = defaultdict(list)
            if groups:
                for group_id, figure_id in session.exec(
                    select(FigureView.group_id, FigureView.figure_id)
                    .where(col(FigureView.group_id).in_([g.id for g in groups]))
                    .order_by(col(FigureView.figure_id))
                ).all():
                    members[group_id].append(figure_id)
            for group in groups:
                session.expunge(group)
        return [(g, members[g.id]) for g in groups]

    def generic_among(self, canonical_ids: set[int]) -> set[int]:
        """Those of ``canonical_ids`` kept to one article ('rebels')."""
        if not canonical_ids:
            return set()
        with Session(self.engine) as session:
            rows = session.exec(
                select(CanonicalActor.id).where(
                    col(CanonicalActor.id).in_(canonical_ids),
                    col(CanonicalActor.article_id).is_not(None),
                )
            ).all()
        return {row for row in rows if row is not None}
