"""Prometheus metrics: HTTP requests by route and status with latency (Litestar's Prometheus
middleware, paths grouped by route template), and the service's own: runs finished by outcome,
LLM calls, latency, tokens, re-asks, unusable answers and dropped items by model and prompt
version, queue depth by status and worker liveness (read when ``/metrics`` is scraped).

Metrics live in prometheus_client's default registry, created on first use (not at import);
each process exposes its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, generate_latest

from service.store.read_models import QueueStats, WorkerState
from service.store.runs import Accounting

PREFIX = "conflict"
_BY_RUN = ("model", "prompt_version")


def http_metrics() -> PrometheusConfig:
    return PrometheusConfig(
        app_name="conflict-extract", prefix=PREFIX, group_path=True, exclude=["/metrics"]
    )


@dataclass(frozen=True)
class _Metrics:
    runs: Counter
    llm_calls: Counter
    llm_unusable: Counter
    llm_reasks: Counter
    prompt_tokens: Counter
    cached_prompt_tokens: Counter
    completion_tokens: Counter
    dropped: Counter
    llm_call_seconds: Histogram
    run_seconds: Histogram
    queue: Gauge
    oldest_pending: Gauge
    workers: Gauge
    worker_restarts: Gauge


@cache
def _metrics() -> _Metrics:
    def name(suffix: str) -> str:
        return f"{PREFIX}_{suffix}"

    return _Metrics(
        runs=Counter(
            name("runs_finished"),
            "Extraction runs that ended a turn, by outcome (succeeded, requeued, failed, "
            "lease_lost) and reason",
            ["outcome", "reason", *_BY_RUN],
        ),
        llm_calls=Counter(name("llm_calls"), "LLM calls", _BY_RUN),
        llm_unusable=Counter(name("llm_unusable_calls"), "LLM answers not usable at all", _BY_RUN),
        llm_reasks=Counter(name("llm_reasks"), "Re-asks after a validation error", _BY_RUN),
        prompt_tokens=Counter(name("llm_prompt_tokens"), "Prompt tokens", _BY_RUN),
        cached_prompt_tokens=Counter(
            name("llm_prompt_tokens_cached"), "Prompt tokens served from the LLM's cache", _BY_RUN
        ),
        completion_tokens=Counter(name("llm_completion_tokens"), "Completion tokens", _BY_RUN),
        dropped=Counter(name("records_dropped"), "Model output items dropped", _BY_RUN),
        llm_call_seconds=Histogram(
            name("llm_call_seconds"),
            "Time of one LLM question, re-asks included",
            ["model"],
            buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300),
        ),
        run_seconds=Histogram(
            name("run_seconds"),
            "Wall time of an extraction run",
            ["outcome", *_BY_RUN],
            buckets=(1, 5, 10, 30, 60, 120, 300, 600, 1200),
        ),
        queue=Gauge(name("queue_runs"), "Runs in the queue by status", ["status"]),
        oldest_pending=Gauge(
            name("queue_oldest_pending_age_seconds"), "Age of the oldest pending run"
        ),
        workers=Gauge(name("workers"), "Extraction worker tasks in this process", ["state"]),
        worker_restarts=Gauge(
            name("worker_restarts"), "Worker tasks restarted by the supervisor since start"
        ),
    )


def observe_llm_call(model: str, seconds: float) -> None:
    _metrics().llm_call_seconds.labels(model).observe(seconds)


def observe_run(
    outcome: str,
    reason: str | None,
    model: str,
    prompt_version: str,
    *,
    cost: Accounting | None = None,
    dropped: int = 0,
) -> None:
    """One turn of a run ended; ``cost``: what its LLM calls cost, when it got that far."""
    m = _metrics()
    m.runs.labels(outcome, reason or "", model, prompt_version).inc()
    if cost is not None:
        by = (model, prompt_version)
        m.run_seconds.labels(outcome, *by).observe(cost.wall_seconds)
        m.llm_calls.labels(*by).inc(cost.llm_calls)
        m.llm_unusable.labels(*by).inc(cost.llm_calls_unusable)
        m.llm_reasks.labels(*by).inc(cost.retries)
        m.prompt_tokens.labels(*by).inc(cost.prompt_tokens)
        m.cached_prompt_tokens.labels(*by).inc(cost.prompt_tokens_cached)
        m.completion_tokens.labels(*by).inc(cost.completion_tokens)
    if dropped:
        m.dropped.labels(model, prompt_version).inc(dropped)


def exposition(queue: QueueStats, workers: list[WorkerState]) -> bytes:
    """The text exposition, with the queue and worker gauges read just now."""
    m = _metrics()
    for status in ("pending", "running", "failed"):
        m.queue.labels(status).set(getattr(queue, status))
    m.oldest_pending.set(queue.oldest_pending_age_s or 0.0)
    alive = sum(1 for w in workers if w.alive)
    m.workers.labels("alive").set(alive)
    m.workers.labels("dead").set(len(workers) - alive)
    m.worker_restarts.set(sum(w.restarts for w in workers))
    return generate_latest(REGISTRY)
