"""The HTTP edge never answers a 5xx for a bad request, and every error has the documented shape:
ids out of range, characters UTF-8 cannot carry, hostile JSON, a busy database, wrong methods."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy.exc import OperationalError

from service.api.errors import ErrorBody
from tests.conftest import ARTICLE

TOO_BIG = 2**63
ALLOWED = "(allowed: 1 to 9223372036854775807)"
JSON = {"content-type": "application/json"}


def error_of(answer: Any, status: int) -> ErrorBody:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) <= {"status_code", "error", "detail"}
    error = ErrorBody.model_validate(body)
    assert error.status_code == status
    return error


async def post_json(client: AsyncTestClient[Any], url: str, body: Any) -> Any:
    # json.dumps escapes a lone surrogate as \ud800: valid JSON that decodes to an invalid str
    return await client.post(url, content=json.dumps(body).encode(), headers=JSON)


@pytest.mark.parametrize(
    ("method", "url", "name"),
    [
        ("GET", "/articles/{}", "article_id"),
        ("GET", "/articles/{}/view", "article_id"),
        ("POST", "/articles/{}/extract", "article_id"),
        ("GET", "/runs/{}", "run_id"),
        ("GET", "/actors/{}", "actor_id"),
        ("GET", "/event-clusters/{}", "cluster_id"),
    ],
)
@pytest.mark.parametrize("value", [TOO_BIG, 10**30, 0])
async def test_path_ids_out_of_range(
    client: AsyncTestClient[Any], method: str, url: str, name: str, value: int
) -> None:
    answer = await client.request(method, url.format(value))
    error = error_of(answer, 400)
    assert error.error.startswith(f"{name}: ") and ALLOWED in error.error


@pytest.mark.parametrize(
    "url",
    [
        "/events?article_id={}",
        "/events?run_id={}",
        "/events?actor_id={}",
        "/figures?event_id={}",
        "/figures?run_id={}",
        "/actor-mentions?article_id={}",
        "/actors?article_id={}",
        "/event-clusters?article_id={}",
        "/event-clusters?actor_id={}",
        "/figure-groups?cluster_id={}",
        "/events.csv?article_id={}",
        "/figures.jsonl?event_id={}",
    ],
)
async def test_query_ids_out_of_range(client: AsyncTestClient[Any], url: str) -> None:
    name = url.split("?")[1].split("=")[0]
    error = error_of(await client.get(url.format(TOO_BIG)), 400)
    assert error.error.startswith(f"{name}: ") and ALLOWED in error.error
    assert (await client.get(url.format(TOO_BIG - 1))).status_code == 200


@pytest.mark.parametrize(
    ("url", "body", "field", "character", "offset"),
    [
        ("/articles", {"text": "ab\ud800cd"}, "text", "U+D800", 2),
        ("/articles", {"text": "ok", "title": "\udfff title"}, "title", "U+DFFF", 0),
        ("/articles", {"text": "a\x00b"}, "text", "U+0000", 1),
        ("/articles", {"text": "ok", "url": "https://x.org/\x1b"}, "url", "U+001B", 14),
        ("/articles", {"text": "ok", "source": "\x85"}, "source", "U+0085", 0),
        ("/articles/batch", {"articles": [{"text": "ok"}, {"text": "x\ud800"}]}, "articles.1.text",
         "U+D800", 1),
    ],
)  # fmt: skip
async def test_characters_utf8_cannot_carry(
    client: AsyncTestClient[Any],
    url: str,
    body: Any,
    field: str,
    character: str,
    offset: int,
) -> None:
    error = error_of(await post_json(client, url, body), 400)
    assert error.detail == {"field": field, "character": character, "offset": offset}
    assert f"{field}: character {character} at offset {offset}" in error.error
    assert (await client.get("/articles")).json()["items"] == []


async def test_plain_text_control_characters(client: AsyncTestClient[Any]) -> None:
    plain = {"content-type": "text/plain"}
    answer = await client.post("/articles", content=b"some\x00text", headers=plain)
    assert error_of(answer, 400).detail == {"field": "text", "character": "U+0000", "offset": 4}
    answer = await client.post("/articles", content=b"a\xed\xa0\x80b", headers=plain)
    assert "not UTF-8" in error_of(answer, 400).error  # a surrogate encoded as bytes
    ok = await client.post("/articles", content=b"line one\r\n\tline two", headers=plain)
    assert ok.status_code in (200, 202), ok.text


async def test_deep_json_is_refused_before_parsing(client: AsyncTestClient[Any]) -> None:
    # Under the single-article body limit (CONFLICT_MAX_ARTICLE_CHARS 5,000: ~95 KB).
    for deep in (b"[" * 40_000 + b"]" * 40_000, b'{"text": ' + b'{"a": ' * 12_000 + b"1"):
        started = time.perf_counter()
        answer = await client.post("/articles", content=deep, headers=JSON)
        assert "nested deeper than 32" in error_of(answer, 400).error
        assert time.perf_counter() - started < 1.0
    brackets_in_text = {"text": "[" * 100 + " {" * 100}
    assert (await post_json(client, "/articles", brackets_in_text)).status_code in (200, 202)


async def test_huge_numbers(client: AsyncTestClient[Any]) -> None:
    answer = await client.post(
        "/articles", content=b'{"text": ' + b"7" * 5_000 + b"}", headers=JSON
    )
    assert "more than 4300 digits" in error_of(answer, 400).error
    answer = await post_json(client, "/articles/batch", {"articles": [{"text": 10**100}]})
    assert "articles.0.text: Input should be a valid string" in error_of(answer, 400).error


@pytest.mark.parametrize("value", [0, 1523145600, True, 2018.04, ["2018-04-08"], "08/04/2018"])
async def test_published_date_only_as_iso_string(client: AsyncTestClient[Any], value: Any) -> None:
    answer = await post_json(client, "/articles", {"text": "x", "published_date": value})
    assert "published_date: Value error, must be an ISO date string" in error_of(answer, 400).error


async def test_published_date_iso_string(client: AsyncTestClient[Any]) -> None:
    answer = await post_json(
        client, "/articles?wait=5", {"text": "x", "published_date": "2018-04-08"}
    )
    assert answer.status_code == 200, answer.text
    article = (await client.get(answer.headers["location"])).json()
    assert article["published_date"] == "2018-04-08"


@pytest.mark.parametrize(
    ("method", "url", "allow"),
    [
        ("PUT", "/articles/1", {"DELETE", "GET", "OPTIONS", "PATCH"}),
        ("PUT", "/articles", {"GET", "POST", "OPTIONS"}),
        ("GET", "/articles/batch", {"POST", "OPTIONS"}),
        ("PATCH", "/events", {"GET", "OPTIONS"}),
    ],
)
async def test_method_not_allowed_names_the_allowed(
    client: AsyncTestClient[Any], method: str, url: str, allow: set[str]
) -> None:
    answer = await client.request(method, url)
    error_of(answer, 405)
    assert set(answer.headers["allow"].split(", ")) == allow
    options = await client.options(url)
    assert options.status_code == 204 and set(options.headers["allow"].split(", ")) == allow


@pytest.mark.sqlite_only
async def test_a_read_only_database_is_503(tmp_path: Path) -> None:
    """The engine turns the driver's error into a domain error; the service still starts."""
    from litestar.testing import AsyncTestClient as Client

    from service.app import create_app
    from service.store.database import create_db_engine
    from tests.conftest import make_settings
    from tests.fake_llm import FakeLLM

    create_db_engine(f"sqlite:///{tmp_path / 'test.db'}").dispose()
    read_only = f"sqlite:///file:{tmp_path / 'test.db'}?mode=ro&uri=true"
    http = FakeLLM().client()
    app = create_app(make_settings(tmp_path, database_url=read_only), llm_http_client=http)
    async with Client(app=app) as client:
        answer = await client.post("/articles", json={"text": ARTICLE})
        assert error_of(answer, 503).error.startswith("database is read-only")
        assert answer.headers["retry-after"] == "30"
        ready = await client.get("/ready")
        assert ready.status_code == 503 and ready.headers["retry-after"]
        assert ready.json()["database"].startswith("error: database is read-only")
        assert (await client.get("/articles")).status_code == 200  # reads still served
    await http.aclose()


