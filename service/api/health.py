from __future__ import annotations

import anyio.to_thread
import httpx
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from service.settings import Settings
from service.store.read_models import Health, Readiness
from service.store.repository import Store


class HealthController(Controller):
    path = "/"
    tags = ["health"]

    @get("/health", operation_id="health", summary="Liveness")
    async def health(self) -> Health:
        return Health(status="ok")

    @get(
        "/ready",
        operation_id="ready",
        summary="Database and LLM endpoint reachable",
        responses={
            HTTP_503_SERVICE_UNAVAILABLE: ResponseSpec(
                Readiness, description="Database or LLM endpoint unreachable; see its fields."
            )
        },
    )
    async def ready(
        self,
        store: NamedDependency[Store],
        settings: NamedDependency[Settings],
        llm_base_url: NamedDependency[str],
        llm_http: NamedDependency[httpx.AsyncClient],
    ) -> Response[Readiness]:
        try:
            await anyio.to_thread.run_sync(store.ping)
            database = "ok"
        except Exception as exc:
            database = f"error: {exc}"
        try:
            answer = await llm_http.get(
                f"{llm_base_url.rstrip('/')}/models",
                headers={"Authorization": f"Bearer {settings.llm_api_key.get_secret_value()}"},
                timeout=5.0,
            )
            llm = "ok" if answer.status_code < 400 else f"error: HTTP {answer.status_code}"
        except httpx.HTTPError as exc:
            llm = f"error: {type(exc).__name__}: {exc}"
        ok = database == "ok" and llm == "ok"
        return Response(
            Readiness(
                status="ok" if ok else "unavailable",
                database=database,
                llm=llm,
                llm_base_url=llm_base_url,
                model=settings.llm_model,
            ),
            status_code=HTTP_200_OK if ok else HTTP_503_SERVICE_UNAVAILABLE,
            headers=None if ok else {"Retry-After": "10"},
        )
