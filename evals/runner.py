"""Run labelled sets (seeds, dev, test) through the running service, score them and write one
report with the sets side by side.

A typing set (a dataset with ``passages:`` instead of ``articles:``, e.g. typing-dev) runs each
passage through the service as an article and scores the sub-event type it gets
(evals/typing_set.py); typing and article sets can be given in one run (``--sets
dev,typing-dev``).

A set name resolves to the newest ``evals/datasets/<set>.v<N>.yaml``. Thresholds are per set
(``evals/thresholds.yaml``: set -> {metric: limit}); a set without thresholds passes.

Several services (``--base-url LABEL=URL`` repeated, e.g. one per prompt version on one
model) run the same sets one after the other (they may share one model server) and are
reported side by side; the thresholds of one of them (``--gate LABEL``, default the last)
decide the exit code.

The service is reached through its typed client (``service.client.Client``); an answer that
does not have the API's shape is a service error.

Exit codes: 0 all thresholds met; 1 a threshold failed; 2 the service could not be used
(network or HTTP error, unexpected answer, a run that failed or did not finish in time) or an
input file is unusable.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import httpx
import yaml
from pydantic import ValidationError

from evals.cross_article import ClusterTruth, CrossArticleScore, score_cross_article
from evals.report import (
    ArticleResult,
    ArticleRun,
    EvalReport,
    RunStats,
    SuiteReport,
    build_report,
    render_html,
    render_text,
)
from evals.report_json import REPORTS, comparison
from evals.scorer import (
    DEFAULT_CONFIG,
    Dataset,
    GoldArticle,
    PredictedArticle,
    ScoringConfig,
    score_article,
)
from evals.typing_set import (
    PassageResult,
    TypingDataset,
    build_typing_report,
    is_typing_set,
    predicted_sub_type,
)
from service.client import Client, ClientError, TransportError

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT / "evals/datasets"
DEFAULT_SETS = "seeds"
# Where an old flat thresholds file (metric: number at the top level) applies by default.
FLAT_THRESHOLDS_SET = "seeds"
_SET_NAME = re.compile(r"[A-Za-z0-9_-]+")
_DATASET_FILE = re.compile(r"(?P<name>.+)\.v(?P<version>\d+)\.ya?ml")
_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")
DEFAULT_LABEL = "default"
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


@dataclass(frozen=True)
class ServiceSpec:
    """One --base-url: ``LABEL=URL``, or a bare URL (label None: the prompt version its runs
    report, else "default")."""

    label: str | None
    url: str


def parse_service(value: str) -> ServiceSpec:
    label, sep, url = value.partition("=")
    if not sep or "/" in label or ":" in label:
        if not value.strip():
            raise ConfigError("--base-url: give a URL or LABEL=URL")
        return ServiceSpec(None, value.strip())
    label, url = label.strip(), url.strip()
    if not _LABEL.fullmatch(label):
        raise ConfigError(
            f"--base-url {value}: a label is letters, digits, '.', '_', '+' and '-' "
            "(e.g. extract.v5=http://127.0.0.1:8002)"
        )
    if not url:
        raise ConfigError(f"--base-url {value}: no URL after {label}=")
    return ServiceSpec(label, url)


def parse_services(values: Sequence[str], gate: str | None = None) -> list[ServiceSpec]:
    specs = [parse_service(v) for v in values]
    labels = [s.label for s in specs if s.label]
    if len(set(labels)) != len(labels):
        raise ConfigError("--base-url: a label is given twice")
    if gate is not None and all(s.label for s in specs) and gate not in labels:
        raise ConfigError(f"--gate {gate}: no --base-url has that label ({', '.join(labels)})")
    return specs


def service_label(spec: ServiceSpec, reports: Sequence[EvalReport], taken: Sequence[str]) -> str:
    """The given label, else the prompt version the service's runs report (else "default"),
    made unique with -2, -3, ..."""
    if spec.label:
        return spec.label
    versions = [r.prompt_version for r in reports if r.prompt_version]
    base = max(set(versions), key=versions.count) if versions else DEFAULT_LABEL
    label, n = base, 1
    while label in taken:
        n += 1
        label = f"{base}-{n}"
    return label


def normalise_text(text: str) -> str:
    """The service's stored form of an article (offsets index it)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def load_dataset(path: Path) -> Dataset:
    loaded = load_any_dataset(path)
    if not isinstance(loaded, Dataset):
        raise ConfigError(f"dataset {path}: a typing set (passages:), not articles")
    return loaded


