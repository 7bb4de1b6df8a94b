from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from service.api.errors import error_responses
from service.api.params import PathId
from service.store.read_models import RunRead
from service.store.repository import Store


class RunController(Controller):
    path = "/runs"
    tags = ["runs"]

    @get(
        "/{run_id:int}",
        operation_id="getRun",
        summary="Status of an extraction run: pending, running, succeeded or failed (with error)",
        sync_to_thread=True,
        responses=error_responses(400, 404, 503),
    )
    def get_run(self, store: NamedDependency[Store], run_id: PathId) -> RunRead:
        return store.get_run(run_id)