async def test_other_database_errors_stay_500(
    client: AsyncTestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any) -> None:
        raise OperationalError("SELECT ...", {}, sqlite3.OperationalError("no such table: run"))

    monkeypatch.setattr(client.app.state.runtime.store, "get_run", broken)
    answer = await client.get("/runs/1")
    assert error_of(answer, 500).error == "internal error; it has been logged"
    assert "retry-after" not in answer.headers


@pytest.mark.sqlite_only
async def test_a_real_write_lock_is_503(client: AsyncTestClient[Any], tmp_path: Path) -> None:
    holder = sqlite3.connect(tmp_path / "test.db", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        answer = await client.post("/articles", json={"text": ARTICLE})  # waits busy_timeout
        assert error_of(answer, 503).error.startswith("database is busy")
        assert answer.headers["retry-after"] == "1"
    finally:
        holder.close()
    assert (await client.post("/articles", json={"text": ARTICLE})).status_code in (200, 202)


def test_every_error_response_is_documented_as_error_body(tmp_path: Path) -> None:
    from service.app import create_app
    from tests.conftest import make_settings

    document = create_app(make_settings(tmp_path)).openapi_schema.to_schema()
    assert "ErrorBody" in document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            has_input = bool(operation.get("parameters") or operation.get("requestBody"))
            statuses = set(operation["responses"])
            assert ("400" in statuses) == has_input, (method, path)
            assert ("404" in statuses) == ("{" in path), (method, path)
            if "requestBody" in operation:
                assert {"408", "413", "415"} <= statuses, (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and path != "/ready":
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path)


@pytest.mark.parametrize("value", ["1.0", "1e0", "one"])
async def test_integer_parameters_are_written_as_integers(
    client: AsyncTestClient[Any], value: str
) -> None:
    for url in (f"/figures.jsonl?run_id={value}", f"/events?article_id={value}&limit=5"):
        answer = await client.get(url)
        assert answer.status_code == 400, (url, answer.text)
    assert (await client.get("/events?limit=10")).status_code == 200


async def test_a_nul_in_a_text_filter_is_a_400_before_any_export_starts(
    client: AsyncTestClient[Any],
) -> None:
    for url in ("/events.csv?actor=%00", "/events.jsonl?location=a%00b", "/events?actor=%00"):
        answer = await client.get(url)
        assert answer.status_code == 400, (url, answer.text)
        assert "U+0000" in answer.json()["error"]
