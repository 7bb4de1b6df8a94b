"""Article intake: store first, queue the extraction, optionally wait for it; corrections and
removal."""

from __future__ import annotations

import asyncio
import time

import anyio.to_thread

from service.store.read_models import Accepted, ArticleUpdated, FieldConflict
from service.store.repository import Store
from service.store.runs import ArticleInput
from service.store.tables import RunStatus
from service.worker import ExtractionWorkers

WAIT_POLL_SECONDS = 0.2
_DONE = {RunStatus.SUCCEEDED, RunStatus.FAILED}


class ArticleService:
    def __init__(
        self,
        store: Store,
        workers: ExtractionWorkers,
        model: str,
        prompt_version: str,
        max_pending: int | None = None,
    ) -> None:
        self.store = store
        self.workers = workers
        self.model = model
        self.prompt_version = prompt_version
        self.max_pending = max_pending

    async def submit(self, items: list[ArticleInput], wait: float) -> list[Accepted]:
        """Store all of ``items`` in one transaction (or none), then queue their runs."""
        stored = await anyio.to_thread.run_sync(
            self.store.ingest_many, items, self.model, self.prompt_version, self.max_pending
        )
        self.workers.notify()
        runs = [s.run_id for s in stored if s.created and s.run_id is not None]
        await self._wait(runs, wait)
        return [
            await self._accepted(s.article_id, s.created, s.run_id, wait > 0, list(s.conflicts))
            for s in stored
        ]

    async def rerun(self, article_id: int, wait: float) -> tuple[Accepted, bool]:
        """Queue a run of the article with the current prompt version, or find the one
        already queued or running (at most one pending run per article and prompt version)."""
        run_id, created = await anyio.to_thread.run_sync(
            self.store.request_run, article_id, self.model, self.prompt_version, self.max_pending
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

    async def correct(self, article_id: int, changes: dict[str, object]) -> ArticleUpdated:
        """Correct an article's title, url, source or published date.

        Stored records are not rewritten: a changed ``published_date`` queues a re-run (or
        finds the one queued) instead of re-resolving the stored record dates in place.
        Relative dates ("on Friday") were resolved by the extraction against the old date, from
        the sentence and its context; re-running is the one way that gives every date the same
        rules and keeps each record's provenance (run, prompt, model) true. The old run's
        records stay served until the new run succeeds. Title, url and source are read live by
        every view, so they need nothing more."""
        article, changed, run_id = await anyio.to_thread.run_sync(
            self.store.update_article,
            article_id,
            changes,
            self.model,
            self.prompt_version,
            self.max_pending,
        )
        if run_id is not None:
            self.workers.notify()
        run = await anyio.to_thread.run_sync(self.store.get_run, run_id) if run_id else None
        return ArticleUpdated(article=article, changed=changed, run=run)

    async def remove(self, article_id: int) -> None:
        """Delete the article with everything derived from it (``Store.delete_article``)."""
        await anyio.to_thread.run_sync(self.store.delete_article, article_id)

    async def _accepted(
        self,
        article_id: int,
        created: bool,
        run_id: int | None,
        with_article: bool,
        conflicts: list[FieldConflict] | None = None,
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
            conflicts=conflicts or [],
        )

    def finished(self, accepted: Accepted) -> bool:
        return accepted.run is not None and accepted.run.status in _DONE
