"""Hostile requests get a 4xx naming the problem, store nothing, and leave the service working."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.reliability.conftest import BreakableLLM, assert_service_recovers

BIG = 2**63
DEEP = b'{"text": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"


def crafted_cursor(last_id: int) -> str:
    import base64

    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "names"),
    [
        ("GET", f"/articles/{BIG}", None, 400, "article_id"),
        ("GET", f"/runs/{BIG}", None, 400, "run_id"),
        ("GET", f"/actors/{BIG}", None, 400, "actor_id"),
        ("GET", f"/event-clusters/{BIG}", None, 400, "cluster_id"),
        ("POST", f"/articles/{BIG}/extract", None, 400, "article_id"),
        ("GET", f"/events?article_id={BIG}", None, 400, "article_id"),
        ("GET", f"/figures?event_id={BIG}", None, 400, "event_id"),
        ("GET", f"/events.csv?article_id={BIG}", None, 400, "article_id"),
        ("GET", f"/runs?article_id={BIG}", None, 400, "article_id"),
        ("GET", f"/events?cursor={crafted_cursor(BIG)}", None, 400, "cursor"),
        ("POST", "/articles", {"text": "Shelling in Homs\ud800 on Friday."}, 400, "U+D800"),
        ("POST", "/articles", {"text": "Shelling in Homs\x00 on Friday."}, 400, "U+0000"),
        # larger than one article may be: refused before it is parsed
        ("POST", "/articles", DEEP, 413, "Too Large"),
        ("POST", "/articles", b'{"text": "x", "title": ' + b"9" * 5000 + b"}", 400, "digits"),
        ("POST", "/articles", {"text": "Clashes in Idlib.", "published_date": 0}, 400, "date"),
    ],
)
async def test_hostile_request_is_a_4xx_and_the_service_goes_on(
    client: AsyncTestClient[Any],
    llm: BreakableLLM,
    method: str,
    url: str,
    body: Any,
    status: int,
    names: str,
) -> None:
    if isinstance(body, bytes):
        answer = await client.request(
            method, url, content=body, headers={"content-type": "application/json"}
        )
    elif isinstance(body, dict) and any("\ud800" in str(v) for v in body.values()):
        raw = b'{"text": "Shelling in Homs\\ud800 on Friday."}'
        answer = await client.request(
            method, url, content=raw, headers={"content-type": "application/json"}
        )
    else:
        answer = await client.request(method, url, json=body)
    assert answer.status_code == status, answer.text
    assert names in answer.json()["error"], answer.json()
    assert (await client.get("/articles")).json()["items"] == []
    await assert_service_recovers(client, llm)


async def test_a_bad_batch_item_stores_nothing(
    client: AsyncTestClient[Any], llm: BreakableLLM
) -> None:
    raw = (
        b'{"articles": [{"text": "Clashes in Idlib on Monday."}, '
        b'{"text": "Airstrikes on Douma on Tuesday."}, '
        b'{"text": "Shelling in Homs\\ud800 on Friday."}]}'
    )
    answer = await client.post(
        "/articles/batch", content=raw, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith("articles.2.text: ")
    assert (await client.get("/articles")).json()["items"] == []
    assert (await client.get("/runs")).json()["items"] == []
    await assert_service_recovers(client, llm)
