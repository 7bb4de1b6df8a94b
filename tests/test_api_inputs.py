"""Every bad input gets a 4xx that names the problem; filters and pagination behave."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import ARTICLE


@pytest.mark.parametrize(
    ("body", "headers", "status", "message"),
    [
        ({"text": ""}, None, 400, "text is empty"),
        ({"text": " \n\t "}, None, 400, "text is empty"),
        ({"title": "no text"}, None, 400, "text: Field required"),
        ({"text": "x", "colour": "red"}, None, 400, "colour: Extra inputs are not permitted"),
        ({"text": "x", "published_date": "yesterday"}, None, 400, "published_date"),
        ({"text": 42}, None, 400, "text: Input should be a valid string"),
        ({"text": "x" * 5_001}, None, 413, "the limit is 5000"),
        (b'{"text": "unterminated', {"content-type": "application/json"}, 400, "not valid JSON"),
        (b"[1, 2]", {"content-type": "application/json"}, 400, "must be a JSON object"),
        (b"some text", {"content-type": "application/xml"}, 415, "application/xml"),
        (b"some text", {"content-type": ""}, 415, "not supported"),
        (b"   ", {"content-type": "text/plain"}, 400, "text is empty"),
        (b"\xff\xfe", {"content-type": "text/plain"}, 400, "not UTF-8"),
    ],
)
async def test_bad_article_posts(
    client: AsyncTestClient[Any],
    body: Any,
    headers: dict[str, str] | None,
    status: int,
    message: str,
) -> None:
    if isinstance(body, bytes):
        answer = await client.post("/articles", content=body, headers=headers)
    else:
        answer = await client.post("/articles", json=body)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"]
    assert (await client.get("/articles")).json()["items"] == []  # nothing half-stored


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"articles": []}, 400, "articles: List should have at least 1 item"),
        ({"articles": [{"text": "ok"}, {"text": ""}]}, 400, "articles.1.text is empty"),
        ({"articles": [{"text": str(n)} for n in range(6)]}, 413, "the limit is 5"),
        ([{"text": "x"}], 400, "must be a JSON object"),
    ],
)
async def test_bad_batches(
    client: AsyncTestClient[Any], body: Any, status: int, message: str
) -> None:
    answer = await client.post("/articles/batch", json=body)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"]


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/articles/999", 404, "article 999 does not exist"),
        ("/runs/999", 404, "run 999 does not exist"),
        ("/articles/abc", 404, ""),
        ("/events?event_type=Nonsense", 400, "event_type"),
        ("/events?sub_event_type=Bombing", 400, "sub_event_type"),
        ("/events?date_from=yesterday", 400, "date_from"),
        ("/events?date_from=2018-04-09&date_to=2018-04-01", 400, "is after date_to"),
        ("/events?limit=0", 400, "limit"),
        ("/events?limit=501", 400, "limit"),
        ("/events?article_id=abc", 400, "article_id"),
        ("/events?cursor=!!!", 400, "cursor"),
        ("/actors?actor_type=warlord", 400, "actor_type"),
        ("/actor-mentions?actor_type=warlord", 400, "actor_type"),
        ("/actors?generic=maybe", 400, "generic"),
        ("/actors/0", 400, "actor_id: Expected `int` >= 1 (allowed: 1 to 9223372036854775807)"),
        ("/events?actor_id=0", 400, "actor_id"),
        ("/figures?category=many", 400, "category"),
        ("/figures?qualifier=roughly", 400, "qualifier"),
    ],
)
async def test_bad_reads(client: AsyncTestClient[Any], url: str, status: int, message: str) -> None:
    answer = await client.get(url)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"]


async def test_bad_wait_and_unknown_rerun(client: AsyncTestClient[Any]) -> None:
    answer = await client.post("/articles?wait=abc", json={"text": ARTICLE})
    assert answer.status_code == 400 and "wait" in answer.json()["error"]
    answer = await client.post("/articles/12345/extract")
    assert answer.status_code == 404
    assert "article 12345 does not exist" in answer.json()["error"]


async def test_filters_and_cursor_pagination(client: AsyncTestClient[Any]) -> None:
    texts = [ARTICLE, ARTICLE.replace("Douma", "Harasta"), ARTICLE.replace("Douma", "Arbin")]
    batch = await client.post(
        "/articles/batch?wait=20", json={"articles": [{"text": t} for t in texts]}
    )
    assert batch.status_code == 200, batch.text
    first_article = batch.json()["items"][0]["article_id"]

    seen: list[int] = []
    url = "/events?limit=2"
    pages = 0
    while True:
        page = (await client.get(url)).json()
        seen.extend(e["id"] for e in page["items"])
        pages += 1
        if page["next_cursor"] is None:
            break
        url = f"/events?limit=2&cursor={page['next_cursor']}"
    assert (pages, len(seen)) == (3, 6) and seen == sorted(set(seen))

    async def ids(query: str) -> list[int]:
        answer = await client.get(f"/events?{query}")
        assert answer.status_code == 200, answer.text
        return [e["id"] for e in answer.json()["items"]]

    assert len(await ids("sub_event_type=Air/drone strike")) == 3
    assert len(await ids("event_type=Explosions/Remote violence")) == 6
    assert len(await ids("location=harasta")) == 1
    assert len(await ids("actor=jaysh")) == 3
    assert len(await ids(f"article_id={first_article}")) == 2
    assert len(await ids("date_from=2018-04-07&date_to=2018-04-07")) == 3
    assert len(await ids("date_to=2018-04-06")) == 3
    assert len(await ids("reported_by=observatory")) == 3

    figures = (await client.get("/figures?category=killed&qualifier=at_least")).json()["items"]
    assert len(figures) == 3 and all(f["low"] == 40 for f in figures)
    actors = (await client.get("/actors?actor_type=rebel group")).json()["items"]
    assert {a["name"] for a in actors} == {"Jaysh al-Islam"}
    observatory = (await client.get("/actors?name=observatory")).json()["items"]
    assert [(a["mention_count"], a["article_count"]) for a in observatory] == [(3, 3)]
    mentions = (await client.get("/actor-mentions?name=observatory")).json()["items"]
    assert len(mentions) == 3 and {m["canonical_id"] for m in mentions} == {observatory[0]["id"]}
    jaysh = actors[0]["id"]
    assert await ids(f"actor_id={jaysh}") == await ids("actor=jaysh")
    articles = (await client.get("/articles?limit=2")).json()
    assert len(articles["items"]) == 2 and articles["next_cursor"]
    assert articles["items"][0]["latest_run"]["status"] == "succeeded"
