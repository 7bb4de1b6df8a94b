"""Issue 12's remaining cases: every closed operation answers 401 and 403 by scope, a slowly
sent body is answered 408 and its connection closed (on a real server), and credentials (LLM
URL user and password, the LLM key, API key tokens) stay out of logs and answers."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
import structlog
import uvicorn
from litestar import Litestar
from litestar.exceptions import HTTPException
from litestar.testing import AsyncTestClient

from service.api.security import BodyReadTimeoutMiddleware
from service.app import create_app
from service.ops.logs import configure_logging
from service.worker import _internal
from tests.conftest import ARTICLE, make_settings, seed_script
from tests.fake_llm import FakeLLM
from tests.test_access import bearer, service, store_of

BELOW = {"read": None, "write": "read", "admin": "write"}


async def test_every_closed_operation_answers_401_without_a_key_and_403_below_its_scope(
    tmp_path: Path,
) -> None:
    async with service(tmp_path, workers=False, auth=True) as client:
        store = store_of(client)
        keys = {s: store.create_key(f"{s} key", s).token for s in ("read", "write", "admin")}
        document = (await client.get("/schema/openapi.json")).json()
        checked = 0
        for path, item in document["paths"].items():
            url = path.replace("{", "").replace("}", "")  # ids of nothing: no key is revoked
            url = "/".join("999" if part.endswith("_id") else part for part in url.split("/"))
            for method, operation in item.items():
                if not operation.get("security"):
                    continue
                needed = operation["security"][0]["bearerAuth"][0]
                answer = await client.request(method.upper(), url)
                assert answer.status_code == 401, (method, path, answer.text)
                assert answer.json()["detail"] == {"needed": needed}, (method, path)
                lower = BELOW[needed]
                if lower is not None:
                    answer = await client.request(method.upper(), url, headers=bearer(keys[lower]))
                    assert answer.status_code == 403, (method, path, answer.text)
                    assert answer.json()["detail"]["needed"] == needed, (method, path)
                # With the scope, the guard lets it through (whatever the operation answers).
                answer = await client.request(method.upper(), url, headers=bearer(keys[needed]))
                assert answer.status_code not in (401, 403), (method, path, answer.text)
                checked += 1
        assert checked >= 25  # every read, write and admin operation of the service


@contextmanager
def served(app: Litestar) -> Iterator[int]:
    """``app`` on a real uvicorn server on a free loopback port, in a thread."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    )
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        port: int = server.servers[0].sockets[0].getsockname()[1]
        yield port
    finally:
        server.should_exit = True
        thread.join(30)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (socket.timeout if never)."""
    received = b""
    while chunk := sock.recv(65_536):
        received += chunk
    return received


def test_slowly_sent_bodies_get_408_and_their_connections_are_closed(tmp_path: Path) -> None:
    http = FakeLLM().client()
    app = create_app(
        make_settings(tmp_path, body_read_timeout_s=1.0), llm_http_client=http, workers=False
    )
    head = (
        b"POST /articles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 5000\r\n\r\n"
    )
    chunked = (
        b"POST /articles/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n10\r\n" + b'{"articles": [{"'
    )
    with served(app) as port:
        sockets = [socket.create_connection(("127.0.0.1", port), timeout=15) for _ in range(30)]
        try:
            started = time.monotonic()
            for n, sock in enumerate(sockets):
                sock.sendall(chunked if n % 3 == 0 else head + b'{"text": "half an arti')
            answers = [read_until_closed(sock) for sock in sockets]
            elapsed = time.monotonic() - started
        finally:
            for sock in sockets:
                sock.close()
        with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
            body = json.dumps({"text": ARTICLE}).encode()
            sock.sendall(head.replace(b"5000", str(len(body)).encode()) + body)
            whole = sock.recv(65_536)
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:300]
        assert b"connection: close" in answer.lower()
        assert b"CONFLICT_BODY_READ_TIMEOUT_S" in answer
    assert elapsed < 10, f"{len(sockets)} stalled requests took {elapsed:.1f} s to be closed"
    assert whole.startswith(b"HTTP/1.1 202 "), whole[:300]  # a whole body in time is taken
    anyio.run(http.aclose)


async def test_the_body_deadline_is_total_and_ends_with_the_body() -> None:
    received: list[str] = []

    async def reader(scope: Any, receive: Any, send: Any) -> None:
        while (message := await receive())["type"] == "http.request":
            received.append(message["type"])
            if not message.get("more_body"):
                break
        # After the body, a streamed response waits for the client's disconnect: no deadline.
        received.append((await receive())["type"])

    async def dribble() -> dict[str, Any]:
        await anyio.sleep(0.05)  # a byte every 50 ms: never idle, never done
        return {"type": "http.request", "body": b"a", "more_body": True}

    middleware = BodyReadTimeoutMiddleware(reader, timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(HTTPException) as refused:
        await middleware({"type": "http"}, dribble, None)  # type: ignore[arg-type]
    assert refused.value.status_code == 408
    assert refused.value.headers == {"Connection": "close"}
    assert 0.4 < time.monotonic() - started < 2
    assert len(received) > 3  # the dribbled chunks were passed on until the deadline

    messages = [
        {"type": "http.request", "body": b"whole", "more_body": False},
        {"type": "http.disconnect"},
    ]

    async def whole_then_late_disconnect() -> dict[str, Any]:
        if len(messages) == 1:
            await anyio.sleep(1.0)  # twice the deadline
        return messages.pop(0)

    received.clear()
    await BodyReadTimeoutMiddleware(reader, timeout_s=0.5)(
        {"type": "http"},  # type: ignore[arg-type]
        whole_then_late_disconnect,
        None,  # type: ignore[arg-type]
    )
    assert received == ["http.request", "http.disconnect"]


LLM_URL = "http://apiuser:s3cr3t@fake-llm.test/v1"
LLM_KEY = "sk-live-0123456789abcdef"


async def test_credentials_stay_out_of_logs_and_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    http = FakeLLM(script=seed_script).client()
    settings = make_settings(
        tmp_path, auth=True, log_level="DEBUG", llm_base_url=LLM_URL, llm_api_key=LLM_KEY
    )
    async with AsyncTestClient(app=create_app(settings, llm_http_client=http)) as client:
        token = store_of(client).create_key("ops", "admin").token
        admin = bearer(token)
        posted = await client.post("/articles?wait=10", json={"text": ARTICLE}, headers=admin)
        assert posted.status_code == 200, posted.text
        ready = await client.get("/ready")
        assert ready.json()["llm_base_url"] == "http://***@fake-llm.test/v1"
        answers = [posted, ready]
        for url in ("/runs", "/keys", f"/articles/{posted.json()['article_id']}"):
            answers.append(await client.get(url, headers=admin))
        structlog.get_logger("test").warning("a token in a message", value=f"Bearer {token}")
    await http.aclose()
    logged = capsys.readouterr().err
    # httpx logged its requests (URL included) at DEBUG, and the token line was written...
    assert "HTTP Request: POST http://***@fake-llm.test/v1/chat/completions" in logged
    assert f"Bearer {token[:10]}***" in logged
    # ...with no credential in them, nor in any answer.
    for text in [logged, *(answer.text for answer in answers)]:
        for secret in ("s3cr3t", "apiuser", LLM_KEY, token):
            assert secret not in text


def test_the_log_stream_masks_credentials_in_every_logger_and_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = "cx_" + "Tk9-_" * 8 + "end"
    for log_json in (False, True):
        configure_logging(make_settings(tmp_path, llm_api_key=LLM_KEY, log_json=log_json))
        logging.getLogger("httpx").warning("HTTP Request: GET %s/models", LLM_URL)
        structlog.get_logger("x").warning("sent", headers={"x-api-key": [token]}, key=LLM_KEY)
        try:
            raise ValueError(f"cannot reach {LLM_URL} with {token}")
        except ValueError:
            structlog.get_logger("x").exception("failed")
        logged = capsys.readouterr().err
        assert "GET http://***@fake-llm.test/v1/models" in logged
        assert logged.count(f"{token[:10]}***") == 2  # the dict value, the exception message
        for secret in ("s3cr3t", LLM_KEY, token):
            assert secret not in logged, (log_json, secret)
    configure_logging(make_settings(tmp_path))


def test_a_stored_internal_error_quotes_no_credentials() -> None:
    error = _internal(RuntimeError(f"POST {LLM_URL}/chat/completions refused"))
    assert error == (
        "internal error: RuntimeError: POST http://***@fake-llm.test/v1/chat/completions refused"
    )
