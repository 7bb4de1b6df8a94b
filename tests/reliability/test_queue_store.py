"""The run queue in the store: backoff, leases that run out, parking and bulk retry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from service.store.database import create_db_engine
from service.store.filters import RunFilter
from service.store.repository import Store
from service.store.runs import ArticleInput
from service.store.tables import FailureReason, RunStatus, utcnow

LEASE_S = 60.0


def store_at(tmp_path: Path) -> Store:
    return Store(create_db_engine(f"sqlite:///{tmp_path / 'queue.db'}"))


def test_a_requeued_run_is_not_claimed_before_it_is_due(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    run_id = store.ingest(ArticleInput(text="Clashes in Idlib on Monday."), "m", "p").run_id
    claim = store.claim_next_run("m", "w1", LEASE_S, 3)
    assert claim is not None and claim.run_id == run_id and claim.attempts == 1
    later = utcnow() + dt.timedelta(hours=1)
    store.requeue_run(claim, "LLM endpoint failed (HTTP 503)", FailureReason.LLM_UNAVAILABLE, later)
    assert store.claim_next_run("m", "w2", LEASE_S, 3) is None
    run = store.get_run(run_id or 0)
    assert run.status is RunStatus.PENDING and run.reason is FailureReason.LLM_UNAVAILABLE
    store.engine.dispose()


def test_a_run_whose_lease_ran_out_too_often_is_parked_and_retried_by_hand(
    tmp_path: Path,
) -> None:
    store = store_at(tmp_path)
    run_id = store.ingest(ArticleInput(text="Airstrikes on Douma on Tuesday."), "m", "p").run_id
    for worker in ("w1", "w2"):  # each dies: its lease runs out at once
        claim = store.claim_next_run("m", worker, 0.0, 2)
        assert claim is not None and claim.run_id == run_id
    assert store.claim_next_run("m", "w3", LEASE_S, 2) is None
    parked = store.get_run(run_id or 0)
    assert parked.status is RunStatus.FAILED and parked.reason is FailureReason.POISONED
    assert store.retry_runs(RunFilter(reason=FailureReason.POISONED)) == [run_id]
    assert store.get_run(run_id or 0).attempts == 0
    again = store.claim_next_run("m", "w3", LEASE_S, 2)
    assert again is not None and again.attempts == 1
    store.engine.dispose()
