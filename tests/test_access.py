"""Who may write: API keys and scopes, the write quota, the queue bound, cross-site writes,
allowed hosts, security headers, body limits per route and the keys CLI."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service.__main__ import main
from service.app import create_app
from service.store.repository import Store
from tests.conftest import ARTICLE, make_settings
from tests.fake_llm import FakeLLM


@asynccontextmanager
async def service(
    tmp_path: Path, workers: bool = True, **overrides: Any
) -> AsyncIterator[AsyncTestClient[Any]]:
    http = FakeLLM().client()
    app = create_app(make_settings(tmp_path, **overrides), llm_http_client=http, workers=workers)
    async with AsyncTestClient(app=app) as client:
        yield client
    await http.aclose()


def store_of(client: AsyncTestClient[Any]) -> Store:
    store: Store = client.app.state.runtime.store
    return store


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def tokens(client: AsyncTestClient[Any]) -> dict[str, str]:
    store = store_of(client)
    return {
        scope: store.create_key(f"{scope} key", scope).token for scope in ("read", "write", "admin")
    }


async def test_each_operation_needs_its_scope(tmp_path: Path) -> None:
    async with service(tmp_path, workers=False, auth=True) as client:
        keys = tokens(client)
        # No key: 401 with WWW-Authenticate, naming the scope.
        answer = await client.get("/articles")
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert answer.json()["detail"] == {"needed": "read"}
        # An unknown key is 401 even on a public route.
        assert (await client.get("/events", headers=bearer("cx_nope"))).status_code == 401
        assert (await client.get("/health", headers=bearer("cx_nope"))).status_code == 401
        # Liveness, readiness and the OpenAPI document stay public.
        for path in ("/health", "/ready", "/schema/openapi.json"):
            assert (await client.get(path)).status_code in (200, 503), path

        # read: reads only.
        assert (await client.get("/articles", headers=bearer(keys["read"]))).status_code == 200
        answer = await client.post(
            "/articles", json={"text": ARTICLE}, headers=bearer(keys["read"])
        )
        assert answer.status_code == 403
        assert answer.json()["detail"]["needed"] == "write"
        assert "needs scope write" in answer.json()["error"]

        # write (as Bearer or X-API-Key): posts and re-runs, not deletes or bulk retries.
        answer = await client.post(
            "/articles", json={"text": ARTICLE}, headers={"x-api-key": keys["write"]}
        )
        assert answer.status_code == 202, answer.text
        article_id = answer.json()["article_id"]
        rerun = await client.post(f"/articles/{article_id}/extract", headers=bearer(keys["write"]))
        assert rerun.status_code == 202
        for method, path in (
            ("DELETE", f"/articles/{article_id}"),
            ("POST", "/runs/retry"),
            ("GET", "/keys"),
        ):
            answer = await client.request(method, path, headers=bearer(keys["write"]))
            assert answer.status_code == 403, (method, path)
            assert answer.json()["detail"]["needed"] == "admin"

        # admin: everything.
        assert (await client.post("/runs/retry", headers=bearer(keys["admin"]))).status_code == 200
        assert (await client.get("/articles", headers=bearer(keys["admin"]))).status_code == 200
        answer = await client.delete(f"/articles/{article_id}", headers=bearer(keys["admin"]))
        assert answer.status_code == 204


async def test_keys_are_managed_by_admin_and_revoked_keys_are_refused(tmp_path: Path) -> None:
    async with service(tmp_path, workers=False, auth=True) as client:
        admin = bearer(tokens(client)["admin"])
        answer = await client.post(
            "/keys", json={"name": "ingest bot", "scope": "write"}, headers=admin
        )
        assert answer.status_code == 201, answer.text
        created = answer.json()
        token = created["token"]
        assert (
            token.startswith(created["prefix"]) and created["scopes"]
            if "scopes" in created
            else True
        )
        assert created["revoked_at"] is None and created["last_used_at"] is None
        assert (await client.get("/articles", headers=bearer(token))).status_code == 200

        listed = (await client.get("/keys", headers=admin)).json()
        mine = next(k for k in listed if k["id"] == created["id"])
        assert "token" not in mine and "token_hash" not in mine
        assert mine["last_used_at"] is not None and mine["scope"] == "write"
        # Only the hash is stored.
        assert token not in str(store_of(client).list_keys())

        answer = await client.delete(f"/keys/{created['id']}", headers=admin)
        assert answer.status_code == 200 and answer.json()["revoked_at"] is not None
        answer = await client.get("/articles", headers=bearer(token))
        assert answer.status_code == 401 and "revoked" in answer.json()["error"]
        assert (await client.delete("/keys/999", headers=admin)).status_code == 404
        bad = await client.post("/keys", json={"name": "x", "scope": "root"}, headers=admin)
        assert bad.status_code == 400


async def test_public_reads_serve_gets_without_a_key_but_not_writes(tmp_path: Path) -> None:
    async with service(tmp_path, workers=False, auth=True, public_reads=True) as client:
        assert (await client.get("/articles")).status_code == 200
        assert (await client.get("/events.csv")).status_code == 200
        assert (await client.get("/keys")).status_code == 401  # admin stays closed
        assert (await client.post("/articles", json={"text": ARTICLE})).status_code == 401


async def test_auth_off_serves_everything_without_a_key(client: AsyncTestClient[Any]) -> None:
    assert (await client.get("/keys")).status_code == 200
    answer = await client.post("/articles", json={"text": ARTICLE})
    assert answer.status_code == 202


async def test_openapi_declares_the_schemes_and_each_operations_scope(tmp_path: Path) -> None:
    async with service(tmp_path, workers=False, auth=True, public_reads=True) as client:
        document = (await client.get("/schema/openapi.json")).json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["bearerAuth"]["description"],
    }
    assert (schemes["apiKeyHeader"]["in"], schemes["apiKeyHeader"]["name"]) == (
        "header",
        "X-API-Key",
    )
    security = {
        (path, method): operation.get("security")
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    write = [{"bearerAuth": ["write"]}, {"apiKeyHeader": ["write"]}]
    admin = [{"bearerAuth": ["admin"]}, {"apiKeyHeader": ["admin"]}]
    assert security[("/articles", "post")] == write
    assert security[("/articles/batch", "post")] == write
    assert security[("/articles/{article_id}", "patch")] == write
    assert security[("/articles/{article_id}/extract", "post")] == write
    assert security[("/articles/{article_id}", "delete")] == admin
    assert security[("/runs/retry", "post")] == admin
    assert security[("/keys", "post")] == admin
    assert security[("/articles", "get")] is None  # public reads
    assert security[("/health", "get")] is None and security[("/ready", "get")] is None

    async with service(tmp_path / "closed", workers=False, auth=True) as client:
        document = (await client.get("/schema/openapi.json")).json()
    read = [{"bearerAuth": ["read"]}, {"apiKeyHeader": ["read"]}]
    assert document["paths"]["/events"]["get"]["security"] == read
    assert document["paths"]["/health"]["get"].get("security") is None


async def test_writes_over_the_quota_get_429_per_key(tmp_path: Path) -> None:
    async with service(tmp_path, workers=False, auth=True, write_rate_limit="2/minute") as client:
        first, second = (store_of(client).create_key(n, "write").token for n in ("first", "second"))
        for n in range(2):
            answer = await client.post(
                "/articles", json={"text": f"{ARTICLE} {n}"}, headers=bearer(first)
            )
            assert answer.status_code == 202
        answer = await client.post("/articles", json={"text": ARTICLE}, headers=bearer(first))
        assert answer.status_code == 429
        assert 1 <= int(answer.headers["retry-after"]) <= 60
        assert "CONFLICT_WRITE_RATE_LIMIT" in answer.json()["error"]
        # Reads are not counted; another key has its own quota.
        assert (await client.get("/articles", headers=bearer(first))).status_code == 200
        answer = await client.post("/articles", json={"text": ARTICLE}, headers=bearer(second))
        assert answer.status_code == 202


async def test_a_full_queue_answers_503_and_counts_a_batch_whole(tmp_path: Path) -> None:
    async with service(tmp_path, workers=False, max_queue_depth=3) as client:
        for n in range(2):
            answer = await client.post("/articles", json={"text": f"{ARTICLE} {n}"})
            assert answer.status_code == 202
        batch = {"articles": [{"text": f"{ARTICLE} batch {n}"} for n in range(2)]}
        answer = await client.post("/articles/batch", json=batch)
        assert answer.status_code == 503
        assert int(answer.headers["retry-after"]) > 0
        assert "CONFLICT_MAX_QUEUE_DEPTH" in answer.json()["error"]
        # Nothing of the batch was stored; a single article still fits.
        assert len((await client.get("/articles")).json()["items"]) == 2
        assert (await client.post("/articles", json={"text": ARTICLE})).status_code == 202
        assert (await client.post("/articles", json={"text": f"{ARTICLE} more"})).status_code == 503
        # A re-post of a known text needs no room.
        assert (await client.post("/articles", json={"text": ARTICLE})).status_code == 200


async def test_a_rerun_while_one_is_pending_returns_the_pending_run(tmp_path: Path) -> None:
    async with service(tmp_path, workers=False) as client:
        posted = (await client.post("/articles", json={"text": ARTICLE})).json()
        first = await client.post(f"/articles/{posted['article_id']}/extract")
        second = await client.post(f"/articles/{posted['article_id']}/extract")
        assert first.json()["run"]["id"] == second.json()["run"]["id"] == posted["run"]["id"]
        runs = (await client.get(f"/runs?article_id={posted['article_id']}")).json()["items"]
        assert len(runs) == 1


CROSS_SITE = {"content-type": "text/plain", "origin": "https://evil.example"}


async def test_a_cross_site_text_plain_write_without_a_key_is_refused(
    client: AsyncTestClient[Any],
) -> None:
    answer = await client.post("/articles", content=ARTICLE, headers=CROSS_SITE)
    assert answer.status_code == 403
    assert "must be JSON" in answer.json()["error"]
    for path in ("/runs/retry", "/articles/1/extract"):  # a form post, no body type
        answer = await client.post(path, headers={"origin": "https://evil.example"})
        assert answer.status_code == 403, path
    answer = await client.post(
        "/articles", content=ARTICLE, headers={**CROSS_SITE, "origin": "null"}
    )
    assert answer.status_code == 403
    assert (await client.get("/articles")).json()["items"] == []
    # Same origin, no Origin (curl, scripts) and JSON are taken.
    same = {"content-type": "text/plain", "origin": "http://testserver.local"}
    assert (await client.post("/articles", content=ARTICLE, headers=same)).status_code == 202
    plain = {"content-type": "text/plain"}
    assert (
        await client.post("/articles", content=ARTICLE + " 2", headers=plain)
    ).status_code == 202
    answer = await client.post(
        "/articles", json={"text": ARTICLE + " 3"}, headers={"origin": "https://evil.example"}
    )
    assert answer.status_code == 202


async def test_a_cross_site_text_plain_write_with_a_key_is_taken(tmp_path: Path) -> None:
    async with service(tmp_path, workers=False, auth=True) as client:
        token = store_of(client).create_key("w", "write").token
        answer = await client.post(
            "/articles", content=ARTICLE, headers={**CROSS_SITE, **bearer(token)}
        )
        assert answer.status_code == 202


async def test_a_foreign_host_is_refused(tmp_path: Path) -> None:
    async with service(
        tmp_path, workers=False, allowed_hosts="testserver.local,api.example.org"
    ) as client:
        assert (await client.get("/health", headers={"host": "evil.example"})).status_code == 400
        assert (await client.get("/health", headers={"host": "api.example.org"})).status_code == 200
        assert (await client.get("/health", headers={"host": "localhost:8000"})).status_code == 200
        assert (await client.get("/health", headers={"host": "127.0.0.1"})).status_code == 200


def test_the_default_hosts_are_loopback_and_the_configured_host(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, host="10.0.0.5", port=9000, allowed_hosts="")
    assert set(settings.host_allowlist) == {
        "localhost",
        "localhost:9000",
        "127.0.0.1",
        "127.0.0.1:9000",
        "[::1]",
        "[::1]:9000",
        "10.0.0.5",
        "10.0.0.5:9000",
    }


async def test_body_limits_are_sized_to_each_route(client: AsyncTestClient[Any]) -> None:
    # make_settings: 5,000 characters an article (~95 KB a request), 5 articles a batch.
    json = {"content-type": "application/json"}
    big = b'{"text": "' + b"a" * 120_000 + b'"}'
    answer = await client.post("/articles", content=big, headers=json)
    assert answer.status_code == 413
    # The same bytes are under a batch's limit: refused for what they say, not their size.
    answer = await client.post("/articles/batch", content=big, headers=json)
    assert answer.status_code == 400
    answer = await client.patch(
        "/articles/1", content=b'{"title": "' + b"t" * 20_000 + b'"}', headers=json
    )
    assert answer.status_code == 413
    answer = await client.post("/keys", content=b'{"name": "' + b"n" * 5_000 + b'"}', headers=json)
    assert answer.status_code == 413


def _sha256(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


async def test_security_headers_and_the_view_page_policy(client: AsyncTestClient[Any]) -> None:
    answer = await client.post("/articles?wait=10", json={"text": ARTICLE})
    page = await client.get(f"/articles/{answer.json()['article_id']}/view")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
    [script] = re.findall(r"<script>(.*?)</script>", page.text, re.S)
    [style] = re.findall(r"<style>(.*?)</style>", page.text, re.S)
    assert f"script-src 'self' {_sha256(script)}" in policy
    assert f"style-src 'self' {_sha256(style)}" in policy
    for response in (page, await client.get("/articles"), await client.get("/articles/99")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
    docs = await client.get("/schema")
    assert docs.status_code == 200
    policy = docs.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "'sha256-" in policy


def test_the_keys_cli_creates_lists_and_revokes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = make_settings(tmp_path).database_url
    monkeypatch.setenv("CONFLICT_DATABASE_URL", url)
    main(["keys", "create", "--name", "nightly import", "--scope", "write"])
    out = capsys.readouterr().out
    token = re.search(r"token \(shown once, store it now\): (cx_\S+)", out)
    assert token is not None and "created API key 1 (nightly import, scope write)" in out
    main(["keys", "list"])
    listed = capsys.readouterr().out
    assert "nightly import" in listed and "active" in listed and token.group(1) not in listed
    main(["keys", "revoke", "1"])
    assert "revoked API key 1" in capsys.readouterr().out
    main(["keys", "list"])
    assert "revoked 20" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["keys", "revoke", "7"])
    assert exit_.value.code == 1
    with pytest.raises(SystemExit):
        main(["keys", "create", "--name", "x", "--scope", "root"])


def test_an_open_service_on_a_public_address_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CONFLICT_DATABASE_URL", make_settings(tmp_path).database_url)
    monkeypatch.setenv("CONFLICT_HOST", "0.0.0.0")
    with pytest.raises(SystemExit) as exit_:
        main(["api"])
    assert exit_.value.code == 2
    assert "CONFLICT_ALLOW_OPEN=true" in capsys.readouterr().err
    started: list[Any] = []
    monkeypatch.setattr("service.__main__.uvicorn.run", lambda *a, **k: started.append(k))
    for variable in ("CONFLICT_AUTH", "CONFLICT_ALLOW_OPEN"):
        monkeypatch.setenv(variable, "true")
        main(["api"])
        monkeypatch.delenv(variable)
    assert [k["host"] for k in started] == ["0.0.0.0", "0.0.0.0"]


async def test_with_keys_every_closed_operation_documents_401_and_403(tmp_path: Path) -> None:
    async with service(tmp_path, workers=False, auth=True) as client:
        document = (await client.get("/schema/openapi.json")).json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            closed = operation.get("security") is not None
            assert closed == (path not in ("/health", "/ready")), (method, path)
            if closed:
                assert {"401", "403"} <= set(operation["responses"]), (method, path)


async def test_without_auth_writes_are_not_counted(tmp_path: Path) -> None:
    async with service(tmp_path, workers=False, write_rate_limit="1/minute") as client:
        for n in range(3):
            answer = await client.post("/articles", json={"text": f"{ARTICLE} {n}"})
            assert answer.status_code == 202
