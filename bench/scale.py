"""Scale benchmark (loopback): synthetic events stored through the real store code, then read
latencies of the API, the events.csv export, and queue throughput with many processes.

    python bench/scale.py --database-url sqlite:///data/bench.db [--fill-only]
    python bench/scale.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        --queue-articles 2000

Prints figures; asserts nothing. Reads use a fresh API process (``python -m service api``);
the queue figure uses ``--api-processes`` API and ``--worker-processes`` worker processes on an
instant fake LLM endpoint (PostgreSQL only).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.synthetic import Shape, store_articles  # noqa: E402
from service.store.database import create_db_engine  # noqa: E402
from service.store.repository import Store  # noqa: E402
from service.store.views import ensure_views  # noqa: E402

EVENT_FILTERS = {
    "none": "",
    "event_type": "event_type=Battles",
    "sub_event_type": "sub_event_type=Air/drone%20strike",
    "location": "location=town%2017",
    "actor": "actor=brigade%2042",
    "actor_id": "actor_id=7",
    "article_id": "article_id=4321",
    "date range": "date_from=2018-03-01&date_to=2018-03-07",
    "reported_by": "reported_by=observatory",
    "run_id": "run_id=4321",
}


def _env(database_url: str, port: int, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "CONFLICT_DATABASE_URL": database_url,
        "CONFLICT_PORT": str(port),
        "CONFLICT_LOG_LEVEL": "WARNING",
        "CONFLICT_LLM_BASE_URL": extra.pop("llm", "http://127.0.0.1:9/v1"),
        **extra,
    }


def _start(role: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "service", role], cwd=ROOT, env=env, stdout=out, stderr=out
        )


def _wait_http(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the service exited"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the service did not start")


def fill(database_url: str, articles: int, events_per_article: int) -> None:
    store = Store(create_db_engine(database_url))
    ensure_views(store.engine)  # stamps an empty database's views as this version's
    stored = store.queue_stats()
    have = len(store.list_articles(0, 1).items)
    if have:
        print(f"database already filled (queue {stored}); reusing it")
        store.engine.dispose()
        return
    shape = Shape(events_per_article=events_per_article)
    started = time.perf_counter()
    step = 500
    for first in range(0, articles, step):
        store_articles(store, first, min(step, articles - first), shape)
        done = first + step
        rate = done / (time.perf_counter() - started)
        print(f"  stored {done} articles ({rate:.0f}/s)", flush=True)
    print(
        f"filled: {articles} articles, {articles * events_per_article} events in "
        f"{time.perf_counter() - started:.0f} s (store code, with resolution and views)"
    )
    store.engine.dispose()


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return f"p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"


def _rss_kb(pid: int) -> tuple[int, int]:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    values = {line.split(":")[0]: int(line.split()[1]) for line in status if "kB" in line}
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def reads(database_url: str, requests: int, tmp: Path) -> None:
    port = 8931
    api = _start("api", _env(database_url, port), tmp / "api.log")
    try:
        _wait_http(port, api)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            for name, query in EVENT_FILTERS.items():
                _time(client, f"/events?{query}&limit=50", requests, f"GET /events [{name}]")
            for path in ("/event-clusters", "/campaigns", "/figure-groups", "/actors"):
                _time(client, f"{path}?limit=50", requests, f"GET {path} (first page)")
                _time_pages(client, path, min(requests, 100), f"GET {path} (page walk)")
            _time(
                client,
                "/event-clusters?min_articles=2&limit=50",
                50,
                "GET /event-clusters?min_articles=2",
            )
            _time(client, "/campaigns?location=town%2017&limit=50", 50, "GET /campaigns?location=")
            before = _rss_kb(api.pid)
            started = time.perf_counter()
            rows = 0
            with client.stream("GET", "/events.csv") as answer:
                for chunk in answer.iter_lines():
                    rows += bool(chunk)
            elapsed = time.perf_counter() - started
            after = _rss_kb(api.pid)
            print(
                f"events.csv: {rows - 1} rows streamed in {elapsed:.1f} s; API RSS "
                f"{before[0] / 1024:.0f} MiB before, {after[0] / 1024:.0f} MiB after, "
                f"peak {after[1] / 1024:.0f} MiB"
            )
    finally:
        api.terminate()
        api.wait(20)


def _time(client: httpx.Client, url: str, count: int, label: str) -> None:
    client.get(url).raise_for_status()  # warm
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        client.get(url).raise_for_status()
        samples.append(time.perf_counter() - started)
    print(f"{label:48s} {_percentiles(samples)}  (n={count})", flush=True)


def _time_pages(client: httpx.Client, path: str, pages: int, label: str) -> None:
    samples, cursor = [], None
    for _ in range(pages):
        url = f"{path}?limit=50" + (f"&cursor={cursor}" if cursor else "")
        started = time.perf_counter()
        answer = client.get(url)
        samples.append(time.perf_counter() - started)
        answer.raise_for_status()
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            break
    print(f"{label:48s} {_percentiles(samples)}  (pages={len(samples)})", flush=True)


def queue(database_url: str, articles: int, apis: int, workers: int, tmp: Path) -> None:
    """Articles posted through ``apis`` API processes and extracted by ``workers`` worker
    processes on an instant fake endpoint: articles per second from first post to last run."""
    from tests.reliability.test_kill_and_restart import FakeEndpoint

    endpoint = FakeEndpoint()
    ports = [8941 + n for n in range(apis)]
    extra = {"llm": endpoint.url, "CONFLICT_WORKERS": "4", "CONFLICT_LLM_HTTP_RETRIES": "0"}
    processes = [
        _start("api", _env(database_url, p, **extra), tmp / f"q-api-{p}.log") for p in ports
    ]
    processes += [
        _start("worker", _env(database_url, 0, **extra), tmp / f"q-worker-{n}.log")
        for n in range(workers)
    ]
    try:
        for port, process in zip(ports, processes, strict=False):
            _wait_http(port, process)
        time.sleep(2)  # the workers' start-up
        elapsed = asyncio.run(_post_and_wait(ports, articles))
        print(
            f"queue: {articles} articles through {apis} API + {workers} worker processes "
            f"(4 workers each, instant fake LLM): {elapsed:.1f} s, "
            f"{articles / elapsed:.0f} articles/s end to end"
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(20)
        endpoint.close()


async def _post_and_wait(ports: list[int], articles: int) -> float:
    from tests.conftest import ARTICLE

    clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}", timeout=60) for p in ports]
    limit = asyncio.Semaphore(32)
    stamp = time.time_ns()

    async def post(n: int) -> Any:
        async with limit:
            answer = await clients[n % len(clients)].post(
                "/articles", json={"text": f"{ARTICLE}\nDispatch {stamp}-{n}."}
            )
            answer.raise_for_status()
            return answer.json()["run"]["id"]

    started = time.perf_counter()
    run_ids = await asyncio.gather(*(post(n) for n in range(articles)))
    last = max(run_ids)
    while True:
        run = (await clients[0].get("/ready")).json()["queue"]
        if run["pending"] == 0 and run["running"] == 0:
            break
        await asyncio.sleep(0.1)
    elapsed = time.perf_counter() - started
    status = (await clients[0].get(f"/runs/{last}")).json()["status"]
    failed = (await clients[0].get("/runs?status=failed&limit=1")).json()["items"]
    print(f"  last run {last}: {status}; failed runs: {'some' if failed else 'none'}")
    for client in clients:
        await client.aclose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--events-per-article", type=int, default=10)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--queue-articles", type=int, default=0)
    parser.add_argument("--api-processes", type=int, default=3)
    parser.add_argument("--worker-processes", type=int, default=4)
    parser.add_argument("--skip-reads", action="store_true")
    parser.add_argument("--fill-only", action="store_true", help="fill (or reuse) and stop")
    args = parser.parse_args()
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-scale-{os.getpid()}"
    tmp.mkdir(parents=True, exist_ok=True)
    if not args.skip_reads:
        fill(args.database_url, args.articles, args.events_per_article)
        if args.fill_only:
            return
        reads(args.database_url, args.requests, tmp)
    if args.queue_articles:
        queue(
            args.database_url, args.queue_articles, args.api_processes, args.worker_processes, tmp
        )
    print(f"logs: {tmp}")


if __name__ == "__main__":
    main()
