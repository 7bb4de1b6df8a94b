"""Benchmark: run the seed articles through a running service and print where time goes.

    python bench/seeds.py [--base-url http://127.0.0.1:8000] [--seeds seeds] [--wait 900]

Each article is re-extracted (a new run) so repeated benchmarks measure the same work. Prints
per article and in total: wall time (run queued to records stored), time inside LLM calls,
service overhead (wall - LLM),
prompt and completion tokens, records found, re-asks and drops; then the resident memory of
the model server and of the service, read from /proc (peak = VmHWM).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def _find_pids(marker: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline and not cmdline.split(" ", 1)[0].endswith(("uv", "seeds.py")):
            pids.append(int(entry.name))
    return pids


def _memory_mb(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _extract(client: httpx.Client, text: str, wait: float) -> dict[str, Any]:
    posted = client.post("/articles", content=text, headers={"content-type": "text/plain"})
    posted.raise_for_status()
    article_id = posted.json()["article_id"]
    run = posted.json()["run"]
    if not posted.json()["created"] or run is None or run["status"] in {"succeeded", "failed"}:
        again = client.post(f"/articles/{article_id}/extract")
        again.raise_for_status()
        run = again.json()["run"]
    deadline = time.monotonic() + wait
    while run["status"] not in {"succeeded", "failed"}:
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run['id']} still {run['status']} after {wait} s")
        time.sleep(0.5)
        run = client.get(f"/runs/{run['id']}").json()
    created = dt.datetime.fromisoformat(run["created_at"])
    finished = dt.datetime.fromisoformat(run["finished_at"])
    run["wall_seconds"] = (finished - created).total_seconds()  # queued to stored
    records = client.get(f"/events?run_id={run['id']}&limit=500").json()["items"]
    actors = client.get(f"/actor-mentions?run_id={run['id']}&limit=500").json()["items"]
    figures = client.get(f"/figures?run_id={run['id']}&limit=500").json()["items"]
    return {**run, "events": len(records), "actors": len(actors), "figures": len(figures)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--seeds", type=Path, default=Path("seeds"))
    parser.add_argument("--wait", type=float, default=900.0)
    args = parser.parse_args()

    header = (
        f"{'article':<28}{'status':>10}{'wall s':>8}{'llm s':>8}{'ovh %':>7}{'calls':>6}"
        f"{'ptok':>8}{'ctok':>7}{'ev':>4}{'ac':>4}{'fi':>4}{'reask':>6}{'drop':>5}"
    )
    print(header)
    rows = []
    with httpx.Client(base_url=args.base_url, timeout=60) as client:
        for path in sorted(args.seeds.glob("*.txt")):
            run = _extract(client, path.read_text(encoding="utf-8"), args.wait)
            rows.append(run)
            overhead = (
                100 * (run["wall_seconds"] - run["llm_seconds"]) / max(run["wall_seconds"], 1e-9)
            )
            print(
                f"{path.name[:27]:<28}{run['status']:>10}{run['wall_seconds']:>8.1f}"
                f"{run['llm_seconds']:>8.1f}{overhead:>7.2f}{run['llm_calls']:>6}"
                f"{run['prompt_tokens']:>8}{run['completion_tokens']:>7}{run['events']:>4}"
                f"{run['actors']:>4}{run['figures']:>4}{run['retries']:>6}{run['dropped']:>5}"
            )
    wall = sum(r["wall_seconds"] for r in rows)
    llm = sum(r["llm_seconds"] for r in rows)
    print(
        f"{'total':<28}{'':>10}{wall:>8.1f}{llm:>8.1f}{100 * (wall - llm) / max(wall, 1e-9):>7.2f}"
        f"{sum(r['llm_calls'] for r in rows):>6}{sum(r['prompt_tokens'] for r in rows):>8}"
        f"{sum(r['completion_tokens'] for r in rows):>7}{sum(r['events'] for r in rows):>4}"
        f"{sum(r['actors'] for r in rows):>4}{sum(r['figures'] for r in rows):>4}"
        f"{sum(r['retries'] for r in rows):>6}{sum(r['dropped'] for r in rows):>5}"
    )
    print(f"median wall per article: {statistics.median(r['wall_seconds'] for r in rows):.1f} s")
    for label, marker in (("model server", "llama-server"), ("service", "-m service")):
        for pid in _find_pids(marker):
            rss, peak = _memory_mb(pid)
            print(f"{label} pid {pid}: RSS {rss:.0f} MB, peak {peak:.0f} MB")
    return 0 if all(r["status"] == "succeeded" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
