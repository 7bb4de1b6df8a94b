"""Durable background extraction: supervised workers take runs from the database queue.

A worker cannot die of a run. Every step of its loop (claim, pipeline, store, fail) is guarded:
an error is logged with the run id and traceback, the run is failed with a short reason or put
back in the queue, and the loop goes on. Database steps are retried with backoff while the
database is locked or unreachable; an outcome that still cannot be written is kept and written
at the next turn of the loop. A worker task that ends anyway is restarted by its supervisor and
counted.

Run outcomes:
- transient failures (LLM endpoint down, timed out or 5xx after the client's own retries; a
  database that stayed locked) go back to the queue, due after a doubling backoff;
- a claimed run is leased to its worker for ``run_lease_s``, renewed every ``run_heartbeat_s``
  while it runs; a worker that dies (a process killed or stopped) stops renewing, and another
  worker, in any process, takes the run over once the lease has run out;
- a worker that lost its lease (it stalled past it and the run was taken over) writes nothing
  of the run: the new holder does (counted in ``lease_lost`` and logged);
- after ``run_max_attempts`` attempts either way the run is parked: failed, reason ``poisoned``;
- a run where more than ``run_max_unusable_share`` of LLM calls failed or answered unusable
  output fails (``llm_unusable``) instead of succeeding with what little came back;
- anything else (a bug, records that cannot be stored) fails the run (``internal``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

import anyio.to_thread
import structlog
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from service.errors import (
    DatabaseUnavailableError,
    ExtractionError,
    LeaseLostError,
    LLMUnavailableError,
)
from service.extraction import nlp
from service.extraction.pipeline import ExtractionPipeline, PipelineResult
from service.ops.metrics import observe_run
from service.redaction import redact_text
from service.settings import Settings
from service.store.places import geocoder
from service.store.read_models import WorkerState
from service.store.repository import Store
from service.store.runs import Accounting, Claim
from service.store.tables import FailureReason, utcnow
from service.store.writes import RunResult

log = structlog.get_logger(__name__)


def _warm_gazetteer() -> None:
    try:
        geocoder()
    except (OSError, RuntimeError, ValueError) as exc:
        log.warning("geocoding_unavailable", error=str(exc))


PipelineFactory = Callable[[str], ExtractionPipeline]
POLL_SECONDS = 1.0
RESTART_BACKOFF_MAX_S = 30.0
UNUSABLE = "unusable answer: "

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(slots=True)
class _Failure:
    error: str
    reason: FailureReason
    transient: bool
    cost: Accounting = field(default_factory=Accounting)


@dataclass(slots=True)
class _Slot:
    name: str
    task: asyncio.Task[None] | None = None
    restarts: int = 0
    run_id: int | None = None
    seen: float = field(default_factory=time.monotonic)


class ExtractionWorkers:
    def __init__(
        self,
        store: Store,
        pipeline_for: PipelineFactory,
        settings: Settings,
        count: int | None = None,
    ) -> None:
        """``count`` workers (default ``settings.workers``); 0 in a process that serves the
        API only, where runs are left to worker processes."""
        self._store = store
        self._pipeline_for = pipeline_for
        self._settings = settings
        self._model = settings.llm_model
        self._wake = asyncio.Event()
        count = settings.workers if count is None else count
        self._slots = [_Slot(f"extraction-worker-{n}") for n in range(count)]
        # Unique across processes and hosts: the owner recorded on a leased run.
        self._owner = f"{socket.gethostname()}:{os.getpid()}"
        # Outcomes decided but not yet written (the database refused): written next turn.
        self._unsettled: dict[int, tuple[Claim, _Failure]] = {}
        self.lease_lost = 0
        # Also checked by each loop turn: a cancellation swallowed by a library must not keep
        # a worker running after stop().
        self._stopping = False

    @property
    def applicable(self) -> bool:
        """False in an API-only process: no workers here, by design."""
        return bool(self._slots)

    async def start(self) -> None:
        self._stopping = False
        if self._slots:
            # Open (on a new machine: build) the gazetteer now, not when the first run is stored.
            threading.Thread(target=_warm_gazetteer, name="gazetteer", daemon=True).start()
            # Load spaCy (the default prompt's places rule) before any run is claimed: loading
            # holds the GIL for seconds, and mid-run that starves the lease heartbeat.
            nlp.english()
        for slot in self._slots:
            slot.task = asyncio.create_task(self._supervise(slot), name=slot.name)

    async def stop(self) -> None:
        self._stopping = True
        for slot in self._slots:
            if slot.task is not None:
                slot.task.cancel()
        for slot in self._slots:
            if slot.task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await slot.task
                slot.task = None

    def notify(self) -> None:
        """A run was queued: wake a worker now instead of at the next poll."""
        self._wake.set()

    def states(self) -> list[WorkerState]:
        now = time.monotonic()
        return [
            WorkerState(
                name=slot.name,
                alive=slot.task is not None and not slot.task.done(),
                restarts=slot.restarts,
                run_id=slot.run_id,
                idle_s=round(now - slot.seen, 1),
            )
            for slot in self._slots
        ]

    # -- the loop ----------------------------------------------------------------------------

    async def _supervise(self, slot: _Slot) -> None:
        while not self._stopping:
            try:
                await self._loop(slot)
            except asyncio.CancelledError:
                raise
            except BaseException:
                slot.restarts += 1
                slot.run_id = None
                log.exception("extraction worker crashed; restarting", worker=slot.name)
                await asyncio.sleep(min(2.0 ** (slot.restarts - 1), RESTART_BACKOFF_MAX_S))

    async def _loop(self, slot: _Slot) -> None:
        settings = self._settings
        while not self._stopping:
            slot.seen = time.monotonic()
            await self._settle_unsettled()
            try:
                claim = await self._db(
                    self._store.claim_next_run,
                    self._model,
                    f"{self._owner}:{slot.name}",
                    settings.run_lease_s,
                    settings.run_max_attempts,
                )
            except DatabaseUnavailableError as exc:
                log.warning("cannot claim a run: database unavailable", error=str(exc))
                claim = None
            if claim is None:
                self._wake.clear()
                # Not asyncio.wait_for: on Python 3.11 it can swallow a cancellation that
                # arrives as its timeout fires, and stop() then waits for this loop forever.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(POLL_SECONDS):
                        await self._wake.wait()
                continue
            slot.run_id = claim.run_id
            try:
                await self.process(claim)
            finally:
                slot.run_id = None

    async def process(self, claim: Claim) -> None:
        """Extract one claimed run and record its outcome, renewing its lease meanwhile;
        never raises for the run's sake."""
        heartbeat = asyncio.create_task(self._heartbeat(claim), name=f"lease-{claim.run_id}")
        try:
            await self._process(claim)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _heartbeat(self, claim: Claim) -> None:
        while True:
            await asyncio.sleep(self._settings.run_heartbeat_s)
            try:
                held = await _in_thread(
                    lambda: self._store.renew_lease(claim, self._settings.run_lease_s)
                )
            except Exception as exc:  # the next beat tries again; the lease has slack
                log.warning("cannot renew a run's lease", run_id=claim.run_id, error=str(exc))
                continue
            if not held:  # taken over, or just finished: writing the outcome tells which
                log.debug("lease no longer held", run_id=claim.run_id)
                return

    def _lost(self, claim: Claim, exc: LeaseLostError) -> None:
        self.lease_lost += 1
        observe_run("lease_lost", None, self._model, claim.prompt_version)
        log.warning(
            "outcome not written: the run's lease passed to another worker",
            run_id=claim.run_id,
            error=str(exc),
            lease_lost=self.lease_lost,
        )

    async def _process(self, claim: Claim) -> None:
        # Every line logged for this run (the LLM calls included) names it, and the request
        # that queued it.
        context: dict[str, object] = {"run_id": claim.run_id}
        if claim.request_id is not None:
            context["request_id"] = claim.request_id
        with structlog.contextvars.bound_contextvars(**context):
            await self._process_claim(claim)

    async def _process_claim(self, claim: Claim) -> None:
        started = time.perf_counter()
        article = claim.article
        log.info(
            "extraction started",
            run_id=claim.run_id,
            article_id=article.id,
            attempt=claim.attempts,
            worker=claim.worker,
        )
        failure: _Failure | None
        try:
            pipeline = self._pipeline_for(claim.prompt_version)
            result = await pipeline.run(article.text, article.title, article.published_date)
        except LLMUnavailableError as exc:
            failure = _Failure(str(exc), FailureReason.LLM_UNAVAILABLE, transient=True)
        except ExtractionError as exc:
            failure = _Failure(str(exc), FailureReason.INTERNAL, transient=False)
        except Exception as exc:  # a bug must fail the run, not kill the worker
            log.exception("extraction crashed", run_id=claim.run_id)
            failure = _Failure(_internal(exc), FailureReason.INTERNAL, transient=False)
        else:
            failure = await self._store_result(claim, result, started)
        if failure is not None:
            failure.cost = _with_wall(failure.cost, started)
        await self._settle(claim, failure)

    async def _store_result(
        self, claim: Claim, result: PipelineResult, started: float
    ) -> _Failure | None:
        stats = result.stats
        cost = Accounting(
            prompt_tokens=stats.prompt_tokens,
            prompt_tokens_cached=stats.cached_prompt_tokens,
            completion_tokens=stats.completion_tokens,
            llm_calls=stats.calls,
            llm_calls_unusable=stats.unusable,
            retries=stats.retries,
            llm_seconds=stats.seconds,
            wall_seconds=time.perf_counter() - started,
        )
        if stats.calls and stats.unusable / stats.calls > self._settings.run_max_unusable_share:
            return _Failure(_unusable_reason(result), FailureReason.LLM_UNUSABLE, False, cost)
        try:
            await self._db(self._store.finish_run, claim, RunResult(result.extraction, cost))
        except LeaseLostError as exc:
            self._lost(claim, exc)
            return None
        except DatabaseUnavailableError as exc:
            return _Failure(str(exc), FailureReason.DATABASE_BUSY, True, cost)
        except Exception as exc:
            log.exception("storing the records failed", run_id=claim.run_id)
            return _Failure(
                f"the records could not be stored: {_internal(exc)}",
                FailureReason.INTERNAL,
                False,
                cost,
            )
        extraction = result.extraction
        observe_run(
            "succeeded",
            None,
            self._model,
            claim.prompt_version,
            cost=cost,
            dropped=len(extraction.dropped),
        )
        log.info(
            "extraction succeeded",
            run_id=claim.run_id,
            worker=claim.worker,
            events=len(extraction.events),
            actors=len(extraction.actors),
            figures=len(extraction.figures),
            dropped=len(extraction.dropped),
            non_events=result.non_events,
            sentences_asked=result.sentences,
            llm_calls=stats.calls,
            unusable_calls=stats.unusable,
            wall_s=round(cost.wall_seconds, 2),
            llm_s=round(cost.llm_seconds, 2),
        )
        return None

    # -- outcomes ----------------------------------------------------------------------------

    async def _settle(self, claim: Claim, failure: _Failure | None) -> None:
        if failure is None:
            return
        try:
            await self._record_failure(claim, failure)
        except LeaseLostError as exc:
            self._lost(claim, exc)
        except Exception:
            log.exception("cannot record the run's failure yet; will retry", run_id=claim.run_id)
            self._unsettled[claim.run_id] = (claim, failure)

    async def _settle_unsettled(self) -> None:
        for run_id, (claim, failure) in list(self._unsettled.items()):
            try:
                await self._record_failure(claim, failure)
            except LeaseLostError as exc:
                self._lost(claim, exc)
            except Exception as exc:
                log.warning("still cannot record a run's failure", run_id=run_id, error=str(exc))
                return
            del self._unsettled[run_id]

    async def _record_failure(self, claim: Claim, failure: _Failure) -> None:
        attempts, most = claim.attempts, self._settings.run_max_attempts
        if failure.transient and attempts < most:
            delay = self._settings.run_retry_backoff_s * 2 ** (attempts - 1)
            retry_at = utcnow() + dt.timedelta(seconds=delay)
            error = f"attempt {attempts} of {most} failed, retrying in {delay:g} s: {failure.error}"
            log.warning(
                "extraction failed; requeued",
                run_id=claim.run_id,
                error=error,
                reason=failure.reason,
            )
            await self._db(self._store.requeue_run, claim, error, failure.reason, retry_at)
            observe_run(
                "requeued", failure.reason, self._model, claim.prompt_version, cost=failure.cost
            )
            return
        reason, error = failure.reason, failure.error
        if failure.transient:
            reason = FailureReason.POISONED
            error = f"failed {attempts} times, parked (retry with POST /runs/retry); last: {error}"
        log.warning("extraction failed", run_id=claim.run_id, error=error, reason=reason)
        await self._db(self._store.fail_run, claim, error, reason, failure.cost)
        observe_run("failed", reason, self._model, claim.prompt_version, cost=failure.cost)

    async def _db(self, step: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """A store step in a thread, retried with backoff while the database is unavailable."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(DatabaseUnavailableError),
            wait=wait_exponential(multiplier=0.1, max=5.0),
            stop=stop_after_delay(self._settings.database_retry_s),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await _in_thread(lambda: step(*args, **kwargs))
        raise AssertionError("unreachable: tenacity re-raises the last error")


async def _in_thread(step: Callable[[], T]) -> T:
    """Run a store step in a worker thread. Cancelled meanwhile (the workers stop), wait for
    the thread before letting the cancellation go on: a thread cannot be stopped, and one still
    holding a pooled connection after the engine is disposed leaves that connection to the
    garbage collector, unclosed."""
    # anyio shields the thread from its own cancel scopes only, not from Task.cancel().
    thread = asyncio.ensure_future(anyio.to_thread.run_sync(step))
    try:
        return await asyncio.shield(thread)
    except asyncio.CancelledError:
        await asyncio.wait([thread])
        if not thread.cancelled():
            thread.exception()  # retrieved: the outcome of a step of a stopping worker is moot
        raise


def _internal(exc: BaseException) -> str:
    # Stored and served by /runs: an exception's text may quote a URL with its credentials.
    return f"internal error: {type(exc).__name__}: {redact_text(str(exc))[:300]}"


def _with_wall(cost: Accounting, started: float) -> Accounting:
    return dataclasses.replace(cost, wall_seconds=time.perf_counter() - started)


def _unusable_reason(result: PipelineResult) -> str:
    reasons = Counter(
        d.reason.removeprefix(UNUSABLE)
        for d in result.extraction.dropped
        if d.reason.startswith(UNUSABLE)
    )
    what = reasons.most_common(1)[0][0] if reasons else "failed or unusable answers"
    stats = result.stats
    return f"{what} for {stats.unusable} of {stats.calls} LLM calls"
