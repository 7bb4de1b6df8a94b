from __future__ import annotations

import anyio.to_thread
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from prometheus_client import CONTENT_TYPE_LATEST

from service.errors import DatabaseUnavailableError
from service.ops.metrics import exposition
from service.store.read_models import QueueStats
from service.store.repository import Store
from service.worker import ExtractionWorkers


class MetricsController(Controller):
    path = "/metrics"
    tags = ["health"]

    @get(
        "/",
        operation_id="metrics",
        summary="Prometheus metrics of this process",
        description="Text exposition format: HTTP requests by route and status, runs finished "
        "by outcome, LLM calls, latency and tokens by model and prompt version, queue depth, "
        "worker liveness.",
        media_type=CONTENT_TYPE_LATEST,
        include_in_schema=True,
    )
    async def metrics(
        self, store: NamedDependency[Store], workers: NamedDependency[ExtractionWorkers]
    ) -> Response[bytes]:
        try:
            queue = await anyio.to_thread.run_sync(store.queue_stats)
        except DatabaseUnavailableError:
            queue = QueueStats(pending=0, running=0, failed=0, oldest_pending_age_s=None)
        return Response(exposition(queue, workers.states()), media_type=CONTENT_TYPE_LATEST)
