from __future__ import annotations

import datetime as dt
from typing import Annotated

import anyio.to_thread
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_200_OK

from service.api.filters import Cursor, Id, Limit
from service.api.pages import decode_cursor, page
from service.errors import BadRequestError
from service.store.filters import RunFilter
from service.store.read_models import Page, RetriedRuns, RunRead
from service.store.repository import Store
from service.store.tables import FailureReason, RunStatus
from service.worker import ExtractionWorkers

Since = Annotated[
    dt.datetime | None,
    QueryParameter(description="Created at or after this ISO time (UTC when no offset)"),
]
Reason = Annotated[FailureReason | None, QueryParameter(description="Why it failed")]


def _since(since: dt.datetime | None) -> dt.datetime | None:
    if since is None:
        return None
    if since.tzinfo is None:
        return since.replace(tzinfo=dt.UTC)
    try:
        return since.astimezone(dt.UTC)
    except OverflowError as exc:
        raise BadRequestError(f"since: {since.isoformat()} is out of range") from exc


def run_filter(
    status: Annotated[RunStatus | None, QueryParameter()] = None,
    article_id: Id = None,
    since: Since = None,
    reason: Reason = None,
) -> RunFilter:
    return RunFilter(status=status, article_id=article_id, since=_since(since), reason=reason)


def retry_filter(article_id: Id = None, since: Since = None, reason: Reason = None) -> RunFilter:
    return RunFilter(
        status=RunStatus.FAILED, article_id=article_id, since=_since(since), reason=reason
    )


class RunController(Controller):
    path = "/runs"
    tags = ["runs"]
    dependencies = {
        "run_filter": Provide(run_filter, sync_to_thread=False),
        "retry_filter": Provide(retry_filter, sync_to_thread=False),
    }

    @get(
        "/",
        operation_id="listRuns",
        summary="Extraction runs, filtered by status, article, creation time or failure reason",
        sync_to_thread=True,
    )
    def list_runs(
        self,
        store: NamedDependency[Store],
        run_filter: NamedDependency[RunFilter],
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> Page[RunRead]:
        return page(store.list_runs(run_filter, decode_cursor(cursor), limit))

    @get(
        "/{run_id:int}",
        operation_id="getRun",
        summary="Status of an extraction run: pending, running, succeeded or failed (with error)",
        sync_to_thread=True,
    )
    def get_run(self, store: NamedDependency[Store], run_id: FromPath[int]) -> RunRead:
        return store.get_run(run_id)

    @post(
        "/retry",
        operation_id="retryRuns",
        summary="Put failed runs (poisoned ones included) back in the queue",
        description="Every failed run matching the filters gets a fresh attempt count and is "
        "queued again; answers how many.",
        status_code=HTTP_200_OK,
    )
    async def retry(
        self,
        store: NamedDependency[Store],
        workers: NamedDependency[ExtractionWorkers],
        retry_filter: NamedDependency[RunFilter],
    ) -> RetriedRuns:
        ids = await anyio.to_thread.run_sync(store.retry_runs, retry_filter)
        workers.notify()
        return RetriedRuns(retried=len(ids), run_ids=ids)