def load_any_dataset(path: Path) -> Dataset | TypingDataset:
    """An article set, or a typing set when the file has ``passages:``."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if is_typing_set(raw):
            return TypingDataset.model_validate(raw)
        return Dataset.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"dataset {path}: {exc}") from exc


def load_cluster_truth(path: Path, dataset: Dataset) -> ClusterTruth | None:
    if not path.exists():
        return None
    try:
        return ClusterTruth.load(path, dataset)
    except (OSError, yaml.YAMLError, ValidationError, ValueError) as exc:
        raise ConfigError(f"cluster truth {path}: {exc}") from exc


def set_name(path: Path) -> str:
    """``seeds.v1.yaml`` -> ``seeds`` (the column and thresholds key of a dataset file)."""
    match = _DATASET_FILE.fullmatch(path.name)
    return match["name"] if match else path.stem


def resolve_set(name: str, directory: Path = DATASETS) -> Path:
    """The newest ``<directory>/<name>.v<N>.yaml``."""
    if not _SET_NAME.fullmatch(name):
        raise ConfigError(f"set {name!r}: a set name is letters, digits, '-' and '_'")
    versions = [
        (int(match["version"]), path)
        for path in directory.glob(f"{name}.v*.y*ml")
        if (match := _DATASET_FILE.fullmatch(path.name)) and match["name"] == name
    ]
    if not versions:
        raise ConfigError(f"set {name!r}: no {directory}/{name}.v<N>.yaml")
    return max(versions)[1]


def parse_sets(value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise ConfigError("--sets: name at least one set, e.g. seeds,dev")
    if len(set(names)) != len(names):
        raise ConfigError(f"--sets {value}: a set is named twice")
    return names


def _limits(path: Path, where: str, raw: object) -> dict[str, float]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"thresholds {path}: {where} must map metric names to numbers")
    limits: dict[str, float] = {}
    for key, value in raw.items():
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ConfigError(f"thresholds {path}: {where}{key} must be a number, not {value!r}")
        limits[str(key)] = float(value)
    return limits


def load_thresholds(path: Path, flat_set: str = FLAT_THRESHOLDS_SET) -> dict[str, dict[str, float]]:
    """Set name -> {metric: limit}. A set given as empty (``dev:`` or ``dev: {}``) has none.
    An old flat file (``metric: number`` at the top level) holds the limits of ``flat_set``."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"thresholds {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"thresholds {path}: expected a mapping of set name to thresholds")
    nested = [isinstance(v, dict) or v is None for v in raw.values()]
    if raw and not any(nested):
        return {flat_set: _limits(path, "", raw)}
    if not all(nested):
        raise ConfigError(
            f"thresholds {path}: mixes set sections and top-level metrics; put every metric "
            "under its set (seeds:, dev:, test:)"
        )
    return {str(name): _limits(path, f"{name}.", value) for name, value in raw.items()}


@contextmanager
def _answer(what: str) -> Iterator[None]:
    """A failed call or an answer the client cannot read, as a ServiceError naming ``what``."""
    try:
        yield
    except TransportError as exc:
        raise ServiceError(f"{what}: {type(exc.__cause__).__name__}: {exc}") from exc
    except ClientError as exc:
        raise ServiceError(f"{what}: {exc}") from exc
    except ValidationError as exc:
        raise ServiceError(f"{what}: unexpected answer: {exc}") from exc


def process_article(
    client: Client,
    gold: GoldArticle,
    root: Path,
    options: RunOptions,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[ArticleRun, PredictedArticle]:
    """POST the article, wait for its run, GET the result. Raises ServiceError."""
    path = root / gold.file
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"article {path}: {exc}") from exc
    return process_text(client, text, gold.file, gold.published, options, sleep=sleep, clock=clock)


def server_wait(options: RunOptions) -> float:
    """The ?wait= of a POST (the API caps it; longer waits continue by polling)."""
    return max(0.0, min(options.wait, MAX_SERVER_WAIT))


