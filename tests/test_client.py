"""service.client against the app in-process (fake LLM): typed answers, lazy pages, streamed
exports, and error answers as exceptions."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from service.client import (
    AsyncClient,
    BadRequest,
    Client,
    LineSplitter,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
    Unavailable,
    UnsupportedMedia,
    error_for,
)
from service.store.read_models import Accepted, EventRead, RunRead
from tests.conftest import ARTICLE
from tests.inprocess import BASE_URL, async_transport_of, running_app, transport_of

HARASTA = ARTICLE.replace("Douma", "Harasta")
ARBIN = ARTICLE.replace("Douma", "Arbin")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient[Any]]:
    """One app for the module (starting one is slow): tests add articles, never assume none."""
    with running_app(tmp_path_factory.mktemp("client")) as test_client:
        yield test_client


@pytest.fixture
def api(app: TestClient[Any]) -> Iterator[Client]:
    with Client(BASE_URL, transport=transport_of(app)) as client:
        yield client


def test_post_wait_and_page_through_events(api: Client, app: TestClient[Any]) -> None:
    accepted = api.post_article(
        ARTICLE, title="Douma", url="https://x.test/a", source="Wire", wait=120
    )
    assert isinstance(accepted, Accepted)
    assert accepted.created and accepted.run is not None
    assert accepted.run.status == "succeeded"
    assert accepted.article is not None and accepted.article.title == "Douma"
    assert accepted.article.source == "Wire"

    later = api.post_article(HARASTA, published_date="2018-04-08")
    run = api.wait_for_run(later.run.id if later.run else 0, timeout=120, poll=0.05)
    assert isinstance(run, RunRead) and run.status == "succeeded"
    api.post_articles([ARBIN, {"text": ARBIN + " More.", "title": "Arbin 2"}], wait=120)

    events = list(api.list_events(page_size=1))  # one request per event, cursor followed
    expected = app.get("/events?limit=500").json()["items"]
    assert [e.id for e in events] == [e["id"] for e in expected]
    assert len(events) >= 4 and all(isinstance(e, EventRead) for e in events)
    assert [e.location for e in api.list_events(location="harasta")] == ["Harasta"]
    assert {e.article_id for e in api.list_events(article_id=1)} == {1}

    article = api.get_article(accepted.article_id)
    assert article.runs[0].status == "succeeded"
    assert [a.id for a in api.list_articles(page_size=2)] == [1, 2, 3, 4]
    assert all(r.status == "succeeded" for r in api.list_runs(status="succeeded", page_size=2))
    assert len(list(api.list_runs(article_id=2))) == 1
    assert next(api.list_figures(category="killed")).category == "killed"
    assert any(m.name == "Jaysh al-Islam" for m in api.list_actor_mentions(article_id=1))
    assert any("Jaysh al-Islam" in a.aliases for a in api.list_actors())
    assert list(api.list_event_clusters(min_articles=1, page_size=1))
    assert isinstance(list(api.list_campaigns()), list)
    assert isinstance(list(api.list_figure_groups(category="killed")), list)

    rerun = api.rerun(accepted.article_id, wait=120)
    assert rerun.run is not None and rerun.run.id != accepted.run.id
    assert api.retry_runs(article_id=1).retried == 0
    assert api.health().status == "ok"
    assert api.ready().status == "ok"


def test_export_streams_lines_equal_to_the_body(api: Client, app: TestClient[Any]) -> None:
    api.post_articles([ARTICLE, HARASTA], wait=120)
    lines = api.export_lines("events", "csv")
    first = next(lines)  # lazily: the header alone
    assert first.startswith("event_id_cnty,") or "," in first
    body = first + "".join(lines)
    assert body == app.get("/events.csv").text

    rows = list(api.export_rows("events", "csv"))
    assert rows == list(csv.DictReader(io.StringIO(app.get("/events.csv").text)))
    jsonl = list(api.export_rows("events", "jsonl", article_id=1))
    assert [row["id"] for row in jsonl] == [e.id for e in api.list_events(article_id=1)]
    lines_of_figures = list(api.export_lines("figures", category="killed"))
    assert all(json.loads(line)["category"] == "killed" for line in lines_of_figures)
    with pytest.raises(ValueError, match="no csv export of actors"):
        list(api.export_lines("actors", "csv"))


def test_errors_become_exceptions(api: Client) -> None:
    with pytest.raises(NotFound) as missing:
        api.get_article(999)
    assert missing.value.status_code == 404 and missing.value.request_id
    with pytest.raises(NotFound):
        api.get_run(42)
    with pytest.raises(BadRequest, match="text is empty") as empty:
        api.post_article("   ")
    assert empty.value.status_code == 400
    with pytest.raises(BadRequest, match="is after date_to"):
        list(api.list_events(date_from="2018-04-09", date_to="2018-04-01"))
    with pytest.raises(BadRequest, match="event_type"):
        list(api.export_lines("events", "csv", event_type="Nonsense"))
    with pytest.raises(PayloadTooLarge):
        api.post_article("x" * 6_000)


def test_error_mapping_and_retry_after() -> None:
    def answer(status: int, **kwargs: Any) -> httpx.Response:
        return httpx.Response(status, request=httpx.Request("GET", "http://x/"), **kwargs)

    body = {"status_code": 503, "error": "database is locked"}
    unavailable = error_for(answer(503, json=body, headers={"Retry-After": "7"}))
    assert isinstance(unavailable, Unavailable)
    assert unavailable.retry_after == 7.0 and unavailable.message == "database is locked"
    assert isinstance(error_for(answer(429)), RateLimited)
    assert isinstance(error_for(answer(401, text="no key")), Unauthorized)
    assert isinstance(error_for(answer(415, json={"error": "x"})), UnsupportedMedia)
    assert isinstance(error_for(answer(502, text="<html>bad gateway</html>")), ServerError)

    calls: list[httpx.Request] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            return httpx.Response(503, json=body, headers={"Retry-After": "0"})
        return httpx.Response(200, json={"status": "ok"})

    with Client("http://x", api_key="k3y", retries=1, transport=httpx.MockTransport(flaky)) as c:
        assert c.health().status == "ok"
    assert len(calls) == 2 and calls[0].headers["authorization"] == "Bearer k3y"
    with Client("http://x", transport=httpx.MockTransport(flaky)) as c:
        calls.clear()
        with pytest.raises(Unavailable):
            c.health()

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with (
        Client("http://x", transport=httpx.MockTransport(refused)) as c,
        pytest.raises(TransportError, match="connection refused"),
    ):
        c.health()


def test_line_splitter_keeps_line_ends() -> None:
    splitter = LineSplitter()
    chunks = ['a,"x\r', '\ny"\r\nb', "", "\nc"]
    lines = [line for chunk in chunks for line in splitter.feed(chunk)] + splitter.end()
    assert lines == ['a,"x\r\n', 'y"\r\n', "b\n", "c"]


async def test_async_client(app: TestClient[Any]) -> None:
    async with AsyncClient(BASE_URL, transport=async_transport_of(app)) as api:
        accepted = await api.post_article(ARTICLE, wait=120)
        assert accepted.run is not None
        run = await api.wait_for_run(accepted.run.id, poll=0.05)
        assert run.status == "succeeded"
        await api.post_articles([HARASTA], wait=120)
        events = [event async for event in api.list_events(page_size=1)]
        assert len(events) == len(app.get("/events?limit=500").json()["items"]) >= 2
        rows = [row async for row in api.export_rows("events", "csv")]
        assert rows == list(csv.DictReader(io.StringIO(app.get("/events.csv").text)))
        lines = [line async for line in api.export_lines("events", "jsonl")]
        assert "".join(lines) == app.get("/events.jsonl").text
        with pytest.raises(NotFound):
            await api.get_article(99)
        with pytest.raises(BadRequest, match="text is empty"):
            await api.post_article("")
        assert (await api.health()).status == "ok"
