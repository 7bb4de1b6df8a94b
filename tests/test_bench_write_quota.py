"""bench/write_quota.py at tiny scale, against a service it starts (keys on, a low quota)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.write_quota import Figures, load, main, started_service


async def test_writers_with_one_key_get_the_quota_and_429s_and_reads_stay_served(
    tmp_path: Path,
) -> None:
    with started_service("10/minute", tmp_path) as (base_url, token):
        figures = await load(base_url, token, rate="10/minute", writers=20, seconds=2.0)
        refused = await load(base_url, "cx_not-a-key", rate="10/minute", writers=2, seconds=0.3)
    assert figures.accepted == 10, figures.report()  # 20 writers send far more than 10
    assert figures.limited >= 10 and figures.other == {}, figures.report()
    assert figures.queued == figures.accepted  # one stored article and queued run per 2xx
    assert figures.read_latencies and not figures.read_errors, figures.report()
    assert figures.ok and "result: ok" in figures.report()
    # Answers other than 2xx and 429 make it fail.
    assert set(refused.other) == {"401"} and not refused.ok
    assert "result: FAILED" in refused.report()


def test_the_bound_is_the_rate_per_window_started() -> None:
    figures = Figures(rate="100/minute", writers=1, seconds=20.0)
    assert figures.allowed == 100
    figures.seconds = 61.0
    assert figures.allowed == 200
    figures.statuses[202] = 201
    assert not figures.ok


def test_only_loopback_addresses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--base-url", "http://192.0.2.1:8000", "--api-key", "cx_x"])
    assert exit_.value.code == 2
    assert "must be a loopback address" in capsys.readouterr().err