def process_text(
    client: Client,
    text: str,
    name: str,
    published: str | None,
    options: RunOptions,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[ArticleRun, PredictedArticle]:
    """POST ``text`` as an article (``name``: how reports call it), wait for its run, GET the
    result. Raises ServiceError."""
    started = clock()
    wait = server_wait(options)
    with _answer("POST /articles"):
        accepted = client.post_article(text, published_date=published, wait=wait)
    article_id = accepted.article_id
    if not accepted.created and (options.rerun or accepted.run is None):
        with _answer(f"POST /articles/{article_id}/extract"):
            accepted = client.rerun(article_id, wait=wait)
    run = accepted.run
    if run is None:
        raise ServiceError(f"article {article_id}: the answer names no run")

    deadline = started + options.wait
    while run.status not in DONE and clock() < deadline:
        sleep(options.poll_interval)
        with _answer(f"GET /runs/{run.id}"):
            run = client.get_run(run.id)
    status = str(run.status) if run.status in DONE else "timeout"

    with _answer(f"GET /articles/{article_id}"):
        article = client.get_article(article_id)
        predicted = PredictedArticle.model_validate(article.model_dump(mode="json"))
    if status != "succeeded":
        # The article view shows the latest *successful* run, which is not this one.
        predicted = predicted.model_copy(update={"events": [], "actors": [], "figures": []})

    warnings = []
    if predicted.text != normalise_text(text):
        warnings.append("the stored text differs from the posted text, normalised")
    error = run.error
    if status == "timeout":
        error = f"not finished after {options.wait:g} s (status {run.status})"
    return (
        ArticleRun(
            file=name,
            article_id=article_id,
            run_id=run.id,
            status=status,
            created=accepted.created,
            seconds=clock() - started,
            error=error or None,
            model=run.model,
            prompt_version=run.prompt_version,
            schema_version=run.schema_version,
            stats=RunStats.from_run(run.model_dump()),
            warnings=warnings,
            words=len(text.split()),
        ),
        predicted,
    )


def run_eval(
    client: Client,
    dataset: Dataset,
    root: Path,
    options: RunOptions,
    progress: TextIO,
    *,
    config: ScoringConfig = DEFAULT_CONFIG,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    label: str = "",
) -> list[ArticleResult]:
    results = []
    total = len(dataset.articles)
    prefix = f"{label} " if label else ""
    for n, gold in enumerate(dataset.articles, 1):
        run, predicted = process_article(client, gold, root, options, sleep=sleep, clock=clock)
        score = score_article(gold, predicted, config)
        s = score.scores
        print(
            f"[{prefix}{n}/{total}] {gold.file}: article {run.article_id} run {run.run_id} "
            f"{run.status} in {run.seconds:.1f} s; F1 events {s.events.f1:.2f} "
            f"actors {s.actors.f1:.2f} figures {s.figures.f1:.2f}",
            file=progress,
            flush=True,
        )
        results.append(ArticleResult(run, score, predicted))
    return results


def run_typing(
    client: Client,
    dataset: TypingDataset,
    options: RunOptions,
    progress: TextIO,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    label: str = "",
) -> list[PassageResult]:
    """Each passage through the service as an article (no published date); its prediction is
    the sub-event type evals.typing_set.predicted_sub_type picks ("none" for a failed run)."""
    results = []
    total = len(dataset.passages)
    prefix = f"{label} " if label else ""
    for n, passage in enumerate(dataset.passages, 1):
        run, predicted = process_text(
            client, passage.text, passage.id, None, options, sleep=sleep, clock=clock
        )
        sub_type = predicted_sub_type(predicted)
        gold = str(passage.sub_event_type)
        mark = "right" if sub_type == gold else "WRONG"
        print(
            f"[{prefix}{n}/{total}] {passage.id}: article {run.article_id} run {run.run_id} "
            f"{run.status} in {run.seconds:.1f} s; {mark}: gold {gold}, predicted {sub_type}",
            file=progress,
            flush=True,
        )
        results.append(PassageResult(passage.id, gold, sub_type, run, len(predicted.events)))
    return results


def cluster_truth_path(dataset: Path) -> Path:
    """``seeds.v1.yaml`` -> ``seeds.clusters.v1.yaml``."""
    stem, _, version = dataset.name.removesuffix(".yaml").rpartition(".v")
    return dataset.with_name(f"{stem}.clusters.v{version}.yaml")


def service_clusters(client: Client) -> dict[int, int]:
    """Event id -> event cluster id, from every page of GET /event-clusters."""
    with _answer("GET /event-clusters"):
        return {
            report.event_id: cluster.id
            for cluster in client.list_event_clusters(page_size=500)
            for report in cluster.reports
        }


def cross_article(
    client: Client, dataset: Dataset, truth: ClusterTruth, results: list[ArticleResult]
) -> CrossArticleScore:
    predicted = {r.run.file: r.predicted for r in results if r.predicted is not None}
    scores = {r.run.file: r.score for r in results}
    return score_cross_article(dataset, truth, predicted, scores, service_clusters(client))


def write_report(report: SuiteReport, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(
        json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    page = render_html(report, comparison(REPORTS))
    (out / "report.html").write_text(page, encoding="utf-8")


@dataclass(frozen=True)
class EvalSet:
    name: str
    path: Path
    dataset: Dataset | TypingDataset
    truth: ClusterTruth | None


def _shown(path: Path) -> str:
    """A path as reports show it: relative to the repo root when it is inside."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m evals",
        description="Run labelled sets through the running extraction service, score them and "
        "report them side by side. Exit 0: thresholds met; 1: a threshold failed; 2: service, "
        "network or input error.",
    )
    parser.add_argument(
        "--base-url",
        required=True,
        action="append",
        metavar="[LABEL=]URL",
        help="the service, e.g. http://127.0.0.1:8000; repeat as LABEL=URL to compare services "
        "side by side (e.g. --base-url extract.v4=http://127.0.0.1:8001 --base-url "
        "extract.v5=http://127.0.0.1:8002), run one after the other. A bare URL's label is the "
        "prompt version its runs report (else 'default')",
    )
    parser.add_argument(
        "--gate",
        default=None,
        metavar="LABEL",
        help="the service whose thresholds decide the exit code (default: the last --base-url)",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--sets",
        default=DEFAULT_SETS,
        metavar="NAMES",
        help="comma-separated sets, each the newest <sets-dir>/<set>.v<N>.yaml, reported side "
        f"by side (default {DEFAULT_SETS}; e.g. seeds,dev,test)",
    )
    which.add_argument(
        "--dataset",
        type=Path,
        default=None,
        metavar="YAML",
        help="one dataset file instead of --sets (its set name: the file name before .v<N>)",
    )
    parser.add_argument(
        "--sets-dir",
        type=Path,
        default=DATASETS,
        metavar="DIR",
        help="where --sets are looked up (default evals/datasets)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "evals/reports/latest", metavar="DIR")
    parser.add_argument(
        "--thresholds",
        type=Path,
        default=ROOT / "evals/thresholds.yaml",
        metavar="YAML",
        help="set -> {metric: limit} (a flat metric: limit file is the seeds set's, or the "
        "--dataset file's)",
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
        help="cross-article truth for a single set (default: <dataset>.clusters.v<N>.yaml "
        "beside each dataset, when it exists)",
    )
    return parser.parse_args(argv)


def load_sets(args: argparse.Namespace) -> list[EvalSet]:
    """The datasets to run and their cluster truths; raises ConfigError."""
    if args.dataset is not None:
        paths = [args.dataset]
    else:
        paths = [resolve_set(name, args.sets_dir) for name in parse_sets(args.sets)]
    if args.clusters is not None:
        if len(paths) != 1:
            raise ConfigError("--clusters applies to a single set")
        if not args.clusters.exists():
            raise ConfigError(f"cluster truth {args.clusters}: no such file")
    sets = []
    for path in paths:
        dataset = load_any_dataset(path)
        if isinstance(dataset, TypingDataset):
            if args.clusters is not None:
                raise ConfigError(f"--clusters: {path} is a typing set (passages:)")
            sets.append(EvalSet(set_name(path), path, dataset, None))
            continue
        truth = load_cluster_truth(args.clusters or cluster_truth_path(path), dataset)
        sets.append(EvalSet(set_name(path), path, dataset, truth))
    return sets


def run_service(
    spec: ServiceSpec,
    sets: Sequence[EvalSet],
    args: argparse.Namespace,
    options: RunOptions,
    thresholds: dict[str, dict[str, float]],
    progress: TextIO,
    *,
    transport: httpx.BaseTransport | None,
    sleep: Callable[[float], None],
    several: bool,
) -> list[EvalReport]:
    """Every set through one service; the reports carry the given label (or none yet)."""
    reports: list[EvalReport] = []
    # A POST waits up to server_wait() for its run; the other calls are quick.
    timeout = server_wait(options) + 60.0
    with Client(spec.url, transport=transport, timeout=timeout) as client:
        for item in sets:
            set_started = time.monotonic()
            label = f"{spec.label or spec.url} {item.name}" if several else item.name
            if isinstance(item.dataset, TypingDataset):
                passages = run_typing(
                    client, item.dataset, options, progress, sleep=sleep, label=label
                )
                reports.append(
                    build_typing_report(
                        dataset=item.dataset,
                        dataset_path=_shown(item.path),
                        base_url=spec.url,
                        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                        seconds=time.monotonic() - set_started,
                        passages=passages,
                        thresholds_path=_shown(args.thresholds),
                        thresholds=thresholds.get(item.name, {}),
                        name=item.name,
                        service=spec.label or DEFAULT_LABEL,
                    )
                )
                continue
            results = run_eval(
                client,
                item.dataset,
                args.root,
                options,
                progress,
                sleep=sleep,
                label=label,
            )
            cross = cross_article(client, item.dataset, item.truth, results) if item.truth else None
            reports.append(
                build_report(
                    dataset=item.dataset.dataset,
                    version=item.dataset.version,
                    dataset_path=_shown(item.path),
                    base_url=spec.url,
                    generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    seconds=time.monotonic() - set_started,
                    config=DEFAULT_CONFIG,
                    articles=results,
                    thresholds_path=_shown(args.thresholds),
                    thresholds=thresholds.get(item.name, {}),
                    cross=cross,
                    name=item.name,
                    service=spec.label or DEFAULT_LABEL,
                )
            )
    return reports


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
    reports: list[EvalReport] = []
    labels: list[str] = []
    try:
        specs = parse_services(args.base_url, args.gate)
        sets = load_sets(args)
        # An old flat file belongs to the one --dataset file, as it did before sets.
        flat_set = sets[0].name if args.dataset is not None else FLAT_THRESHOLDS_SET
        thresholds = load_thresholds(args.thresholds, flat_set)
        for spec in specs:
            service_reports = run_service(
                spec, sets, args, options, thresholds, err_stream,
                transport=transport, sleep=sleep, several=len(specs) > 1,
            )  # fmt: skip
            taken = [*labels, *(s.label for s in specs if s.label)]
            label = service_label(spec, service_reports, taken)
            labels.append(label)
            reports += [dataclasses.replace(r, service=label) for r in service_reports]
        gate = args.gate or labels[-1]
        if gate not in labels:
            raise ConfigError(f"--gate {gate}: no service has that label ({', '.join(labels)})")
        reports = [dataclasses.replace(r, gating=r.service == gate) for r in reports]
    except ConfigError as exc:
        print(f"error: {exc}", file=err_stream)
        return EXIT_SERVICE
    except ServiceError as exc:
        print(f"service error: {exc}", file=err_stream)
        return EXIT_SERVICE

    suite = SuiteReport(
        base_url=specs[labels.index(gate)].url,
        generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        seconds=time.monotonic() - started,
        thresholds_path=_shown(args.thresholds),
        sets=reports,
        gate=gate,
    )
    write_report(suite, args.out)
    print(render_text(suite), file=out_stream)
    print(f"\nreport: {args.out / 'report.html'}", file=out_stream)

    for failure in suite.failures:
        print(f"FAILED threshold {failure}", file=out_stream)
    if suite.run_problems:
        for problem in suite.run_problems:
            print(f"run problem: {problem}", file=err_stream)
        if not options.rerun:
            print("(--rerun queues a new extraction for articles already stored)", file=err_stream)
        return EXIT_SERVICE
    return EXIT_THRESHOLDS if suite.failures else EXIT_OK
