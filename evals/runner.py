"""Run a dataset through the running service, score it and write the reports.

Exit codes: 0 all thresholds met; 1 a threshold failed; 2 the service could not be used
(network or HTTP error, unexpected answer, a run that failed or did not finish in time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx
import yaml
from pydantic import ValidationError

from evals.cross_article import ClusterTruth, CrossArticleScore, score_cross_article
from evals.report import (
    ArticleResult,
    ArticleRun,
    EvalReport,
    RunStats,
    build_report,
    render_html,
    render_text,
)
from evals.scorer import (
    DEFAULT_CONFIG,
    Dataset,
    GoldArticle,
    PredictedArticle,
    ScoringConfig,
    score_article,
)

ROOT = Path(__file__).resolve().parent.parent
DONE = {"succeeded", "failed"}
# The API rejects ?wait= above this; longer waits continue by polling.
MAX_SERVER_WAIT = 3600.0

EXIT_OK, EXIT_THRESHOLDS, EXIT_SERVICE = 0, 1, 2


class ServiceError(Exception):
    """The service could not be reached or gave an answer the runner cannot use."""


class ConfigError(Exception):
    """A dataset or thresholds file that cannot be used."""


@dataclass(frozen=True)
class RunOptions:
    wait: float = 900.0
    rerun: bool = False
    poll_interval: float = 2.0


def normalise_text(text: str) -> str:
    """The service's stored form of an article (offsets index it)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def load_dataset(path: Path) -> Dataset:
    try:
        return Dataset.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"dataset {path}: {exc}") from exc


def load_cluster_truth(path: Path, dataset: Dataset) -> ClusterTruth | None:
    if not path.exists():
        return None
    try:
        return ClusterTruth.load(path, dataset)
    except (OSError, yaml.YAMLError, ValidationError, ValueError) as exc:
        raise ConfigError(f"cluster truth {path}: {exc}") from exc


def load_thresholds(path: Path) -> dict[str, float]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"thresholds {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"thresholds {path}: expected a mapping of metric name to number")
    limits: dict[str, float] = {}
    for key, value in raw.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ConfigError(f"thresholds {path}: {key} must be a number, not {value!r}")
        limits[str(key)] = float(value)
    return limits


