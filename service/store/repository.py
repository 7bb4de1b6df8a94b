"""All database reads and writes. Sync SQLModel sessions; callers run them off the event loop."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import case, func, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from service.errors import BadRequestError, NotFoundError
from service.extraction.records import SCHEMA_VERSION, ArticleExtraction
from service.resolution.actors import ActorResolver
from service.store.actor_links import link_run_actors
from service.store.read_models import (
    ActorRead,
    ArticleRead,
    ArticleRef,
    ArticleSummary,
    CanonicalActorDetail,
    CanonicalActorRead,
    EventActorRead,
    EventRead,
    FigureRead,
    Page,
    Provenance,
    RunRead,
)
from service.store.tables import (
    Actor,
    ActorLink,
    Article,
    CanonicalActor,
    Event,
    EventActor,
    ExtractionRun,
    Figure,
    RunStatus,
    utcnow,
)


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=_Identified)


def normalise_text(text: str) -> str:
    """The stored form of an article: offsets index this exact string."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ArticleInput:
    text: str
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published_date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class RunResult:
    extraction: ArticleExtraction
    prompt_tokens: int
    completion_tokens: int
    llm_calls: int
    retries: int
    llm_seconds: float
    wall_seconds: float


@dataclass(frozen=True, slots=True)
class EventFilter:
    article_id: int | None = None
    run_id: int | None = None
    event_type: str | None = None
    sub_event_type: str | None = None
    actor: str | None = None
    actor_id: int | None = None  # a canonical actor
    location: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    reported_by: str | None = None


@dataclass(frozen=True, slots=True)
class ActorFilter:
    article_id: int | None = None
    run_id: int | None = None
    name: str | None = None
    actor_type: str | None = None
    canonical_id: int | None = None


@dataclass(frozen=True, slots=True)
class CanonicalActorFilter:
    name: str | None = None  # the canonical name or any alias contains it
    actor_type: str | None = None
    article_id: int | None = None  # named in this article
    generic: bool | None = None


@dataclass(frozen=True, slots=True)
class FigureFilter:
    article_id: int | None = None
    run_id: int | None = None
    event_id: int | None = None
    category: str | None = None
    qualifier: str | None = None
    reported_by: str | None = None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, value = raw.split(":", 1)
        if prefix != "id" or int(value) < 0:
            raise ValueError(raw)
        return int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequestError(
            "cursor: not a cursor this API issued; pass next_cursor from a previous page unchanged"
        ) from exc


def _contains(column: Any, value: str) -> Any:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped.lower()}%", escape="\\")


