"""An LLM endpoint that breaks on demand, and the checks every reliability case ends with."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from tests.conftest import ARTICLE, make_settings, seed_script
from tests.fake_llm import FakeLLM

VALID = ARTICLE.replace("Douma", "Harasta")  # a text not posted before
SLOW_S = 3600.0


async def _drip() -> AsyncIterator[bytes]:
    while True:
        yield b" "
        await asyncio.sleep(0.05)


async def _hang() -> httpx.Response:
    await asyncio.sleep(SLOW_S)
    raise AssertionError("unreachable")


@dataclass
class BreakableLLM:
    """The fake endpoint, broken in one way for chat completions while ``mode`` says so."""

    fake: FakeLLM = field(default_factory=lambda: FakeLLM(script=seed_script))
    mode: str = "ok"
    completions: int = 0

    def client(self) -> httpx.AsyncClient:
        # Looked up per request, so a test can replace ``handle``.
        return httpx.AsyncClient(transport=httpx.MockTransport(lambda r: self.handle(r)))

    async def handle(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/chat/completions") or self.mode == "ok":
            return self.fake.handle(request)
        self.completions += 1
        answers: dict[str, Callable[[], Any]] = {
            "500": lambda: httpx.Response(500, json={"error": {"message": "upstream exploded"}}),
            "html": lambda: httpx.Response(
                200,
                text="<html><body>Bad gateway</body></html>",
                headers={"content-type": "text/html"},
            ),
            "empty-choices": lambda: httpx.Response(
                200,
                json={
                    "id": "x",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "m",
                    "choices": [],
                },
            ),
            "drip": lambda: httpx.Response(
                200, headers={"content-type": "application/json"}, content=_drip()
            ),
        }
        if self.mode == "hang":
            return await _hang()
        if self.mode == "reset":
            raise httpx.ReadError("connection reset by peer", request=request)
        return answers[self.mode]()  # type: ignore[no-any-return]


@pytest.fixture
def llm() -> BreakableLLM:
    return BreakableLLM()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def client(
    tmp_path: Path, llm: BreakableLLM, settings_overrides: dict[str, Any]
) -> AsyncIterator[AsyncTestClient[Any]]:
    http = llm.client()
    values: dict[str, Any] = {"llm_deadline_s": 0.5, "run_max_attempts": 3}
    values.update(settings_overrides)
    app = create_app(make_settings(tmp_path, **values), llm_http_client=http)
    async with AsyncTestClient(app=app, timeout=30) as test_client:
        yield test_client
    await http.aclose()


async def settled_runs(client: AsyncTestClient[Any], seconds: float = 20.0) -> list[dict[str, Any]]:
    """Every run, once none is pending or running (fails the test if that never happens)."""
    runs: list[dict[str, Any]] = []
    for _ in range(int(seconds / 0.05)):
        runs = (await client.get("/runs?limit=500")).json()["items"]
        if all(r["status"] in {"succeeded", "failed"} for r in runs):
            return runs
        await asyncio.sleep(0.05)
    raise AssertionError(f"runs still in the queue after {seconds} s: {runs}")


async def assert_service_recovers(client: AsyncTestClient[Any], llm: BreakableLLM) -> None:
    """No run stuck, every article stored with a run, every failure readable, the workers
    alive, and the next valid article extracts."""
    runs = await settled_runs(client)
    for run in runs:
        if run["status"] == "failed":
            assert run["reason"] and run["error"], run
            assert len(run["error"]) <= 1000
    articles = (await client.get("/articles?limit=500")).json()["items"]
    assert all(a["latest_run"] is not None for a in articles)
    ready = (await client.get("/ready")).json()
    assert ready["workers"]["alive"] == ready["workers"]["expected"], ready
    llm.mode = "ok"
    answer = await client.post("/articles?wait=20", json={"text": VALID})
    assert answer.status_code == 200, answer.text
    assert answer.json()["run"]["status"] == "succeeded", answer.json()["run"]
    assert answer.json()["article"]["events"]
