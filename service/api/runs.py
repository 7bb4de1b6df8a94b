from __future__ import annotations

import datetime as dt
from typing import Annotated

import anyio.to_thread
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_200_OK

from service.api.access import ADMIN
from service.api.errors import error_responses
from service.api.filters import Cursor, Id, Limit
from service.api.pages import decode_cursor, page
from service.api.params import PathId, parse_time, query_time
from service.store.filters import RunFilter
from service.store.read_models import Page, RetriedRuns, RunRead
from service.store.repository import Store
from service.store.tables import FailureReason, RunStatus
from service.worker import ExtractionWorkers

Since = Annotated[
    str | None, query_time("Created at or after this ISO 8601 time (UTC when it has no offset)")
]
Reason = Annotated[FailureReason | None, QueryParameter(description="Why it failed")]


def _since(since: str | None) -> dt.datetime | None:
    return parse_time("since", since)


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
        responses=error_responses(400, 503),
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
        responses=error_responses(400, 404, 503),
    )
    def get_run(self, store: NamedDependency[Store], run_id: PathId) -> RunRead:
        return store.get_run(run_id)

    @post(
        "/retry",
        operation_id="retryRuns",
        summary="Put failed runs (poisoned ones included) back in the queue",
        description="Every failed run matching the filters gets a fresh attempt count and is "
        "queued again (the latest failed run per article and prompt version, none where one "
        "is already queued or running; not bounded by CONFLICT_MAX_QUEUE_DEPTH); answers how "
        "many.",
        status_code=HTTP_200_OK,
        opt=ADMIN,
        responses=error_responses(400, 401, 403, 429, 503),
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
