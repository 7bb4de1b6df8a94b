"""Articles in, runs through the queue: intake, claiming, requeueing, failing and retrying."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import case, delete, func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from service.errors import LeaseLostError, NotFoundError, QueueFullError
from service.extraction.records import SCHEMA_VERSION
from service.store.filters import RunFilter, Window, fetch, window
from service.store.read_models import ArticleSummary, FieldConflict, QueueStats, RunRead
from service.store.tables import Article, ExtractionRun, FailureReason, RunStatus, utcnow

ERROR_CHARS = 1000
QUEUE_FULL_RETRY_S = 30
METADATA = ("title", "url", "source", "published_date")
TAKEN_OVER = "the worker running it stopped (its lease ran out); taken over by another worker"

log = structlog.get_logger(__name__)


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
    # Fields read from the text, not sent (a headline, a "Published:" line): never a conflict.
    derived: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Ingested:
    article_id: int
    created: bool
    run_id: int | None  # the new run, or the article's latest one
    conflicts: tuple[FieldConflict, ...] = ()


@dataclass(frozen=True, slots=True)
class Claim:
    run_id: int
    attempts: int  # this one included; with ``worker``, tells this claim from a later one
    prompt_version: str
    article: Article
    worker: str
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class Accounting:
    """What a run cost, stored on it whether it succeeded or failed."""

    prompt_tokens: int = 0
    prompt_tokens_cached: int = 0
    completion_tokens: int = 0
    llm_calls: int = 0
    llm_calls_unusable: int = 0
    retries: int = 0
    llm_seconds: float = 0.0
    wall_seconds: float = 0.0


def new_run(article_id: int, model: str, prompt_version: str) -> ExtractionRun:
    # The request being served (service/ops/request_id.py) is bound in the logging context:
    # the run keeps its id, so the worker's log lines for the run carry it too.
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    return ExtractionRun(
        article_id=article_id,
        model=model,
        prompt_version=prompt_version,
        schema_version=SCHEMA_VERSION,
        request_id=request_id if isinstance(request_id, str) else None,
    )


def account(run: ExtractionRun, cost: Accounting) -> None:
    run.finished_at = utcnow()
    run.prompt_tokens = cost.prompt_tokens
    run.prompt_tokens_cached = cost.prompt_tokens_cached
    run.completion_tokens = cost.completion_tokens
    run.llm_calls = cost.llm_calls
    run.llm_calls_unusable = cost.llm_calls_unusable
    run.retries = cost.retries
    run.llm_seconds = round(cost.llm_seconds, 3)
    run.wall_seconds = round(cost.wall_seconds, 3)


def run_read(run: ExtractionRun) -> RunRead:
    detail = json.loads(run.dropped_detail) if run.dropped_detail else []
    return RunRead(
        **run.model_dump(exclude={"dropped_detail"}),
        dropped_detail=detail,
        status_url=f"/runs/{run.id}",
    )


def _expired(now: dt.datetime) -> Any:
    """Running on a lease that ran out (or on none: left running by an older version)."""
    return (col(ExtractionRun.status) == RunStatus.RUNNING) & (
        col(ExtractionRun.lease_until).is_(None) | (col(ExtractionRun.lease_until) < now)
    )


def _claimable(now: dt.datetime) -> Any:
    due = (col(ExtractionRun.status) == RunStatus.PENDING) & (
        col(ExtractionRun.next_attempt_at).is_(None) | (col(ExtractionRun.next_attempt_at) <= now)
    )
    return due | _expired(now)


def _held(claim: Claim) -> tuple[Any, ...]:
    return (
        col(ExtractionRun.id) == claim.run_id,
        col(ExtractionRun.status) == RunStatus.RUNNING,
        col(ExtractionRun.claimed_by) == claim.worker,
        col(ExtractionRun.attempts) == claim.attempts,
    )


def held_run(session: Session, claim: Claim) -> ExtractionRun:
    """The claimed run, locked for this transaction (PostgreSQL); ``LeaseLostError`` when its
    lease passed to another worker, which then writes the outcome instead."""
    run = session.exec(select(ExtractionRun).where(*_held(claim)).with_for_update()).first()
    if run is None:
        raise LeaseLostError(
            f"run {claim.run_id}: attempt {claim.attempts} lost its lease to another worker"
        )
    return run


def release(run: ExtractionRun) -> None:
    run.claimed_by = None
    run.lease_until = None


def latest_run_id(session: Session, article_id: int) -> int | None:
    return session.exec(
        select(func.max(ExtractionRun.id)).where(ExtractionRun.article_id == article_id)
    ).one()


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def metadata_conflicts(article: Article, item: ArticleInput) -> tuple[FieldConflict, ...]:
    """The metadata fields ``item`` sent with a value other than the stored article's."""
    conflicts = []
    for name in METADATA:
        sent = getattr(item, name)
        stored = getattr(article, name)
        if sent is not None and name not in item.derived and sent != stored:
            conflicts.append(FieldConflict(field=name, stored=_text(stored), sent=_text(sent)))
    return tuple(conflicts)