class Store:
    def __init__(self, engine: Engine, resolver: ActorResolver | None = None) -> None:
        self.engine = engine
        self.resolver = resolver or ActorResolver()

    # -- articles and runs -------------------------------------------------------------------

    def ingest(
        self, item: ArticleInput, model: str, prompt_version: str
    ) -> tuple[int, bool, int | None]:
        """Store the article (or find it by content hash); queue a run for a new one.

        Returns (article id, created, run id). Safe against two posts of one text at once.
        """
        text = normalise_text(item.text)
        digest = content_hash(text)
        with Session(self.engine) as session:
            existing = session.exec(select(Article).where(Article.content_hash == digest)).first()
            if existing is not None:
                assert existing.id is not None
                return existing.id, False, self._latest_run_id(session, existing.id)
            article = Article(
                content_hash=digest,
                text=text,
                title=item.title,
                url=item.url,
                source=item.source,
                published_date=item.published_date,
            )
            session.add(article)
            try:
                session.flush()
            except IntegrityError:  # the same text stored by a concurrent request
                session.rollback()
                again = session.exec(select(Article).where(Article.content_hash == digest)).one()
                assert again.id is not None
                return again.id, False, self._latest_run_id(session, again.id)
            assert article.id is not None
            run = self._new_run(article.id, model, prompt_version)
            session.add(run)
            session.commit()
            assert run.id is not None
            return article.id, True, run.id

    @staticmethod
    def _new_run(article_id: int, model: str, prompt_version: str) -> ExtractionRun:
        return ExtractionRun(
            article_id=article_id,
            model=model,
            prompt_version=prompt_version,
            schema_version=SCHEMA_VERSION,
        )

    @staticmethod
    def _latest_run_id(session: Session, article_id: int) -> int | None:
        return session.exec(
            select(func.max(ExtractionRun.id)).where(ExtractionRun.article_id == article_id)
        ).one()

    def request_run(self, article_id: int, model: str, prompt_version: str) -> tuple[int, bool]:
        """Queue a re-extraction; an already queued or running one is returned instead."""
        with Session(self.engine) as session:
            if session.get(Article, article_id) is None:
                raise NotFoundError(f"article {article_id} does not exist")
            waiting = session.exec(
                select(ExtractionRun.id).where(
                    ExtractionRun.article_id == article_id,
                    col(ExtractionRun.status).in_([RunStatus.PENDING, RunStatus.RUNNING]),
                )
            ).first()
            if waiting is not None:
                return waiting, False
            run = self._new_run(article_id, model, prompt_version)
            session.add(run)
            session.commit()
            assert run.id is not None
            return run.id, True

    def requeue_interrupted(self) -> int:
        """Runs left ``running`` by a crash go back to the queue."""
        with Session(self.engine) as session:
            result = session.execute(
                update(ExtractionRun)
                .where(col(ExtractionRun.status) == RunStatus.RUNNING)
                .values(status=RunStatus.PENDING)
            )
            session.commit()
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def claim_next_run(self, model: str) -> tuple[int, Article] | None:
        """Atomically move the oldest pending run to running, recording the model that will
        serve it; return it with its article."""
        with Session(self.engine) as session:
            while True:
                run_id = session.exec(
                    select(ExtractionRun.id)
                    .where(ExtractionRun.status == RunStatus.PENDING)
                    .order_by(col(ExtractionRun.id))
                    .limit(1)
                ).first()
                if run_id is None:
                    return None
                claimed = session.execute(
                    update(ExtractionRun)
                    .where(
                        col(ExtractionRun.id) == run_id,
                        col(ExtractionRun.status) == RunStatus.PENDING,
                    )
                    .values(
                        status=RunStatus.RUNNING,
                        model=model,
                        attempts=ExtractionRun.attempts + 1,
                        started_at=utcnow(),
                        error=None,
                    )
                )
                session.commit()
                if claimed.rowcount:  # type: ignore[attr-defined]
                    run = session.get(ExtractionRun, run_id)
                    assert run is not None
                    article = session.get(Article, run.article_id)
                    assert article is not None
                    session.expunge(article)
                    return run_id, article

    def prompt_version_of(self, run_id: int) -> str:
        with Session(self.engine) as session:
            run = session.get(ExtractionRun, run_id)
            if run is None:
                raise NotFoundError(f"run {run_id} does not exist")
            return run.prompt_version

    def finish_run(self, run_id: int, result: RunResult) -> None:
        """Store every record of a successful run and mark it succeeded, in one transaction."""
        extraction = result.extraction
        with Session(self.engine) as session:
            run = session.get(ExtractionRun, run_id)
            if run is None:
                raise NotFoundError(f"run {run_id} does not exist")
            article_id = run.article_id
            actors = [
                Actor(run_id=run_id, article_id=article_id, **a.model_dump(mode="json"))
                for a in extraction.actors
            ]
            session.add_all(actors)
            session.flush()
            link_run_actors(session, run_id, self.resolver)
            events = []
            for record in extraction.events:
                data = record.model_dump(exclude={"actors"})
                data["event_type"] = record.event_type.value
                data["sub_event_type"] = record.sub_event_type.value
                data["date_precision"] = record.date_precision.value
                events.append(Event(run_id=run_id, article_id=article_id, **data))
            session.add_all(events)
            session.flush()
            for record, event in zip(extraction.events, events, strict=True):
                for ref in record.actors:
                    session.add(
                        EventActor(
                            event_id=event.id,  # type: ignore[arg-type]
                            actor_id=actors[ref.actor].id,  # type: ignore[arg-type]
                            role=ref.role.value,
                        )
                    )
            for figure in extraction.figures:
                data = figure.model_dump(mode="json", exclude={"event"})
                session.add(
                    Figure(
                        run_id=run_id,
                        article_id=article_id,
                        event_id=events[figure.event].id if figure.event is not None else None,
                        **data,
                    )
                )
            self._account(run, result)
            run.status = RunStatus.SUCCEEDED
            run.dropped = len(extraction.dropped)
            run.dropped_detail = json.dumps([d.model_dump(mode="json") for d in extraction.dropped])
            session.add(run)
            session.commit()

    @staticmethod
    def _account(run: ExtractionRun, result: RunResult | None) -> None:
        run.finished_at = utcnow()
        if result is None:
            return
        run.prompt_tokens = result.prompt_tokens
        run.completion_tokens = result.completion_tokens
        run.llm_calls = result.llm_calls
        run.retries = result.retries
        run.llm_seconds = round(result.llm_seconds, 3)
        run.wall_seconds = round(result.wall_seconds, 3)

    def fail_run(self, run_id: int, error: str, wall_seconds: float) -> None:
        with Session(self.engine) as session:
            run = session.get(ExtractionRun, run_id)
            if run is None:
                return
            self._account(run, None)
            run.status = RunStatus.FAILED
            run.error = error[:4000]
            run.wall_seconds = round(wall_seconds, 3)
            session.add(run)
            session.commit()

    # -- reads -----------------------------------------------------------------------------------

    def run_status(self, run_id: int) -> RunStatus:
        with Session(self.engine) as session:
            run = session.get(ExtractionRun, run_id)
            if run is None:
                raise NotFoundError(f"run {run_id} does not exist")
            return run.status

    def get_run(self, run_id: int) -> RunRead:
        with Session(self.engine) as session:
            run = session.get(ExtractionRun, run_id)
            if run is None:
                raise NotFoundError(f"run {run_id} does not exist")
            return _run_read(run)

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
                runs=[_run_read(r) for r in runs],
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

    def generic_actor_ids(self) -> set[int]:
        """Canonical actors kept to one article ('rebels'): never shared across articles."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(CanonicalActor.id).where(col(CanonicalActor.article_id).is_not(None))
            ).all()
            return {row for row in rows if row is not None}

    def list_articles(self, cursor: str | None, limit: int) -> Page[ArticleSummary]:
        after = decode_cursor(cursor)
        with Session(self.engine) as session:
            rows = session.exec(
                select(Article)
                .where(col(Article.id) > after)
                .order_by(col(Article.id))
                .limit(_fetch(limit))
            ).all()
            latest = _latest_runs(session, [r.id for r in rows[:limit] if r.id is not None])
            items = [_summary(a, latest.get(a.id or 0)) for a in rows[:limit]]
            return page_of(items, len(rows) > len(items))

    def list_events(self, f: EventFilter, cursor: str | None, limit: int) -> Page[EventRead]:
        with Session(self.engine) as session:
            return self._events(session, f, decode_cursor(cursor), limit)

    def list_actors(self, f: ActorFilter, cursor: str | None, limit: int) -> Page[ActorRead]:
        with Session(self.engine) as session:
            return self._actors(session, f, decode_cursor(cursor), limit)

    def list_figures(self, f: FigureFilter, cursor: str | None, limit: int) -> Page[FigureRead]:
        with Session(self.engine) as session:
            return self._figures(session, f, decode_cursor(cursor), limit)

    @staticmethod
    def _current_runs() -> Any:
        """The latest succeeded run of each article: what list endpoints show by default."""
        return (
            select(func.max(ExtractionRun.id))
            .where(ExtractionRun.status == RunStatus.SUCCEEDED)
            .group_by(col(ExtractionRun.article_id))
        )

    def _scope(self, stmt: Any, table: Any, article_id: int | None, run_id: int | None) -> Any:
        if run_id is not None:
            stmt = stmt.where(table.run_id == run_id)
        else:
            stmt = stmt.where(col(table.run_id).in_(self._current_runs()))
        if article_id is not None:
            stmt = stmt.where(table.article_id == article_id)
        return stmt

    def _events(
        self, session: Session, f: EventFilter, after: int, limit: int | None
    ) -> Page[EventRead]:
        stmt = select(Event, ExtractionRun).join(
            ExtractionRun, col(Event.run_id) == col(ExtractionRun.id)
        )
        stmt = self._scope(stmt, Event, f.article_id, f.run_id).where(col(Event.id) > after)
        if f.event_type:
            stmt = stmt.where(Event.event_type == f.event_type)
        if f.sub_event_type:
            stmt = stmt.where(Event.sub_event_type == f.sub_event_type)
        if f.location:
            stmt = stmt.where(_contains(Event.location, f.location))
        if f.reported_by:
            stmt = stmt.where(_contains(Event.reported_by, f.reported_by))
        if f.date_from:
            stmt = stmt.where(col(Event.date) >= f.date_from)
        if f.date_to:
            stmt = stmt.where(col(Event.date) <= f.date_to)
        if f.actor:
            linked = (
                select(EventActor.event_id)
                .join(Actor, col(Actor.id) == col(EventActor.actor_id))
                .where(_contains(Actor.name, f.actor))
            )
            stmt = stmt.where(col(Event.id).in_(linked))
        if f.actor_id is not None:
            linked = (
                select(EventActor.event_id)
                .join(ActorLink, col(ActorLink.actor_id) == col(EventActor.actor_id))
                .where(ActorLink.canonical_id == f.actor_id)
            )
            stmt = stmt.where(col(Event.id).in_(linked))
        rows = session.exec(stmt.order_by(col(Event.id)).limit(_fetch(limit))).all()
        ids = [event.id for event, _ in rows[:limit]]
        links: dict[int, list[EventActorRead]] = {}
        if ids:
            for link, actor, canonical in session.exec(
                select(EventActor, Actor, CanonicalActor)
                .join(Actor, col(Actor.id) == col(EventActor.actor_id))
                .outerjoin(ActorLink, col(ActorLink.actor_id) == col(Actor.id))
                .outerjoin(CanonicalActor, col(CanonicalActor.id) == col(ActorLink.canonical_id))
                .where(col(EventActor.event_id).in_(ids))
                .order_by(col(EventActor.id))
            ).all():
                links.setdefault(link.event_id, []).append(
                    EventActorRead(
                        actor_id=actor.id or 0,
                        name=actor.name,
                        actor_type=actor.actor_type,
                        role=link.role,
                        canonical_id=canonical.id if canonical else None,
                        canonical_name=canonical.name if canonical else None,
                    )
                )
        items = [
            EventRead(
                **event.model_dump(exclude={"run_id"}),
                actors=links.get(event.id or 0, []),
                provenance=_provenance(run),
            )
            for event, run in rows[:limit]
        ]
        return page_of(items, len(rows) > len(items))

    def _actors(
        self, session: Session, f: ActorFilter, after: int, limit: int | None
    ) -> Page[ActorRead]:
        stmt = (
            select(Actor, ExtractionRun, ActorLink.canonical_id)
            .join(ExtractionRun, col(Actor.run_id) == col(ExtractionRun.id))
            .outerjoin(ActorLink, col(ActorLink.actor_id) == col(Actor.id))
        )
        stmt = self._scope(stmt, Actor, f.article_id, f.run_id).where(col(Actor.id) > after)
        if f.name:
            stmt = stmt.where(_contains(Actor.name, f.name))
        if f.actor_type:
            stmt = stmt.where(Actor.actor_type == f.actor_type)
        if f.canonical_id is not None:
            stmt = stmt.where(ActorLink.canonical_id == f.canonical_id)
        rows = session.exec(stmt.order_by(col(Actor.id)).limit(_fetch(limit))).all()
        items = [
            ActorRead(
                **actor.model_dump(exclude={"run_id"}),
                canonical_id=canonical_id,
                provenance=_provenance(run),
            )
            for actor, run, canonical_id in rows[:limit]
        ]
        return page_of(items, len(rows) > len(items))

    def list_canonical_actors(
        self, f: CanonicalActorFilter, cursor: str | None, limit: int
    ) -> Page[CanonicalActorRead]:
        with Session(self.engine) as session:
            return self._canonical(session, f, decode_cursor(cursor), limit)

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
    ) -> Page[CanonicalActorRead]:
        """Canonical actors named in the current runs, with their counts and aliases."""
        current = (
            select(ActorLink.canonical_id, Actor.id, Actor.article_id, Actor.name)
            .join(Actor, col(Actor.id) == col(ActorLink.actor_id))
            .where(col(Actor.run_id).in_(self._current_runs()))
            .subquery()
        )
        stmt = (
            select(
                CanonicalActor,
                func.count(current.c.id),
                func.count(func.distinct(current.c.article_id)),
            )
            .join(current, current.c.canonical_id == col(CanonicalActor.id))
            .where(col(CanonicalActor.id) > after)
            .group_by(col(CanonicalActor.id))
        )
        if f.actor_type:
            stmt = stmt.where(CanonicalActor.actor_type == f.actor_type)
        if f.generic is not None:
            generic = col(CanonicalActor.article_id).is_not(None)
            stmt = stmt.where(generic if f.generic else ~generic)
        if f.article_id is not None:
            stmt = stmt.having(
                func.sum(case((current.c.article_id == f.article_id, 1), else_=0)) > 0
            )
        if f.name:
            named = (
                select(ActorLink.canonical_id)
                .join(Actor, col(Actor.id) == col(ActorLink.actor_id))
                .where(_contains(Actor.name, f.name))
            )
            stmt = stmt.where(
                or_(_contains(CanonicalActor.name, f.name), col(CanonicalActor.id).in_(named))
            )
        rows = session.exec(stmt.order_by(col(CanonicalActor.id)).limit(_fetch(limit))).all()
        ids = [row.id for row, _, _ in rows[:limit]]
        aliases: dict[int, list[str]] = {}
        if ids:
            for canonical_id, name, _ in session.exec(
                select(current.c.canonical_id, current.c.name, func.count(current.c.id))
                .where(current.c.canonical_id.in_(ids))
                .group_by(current.c.canonical_id, current.c.name)
                .order_by(current.c.canonical_id, func.count(current.c.id).desc(), current.c.name)
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
        return page_of(items, len(rows) > len(items))

    def _figures(
        self, session: Session, f: FigureFilter, after: int, limit: int | None
    ) -> Page[FigureRead]:
        stmt = select(Figure, ExtractionRun).join(
            ExtractionRun, col(Figure.run_id) == col(ExtractionRun.id)
        )
        stmt = self._scope(stmt, Figure, f.article_id, f.run_id).where(col(Figure.id) > after)
        if f.event_id is not None:
            stmt = stmt.where(Figure.event_id == f.event_id)
        if f.category:
            stmt = stmt.where(Figure.category == f.category)
        if f.qualifier:
            stmt = stmt.where(Figure.qualifier == f.qualifier)
        if f.reported_by:
            stmt = stmt.where(_contains(Figure.reported_by, f.reported_by))
        rows = session.exec(stmt.order_by(col(Figure.id)).limit(_fetch(limit))).all()
        items = [
            FigureRead(**figure.model_dump(exclude={"run_id"}), provenance=_provenance(run))
            for figure, run in rows[:limit]
        ]
        return page_of(items, len(rows) > len(items))

    def ping(self) -> None:
        with Session(self.engine) as session:
            session.exec(select(1)).one()


def _provenance(run: ExtractionRun) -> Provenance:
    return Provenance(
        run_id=run.id or 0,
        model=run.model,
        prompt_version=run.prompt_version,
        schema_version=run.schema_version,
    )


def _run_read(run: ExtractionRun) -> RunRead:
    detail = json.loads(run.dropped_detail) if run.dropped_detail else []
    return RunRead(
        **run.model_dump(exclude={"dropped_detail"}),
        dropped_detail=detail,
        status_url=f"/runs/{run.id}",
    )


def _summary(article: Article, latest: ExtractionRun | None) -> ArticleSummary:
    return ArticleSummary(
        **article.model_dump(exclude={"text"}),
        chars=len(article.text),
        latest_run=_run_read(latest) if latest else None,
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


def _fetch(limit: int | None) -> int | None:
    """Rows to read for a page: one more than the page shows tells whether another follows."""
    return None if limit is None else limit + 1


def page_of(items: list[R], more: bool) -> Page[R]:
    """A page of ``items`` (id order); ``more``: another page follows."""
    return Page(items=items, next_cursor=encode_cursor(items[-1].id) if more else None)
