"""Durable background extraction: workers take runs from the database queue.

A run is claimed atomically (pending -> running). Startup puts runs a crash left ``running`` back
in the queue, so a killed service finishes its work when it comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import anyio.to_thread
import structlog

from service.errors import ExtractionError
from service.extraction.pipeline import ExtractionPipeline
from service.store.repository import RunResult, Store
from service.store.tables import Article

log = structlog.get_logger(__name__)

PipelineFactory = Callable[[str], ExtractionPipeline]
POLL_SECONDS = 1.0


class ExtractionWorkers:
    def __init__(
        self, store: Store, pipeline_for: PipelineFactory, workers: int, model: str
    ) -> None:
        self._store = store
        self._model = model
        self._pipeline_for = pipeline_for
        self._count = workers
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        requeued = await anyio.to_thread.run_sync(self._store.requeue_interrupted)
        if requeued:
            log.info("requeued interrupted runs", count=requeued)
        self._tasks = [
            asyncio.create_task(self._loop(n), name=f"extraction-worker-{n}")
            for n in range(self._count)
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def notify(self) -> None:
        """A run was queued: wake a worker now instead of at the next poll."""
        self._wake.set()

    async def _loop(self, number: int) -> None:
        while True:
            claimed = await anyio.to_thread.run_sync(self._store.claim_next_run, self._model)
            if claimed is None:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
                continue
            run_id, article = claimed
            await self.process(run_id, article)

    async def process(self, run_id: int, article: Article) -> None:
        started = time.perf_counter()
        prompt_version = await anyio.to_thread.run_sync(self._store.prompt_version_of, run_id)
        log.info("extraction started", run_id=run_id, article_id=article.id)
        try:
            pipeline = self._pipeline_for(prompt_version)
            result = await pipeline.run(article.text, article.title, article.published_date)
        except ExtractionError as exc:
            await self._fail(run_id, str(exc), started)
            return
        except Exception as exc:  # a bug must fail the run, not kill the worker
            log.exception("extraction crashed", run_id=run_id)
            await self._fail(run_id, f"internal error: {type(exc).__name__}: {exc}", started)
            return
        outcome = RunResult(
            extraction=result.extraction,
            prompt_tokens=result.stats.prompt_tokens,
            completion_tokens=result.stats.completion_tokens,
            llm_calls=result.stats.calls,
            retries=result.stats.retries,
            llm_seconds=result.stats.seconds,
            wall_seconds=time.perf_counter() - started,
        )
        await anyio.to_thread.run_sync(self._store.finish_run, run_id, outcome)
        log.info(
            "extraction succeeded",
            run_id=run_id,
            events=len(outcome.extraction.events),
            actors=len(outcome.extraction.actors),
            figures=len(outcome.extraction.figures),
            dropped=len(outcome.extraction.dropped),
            non_events=result.non_events,
            sentences_asked=result.sentences,
            wall_s=round(outcome.wall_seconds, 2),
            llm_s=round(outcome.llm_seconds, 2),
        )

    async def _fail(self, run_id: int, error: str, started: float) -> None:
        log.warning("extraction failed", run_id=run_id, error=error)
        await anyio.to_thread.run_sync(
            self._store.fail_run, run_id, error, time.perf_counter() - started
        )