def check_queue_room(session: Session, adding: int, max_pending: int | None) -> None:
    """``QueueFullError`` when the pending runs (``adding`` of them this transaction's, already
    flushed) exceed ``max_pending``. Approximate under concurrent writers: each counts the
    others' committed runs only."""
    if max_pending is None or adding == 0:
        return
    session.flush()
    pending = session.exec(
        select(func.count(col(ExtractionRun.id))).where(ExtractionRun.status == RunStatus.PENDING)
    ).one()
    if pending > max_pending:
        raise QueueFullError(
            f"the queue holds {pending - adding} pending runs and {adding} more would exceed "
            f"its limit of {max_pending} (CONFLICT_MAX_QUEUE_DEPTH); retry later",
            retry_after=QUEUE_FULL_RETRY_S,
        )


def queued_run_id(session: Session, article_id: int, prompt_version: str) -> int | None:
    """The article's pending or running run of this prompt version (at most one)."""
    return session.exec(
        select(ExtractionRun.id).where(
            ExtractionRun.article_id == article_id,
            ExtractionRun.prompt_version == prompt_version,
            col(ExtractionRun.status).in_([RunStatus.PENDING, RunStatus.RUNNING]),
        )
    ).first()


def queue_run(
    session: Session, article_id: int, model: str, prompt_version: str, max_pending: int | None
) -> tuple[int, bool]:
    """The article's queued run of this prompt version, else a new one (room permitting)."""
    waiting = queued_run_id(session, article_id, prompt_version)
    if waiting is not None:
        return waiting, False
    run = new_run(article_id, model, prompt_version)
    session.add(run)
    session.flush()
    check_queue_room(session, 1, max_pending)
    assert run.id is not None
    return run.id, True


def summary(session: Session, article: Article) -> ArticleSummary:
    assert article.id is not None
    latest = latest_run_id(session, article.id)
    run = session.get(ExtractionRun, latest) if latest is not None else None
    return ArticleSummary(
        **article.model_dump(exclude={"text"}),
        chars=len(article.text),
        latest_run=run_read(run) if run is not None else None,
    )


