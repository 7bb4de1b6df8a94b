"""The service in-process for client and CLI tests: the app on a sync litestar TestClient (its
own event loop in a thread, lifespan and workers running) on the fake LLM; ``transport`` is the
httpx transport that reaches it, usable by ``service.client.Client`` from any thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from litestar.testing import TestClient
from litestar.testing.transport import TestClientTransport

from service.app import create_app
from tests.conftest import make_settings, seed_script
from tests.fake_llm import FakeLLM

BASE_URL = "http://testserver.local"


@contextmanager
def running_app(
    tmp_path: Path, fake_llm: FakeLLM | None = None, **settings: Any
) -> Iterator[TestClient[Any]]:
    """The app with its workers on ``fake_llm`` (default: the seed script's answers)."""
    http = (fake_llm or FakeLLM(script=seed_script)).client()
    app = create_app(make_settings(tmp_path, **settings), llm_http_client=http)
    try:
        with TestClient(app=app, base_url=BASE_URL) as test_client:
            yield test_client
    finally:
        asyncio.run(http.aclose())


class _Transport(httpx.BaseTransport):
    def __init__(self, test_client: TestClient[Any]) -> None:
        self._inner = TestClientTransport(client=test_client)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)


class _AsyncTransport(httpx.AsyncBaseTransport):
    """Each request blocks the caller's loop while the app's own loop serves it: fine for tests."""

    def __init__(self, test_client: TestClient[Any]) -> None:
        self._inner = TestClientTransport(client=test_client)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(request)


def transport_of(test_client: TestClient[Any]) -> httpx.BaseTransport:
    return _Transport(test_client)


def async_transport_of(test_client: TestClient[Any]) -> httpx.AsyncBaseTransport:
    return _AsyncTransport(test_client)


def stored_events(
    tmp_path: Path,
    text: str,
    script: Callable[[str, int], dict[str, Any]],
    versions: tuple[str, ...],
) -> dict[str, list[dict[str, Any]]]:
    """Each prompt version's stored events for one article and one scripted model."""
    events = {}
    for version in versions:
        llm = FakeLLM(script=script)
        with running_app(tmp_path / version, llm, prompt_version=version) as client:
            body = client.post("/articles?wait=10", json={"text": text}).json()
        assert body["run"]["status"] == "succeeded", body["run"]
        events[version] = body["article"]["events"]
    return events
