"""Helpers for tests that run against a started service (scripts/integration.sh)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

SEED = Path(__file__).resolve().parents[1] / "seeds" / "003_27f24d422f4ca467.txt"


def base_url() -> str:
    url = os.environ.get("CONFLICT_IT_BASE_URL")
    if not url:
        pytest.fail("CONFLICT_IT_BASE_URL is not set: run scripts/integration.sh")
    return url.rstrip("/")


def extracted_article(path: Path, wait_s: float = 900) -> dict[str, Any]:
    """Post the article (re-posting finds it), wait for its run, return the stored article."""
    with httpx.Client(base_url=base_url(), timeout=60) as client:
        posted = client.post(
            "/articles", content=path.read_bytes(), headers={"content-type": "text/plain"}
        )
        assert posted.status_code in (200, 202), posted.text
        accepted = posted.json()
        assert accepted["run"] is not None, f"article {accepted['article_id']} has no run"
        run_id = accepted["run"]["id"]
        deadline = time.monotonic() + wait_s
        while (run := client.get(f"/runs/{run_id}").json())["status"] not in (
            "succeeded",
            "failed",
        ):
            assert time.monotonic() < deadline, f"run {run_id} still {run['status']}"
            time.sleep(1)
        assert run["status"] == "succeeded", run["error"]
        stored: dict[str, Any] = client.get(f"/articles/{accepted['article_id']}").json()
        return stored
