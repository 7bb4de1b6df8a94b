"""Filtered reads of articles and records: each article's latest successful run by default,
any run with ``run_id``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, func, literal, or_
from sqlalchemy import exists as sa_exists
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from service import acled
from service.errors import NotFoundError
from service.extraction.taxonomy import ActorRole, ActorType, EventType, FigureCategory
from service.identifiers import event_id_cnty
from service.store.filters import (
    ActorFilter,
    CanonicalActorFilter,
    EventFilter,
    FigureFilter,
    ReviewFilter,
    Window,
    contains,
    fetch,
)
from service.store.read_models import (
    ActorRead,
    ArticleRead,
    ArticleRef,
    ArticleSummary,
    CanonicalActorDetail,
    CanonicalActorRead,
    DeletedRecord,
    EventActorRead,
    EventRead,
    FigureRead,
    PlaceRead,
    Provenance,
    ReviewState,
)
from service.store.review_reads import (
    ACTORS,
    entries_of,
    review_clause,
    reviewed,
    reviewed_figure,
)
from service.store.runs import run_read
from service.store.tables import (
    Actor,
    ActorAlias,
    ActorLink,
    ActorMentionView,
    ActorView,
    Article,
    CanonicalActor,
    DeletedReason,
    Event,
    EventActor,
    EventPlace,
    ExtractionRun,
    Figure,
    RecordKind,
    ReviewEntry,
    RunStatus,
    StableRecord,
    as_utc,
)


class Queries:
    engine: Engine

    def get_article(self, article_id: int) -> ArticleRead:
        with Session(self.engine) as session:
            article = session.get(Article, article_id)
            if article is None:
                raise NotFoundError(f"article {article_id} does not exist")
            runs = session.exec(
                select(ExtractionRun)
                .where(ExtractionRun.article_id == article_id)
                .order_by(col(ExtractionRun.id))
            ).all()
            succeeded = [r for r in runs if r.status == RunStatus.SUCCEEDED]
            shown = succeeded[-1].id if succeeded else None
            events = actors = figures = []
            if shown is not None:
                events = self._events(session, EventFilter(run_id=shown), 0, None).items
                actors = self._actors(session, ActorFilter(run_id=shown), 0, None).items
                figures = self._figures(session, FigureFilter(run_id=shown), 0, None).items
            return ArticleRead(
                **_summary(article, runs[-1] if runs else None).model_dump(),
                text=article.text,
                runs=[run_read(r) for r in runs],
                events=events,
                actors=actors,
                figures=figures,
            )

    def article_refs(self, article_ids: set[int]) -> dict[int, ArticleRef]:
        with Session(self.engine) as session:
            columns: list[Any] = [Article.id, Article.title, Article.source, Article.url]
            columns.append(Article.published_date)
            query = sa_select(*columns).where(col(Article.id).in_(article_ids))
            rows = session.execute(query).all()
            return {
                row[0]: ArticleRef(
                    article_id=row[0],
                    title=row[1],
                    source=row[2],
                    url=row[3],
                    published_date=row[4],
                )
                for row in rows
                if row[0] is not None
            }

    def list_articles(self, after: int, limit: int) -> Window[ArticleSummary]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(Article)
                .where(col(Article.id) > after)
                .order_by(col(Article.id))
                .limit(fetch(limit))
            ).all()
            latest = _latest_runs(session, [r.id for r in rows[:limit] if r.id is not None])
            items = [_summary(a, latest.get(a.id or 0)) for a in rows[:limit]]
            return Window(items=items, more=len(rows) > len(items))

    def list_events(self, f: EventFilter, after: int, limit: int) -> Window[EventRead]:
        with Session(self.engine) as session:
            return self._events(session, f, after, limit)

    def list_actors(self, f: ActorFilter, after: int, limit: int) -> Window[ActorRead]:
        with Session(self.engine) as session:
            return self._actors(session, f, after, limit)

    def list_figures(self, f: FigureFilter, after: int, limit: int) -> Window[FigureRead]:
        with Session(self.engine) as session:
            return self._figures(session, f, after, limit)

    def _scope(self, stmt: Any, table: Any, article_id: int | None, run_id: int | None) -> Any:
        """``stmt`` (joined to the rows' ExtractionRun) narrowed to ``run_id``'s rows, or by
        default to the rows of each article's latest succeeded run."""
        if run_id is not None:
            stmt = stmt.where(table.run_id == run_id)
        else:
            # Row by row, not run_id IN (the latest runs): with that list SQLite read every
            # current row through the run_id index and sorted them all for each page. Each
            # planner walks the id order for its own form: PostgreSQL an anti-join (it takes the
            # scalar form for a rare match and sorts), SQLite the scalar lookup (it takes the
            # status of the other form as an index into the runs, then sorts).
            newer = aliased(ExtractionRun)
            if self.engine.dialect.name == "postgresql":
                stmt = stmt.where(
                    ExtractionRun.status == RunStatus.SUCCEEDED,
                    ~sa_exists().where(
                        col(newer.article_id) == col(ExtractionRun.article_id),
                        col(newer.status) == RunStatus.SUCCEEDED,
                        col(newer.id) > col(ExtractionRun.id),
                    ),
                )
            else:
                latest = (
                    sa_select(func.max(newer.id))
                    .where(
                        col(newer.article_id) == col(ExtractionRun.article_id),
                        col(newer.status) == RunStatus.SUCCEEDED,
                    )
                    .scalar_subquery()
                )
                stmt = stmt.where(col(ExtractionRun.id) == latest)
        if article_id is not None:
            stmt = stmt.where(table.article_id == article_id)
        return stmt

    def events_by_id(self, ids: list[int]) -> dict[int, EventRead]:
        with Session(self.engine) as session:
            found = self._events(session, EventFilter(), 0, None, only=ids)
        return {e.id: e for e in found.items}

    def figures_by_id(self, ids: list[int]) -> dict[int, FigureRead]:
        with Session(self.engine) as session:
            found = self._figures(session, FigureFilter(), 0, None, only=ids)
        return {f.id: f for f in found.items}

    def killed_of_events(self, event_ids: list[int]) -> list[tuple[int, int, int | None]]:
        """(figure id, event id, low) of the "killed" figures tied to these events (of whichever
        run), as reviewers left them, leaving out rejected ones; in id order. What figures_of_events
        gives events.csv, with unreviewed figures read as columns, not read models."""
        with Session(self.engine) as session:
            stmt: Any = (
                sa_select(
                    col(Figure.id),
                    col(Figure.event_id),
                    col(Figure.category),
                    col(Figure.low),
                    col(Figure.stable_id),
                )
                .join(StableRecord, col(StableRecord.id) == col(Figure.stable_id))
                .where(col(Figure.event_id).in_(event_ids))
            )
            stmt = review_clause(stmt, ReviewFilter.NOT_REJECTED)
            rows = session.execute(stmt.order_by(col(Figure.id))).all()
            stable_ids = [row[4] for row in rows]
            touched = (
                set(
                    session.exec(
                        select(ReviewEntry.stable_id).where(
                            col(ReviewEntry.stable_id).in_(stable_ids)
                        )
                    ).all()
                )
                if stable_ids
                else set()
            )
            found = [
                (row[0], row[1], row[3])
                for row in rows
                if row[4] not in touched and row[2] == FigureCategory.KILLED.value
            ]
            if touched:
                f = FigureFilter(review=ReviewFilter.NOT_REJECTED)
                only = [row[0] for row in rows if row[4] in touched]
                found += [
                    (x.id, x.event_id, x.low)
                    for x in self._figures(session, f, 0, None, only=only).items
                    if x.category == FigureCategory.KILLED.value and x.event_id is not None
                ]
        return sorted(found)

    def figures_of_events(
        self, event_ids: list[int], category: str | None = None
    ) -> list[FigureRead]:
        """The figures (of ``category``, as reviewers left it) tied to these events (of
        whichever run), leaving out rejected ones."""
        with Session(self.engine) as session:
            f = FigureFilter(review=ReviewFilter.NOT_REJECTED)
            found = self._figures(session, f, 0, None, of_events=event_ids).items
        return [x for x in found if category is None or x.category == category]

    def _events(
        self,
        session: Session,
        f: EventFilter,
        after: int,
        limit: int | None,
        only: list[int] | None = None,
    ) -> Window[EventRead]:
        stmt: Any = (
            sa_select(*_EVENT_COLUMNS, *_RECORD_COLUMNS)
            .select_from(Event)
            .join(ExtractionRun, col(Event.run_id) == col(ExtractionRun.id))
            .join(StableRecord, col(StableRecord.id) == col(Event.stable_id))
        )
        if only is not None:  # these events, of any run
            stmt = stmt.where(col(Event.id).in_(only))
        else:
            stmt = self._scope(stmt, Event, f.article_id, f.run_id)
        stmt = stmt.where(col(Event.id) > after)
        if f.event_type:
            stmt = stmt.where(Event.event_type == f.event_type)
        if f.sub_event_type:
            stmt = stmt.where(Event.sub_event_type == f.sub_event_type)
        if f.location:
            stmt = stmt.where(contains(Event.location, f.location))
        if f.reported_by:
            stmt = stmt.where(contains(Event.reported_by, f.reported_by))
        if f.date_from:
            stmt = stmt.where(col(Event.date) >= f.date_from)
        if f.date_to:
            stmt = stmt.where(col(Event.date) <= f.date_to)
        if f.min_confidence is not None:
            stmt = stmt.where(col(Event.confidence) >= f.min_confidence)
        if f.updated_since is not None:
            stmt = stmt.where(col(StableRecord.updated_at) >= as_utc(f.updated_since))
        stmt = review_clause(stmt, f.review)
        stmt = _place_and_count_clauses(stmt, f)
        if f.actor:
            # Per event, not Event.id IN (every matching side): that list read all sides of
            # all runs for each page.
            stmt = stmt.where(
                sa_exists().where(
                    col(EventActor.event_id) == col(Event.id),
                    col(Actor.id) == col(EventActor.actor_id),
                    contains(Actor.name, f.actor),
                )
            )
        if f.actor_id is not None:
            linked = (
                select(EventActor.event_id)
                .join(ActorLink, col(ActorLink.actor_id) == col(EventActor.actor_id))
                .where(ActorLink.canonical_id == f.actor_id)
            )
            stmt = stmt.where(col(Event.id).in_(linked))
        # Columns, not ORM entities: building three objects a row cost most of an export's time.
        rows = session.execute(stmt.order_by(col(Event.id)).limit(fetch(limit))).all()
        events = [row._mapping for row in rows[:limit]]
        ids = [event["id"] for event in events]
        links = _links(session, ids)
        places: dict[int, PlaceRead] = {}
        if ids:
            for place in session.execute(
                sa_select(*_PLACE_COLUMNS).where(col(EventPlace.event_id).in_(ids))
            ).all():
                values = place._mapping
                places[values["event_id"]] = PlaceRead(
                    **{name: values[name] for name in _PLACE_FIELDS}
                )
        reviews = entries_of(session, [event["stable_id"] for event in events])
        sides_of = _run_actors(
            session,
            {
                event["run_id"]
                for event in events
                if any(e.field == ACTORS for e in reviews.get(event["stable_id"], []))
            },
        )
        runs: dict[int, Provenance] = {}
        items = [
            reviewed(
                EventRead(
                    **{name: event[name] for name in _EVENT_FIELDS},
                    actors=links.get(event["id"], []),
                    provenance=_record_provenance(event, runs),
                    place=places.get(event["id"]),
                    updated_at=as_utc(event["record_updated_at"]),
                    event_id_cnty=event_id_cnty(event["record_iso3"], event["stable_id"]),
                    review=ReviewState.UNREVIEWED,
                ),
                reviews.get(event["stable_id"], []),
                sides_of.get(event["run_id"]),
            )
            for event in events
        ]
        return Window(items=items, more=len(rows) > len(items))

    def get_event(self, event_id: int) -> EventRead:
        """One event of any run, as reviewers left it."""
        found = self.events_by_id([event_id])
        if event_id not in found:
            raise NotFoundError(f"event {event_id} does not exist")
        return found[event_id]

    def list_deleted(
        self, since: dt.datetime | None, kind: str | None, after: int, limit: int
    ) -> Window[DeletedRecord]:
        with Session(self.engine) as session:
            stmt = select(StableRecord).where(
                col(StableRecord.deleted_at).is_not(None), col(StableRecord.id) > after
            )
            if since is not None:
                stmt = stmt.where(col(StableRecord.deleted_at) >= as_utc(since))
            if kind is not None:
                stmt = stmt.where(StableRecord.kind == kind)
            rows = session.exec(stmt.order_by(col(StableRecord.id)).limit(fetch(limit))).all()
            items = [
                DeletedRecord(
                    kind=RecordKind(row.kind),
                    stable_id=row.id or 0,
                    event_id_cnty=event_id_cnty(row.country_iso3, row.id or 0)
                    if row.kind == RecordKind.EVENT
                    else None,
                    article_id=row.article_id,
                    deleted_at=as_utc(row.deleted_at or row.updated_at),
                    reason=DeletedReason(row.deleted_reason or DeletedReason.RERUN),
                )
                for row in rows[:limit]
            ]
            return Window(items=items, more=len(rows) > len(items))

    def _actors(
        self, session: Session, f: ActorFilter, after: int, limit: int | None
    ) -> Window[ActorRead]:
        stmt = (
            select(Actor, ExtractionRun, ActorLink.canonical_id)
            .join(ExtractionRun, col(Actor.run_id) == col(ExtractionRun.id))
            .outerjoin(ActorLink, col(ActorLink.actor_id) == col(Actor.id))
        )
        stmt = self._scope(stmt, Actor, f.article_id, f.run_id).where(col(Actor.id) > after)
        if f.name:
            stmt = stmt.where(contains(Actor.name, f.name))
        if f.actor_type:
            stmt = stmt.where(Actor.actor_type == f.actor_type)
        if f.min_confidence is not None:
            stmt = stmt.where(col(Actor.confidence) >= f.min_confidence)
        if f.canonical_id is not None:
            stmt = stmt.where(ActorLink.canonical_id == f.canonical_id)
        rows = session.exec(stmt.order_by(col(Actor.id)).limit(fetch(limit))).all()
        items = [
            ActorRead(
                **actor.model_dump(exclude={"run_id"}),
                canonical_id=canonical_id,
                provenance=_provenance(run),
            )
            for actor, run, canonical_id in rows[:limit]
        ]
        return Window(items=items, more=len(rows) > len(items))

    def list_canonical_actors(
        self, f: CanonicalActorFilter, after: int, limit: int
    ) -> Window[CanonicalActorRead]:
        with Session(self.engine) as session:
            return self._canonical(session, f, after, limit)

    def get_canonical_actor(self, canonical_id: int) -> CanonicalActorDetail:
        with Session(self.engine) as session:
            found = self._canonical(session, CanonicalActorFilter(), canonical_id - 1, 1).items
            if not found or found[0].id != canonical_id:
                raise NotFoundError(
                    f"actor {canonical_id} does not exist or no current extraction names it"
                )
            mentions = self._actors(session, ActorFilter(canonical_id=canonical_id), 0, None)
            events = self._events(session, EventFilter(actor_id=canonical_id), 0, None)
            return CanonicalActorDetail(
                **found[0].model_dump(), mentions=mentions.items, events=events.items
            )

    def _canonical(
        self, session: Session, f: CanonicalActorFilter, after: int, limit: int | None
    ) -> Window[CanonicalActorRead]:
        """Canonical actors named in the current runs, with their counts and aliases (read
        from the tables service/store/actor_view.py maintains)."""
        stmt = (
            select(CanonicalActor, ActorView.mention_count, ActorView.article_count)
            .join(ActorView, col(ActorView.canonical_id) == col(CanonicalActor.id))
            .where(col(CanonicalActor.id) > after)
        )
        if f.actor_type:
            stmt = stmt.where(CanonicalActor.actor_type == f.actor_type)
        if f.generic is not None:
            generic = col(CanonicalActor.article_id).is_not(None)
            stmt = stmt.where(generic if f.generic else ~generic)
        if f.article_id is not None:
            stmt = stmt.where(
                col(CanonicalActor.id).in_(
                    select(ActorMentionView.canonical_id).where(
                        ActorMentionView.article_id == f.article_id
                    )
                )
            )
        if f.name:
            named = (
                select(ActorLink.canonical_id)
                .join(Actor, col(Actor.id) == col(ActorLink.actor_id))
                .where(contains(Actor.name, f.name))
            )
            stmt = stmt.where(
                or_(contains(CanonicalActor.name, f.name), col(CanonicalActor.id).in_(named))
            )
        rows = session.exec(stmt.order_by(col(CanonicalActor.id)).limit(fetch(limit))).all()
        ids = [row.id for row, _, _ in rows[:limit]]
        aliases: dict[int, list[str]] = {}
        if ids:
            for canonical_id, name in session.exec(
                select(ActorAlias.canonical_id, ActorAlias.name)
                .where(col(ActorAlias.canonical_id).in_(ids))
                .order_by(
                    col(ActorAlias.canonical_id),
                    col(ActorAlias.mention_count).desc(),
                    col(ActorAlias.name),
                )
            ).all():
                aliases.setdefault(canonical_id, []).append(name)
        items = [
            CanonicalActorRead(
                **row.model_dump(exclude={"created_at"}),
                generic=row.article_id is not None,
                aliases=aliases.get(row.id or 0, []),
                mention_count=mentions,
                article_count=articles,
            )
            for row, mentions, articles in rows[:limit]
        ]
        return Window(items=items, more=len(rows) > len(items))

    def _figures(
        self,
        session: Session,
        f: FigureFilter,
        after: int,
        limit: int | None,
        only: list[int] | None = None,
        of_events: list[int] | None = None,
    ) -> Window[FigureRead]:
        stmt: Any = (
            sa_select(*_FIGURE_COLUMNS, *_RECORD_COLUMNS)
            .select_from(Figure)
            .join(ExtractionRun, col(Figure.run_id) == col(ExtractionRun.id))
            .join(StableRecord, col(StableRecord.id) == col(Figure.stable_id))
        )
        if only is not None:  # these figures, of any run
            stmt = stmt.where(col(Figure.id).in_(only))
        elif of_events is not None:  # the figures of these events, of any run
            stmt = stmt.where(col(Figure.event_id).in_(of_events))
        else:
            stmt = self._scope(stmt, Figure, f.article_id, f.run_id)
        stmt = stmt.where(col(Figure.id) > after)
        if f.event_id is not None:
            stmt = stmt.where(Figure.event_id == f.event_id)
        if f.category:
            stmt = stmt.where(Figure.category == f.category)
        if f.qualifier:
            stmt = stmt.where(Figure.qualifier == f.qualifier)
        if f.min_confidence is not None:
            stmt = stmt.where(col(Figure.confidence) >= f.min_confidence)
        if f.reported_by:
            stmt = stmt.where(contains(Figure.reported_by, f.reported_by))
        if f.updated_since is not None:
            stmt = stmt.where(col(StableRecord.updated_at) >= as_utc(f.updated_since))
        stmt = review_clause(stmt, f.review)
        rows = session.execute(stmt.order_by(col(Figure.id)).limit(fetch(limit))).all()
        figures = [row._mapping for row in rows[:limit]]
        reviews = entries_of(session, [figure["stable_id"] for figure in figures])
        events_of = _run_events(
            session,
            {
                figure["run_id"]
                for figure in figures
                if any(e.field == "event_id" for e in reviews.get(figure["stable_id"], []))
            },
        )
        runs: dict[int, Provenance] = {}
        items = [
            reviewed_figure(
                FigureRead(
                    **{name: figure[name] for name in _FIGURE_FIELDS},
                    provenance=_record_provenance(figure, runs),
                    updated_at=as_utc(figure["record_updated_at"]),
                ),
                reviews.get(figure["stable_id"], []),
                events_of.get(figure["run_id"]),
            )
            for figure in figures
        ]
        return Window(items=items, more=len(rows) > len(items))

    def ping(self) -> None:
        with Session(self.engine) as session:
            session.exec(select(1)).one()


_EVENT_COLUMNS = tuple(Event.__table__.c)  # type: ignore[attr-defined]
_FIGURE_COLUMNS = tuple(Figure.__table__.c)  # type: ignore[attr-defined]
_PLACE_COLUMNS = tuple(EventPlace.__table__.c)  # type: ignore[attr-defined]
# The read models' fields of a row: the table's columns but the run's id (in provenance).
_EVENT_FIELDS = tuple(c.name for c in _EVENT_COLUMNS if c.name != "run_id")
_FIGURE_FIELDS = tuple(c.name for c in _FIGURE_COLUMNS if c.name != "run_id")
_PLACE_FIELDS = tuple(c.name for c in _PLACE_COLUMNS if c.name not in {"event_id", "article_id"})
_RECORD_COLUMNS: tuple[Any, ...] = (
    col(ExtractionRun.model).label("run_model"),
    col(ExtractionRun.prompt_version).label("run_prompt_version"),
    col(ExtractionRun.schema_version).label("run_schema_version"),
    col(StableRecord.updated_at).label("record_updated_at"),
    col(StableRecord.country_iso3).label("record_iso3"),
)


def _record_provenance(row: Any, known: dict[int, Provenance]) -> Provenance:
    """The provenance of an event or figure row read with ``_RECORD_COLUMNS``; one object per
    run in ``known`` (a page's rows share a few runs)."""
    found = known.get(row["run_id"])
    if found is None:
        found = known[row["run_id"]] = Provenance(
            run_id=row["run_id"],
            model=row["run_model"],
            prompt_version=row["run_prompt_version"],
            schema_version=row["run_schema_version"],
        )
    return found


def _side(
    actor: Actor, canonical: CanonicalActor | None, link: EventActor | None = None
) -> EventActorRead:
    return EventActorRead(
        actor_id=actor.id or 0,
        name=actor.name,
        actor_type=actor.actor_type,
        role=link.role if link is not None else "",
        confidence=link.confidence if link is not None else None,
        model_probability=link.model_probability if link is not None else None,
        canonical_id=canonical.id if canonical else None,
        canonical_name=canonical.name if canonical else None,
    )


def _links(session: Session, event_ids: list[int]) -> dict[int, list[EventActorRead]]:
    """The sides of these events, with their actors' canonical actors."""
    links: dict[int, list[EventActorRead]] = {}
    if event_ids:
        for (
            event_id,
            actor_id,
            name,
            actor_type,
            role,
            confidence,
            probability,
            canonical_id,
            canonical_name,
        ) in session.execute(
            sa_select(
                col(EventActor.event_id),
                col(Actor.id),
                col(Actor.name),
                col(Actor.actor_type),
                col(EventActor.role),
                col(EventActor.confidence),
                col(EventActor.model_probability),
                col(CanonicalActor.id),
                col(CanonicalActor.name),
            )
            .join(Actor, col(Actor.id) == col(EventActor.actor_id))
            .outerjoin(ActorLink, col(ActorLink.actor_id) == col(Actor.id))
            .outerjoin(CanonicalActor, col(CanonicalActor.id) == col(ActorLink.canonical_id))
            .where(col(EventActor.event_id).in_(event_ids))
            .order_by(col(EventActor.id))
        ).all():
            links.setdefault(event_id, []).append(
                EventActorRead(
                    actor_id=actor_id,
                    name=name,
                    actor_type=actor_type,
                    role=role,
                    confidence=confidence,
                    model_probability=probability,
                    canonical_id=canonical_id,
                    canonical_name=canonical_name,
                )
            )
    return links


def _run_actors(session: Session, runs: set[int]) -> dict[int, dict[str, EventActorRead]]:
    """The actors of these runs (without a role), by run and folded name: what an actors
    correction's sides are found among."""
    found: dict[int, dict[str, EventActorRead]] = {}
    if runs:
        for actor, canonical in session.exec(
            select(Actor, CanonicalActor)
            .outerjoin(ActorLink, col(ActorLink.actor_id) == col(Actor.id))
            .outerjoin(CanonicalActor, col(CanonicalActor.id) == col(ActorLink.canonical_id))
            .where(col(Actor.run_id).in_(runs))
            .order_by(col(Actor.id))
        ).all():
            by_name = found.setdefault(actor.run_id, {})
            by_name.setdefault(actor.name.casefold(), _side(actor, canonical))
    return found


def _run_events(session: Session, runs: set[int]) -> dict[int, dict[int, int]]:
    """The events of these runs: event id by stable id, by run (figures' event_id corrections)."""
    found: dict[int, dict[int, int]] = {}
    if runs:
        for run_id, stable_id, event_id in session.exec(
            select(Event.run_id, Event.stable_id, Event.id).where(col(Event.run_id).in_(runs))
        ).all():
            found.setdefault(run_id, {})[stable_id] = event_id or 0
    return found


def _loose(text: Any) -> Any:
    """Lower case, hyphens as spaces: "rif dimashq" finds GeoNames' "Rif-dimashq"."""
    return func.replace(func.lower(text), "-", " ")


def _place_and_count_clauses(stmt: Any, f: EventFilter) -> Any:
    """``stmt`` narrowed by the event's place, its ACLED fatalities and its actors' inter codes."""
    on_place: list[Any] = []
    if f.country_iso2 is not None:
        on_place.append(EventPlace.country_iso2 == f.country_iso2)
    if f.admin1 is not None:
        on_place.append(_loose(col(EventPlace.admin1)) == _loose(literal(f.admin1)))
    if f.bbox is not None:
        box = f.bbox
        on_place.append(col(EventPlace.latitude).between(box.min_lat, box.max_lat))
        longitude = col(EventPlace.longitude)
        if box.min_lon <= box.max_lon:
            on_place.append(longitude.between(box.min_lon, box.max_lon))
        else:
            on_place.append(or_(longitude >= box.min_lon, longitude <= box.max_lon))
    if on_place:
        stmt = stmt.join(EventPlace, col(EventPlace.event_id) == col(Event.id)).where(*on_place)
    if f.fatalities_min:
        # As exports.fatalities: the lowest lower bound of the event's "killed" figures.
        killed = (
            sa_select(func.min(Figure.low))
            .where(
                col(Figure.event_id) == col(Event.id),
                col(Figure.category) == FigureCategory.KILLED.value,
                col(Figure.low).is_not(None),
            )
            .correlate(Event)
            .scalar_subquery()
        )
        # bound as BIGINT: a count may pass 2**31 (MAX_FIGURE), PostgreSQL's INTEGER would not
        stmt = stmt.where(killed >= literal(f.fatalities_min, BigInteger))
    if f.inter is not None:
        sides = (ActorRole.PERPETRATOR.value, ActorRole.TARGET.value)
        coded = (
            select(EventActor.event_id)
            .join(Actor, col(Actor.id) == col(EventActor.actor_id))
            .where(
                col(Actor.actor_type).in_(acled.actor_types_of(f.inter)),
                col(EventActor.role).in_(sides),
            )
        )
        condition: ColumnElement[bool] = col(Event.id).in_(coded)
        if f.inter == acled.INTER_CODE[ActorType.CIVILIANS]:
            # violence against civilians with no named target: the ACLED row's actor2 is
            # "Civilians" (exports.civilians_hit), whom extract.v16 lists as no actor
            targeted = select(EventActor.event_id).where(
                col(EventActor.role) == ActorRole.TARGET.value
            )
            condition = or_(
                condition,
                (col(Event.event_type) == EventType.VIOLENCE_AGAINST_CIVILIANS.value)
                & col(Event.id).not_in(targeted),
            )
        stmt = stmt.where(condition)
    return stmt


def _provenance(run: ExtractionRun) -> Provenance:
    return Provenance(
        run_id=run.id or 0,
        model=run.model,
        prompt_version=run.prompt_version,
        schema_version=run.schema_version,
    )


def _summary(article: Article, latest: ExtractionRun | None) -> ArticleSummary:
    return ArticleSummary(
        **article.model_dump(exclude={"text"}),
        chars=len(article.text),
        latest_run=run_read(latest) if latest else None,
    )


def _latest_runs(session: Session, article_ids: list[int]) -> dict[int, ExtractionRun]:
    if not article_ids:
        return {}
    newest = (
        select(func.max(ExtractionRun.id))
        .where(col(ExtractionRun.article_id).in_(article_ids))
        .group_by(col(ExtractionRun.article_id))
    )
    runs = session.exec(select(ExtractionRun).where(col(ExtractionRun.id).in_(newest))).all()
    return {run.article_id: run for run in runs}
