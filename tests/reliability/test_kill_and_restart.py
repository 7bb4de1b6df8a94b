"""kill -9 of the service mid-run: the run is finished after a restart; a run that is in flight
at every kill is parked as poisoned instead of being tried forever."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ARTICLE, database_url, seed_script
from tests.fake_llm import FakeLLM

ROOT = Path(__file__).resolve().parents[2]


class FakeEndpoint:
    """The fake LLM on a real port; while ``hold`` is set, chat completions wait for it to
    clear (the service is mid-run)."""

    def __init__(self) -> None:
        self.fake = FakeLLM(script=seed_script)
        self.hold = threading.Event()
        self.waiting = threading.Event()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.path.endswith("/chat/completions"):
                    while endpoint.hold.is_set():
                        endpoint.waiting.set()
                        time.sleep(0.05)
                request = httpx.Request(self.command, f"http://fake{self.path}", content=body)
                response = endpoint.fake.handle(request)
                self.send_response(response.status_code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(response.content)))
                self.end_headers()
                self.wfile.write(response.content)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.hold.clear()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint() -> Iterator[FakeEndpoint]:
    server = FakeEndpoint()
    yield server
    server.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Service:
    """``python -m service [role]`` in a subprocess, logging to ``<name>.log``."""

    def __init__(
        self, tmp_path: Path, llm_url: str, role: str = "all", name: str = "service", **env: str
    ) -> None:
        self.role = role
        self.port = free_port()
        self.env = {
            **os.environ,
            "CONFLICT_DATABASE_URL": database_url(tmp_path),
            "CONFLICT_LLM_BASE_URL": llm_url,
            "CONFLICT_LLM_MODEL": "fake-model",
            "CONFLICT_LLM_HTTP_RETRIES": "0",
            "CONFLICT_PORT": str(self.port),
            "CONFLICT_LOG_LEVEL": "WARNING",
            **env,
        }
        self.log = tmp_path / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10)

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "service", self.role],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            if self.role == "worker":
                if "extraction workers started" in self.log.read_text():
                    return
                time.sleep(0.1)
                continue
            try:
                if self.http.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the service did not start: {self.log.read_text()[-3000:]}")

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)
        self.http.close()

    def run(self, run_id: int) -> dict[str, Any]:
        body: dict[str, Any] = self.http.get(f"/runs/{run_id}").json()
        return body

    def wait_for(self, run_id: int, statuses: set[str], seconds: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while (run := self.run(run_id))["status"] not in statuses:
            assert time.monotonic() < deadline, run
            time.sleep(0.1)
        return run


@pytest.fixture
def service(tmp_path: Path, endpoint: FakeEndpoint) -> Iterator[Service]:
    started = Service(
        tmp_path,
        endpoint.url,
        CONFLICT_RUN_MAX_ATTEMPTS="2",
        CONFLICT_RUN_LEASE_S="1.5",
        CONFLICT_RUN_HEARTBEAT_S="0.3",
    )
    yield started
    started.stop()


def test_kill_9_mid_run_then_restart_finishes_the_run(
    service: Service, endpoint: FakeEndpoint
) -> None:
    service.start()
    endpoint.hold.set()
    run_id = service.http.post("/articles", json={"text": ARTICLE}).json()["run"]["id"]
    assert endpoint.waiting.wait(20)
    assert service.run(run_id)["status"] == "running"
    service.kill9()

    endpoint.hold.clear()
    service.start()
    run = service.wait_for(run_id, {"succeeded", "failed"})
    assert run["status"] == "succeeded", run
    assert run["attempts"] == 2
    article = service.http.get(f"/articles/{run['article_id']}").json()
    assert len(article["events"]) == 2
    assert [r["id"] for r in article["runs"]] == [run_id]


def test_a_run_in_flight_at_every_kill_is_parked_as_poisoned(
    service: Service, endpoint: FakeEndpoint
) -> None:
    service.start()
    endpoint.hold.set()
    run_id = service.http.post("/articles", json={"text": ARTICLE}).json()["run"]["id"]
    for _ in range(2):  # CONFLICT_RUN_MAX_ATTEMPTS=2
        assert endpoint.waiting.wait(20)
        service.wait_for(run_id, {"running"})
        endpoint.waiting.clear()
        service.kill9()
        service.start()
    run = service.wait_for(run_id, {"failed"})
    assert run["reason"] == "poisoned"
    assert "the service stopped during each of 2 attempts" in run["error"]
    endpoint.hold.clear()
    ready = service.http.get("/ready").json()
    assert ready["status"] == "ok" and ready["queue"]["pending"] == 0, ready
    posted = service.http.post(
        "/articles?wait=20", json={"text": ARTICLE.replace("Douma", "Harasta")}
    )
    assert posted.json()["run"]["status"] == "succeeded", posted.text
    assert service.http.post("/runs/retry?reason=poisoned").json()["retried"] == 1
    assert service.wait_for(run_id, {"succeeded", "failed"})["status"] == "succeeded"
