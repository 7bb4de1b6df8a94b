"""Write quota under load (loopback only): many concurrent writers with one write key against a
service with keys on, while a reader keeps reading.

    python bench/write_quota.py                                  # 200 writers, 20 s, 100/minute
    python bench/write_quota.py --writers 50 --seconds 5 --rate 20/minute
    python bench/write_quota.py --base-url http://127.0.0.1:8000 --api-key cx_...

Without ``--base-url`` it starts ``python -m service api`` on a fresh SQLite database in a
temporary folder with ``CONFLICT_AUTH=true``, ``CONFLICT_WRITE_RATE_LIMIT=--rate`` and a dead LLM
endpoint (extraction is not the point: an accepted post stores its article and queues a run),
and creates the write key with ``python -m service keys create``. Every writer posts distinct
articles back to back until the time is up; the reader GETs a page of articles, then of events,
over and over. Prints accepted posts, 429s, any other answer, the accepted count against what
the rate allows, the runs the queue gained, and read latency and errors. Exits 1 when anything
but 2xx or 429 was answered to a write, a read failed, or more posts were accepted than the
rate allows.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from limits import parse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.access import is_loopback  # noqa: E402

DEAD_LLM = "http://127.0.0.1:9/v1"  # the discard port: nothing listens


@dataclass
class Figures:
    rate: str
    writers: int
    seconds: float = 0.0  # from the first post to the last answer
    statuses: Counter[int] = field(default_factory=Counter)
    write_errors: Counter[str] = field(default_factory=Counter)  # transport errors by type
    read_latencies: list[float] = field(default_factory=list)
    read_errors: Counter[str] = field(default_factory=Counter)
    queued: int | None = None  # runs the queue gained (pending + running + failed)

    @property
    def accepted(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)

    @property
    def limited(self) -> int:
        return self.statuses[429]

    @property
    def other(self) -> dict[str, int]:
        odd = {str(s): n for s, n in self.statuses.items() if s != 429 and not 200 <= s < 300}
        return odd | dict(self.write_errors)

    @property
    def allowed(self) -> int:
        """The most a moving window of the rate lets through in ``seconds``."""
        item = parse(self.rate)
        windows = max(1, math.ceil(self.seconds / item.get_expiry()))
        return item.amount * windows

    @property
    def ok(self) -> bool:
        return not self.other and not self.read_errors and self.accepted <= self.allowed

    def report(self) -> str:
        reads = sorted(self.read_latencies)
        p50 = statistics.median(reads) * 1000 if reads else float("nan")
        p95 = reads[min(len(reads) - 1, int(len(reads) * 0.95))] * 1000 if reads else float("nan")
        posts = sum(self.statuses.values()) + sum(self.write_errors.values())
        lines = [
            f"writers: {self.writers} with one write key, {self.seconds:.1f} s, "
            f"{posts} posts ({posts / max(self.seconds, 1e-9):.0f}/s)",
            f"accepted (2xx): {self.accepted}   429: {self.limited}   "
            f"other: {sum(self.other.values())} {self.other or ''}".rstrip(),
            f"quota: {self.rate} allows at most {self.allowed} in {self.seconds:.1f} s; "
            f"accepted {self.accepted} ({'within' if self.accepted <= self.allowed else 'OVER'})",
            f"runs queued: {'n/a' if self.queued is None else self.queued}",
            f"reads: {len(reads)}  p50 {p50:.1f} ms  p95 {p95:.1f} ms  "
            f"errors: {sum(self.read_errors.values())} {dict(self.read_errors) or ''}".rstrip(),
            "result: " + ("ok" if self.ok else "FAILED"),
        ]
        return "\n".join(lines)


async def _queued(client: httpx.AsyncClient) -> int:
    # /ready is public: asked without the key, which may be a wrong one.
    queue = (await client.get("/ready")).json()["queue"]
    return int(queue["pending"] + queue["running"] + queue["failed"])


async def load(
    base_url: str,
    token: str,
    *,
    rate: str,
    writers: int = 200,
    seconds: float = 20.0,
    read_interval_s: float = 0.05,
) -> Figures:
    """``writers`` tasks post distinct articles with ``token`` for ``seconds`` while one reader
    reads; in-flight posts are answered and counted after the time is up."""
    figures = Figures(rate=rate, writers=writers)
    limits = httpx.Limits(max_connections=writers + 8, max_keepalive_connections=writers + 8)
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as client:
        before = await _queued(client)
        stamp = time.time_ns()
        started = time.perf_counter()
        stop = started + seconds

        async def writer(number: int) -> None:
            sent = 0
            while time.perf_counter() < stop:
                text = (
                    f"Bench dispatch {stamp}-{number}-{sent}: at least {sent % 90 + 2} people "
                    f"were killed when shelling hit the market of town {number}, officials said."
                )
                sent += 1
                try:
                    answer = await client.post("/articles", json={"text": text}, headers=headers)
                except httpx.HTTPError as exc:
                    figures.write_errors[type(exc).__name__] += 1
                    continue
                figures.statuses[answer.status_code] += 1

        async def reader() -> None:
            paths = ("/articles?limit=20", "/events?limit=20")
            done = 0
            while time.perf_counter() < stop:
                path = paths[done % len(paths)]
                done += 1
                began = time.perf_counter()
                try:
                    answer = await client.get(path, headers=headers)
                except httpx.HTTPError as exc:
                    figures.read_errors[type(exc).__name__] += 1
                    continue
                figures.read_latencies.append(time.perf_counter() - began)
                if answer.status_code != 200:
                    figures.read_errors[f"HTTP {answer.status_code}"] += 1
                await asyncio.sleep(read_interval_s)

        await asyncio.gather(reader(), *(writer(n) for n in range(writers)))
        figures.seconds = time.perf_counter() - started
        figures.queued = await _queued(client) - before
    return figures


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def started_service(rate: str, folder: Path) -> Iterator[tuple[str, str]]:
    """A fresh API process with keys on and ``rate`` as its write quota: (base URL, write
    key token). Its log is ``folder/service.log``."""
    port = _free_port()
    env = {
        **os.environ,
        "CONFLICT_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
        "CONFLICT_HOST": "127.0.0.1",
        "CONFLICT_PORT": str(port),
        "CONFLICT_AUTH": "true",
        "CONFLICT_WRITE_RATE_LIMIT": rate,
        "CONFLICT_LLM_BASE_URL": DEAD_LLM,
        "CONFLICT_LOG_LEVEL": "WARNING",
    }
    created = subprocess.run(
        [sys.executable, "-m", "service", "keys", "create", "--name", "bench", "--scope", "write"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"token \(shown once, store it now\): (\S+)", created.stdout)
    if found is None:
        raise SystemExit(f"no token in the keys command's output: {created.stdout!r}")
    base_url = f"http://127.0.0.1:{port}"
    with (folder / "service.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "api"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the service exited; see {folder / 'service.log'}")
            try:
                if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the service did not start in 120 s")
            time.sleep(0.2)
        yield base_url, found.group(1)
    finally:
        process.terminate()
        process.wait(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--rate",
        default="100/minute",
        help="the service's CONFLICT_WRITE_RATE_LIMIT (set when started here; with --base-url, "
        "say what the service was started with)",
    )
    parser.add_argument("--base-url", help="a running service (loopback only)")
    parser.add_argument("--api-key", help="a write key of the service at --base-url")
    args = parser.parse_args(argv)
    if args.base_url:
        host = urlsplit(args.base_url).hostname or ""
        if not is_loopback(host):
            parser.error(f"--base-url must be a loopback address, not {host!r}")
        if not args.api_key:
            parser.error("--base-url needs --api-key (a key with scope write)")
        figures = asyncio.run(
            load(args.base_url, args.api_key, rate=args.rate, writers=args.writers,
                 seconds=args.seconds)
        )  # fmt: skip
    else:
        with (
            tempfile.TemporaryDirectory(prefix="bench-write-quota-") as folder,
            started_service(args.rate, Path(folder)) as (base_url, token),
        ):
            figures = asyncio.run(
                load(base_url, token, rate=args.rate, writers=args.writers, seconds=args.seconds)
            )
    print(figures.report(), flush=True)
    return 0 if figures.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