class RunQueue:
    engine: Engine

    # -- intake ------------------------------------------------------------------------------

    def ingest(
        self, item: ArticleInput, model: str, prompt_version: str, max_pending: int | None = None
    ) -> Ingested:
        [ingested] = self.ingest_many([item], model, prompt_version, max_pending)
        return ingested

    def ingest_many(
        self,
        items: list[ArticleInput],
        model: str,
        prompt_version: str,
        max_pending: int | None = None,
    ) -> list[Ingested]:
        """Store the articles (or find them by content hash, with the metadata that differs)
        and queue a run for each new one, all in one transaction: a failure stores none of
        them, and so does a queue that cannot take all the new runs (``max_pending``). Safe
        against a concurrent post of the same text (the transaction is retried once and then
        finds it)."""
        try:
            return self._ingest(items, model, prompt_version, max_pending)
        except IntegrityError:
            return self._ingest(items, model, prompt_version, max_pending)

    def _ingest(
        self,
        items: list[ArticleInput],
        model: str,
        prompt_version: str,
        max_pending: int | None,
    ) -> list[Ingested]:
        results: list[Ingested] = []
        runs: list[tuple[int, ExtractionRun]] = []
        with Session(self.engine) as session:
            known: dict[str, int] = {}
            for item in items:
                text = normalise_text(item.text)
                digest = content_hash(text)
                found = known.get(digest)
                if found is None:
                    found = session.exec(
                        select(Article.id).where(Article.content_hash == digest)
                    ).first()
                if found is not None:
                    stored = session.get(Article, found)
                    assert stored is not None
                    conflicts = metadata_conflicts(stored, item)
                    results.append(Ingested(found, False, latest_run_id(session, found), conflicts))
                    continue
                article = Article(
                    content_hash=digest,
                    text=text,
                    title=item.title,
                    url=item.url,
                    source=item.source,
                    published_date=item.published_date,
                )
                session.add(article)
                session.flush()
                assert article.id is not None
                known[digest] = article.id
                run = new_run(article.id, model, prompt_version)
                session.add(run)
                runs.append((len(results), run))
                results.append(Ingested(article.id, True, None))
            check_queue_room(session, len(runs), max_pending)
            session.commit()
            for index, run in runs:
                assert run.id is not None
                results[index] = Ingested(results[index].article_id, True, run.id)
        return results

    def request_run(
        self, article_id: int, model: str, prompt_version: str, max_pending: int | None = None
    ) -> tuple[int, bool]:
        """Queue a re-extraction; the article's run of this prompt version already queued or
        running is returned instead (a unique index keeps it to one, even under concurrent
        requests)."""
        try:
            return self._request_run(article_id, model, prompt_version, max_pending)
        except IntegrityError:  # a concurrent request queued it first
            return self._request_run(article_id, model, prompt_version, max_pending)

    def _request_run(
        self, article_id: int, model: str, prompt_version: str, max_pending: int | None
    ) -> tuple[int, bool]:
        with Session(self.engine) as session:
            if session.get(Article, article_id) is None:
                raise NotFoundError(f"article {article_id} does not exist")
            result = queue_run(session, article_id, model, prompt_version, max_pending)
            session.commit()
            return result

    def update_article(
        self,
        article_id: int,
        changes: dict[str, object],
        model: str,
        prompt_version: str,
        max_pending: int | None = None,
    ) -> tuple[ArticleSummary, list[str], int | None]:
        """Set the given metadata fields; a changed ``published_date`` queues a re-run (or
        finds the one queued). Returns the article, the fields that changed and the run."""
        with Session(self.engine) as session:
            article = session.exec(
                select(Article).where(Article.id == article_id).with_for_update()
            ).first()
            if article is None:
                raise NotFoundError(f"article {article_id} does not exist")
            changed = [name for name, value in changes.items() if getattr(article, name) != value]
            for name in changed:
                setattr(article, name, changes[name])
            session.add(article)
            run_id = None
            if "published_date" in changed:
                run_id, _ = queue_run(session, article_id, model, prompt_version, max_pending)
            session.commit()
            session.refresh(article)
            return summary(session, article), changed, run_id

    # -- the queue ---------------------------------------------------------------------------

    def claim_next_run(
        self, model: str, worker: str, lease_s: float, max_attempts: int
    ) -> Claim | None:
        """Take the oldest claimable run: pending and due, or running on a lease that has run
        out (its worker died: that is how a crash is found). ``worker`` holds it for
        ``lease_s`` seconds, renewed by ``renew_lease``. A run whose lease ran out
        ``max_attempts`` times is parked as poisoned instead (a run that kills its worker must
        not kill the next one). Several processes may claim at once: PostgreSQL skips rows
        another claimer has locked; on both databases the UPDATE repeats the claimable test, so
        one claimer wins a run and the other tries the next."""
        with Session(self.engine) as session:
            self._park_expired(session, max_attempts)
            while True:
                now = utcnow()
                run_id = session.exec(
                    select(ExtractionRun.id)
                    .where(_claimable(now))
                    .order_by(col(ExtractionRun.id))
                    .limit(1)
                    .with_for_update(skip_locked=True)
                ).first()
                if run_id is None:
                    session.commit()
                    return None
                expired = col(ExtractionRun.status) == RunStatus.RUNNING
                claimed = session.execute(
                    update(ExtractionRun)
                    .where(col(ExtractionRun.id) == run_id, _claimable(now))
                    .values(
                        status=RunStatus.RUNNING,
                        model=model,
                        attempts=ExtractionRun.attempts + 1,
                        started_at=now,
                        next_attempt_at=None,
                        claimed_by=worker,
                        lease_until=now + dt.timedelta(seconds=lease_s),
                        reason=case(
                            (expired, FailureReason.INTERRUPTED.value),
                            else_=col(ExtractionRun.reason),
                        ),
                        error=case(
                            (expired, TAKEN_OVER),
                            else_=col(ExtractionRun.error),
                        ),
                    )
                    .execution_options(synchronize_session=False)
                )
                session.commit()
                if claimed.rowcount:  # type: ignore[attr-defined]
                    run = session.get(ExtractionRun, run_id)
                    assert run is not None
                    article = session.get(Article, run.article_id)
                    assert article is not None
                    session.expunge(article)
                    return Claim(
                        run_id, run.attempts, run.prompt_version, article, worker, run.request_id
                    )

    @staticmethod
    def _park_expired(session: Session, max_attempts: int) -> int:
        parked = session.execute(
            update(ExtractionRun)
            .where(_expired(utcnow()), col(ExtractionRun.attempts) >= max_attempts)
            .values(
                status=RunStatus.FAILED,
                reason=FailureReason.POISONED,
                error=f"the service stopped during each of {max_attempts} attempts (the "
                "worker's lease ran out); parked, retry it with POST /runs/retry",
                finished_at=utcnow(),
                claimed_by=None,
                lease_until=None,
            )
            .execution_options(synchronize_session=False)
        )
        count = int(parked.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            log.warning("runs parked as poisoned: a worker died during each attempt", runs=count)
        return count

    def renew_lease(self, claim: Claim, lease_s: float) -> bool:
        """Extend the lease of a run this worker still holds; False when it lost it."""
        with Session(self.engine) as session:
            renewed = session.execute(
                update(ExtractionRun)
                .where(*_held(claim))
                .values(lease_until=utcnow() + dt.timedelta(seconds=lease_s))
                .execution_options(synchronize_session=False)
            )
            session.commit()
            return bool(renewed.rowcount)  # type: ignore[attr-defined]

    def requeue_run(
        self, claim: Claim, error: str, reason: FailureReason, retry_at: dt.datetime
    ) -> None:
        """A transient failure: back to the queue, due again at ``retry_at``."""
        with Session(self.engine) as session:
            run = held_run(session, claim)
            run.status = RunStatus.PENDING
            run.error = error[:ERROR_CHARS]
            run.reason = reason
            run.next_attempt_at = retry_at
            release(run)
            session.add(run)
            session.commit()

    def fail_run(
        self, claim: Claim, error: str, reason: FailureReason, cost: Accounting | None = None
    ) -> None:
        with Session(self.engine) as session:
            run = held_run(session, claim)
            account(run, cost or Accounting())
            run.status = RunStatus.FAILED
            run.error = error[:ERROR_CHARS]
            run.reason = reason
            run.next_attempt_at = None
            release(run)
            session.add(run)
            session.commit()

    def retry_runs(self, f: RunFilter) -> list[int]:
        """Failed runs matching ``f`` go back to the queue with a fresh attempt count; returns
        their ids. One run per article and prompt version at most (the latest failed one), and
        none where that article and prompt version already has a run queued or running."""
        try:
            return self._retry_runs(f)
        except IntegrityError:  # a run was queued meanwhile: choose again
            return self._retry_runs(f)

    def _retry_runs(self, f: RunFilter) -> list[int]:
        with Session(self.engine) as session:
            stmt = select(
                ExtractionRun.id, ExtractionRun.article_id, ExtractionRun.prompt_version
            ).where(ExtractionRun.status == RunStatus.FAILED)
            stmt = _filtered(
                stmt, RunFilter(article_id=f.article_id, since=f.since, reason=f.reason)
            )
            latest: dict[tuple[int, str], int] = {}
            for run_id, article_id, prompt_version in session.exec(stmt).all():
                if run_id is not None:
                    key = (article_id, prompt_version)
                    latest[key] = max(run_id, latest.get(key, 0))
            queued = set(
                session.exec(
                    select(ExtractionRun.article_id, ExtractionRun.prompt_version).where(
                        col(ExtractionRun.status).in_([RunStatus.PENDING, RunStatus.RUNNING]),
                        col(ExtractionRun.article_id).in_({a for a, _ in latest}),
                    )
                ).all()
            )
            ids = sorted(run_id for key, run_id in latest.items() if key not in queued)
            if ids:
                session.execute(
                    update(ExtractionRun)
                    .where(col(ExtractionRun.id).in_(ids))
                    .values(
                        status=RunStatus.PENDING,
                        attempts=0,
                        error=None,
                        reason=None,
                        next_attempt_at=None,
                        started_at=None,
                        finished_at=None,
                        claimed_by=None,
                        lease_until=None,
                    )
                )
            session.commit()
            return ids

    # -- reads -------------------------------------------------------------------------------

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
            return run_read(run)

    def list_runs(self, f: RunFilter, after: int, limit: int) -> Window[RunRead]:
        with Session(self.engine) as session:
            stmt = _filtered(select(ExtractionRun), f).where(col(ExtractionRun.id) > after)
            rows = session.exec(stmt.order_by(col(ExtractionRun.id)).limit(fetch(limit))).all()
            return window([run_read(r) for r in rows], limit)

    def queue_stats(self) -> QueueStats:
        with Session(self.engine) as session:
            counts = dict(
                session.exec(
                    select(ExtractionRun.status, func.count(col(ExtractionRun.id))).group_by(
                        col(ExtractionRun.status)
                    )
                ).all()
            )
            oldest = session.exec(
                select(func.min(ExtractionRun.created_at)).where(
                    ExtractionRun.status == RunStatus.PENDING
                )
            ).one()
        age = None
        if oldest is not None:
            if oldest.tzinfo is None:  # SQLite hands back naive UTC
                oldest = oldest.replace(tzinfo=dt.UTC)
            age = round(max((utcnow() - oldest).total_seconds(), 0.0), 1)
        return QueueStats(
            pending=int(counts.get(RunStatus.PENDING, 0)),
            running=int(counts.get(RunStatus.RUNNING, 0)),
            failed=int(counts.get(RunStatus.FAILED, 0)),
            oldest_pending_age_s=age,
        )

    def check_writable(self) -> None:
        """Take the write lock and roll back: raises when the database cannot be written."""
        with Session(self.engine) as session:
            session.execute(delete(ExtractionRun).where(col(ExtractionRun.id) == -1))
            session.rollback()


def _filtered(stmt: Any, f: RunFilter) -> Any:
    if f.status is not None:
        stmt = stmt.where(ExtractionRun.status == f.status)
    if f.article_id is not None:
        stmt = stmt.where(ExtractionRun.article_id == f.article_id)
    if f.since is not None:
        stmt = stmt.where(col(ExtractionRun.created_at) >= f.since)
    if f.reason is not None:
        stmt = stmt.where(ExtractionRun.reason == f.reason)
    return stmt
