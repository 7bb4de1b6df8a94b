"""The run queue in the store: backoff, poisoning at start-up and bulk retry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from service.store.database import create_db_engine
from service.store.filters import RunFilter
from service.store.repository import Store
from service.store.runs import ArticleInput
from service.store.tables import FailureReason, RunStatus, utcnow


def store_at(tmp_path: Path) -> Store:
    return Store(create_db_engine(f"sqlite:///{tmp_path / 'queue.db'}"))


def test_a_requeued_run_is_not_claimed_before_it_is_due(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    run_id = store.ingest(ArticleInput(text="Clashes in Idlib on Monday."), "m", "p").run_id
    assert run_id is not None
    claim = store.claim_next_run("m")
    assert claim is not None and claim.attempts == 1
    later = utcnow() + dt.timedelta(hours=1)
    store.requeue_run(
        run_id, "LLM endpoint failed (HTTP 503)", FailureReason.LLM_UNAVAILABLE, later
    )
    assert store.claim_next_run("m") is None
    run = store.get_run(run_id)
    assert run.status is RunStatus.PENDING and run.reason is FailureReason.LLM_UNAVAILABLE
    store.requeue_run(run_id, "again", FailureReason.LLM_UNAVAILABLE, utcnow())
    again = store.claim_next_run("m")
    assert again is not None and again.run_id == run_id and again.attempts == 2
    store.engine.dispose()


def test_start_up_requeues_interrupted_runs_and_parks_those_out_of_attempts(
    tmp_path: Path,
) -> None:
    store = store_at(tmp_path)
    first, second = (
        store.ingest(ArticleInput(text=t), "m", "p").run_id
        for t in ("Clashes in Idlib on Monday.", "Airstrikes on Douma on Tuesday.")
    )
    for _ in range(2):
        assert store.claim_next_run("m") is not None
    store.requeue_run(first or 0, "x", FailureReason.LLM_UNAVAILABLE, utcnow())
    assert store.claim_next_run("m") is not None  # run 1, attempt 2; run 2 has had 1
    assert store.requeue_interrupted(max_attempts=2) == (1, 1)
    parked, requeued = store.get_run(first or 0), store.get_run(second or 0)
    assert parked.status is RunStatus.FAILED and parked.reason is FailureReason.POISONED
    assert requeued.status is RunStatus.PENDING and requeued.reason is FailureReason.INTERRUPTED
    assert store.retry_runs(RunFilter(reason=FailureReason.POISONED)) == [first]
    assert store.get_run(first or 0).attempts == 0
    assert store.queue_stats().pending == 2
    store.engine.dispose()
