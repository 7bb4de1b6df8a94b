from __future__ import annotations

import anyio.to_thread
import httpx
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from service.api.access import PUBLIC
from service.errors import DatabaseUnavailableError
from service.redaction import redact_url
from service.settings import Settings
from service.store.read_models import Health, QueueStats, Readiness, Workers
from service.store.repository import Store
from service.worker import ExtractionWorkers

RETRY_AFTER_S = 5


class HealthController(Controller):
    path = "/"
    tags = ["health"]
    opt = PUBLIC

    @get("/health", operation_id="health", summary="Liveness")
    async def health(self) -> Health:
        return Health(status="ok")

    @get(
        "/ready",
        operation_id="ready",
        summary="Database writable, workers alive, queue depth, LLM endpoint reachable",
        description="503 (with Retry-After) when the database cannot be written, a worker is "
        "dead or the LLM endpoint does not answer; each part is reported separately.",
        responses={
            HTTP_503_SERVICE_UNAVAILABLE: ResponseSpec(
                Readiness, description="Not ready: see which part in the body."
            )
        },
    )
    async def ready(
        self,
        store: NamedDependency[Store],
        workers: NamedDependency[ExtractionWorkers],
        settings: NamedDependency[Settings],
        llm_base_url: NamedDependency[str],
        llm_http: NamedDependency[httpx.AsyncClient],
    ) -> Response[Readiness]:
        try:
            await anyio.to_thread.run_sync(store.check_writable)
            database = "ok"
        except DatabaseUnavailableError as exc:
            database = f"error: {exc}"
        except Exception as exc:
            database = f"error: {type(exc).__name__}"
        try:
            queue = await anyio.to_thread.run_sync(store.queue_stats)
        except Exception:
            queue = QueueStats(pending=-1, running=-1, failed=-1, oldest_pending_age_s=None)
        states = workers.states()
        alive = sum(state.alive for state in states)
        if not workers.applicable:
            llm = "not applicable"
        else:
            llm = await _llm_status(settings, llm_base_url, llm_http)
        ok = database == "ok" and llm in {"ok", "not applicable"} and alive == len(states)
        return Response(
            Readiness(
                status="ok" if ok else "unavailable",
                database=database,
                workers=Workers(
                    applicable=workers.applicable,
                    alive=alive,
                    expected=len(states),
                    lease_lost=workers.lease_lost,
                    workers=states,
                ),
                queue=queue,
                llm=llm,
                llm_base_url=redact_url(llm_base_url),
                model=settings.llm_model,
            ),
            status_code=HTTP_200_OK if ok else HTTP_503_SERVICE_UNAVAILABLE,
            headers=None if ok else {"Retry-After": str(RETRY_AFTER_S)},
        )


async def _llm_status(settings: Settings, llm_base_url: str, llm_http: httpx.AsyncClient) -> str:
    try:
        answer = await llm_http.get(
            f"{llm_base_url.rstrip('/')}/models",
            headers={"Authorization": f"Bearer {settings.llm_api_key.get_secret_value()}"},
            timeout=5.0,
        )
    except httpx.HTTPError as exc:
        return f"error: {type(exc).__name__}"
    return "ok" if answer.status_code < 400 else f"error: HTTP {answer.status_code}"
