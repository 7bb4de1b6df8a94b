"""Article intake: store first, queue the extraction, optionally wait for it."""

from __future__ import annotations

import asyncio
import time

import anyio.to_thread

from service.store.read_models import Accepted
from service.store.repository import Store
from service.store.runs import ArticleInput
from service.store.tables import RunStatus
from service.worker import ExtractionWorkers

WAIT_POLL_SECONDS = 0.2
_DONE = {RunStatus.SUCCEEDED, RunStatus.FAILED}


class ArticleService:
    def __init__(
        self, store: Store, workers: ExtractionWorkers, model: str, prompt_version: str
    ) -> None:
        self.store = store
        self.workers = workers
        self.model = model
        self.prompt_version = prompt_version

    async def submit(self, items: list[ArticleInput], wait: float) -> list[Accepted]:
        """Store all of ``items`` in one transaction (or none), then queue their runs."""
        stored = await anyio.to_thread.run_sync(
            self.store.ingest_many, items, self.model, self.prompt_version
        )
        self.workers.notify()
        runs = [s.run_id for s in stored if s.created and s.run_id is not None]
        await self._wait(runs, wait)
        return [await self._accepted(s.article_id, s.created, s.run_id, wait > 0) for s in stored]

    async def rerun(self, article_id: int, wait: float) -> tuple[Accepted, bool]:
        run_id, created = await anyio.to_thread.run_sync(
            self.store.request_run, article_id, self.model, self.prompt_version
        )
        self.workers.notify()
        await self._wait([run_id], wait)
        return await self._accepted(article_id, False, run_id, wait > 0), created

    async def _wait(self, run_ids: list[int], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        pending = set(run_ids)
        while pending and time.monotonic() < deadline:
            for run_id in list(pending):
                status = await anyio.to_thread.run_sync(self.store.run_status, run_id)
                if status in _DONE:
                    pending.discard(run_id)
            if pending:
                await asyncio.sleep(WAIT_POLL_SECONDS)

    async def _accepted(
        self, article_id: int, created: bool, run_id: int | None, with_article: bool
    ) -> Accepted:
        run = await anyio.to_thread.run_sync(self.store.get_run, run_id) if run_id else None
        article = None
        if with_article and run is not None and run.status in _DONE:
            article = await anyio.to_thread.run_sync(self.store.get_article, article_id)
        return Accepted(
            article_id=article_id,
            created=created,
            run=run,
            article_url=f"/articles/{article_id}",
            article=article,
        )

    def finished(self, accepted: Accepted) -> bool:
        return accepted.run is not None and accepted.run.status in _DONE
