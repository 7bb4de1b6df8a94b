"""Stopping workers in the middle of a store step: a thread cannot be cancelled, so the stop
waits until the step has given its connection back; disposing of the engine then closes every
connection (one left checked out would be garbage collected unclosed)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio.to_thread

from service.extraction.pipeline import ExtractionPipeline
from service.extraction.prompts import load_prompt
from service.store.database import create_db_engine
from service.store.repository import Store
from service.store.runs import ArticleInput
from service.worker import ExtractionWorkers
from tests.conftest import DEFAULT_PROMPT, make_settings

PAUSE_S = 0.3


class Gate:
    """Holds a store step in its thread until opened."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()

    def hold(self, step: Callable[..., Any]) -> Callable[..., Any]:
        def held(*args: Any) -> Any:
            self.entered.set()
            self.opened.wait(30)
            return step(*args)

        return held


async def _waits_for_the_step(gate: Gate, stop: Awaitable[None], store: Store) -> None:
    assert await anyio.to_thread.run_sync(gate.entered.wait, 30)
    stopping = asyncio.ensure_future(stop)
    try:
        await asyncio.sleep(PAUSE_S)
        assert not stopping.done(), "stopped while a store step still held its connection"
    finally:
        gate.opened.set()
    await asyncio.wait_for(stopping, 30)
    assert store.engine.pool.checkedout() == 0
    store.engine.dispose()


async def test_stopping_the_workers_waits_for_a_claim_in_its_thread(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    store = Store(create_db_engine(settings.database_url))
    gate = Gate()
    store.claim_next_run = gate.hold(store.claim_next_run)  # type: ignore[method-assign]

    def no_pipeline(prompt_version: str) -> ExtractionPipeline:
        raise AssertionError("nothing is queued")

    workers = ExtractionWorkers(store, no_pipeline, settings)
    await workers.start()
    await _waits_for_the_step(gate, workers.stop(), store)


async def test_cancelling_a_run_waits_for_its_lease_renewal_in_its_thread(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, run_heartbeat_s=0.01)
    store = Store(create_db_engine(settings.database_url))
    store.ingest(ArticleInput(text="Clashes in Idlib on Monday."), "fake-model", DEFAULT_PROMPT)
    claim = store.claim_next_run("fake-model", "w1", settings.run_lease_s, 3)
    assert claim is not None
    gate = Gate()
    store.renew_lease = gate.hold(store.renew_lease)  # type: ignore[method-assign]

    async def never(*args: Any, **kwargs: Any) -> Any:
        await asyncio.Event().wait()

    pipeline = ExtractionPipeline(never, load_prompt(DEFAULT_PROMPT))
    workers = ExtractionWorkers(store, lambda _: pipeline, settings, count=0)
    run = asyncio.ensure_future(workers.process(claim))

    async def cancel() -> None:
        run.cancel()
        await asyncio.wait([run])

    await _waits_for_the_step(gate, cancel(), store)
    assert run.cancelled()


async def test_stop_ends_a_worker_whose_cancellation_was_swallowed(tmp_path: Path) -> None:
    """On Python 3.11 asyncio.wait_for could swallow the cancel that stop() sends when it came
    as its timeout fired; the worker then polled on and stop() waited forever (seen as a test
    run hanging in the app's shutdown). Whatever swallows the cancel, stop() ends the loop."""
    settings = make_settings(tmp_path)
    store = Store(create_db_engine(settings.database_url))
    entered, swallowed = asyncio.Event(), asyncio.Event()

    def no_pipeline(prompt_version: str) -> ExtractionPipeline:
        raise AssertionError("nothing is queued")

    workers = ExtractionWorkers(store, no_pipeline, settings, count=1)

    async def swallowing_settle() -> None:
        entered.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            swallowed.set()  # a library that eats the cancel

    workers._settle_unsettled = swallowing_settle  # type: ignore[method-assign]
    await workers.start()
    await asyncio.wait_for(entered.wait(), 10)
    async with asyncio.timeout(10):
        await workers.stop()
    assert swallowed.is_set()
    assert workers.states()[0].alive is False
    store.engine.dispose()
