"""The worker cannot die: poison input, failing steps, broken endpoints and a locked database
each cost at most their own run, which says why; the queue drains and the next article extracts."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service.store.repository import Store
from tests.conftest import seed_script
from tests.fake_llm import Answer, event, facts
from tests.reliability.conftest import (
    BreakableLLM,
    assert_service_recovers,
    settled_runs,
)

POISON = "Rebels killed 99999999999999999999 civilians in Homs on Friday."


def store_of(client: AsyncTestClient[Any]) -> Store:
    store: Store = client.app.state.runtime.store
    return store


async def test_a_figure_too_large_for_the_store_is_dropped_and_counted(
    client: AsyncTestClient[Any], llm: BreakableLLM
) -> None:
    def script(sentence: str, attempt: int) -> Answer:
        return facts(
            events=[event("Attack", by=[("Rebels", "rebel group")], location="Homs")],
            figures=["killed"],
        )

    llm.fake.script = script
    answer = await client.post(
        "/articles?wait=10", content=POISON, headers={"content-type": "text/plain"}
    )
    assert answer.status_code == 200, answer.text
    run = answer.json()["run"]
    assert run["status"] == "succeeded", run
    assert answer.json()["article"]["figures"] == []
    assert run["dropped"] == 1
    assert "less than or equal to 10000000000" in run["dropped_detail"][0]["reason"]
    llm.fake.script = seed_script
    await assert_service_recovers(client, llm)


async def test_a_run_whose_records_cannot_be_stored_fails_and_the_worker_goes_on(
    client: AsyncTestClient[Any], llm: BreakableLLM
) -> None:
    store = store_of(client)
    real = store.finish_run

    def overflow(*args: Any) -> None:
        store.finish_run = real  # type: ignore[method-assign]
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    store.finish_run = overflow  # type: ignore[method-assign]
    answer = await client.post("/articles?wait=10", json={"text": POISON})
    run = answer.json()["run"]
    assert run["status"] == "failed"
    assert run["reason"] == "internal"
    assert run["error"] == (
        "the records could not be stored: internal error: OverflowError: "
        "Python int too large to convert to SQLite INTEGER"
    )
    assert run["attempts"] == 1  # a deterministic failure is not retried automatically
    await assert_service_recovers(client, llm)
    retried = (await client.post("/runs/retry")).json()
    assert retried == {"retried": 1, "run_ids": [run["id"]]}
    assert {r["status"] for r in await settled_runs(client)} == {"succeeded"}


async def test_a_crashed_worker_task_is_restarted_and_counted(
    client: AsyncTestClient[Any], llm: BreakableLLM
) -> None:
    store = store_of(client)
    real = store.claim_next_run

    def crash(*args: Any) -> Any:
        store.claim_next_run = real  # type: ignore[method-assign]
        raise RuntimeError("a bug in the loop itself")

    store.claim_next_run = crash  # type: ignore[method-assign]
    for _ in range(100):
        workers = (await client.get("/ready")).json()["workers"]
        if workers["workers"][0]["restarts"]:
            break
        await asyncio.sleep(0.05)
    assert workers["workers"][0]["restarts"] == 1
    await assert_service_recovers(client, llm)


@pytest.mark.parametrize(
    ("mode", "reason", "error"),
    [
        ("500", "poisoned", "LLM endpoint failed (HTTP 500)"),
        ("reset", "poisoned", "LLM endpoint failed (APIConnectionError)"),
        ("hang", "poisoned", "no complete answer within 0.5 s"),
        ("drip", "poisoned", "no complete answer within 0.5 s"),
        (
            "html",
            "llm_unusable",
            "the endpoint returned non-JSON (HTML or text) for 1 of 1 LLM calls",
        ),
        ("empty-choices", "llm_unusable", "the endpoint returned no choices for 1 of 1 LLM calls"),
    ],
)
async def test_a_broken_endpoint_fails_the_run_with_its_reason(
    client: AsyncTestClient[Any], llm: BreakableLLM, mode: str, reason: str, error: str
) -> None:
    llm.mode = mode
    started = time.monotonic()
    posted = await client.post("/articles", json={"text": POISON.replace("Homs", "Hama")})
    run_id = posted.json()["run"]["id"]
    [run] = await settled_runs(client)
    assert run["id"] == run_id
    assert run["status"] == "failed", run
    assert run["reason"] == reason, run
    assert error in run["error"], run
    assert "upstream exploded" not in run["error"]  # the upstream body is not republished
    if reason == "poisoned":
        assert run["attempts"] == 3
        assert run["error"].startswith("failed 3 times, parked")
    else:
        assert run["attempts"] == 1
        assert run["llm_calls_unusable"] == run["llm_calls"] > 0
    assert time.monotonic() - started < 15  # a hung or dripping endpoint cannot hold the queue
    await assert_service_recovers(client, llm)
    assert (await client.get(f"/runs?status=failed&reason={reason}")).json()["items"]


async def test_failed_runs_are_retried_in_bulk_by_filter(
    client: AsyncTestClient[Any], llm: BreakableLLM
) -> None:
    llm.mode = "500"
    texts = [POISON.replace("Homs", town) for town in ("Idlib", "Deir ez-Zor", "Raqqa")]
    answer = await client.post("/articles/batch", json={"articles": [{"text": t} for t in texts]})
    assert answer.status_code == 202
    runs = await settled_runs(client)
    assert [r["status"] for r in runs] == ["failed"] * 3
    llm.mode = "ok"
    only = runs[0]["article_id"]
    assert (await client.post(f"/runs/retry?article_id={only}")).json()["retried"] == 1
    assert (await client.post("/runs/retry?reason=internal")).json()["retried"] == 0
    assert (await client.post("/runs/retry?reason=poisoned")).json()["retried"] == 2
    assert {r["status"] for r in await settled_runs(client)} == {"succeeded"}
    assert (await client.post("/runs/retry?since=2000-01-01T00:00:00")).json()["retried"] == 0


def hold_write_lock(path: Path, seconds: float, locked: threading.Event) -> None:
    connection = sqlite3.connect(path, timeout=1)
    connection.execute("BEGIN IMMEDIATE")
    locked.set()
    time.sleep(seconds)
    connection.rollback()
    connection.close()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"database_busy_timeout_ms": 100, "database_retry_s": 20}


@pytest.mark.sqlite_only
async def test_a_held_write_lock_delays_the_run_and_answers_503_meanwhile(
    client: AsyncTestClient[Any], llm: BreakableLLM, tmp_path: Path
) -> None:
    gate = asyncio.Event()
    original = llm.handle

    async def slow_first_answer(request: Any) -> Any:
        await gate.wait()
        return await original(request)

    llm.handle = slow_first_answer  # type: ignore[method-assign]
    posted = await client.post("/articles", json={"text": POISON})
    run_id = posted.json()["run"]["id"]
    locked = threading.Event()
    holder = threading.Thread(
        target=hold_write_lock, args=(tmp_path / "test.db", 2.0, locked), daemon=True
    )
    holder.start()
    assert await asyncio.to_thread(locked.wait, 5)
    gate.set()  # the run finishes while the lock is held
    ready = await client.get("/ready")
    assert ready.status_code == 503
    assert ready.headers["retry-after"]
    assert ready.json()["database"].startswith("error: database is busy (locked by another writer)")
    refused = await client.post("/articles", json={"text": "Clashes in Tal Rifaat on Monday."})
    assert refused.status_code == 503, refused.text
    assert refused.headers["retry-after"]
    assert "database is locked" in refused.json()["error"]
    await asyncio.to_thread(holder.join, 10)
    [run] = await settled_runs(client)
    assert run["id"] == run_id and run["status"] == "succeeded", run
    llm.handle = original  # type: ignore[method-assign]
    await assert_service_recovers(client, llm)


async def test_absurd_token_counts_from_the_endpoint_cannot_poison_the_run(
    client: AsyncTestClient[Any], llm: BreakableLLM
) -> None:
    original = llm.handle

    async def huge_usage(request: Any) -> Any:
        answer = await original(request)
        if not request.url.path.endswith("/chat/completions"):
            return answer
        body = answer.json()
        body["usage"] = {"prompt_tokens": 10**30, "completion_tokens": -5, "total_tokens": "x"}
        return type(answer)(200, json=body)

    llm.handle = huge_usage  # type: ignore[method-assign]
    answer = await client.post("/articles?wait=10", json={"text": POISON})
    run = answer.json()["run"]
    assert run["status"] == "succeeded", run
    assert run["prompt_tokens"] == run["llm_calls"] * 10_000_000
    assert run["completion_tokens"] == 0
    llm.handle = original  # type: ignore[method-assign]
    await assert_service_recovers(client, llm)
