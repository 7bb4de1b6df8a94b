"""Operating the service: /metrics, one JSON log stream with request ids, settings that say
what is wrong."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from prometheus_client.parser import text_string_to_metric_families

from service.app import create_app
from service.settings import Settings, explain
from tests.conftest import ARTICLE, DEFAULT_PROMPT, make_settings
from tests.fake_llm import FakeLLM


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return sum(
        value
        for (sample, sample_labels), value in samples.items()
        if sample == name and set(labels.items()) <= set(sample_labels)
    )


async def test_metrics_move_after_one_extraction(
    client: AsyncTestClient[Any], fake_llm: FakeLLM
) -> None:
    before = _samples((await client.get("/metrics")).text)
    answer = await client.post("/articles?wait=10", json={"text": ARTICLE})
    assert answer.json()["run"]["status"] == "succeeded"
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = _samples(response.text)

    def moved(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    by = {"model": "fake-model", "prompt_version": DEFAULT_PROMPT}
    assert moved("conflict_runs_finished_total", outcome="succeeded", **by) == 1
    assert moved("conflict_llm_calls_total", **by) == len(fake_llm.requests)
    assert moved("conflict_llm_prompt_tokens_total", **by) == 100 * len(fake_llm.requests)
    assert moved("conflict_llm_call_seconds_count", model="fake-model") >= 1
    assert moved("conflict_run_seconds_count", outcome="succeeded", **by) == 1
    # HTTP requests by route template and status
    assert moved("conflict_requests_total", path="/articles", status_code="200") == 1
    assert _value(after, "conflict_queue_runs", status="pending") == 0
    assert _value(after, "conflict_workers", state="alive") == 1


async def test_request_id_is_returned_and_kept(client: AsyncTestClient[Any]) -> None:
    given = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = await client.get("/health")
    assert len(made.headers["x-request-id"]) == 32
    # not a header injection or a 10 kB log field: replaced
    odd = await client.get("/health", headers={"X-Request-ID": "a b\tc" + "x" * 300})
    assert odd.headers["x-request-id"] != "a b\tc" + "x" * 300


def test_with_log_json_every_line_is_json_and_carries_the_request_id(tmp_path: Path) -> None:
    script = f"""
import anyio
from litestar.testing import TestClient
from service.app import create_app
from tests.conftest import ARTICLE, make_settings
from tests.fake_llm import FakeLLM
from pathlib import Path

fake = FakeLLM()
settings = make_settings(Path({str(tmp_path)!r}), log_json=True, log_level="DEBUG")
app = create_app(settings, llm_http_client=fake.client())
with TestClient(app=app) as client:
    client.post("/articles?wait=10", json={{"text": ARTICLE}}, headers={{"X-Request-ID": "req-42"}})
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[1],
        check=True,
    )
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert lines
    records = [json.loads(line) for line in lines]  # every line parses
    loggers = {r.get("logger") for r in records}
    assert {"httpx", "service.worker"} <= loggers, loggers
    served = [r for r in records if r.get("request_id") == "req-42"]
    assert any(r.get("logger") == "httpx" for r in served)  # the LLM calls made for it
    assert all("event" in r and "level" in r and "timestamp" in r for r in records)


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("port", "abc", "CONFLICT_PORT='abc': Input should be a valid integer"),
        ("log_level", "LOUD", "CONFLICT_LOG_LEVEL='LOUD': Input should be 'DEBUG'"),
        ("llm_base_url", "not-a-url", "CONFLICT_LLM_BASE_URL='not-a-url': must be an http"),
        ("database_url", "mysql://x", "CONFLICT_DATABASE_URL='mysql://x': must start with"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(
    variable: str, value: str, says: str
) -> None:
    with pytest.raises(Exception) as caught:
        Settings(_env_file=None, **{variable: value})  # type: ignore[call-arg, arg-type]
    (line,) = explain(caught.value)  # type: ignore[arg-type]
    assert line.startswith(says), line


def test_log_levels_are_read_in_any_case(tmp_path: Path) -> None:
    assert make_settings(tmp_path, log_level="debug").log_level == "DEBUG"


def test_the_cli_exits_2_with_one_line_per_bad_setting() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "service", "api"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"CONFLICT_PORT": "0", "CONFLICT_LOG_LEVEL": "LOUD", "PATH": "/usr/bin"},
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2, done.stderr
    assert all(line.startswith("invalid setting: CONFLICT_") for line in lines)


def test_uvicorn_and_library_loggers_share_the_root_handler(tmp_path: Path) -> None:
    create_app(make_settings(tmp_path, log_json=True))
    root = logging.getLogger()
    assert len(root.handlers) == 1
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "httpx", "alembic"):
        logger = logging.getLogger(name)
        printing = [h for h in logger.handlers if not isinstance(h, logging.NullHandler)]
        assert printing == [] and logger.propagate, name