def _call(client: httpx.Client, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise ServiceError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
    if response.is_error:
        raise ServiceError(f"{method} {url}: HTTP {response.status_code}: {response.text[:500]}")
    try:
        body = response.json()
    except ValueError as exc:
        raise ServiceError(f"{method} {url}: answer is not JSON: {response.text[:200]}") from exc
    if not isinstance(body, dict):
        raise ServiceError(f"{method} {url}: expected a JSON object, got {body!r:.200}")
    return body


def _field(body: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = body.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ServiceError(f"{where}: answer has no {kind.__name__} {key!r}: {body!r:.300}")
    return value


def process_article(
    client: httpx.Client,
    gold: GoldArticle,
    root: Path,
    options: RunOptions,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[ArticleRun, PredictedArticle]:
    """POST the article, wait for its run, GET the result. Raises ServiceError."""
    started = clock()
    path = root / gold.file
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"article {path}: {exc}") from exc
    server_wait = max(0.0, min(options.wait, MAX_SERVER_WAIT))
    timeout = httpx.Timeout(30.0, read=server_wait + 60.0)
    body: dict[str, Any] = {"text": text}
    if gold.published:
        body["published_date"] = gold.published

    accepted = _call(
        client, "POST", "/articles", params={"wait": server_wait}, json=body, timeout=timeout
    )
    article_id: int = _field(accepted, "article_id", int, "POST /articles")
    created = accepted.get("created") is True
    run = accepted.get("run")
    if not created and (options.rerun or not isinstance(run, dict)):
        url = f"/articles/{article_id}/extract"
        accepted = _call(client, "POST", url, params={"wait": server_wait}, timeout=timeout)
        run = accepted.get("run")
    if not isinstance(run, dict):
        raise ServiceError(f"article {article_id}: the answer names no run: {accepted!r:.300}")
    run_id: int = _field(run, "id", int, "run")

    deadline = started + options.wait
    while run.get("status") not in DONE and clock() < deadline:
        sleep(options.poll_interval)
        run = _call(client, "GET", f"/runs/{run_id}")
    status = str(run.get("status")) if run.get("status") in DONE else "timeout"

    article = _call(client, "GET", f"/articles/{article_id}")
    try:
        predicted = PredictedArticle.model_validate(article)
    except ValidationError as exc:
        raise ServiceError(f"GET /articles/{article_id}: unexpected shape: {exc}") from exc
    if status != "succeeded":
        # The article view shows the latest *successful* run, which is not this one.
        predicted = predicted.model_copy(update={"events": [], "actors": [], "figures": []})

    warnings = []
    if predicted.text != normalise_text(text):
        warnings.append("the stored text differs from the article file's normalised text")
    error = run.get("error")
    if status == "timeout":
        error = f"not finished after {options.wait:g} s (status {run.get('status')})"
    return (
        ArticleRun(
            file=gold.file,
            article_id=article_id,
            run_id=run_id,
            status=status,
            created=created,
            seconds=clock() - started,
            error=str(error) if error else None,
            model=_str_or_none(run.get("model")),
            prompt_version=_str_or_none(run.get("prompt_version")),
            schema_version=_str_or_none(run.get("schema_version")),
            stats=RunStats.from_run(run),
            warnings=warnings,
        ),
        predicted,
    )


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def run_eval(
    client: httpx.Client,
    dataset: Dataset,
    root: Path,
    options: RunOptions,
    progress: TextIO,
    *,
    config: ScoringConfig = DEFAULT_CONFIG,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[ArticleResult]:
    results = []
    total = len(dataset.articles)
    for n, gold in enumerate(dataset.articles, 1):
        run, predicted = process_article(client, gold, root, options, sleep=sleep, clock=clock)
        score = score_article(gold, predicted, config)
        s = score.scores
        print(
            f"[{n}/{total}] {gold.file}: article {run.article_id} run {run.run_id} "
            f"{run.status} in {run.seconds:.1f} s; F1 events {s.events.f1:.2f} "
            f"actors {s.actors.f1:.2f} figures {s.figures.f1:.2f}",
            file=progress,
            flush=True,
        )
        results.append(ArticleResult(run, score, predicted))
    return results


def cluster_truth_path(dataset: Path) -> Path:
    """``seeds.v1.yaml`` -> ``seeds.clusters.v1.yaml``."""
    stem, _, version = dataset.name.removesuffix(".yaml").rpartition(".v")
    return dataset.with_name(f"{stem}.clusters.v{version}.yaml")


def service_clusters(client: httpx.Client) -> dict[int, int]:
    """Event id -> event cluster id, from every page of GET /event-clusters."""
    found: dict[int, int] = {}
    params: dict[str, Any] = {"limit": 500}
    while True:
        page = _call(client, "GET", "/event-clusters", params=params)
        for cluster in page.get("items", []):
            for report in cluster.get("reports", []):
                found[int(report["event_id"])] = int(cluster["id"])
        if not page.get("next_cursor"):
            return found
        params["cursor"] = page["next_cursor"]


def cross_article(
    client: httpx.Client, dataset: Dataset, truth: ClusterTruth, results: list[ArticleResult]
) -> CrossArticleScore:
    predicted = {r.run.file: r.predicted for r in results if r.predicted is not None}
    scores = {r.run.file: r.score for r in results}
    return score_cross_article(dataset, truth, predicted, scores, service_clusters(client))


def write_report(report: EvalReport, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(
        json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (out / "report.html").write_text(render_html(report), encoding="utf-8")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m evals",
        description="Run a labelled dataset through the running extraction service and score "
        "it. Exit 0: thresholds met; 1: a threshold failed; 2: service or network error.",
    )
    parser.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000")
    parser.add_argument(
        "--dataset", type=Path, default=ROOT / "evals/datasets/seeds.v1.yaml", metavar="YAML"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "evals/reports/latest", metavar="DIR")
    parser.add_argument(
        "--thresholds", type=Path, default=ROOT / "evals/thresholds.yaml", metavar="YAML"
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=ROOT,
        help="directory the dataset's article paths are relative to (default: the repo root)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="how long to wait for each article's extraction (default 900)",
    )
    parser.add_argument(
        "--rerun",
        action="store_true",
        help="queue a new extraction for articles the service already has",
    )
    parser.add_argument(
        "--poll", type=float, default=2.0, metavar="SECONDS", help="run status poll interval"
    )
    parser.add_argument(
        "--clusters",
        type=Path,
        default=None,
        metavar="YAML",
        help="cross-article truth (default: <dataset>.clusters.v<N>.yaml beside the dataset, "
        "when it exists)",
    )
    return parser.parse_args(argv)


def main(
    argv: Sequence[str] | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    args = parse_args(argv)
    out_stream = stdout or sys.stdout
    err_stream = stderr or sys.stderr
    options = RunOptions(wait=args.wait, rerun=args.rerun, poll_interval=args.poll)
    started = time.monotonic()
    try:
        dataset = load_dataset(args.dataset)
        thresholds = load_thresholds(args.thresholds)
        if args.clusters is not None and not args.clusters.exists():
            raise ConfigError(f"cluster truth {args.clusters}: no such file")
        truth = load_cluster_truth(args.clusters or cluster_truth_path(args.dataset), dataset)
        with httpx.Client(base_url=args.base_url, transport=transport, timeout=30.0) as client:
            results = run_eval(client, dataset, args.root, options, err_stream, sleep=sleep)
            cross = cross_article(client, dataset, truth, results) if truth else None
    except ConfigError as exc:
        print(f"error: {exc}", file=err_stream)
        return EXIT_SERVICE
    except ServiceError as exc:
        print(f"service error: {exc}", file=err_stream)
        return EXIT_SERVICE

    report = build_report(
        dataset=dataset.dataset,
        version=dataset.version,
        dataset_path=str(args.dataset),
        base_url=args.base_url,
        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        seconds=time.monotonic() - started,
        config=DEFAULT_CONFIG,
        articles=results,
        thresholds_path=str(args.thresholds),
        thresholds=thresholds,
        cross=cross,
    )
    write_report(report, args.out)
    print(render_text(report), file=out_stream)
    print(f"\nreport: {args.out / 'report.html'}", file=out_stream)

    for failure in report.failures:
        print(f"FAILED threshold {failure}", file=out_stream)
    if report.run_problems:
        for problem in report.run_problems:
            print(f"run problem: {problem}", file=err_stream)
        if not options.rerun:
            print("(--rerun queues a new extraction for articles already stored)", file=err_stream)
        return EXIT_SERVICE
    return EXIT_THRESHOLDS if report.failures else EXIT_OK
