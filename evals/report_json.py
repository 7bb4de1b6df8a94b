"""report.json read back: re-render a report.html (``python -m evals.report --from
report.json --out report.html``) and the F1 per prompt version of the committed reports.

Three shapes have been written over time, all read here: one set at the top level (``dataset``,
``metrics``, ``articles``), sets by name (``sets.<set>``) and services by label
(``services.<label>.sets.<set>``). Scores are recomputed from the stored per-article counts by
today's code; a report written before matches recorded sub-event types gets them from the
dataset file it names (``evals/datasets/<name>.v<version>.yaml``), the predicted type being the
gold one unless a sub_event_type mismatch says otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from evals.cross_article import CrossArticleScore, PairScore
from evals.pictures import Comparison
from evals.report import (
    ArticleResult,
    ArticleRun,
    EvalReport,
    RunStats,
    SuiteReport,
    build_report,
    render_html,
)
from evals.scorer import (
    DEFAULT_CONFIG,
    FIELD_KEYS,
    KINDS,
    ArticleScore,
    Dataset,
    FieldTally,
    Scores,
    ScoringConfig,
    check_thresholds,
)
from evals.typing_set import PassageResult, TypingReport, score_passages

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "evals/reports"
DATASETS = ROOT / "evals/datasets"

_RUN = TypeAdapter(ArticleRun)
_SCORE = TypeAdapter(ArticleScore)
_CONFIG = TypeAdapter(ScoringConfig)


class ReportError(Exception):
    """A report.json that cannot be read."""


def load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(str(exc)) from exc
    if not isinstance(data, dict):
        raise ReportError("not a report.json object")
    return data


def set_sections(data: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any], bool]]:
    """(service label, set name, the set's section, gating?) in any of the three shapes; a
    report without services is labelled with the prompt version its runs report."""
    services = data.get("services")
    if isinstance(services, dict):
        for label, section in services.items():
            for name, data_set in section.get("sets", {}).items():
                yield str(label), str(name), data_set, bool(section.get("gate", True))
        return
    sets = data.get("sets")
    if isinstance(sets, dict):
        for name, data_set in sets.items():
            yield _prompt_version(data_set), str(name), data_set, True
        return
    if "dataset" in data and "articles" in data:
        yield _prompt_version(data), str(data["dataset"].get("name", "default")), data, True
        return
    raise ReportError("neither services, sets nor a dataset at the top level")


def _prompt_version(data_set: Mapping[str, Any]) -> str:
    items = data_set.get("articles") or data_set.get("passages") or []
    versions = Counter(
        v for item in items if isinstance(v := item.get("run", {}).get("prompt_version"), str)
    )
    return versions.most_common(1)[0][0] if versions else "default"


# -- the F1 comparison -----------------------------------------------------------------------


def comparison(directory: Path = REPORTS) -> list[Comparison]:
    """Events/actors/figures F1 of each set of each ``<directory>/*/report.json`` (typing sets
    have none and are left out). An unreadable report is skipped."""
    rows = []
    for path in sorted(directory.glob("*/report.json")):
        try:
            sections = list(set_sections(load(path)))
        except (ReportError, AttributeError, TypeError):
            continue
        for label, name, data_set, _ in sections:
            metrics = data_set.get("metrics")
            if not isinstance(metrics, dict) or not any(f"{k}.f1" in metrics for k in KINDS):
                continue
            f1 = tuple(_number(metrics.get(f"{k}.f1")) for k in KINDS)
            rows.append(Comparison(path.parent.name, label, name, f1))
    return rows


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


# -- re-rendering ----------------------------------------------------------------------------


def suite(data: Mapping[str, Any], datasets: Path = DATASETS) -> SuiteReport:
    """The reports a report.json holds, rebuilt (raises ReportError)."""
    try:
        reports = [
            _set_report(data_set, label, name, gating, datasets)
            for label, name, data_set, gating in set_sections(data)
        ]
    except (KeyError, TypeError, ValueError, AttributeError, ValidationError) as exc:
        raise ReportError(f"not an eval report: {exc!r}"[:500]) from exc
    gate = str(data.get("gate") or (reports[-1].service if reports else ""))
    return SuiteReport(
        base_url=str(data.get("base_url", "")),
        generated_at=str(data.get("generated_at", "")),
        seconds=float(data.get("seconds", 0.0)),
        thresholds_path=str(data.get("thresholds_path") or _thresholds(data).get("path", "")),
        sets=reports,
        gate=gate,
    )


def _thresholds(data_set: Mapping[str, Any]) -> dict[str, Any]:
    found = data_set.get("thresholds")
    return found if isinstance(found, dict) else {"path": "", "limits": {}}


def _set_report(
    data_set: Mapping[str, Any], label: str, name: str, gating: bool, datasets: Path
) -> EvalReport:
    dataset = data_set["dataset"]
    thresholds = {str(k): float(v) for k, v in _thresholds(data_set).get("limits", {}).items()}
    common: dict[str, Any] = {
        "dataset": str(dataset["name"]),
        "version": int(dataset["version"]),
        "dataset_path": str(dataset.get("path", "")),
        "base_url": str(data_set.get("base_url", "")),
        "generated_at": str(data_set.get("generated_at", "")),
        "seconds": float(data_set.get("seconds", 0.0)),
        "thresholds_path": str(_thresholds(data_set).get("path", "")),
        "thresholds": thresholds,
        "name": name,
        "service": label,
        "gating": gating,
    }
    if data_set.get("kind") == "typing":
        return _typing_report(data_set, common)
    gold_types = _gold_types(datasets, common["dataset"], common["version"])
    articles = []
    for article in data_set["articles"]:
        score = _score(article["score"])
        articles.append(
            ArticleResult(
                _RUN.validate_python(article["run"]),
                _with_labels(score, gold_types.get(score.file, {})),
            )
        )
    cross = data_set.get("cross_article")
    stored = data_set.get("metrics")
    return build_report(
        config=_CONFIG.validate_python(data_set.get("config") or {}),
        articles=articles,
        cross=_cross(cross) if isinstance(cross, dict) else None,
        measured=frozenset(map(str, stored)) if isinstance(stored, dict) else None,
        **common,
    )


def _score(raw: Mapping[str, Any]) -> ArticleScore:
    """An article's score; field tallies a report predates are empty."""
    scores = dict(raw["scores"])
    scores["fields"] = {key: FieldTally() for key in FIELD_KEYS} | {
        k: FieldTally(int(v["correct"]), int(v["total"]))
        for k, v in scores.get("fields", {}).items()
        if k in FIELD_KEYS
    }
    return _SCORE.validate_python({**raw, "scores": scores})


def _gold_types(datasets: Path, name: str, version: int) -> dict[str, dict[str, str]]:
    """Article file -> gold event id -> sub-event type, from the dataset file (none without)."""
    path = datasets / f"{name}.v{version}.yaml"
    try:
        gold = Dataset.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError):
        return {}
    return {a.file: {e.id: e.sub_event_type for e in a.events} for a in gold.articles}


def _with_labels(score: ArticleScore, gold_types: Mapping[str, str]) -> ArticleScore:
    """Event matches without recorded sub-event types get them from the gold types and the
    sub_event_type mismatches."""
    mismatched = {
        (m.gold_id, m.pred_id): m
        for m in score.mismatches
        if m.kind == "events" and m.field == "sub_event_type"
    }
    matches = []
    for m in score.matches:
        if m.kind == "events" and m.gold_label is None:
            wrong = mismatched.get((m.gold_id, m.pred_id))
            gold = str(wrong.gold) if wrong and wrong.gold else gold_types.get(m.gold_id)
            predicted = str(wrong.predicted) if wrong and wrong.predicted else gold
            m = replace(m, gold_label=gold, pred_label=predicted)
        matches.append(m)
    return replace(score, matches=matches)


def _cross(raw: Mapping[str, Any]) -> CrossArticleScore:
    def pairs(kind: str) -> PairScore:
        s = raw[kind]
        return PairScore(
            "actors" if kind == "actors" else "events",
            units=int(s["units"]),
            merged=int(s["merged_pairs"]),
            true_pairs=int(s["true_pairs"]),
            right=int(s["right_pairs"]),
            wrong_merges=[(str(a), str(b)) for a, b in s.get("wrong_merges", [])],
            missed_merges=[(str(a), str(b)) for a, b in s.get("missed_merges", [])],
        )

    return CrossArticleScore(pairs("actors"), pairs("events"))


def _typing_report(data_set: Mapping[str, Any], common: dict[str, Any]) -> TypingReport:
    passages = [
        PassageResult(
            id=str(p["id"]),
            gold=str(p["gold"]),
            predicted=str(p["predicted"]),
            run=_RUN.validate_python(p["run"]),
            events=int(p.get("events", 0)),
        )
        for p in data_set["passages"]
    ]
    run_totals = RunStats()
    for p in passages:
        run_totals = run_totals + p.run.stats
    return TypingReport(
        config=DEFAULT_CONFIG,
        articles=[],
        totals=Scores(),
        run_totals=run_totals,
        failures=check_thresholds(score_passages(passages).metrics(), common["thresholds"]),
        passages=passages,
        **common,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evals.report",
        description="Render report.html again from a report.json (any of its shapes), with "
        "today's pictures and the comparison of the committed reports.",
    )
    parser.add_argument("--from", dest="source", type=Path, required=True, metavar="JSON")
    parser.add_argument("--out", type=Path, required=True, metavar="HTML")
    parser.add_argument(
        "--reports",
        type=Path,
        default=REPORTS,
        metavar="DIR",
        help="committed reports compared by prompt version (default evals/reports)",
    )
    args = parser.parse_args(argv)
    try:
        page = render_html(suite(load(args.source)), comparison(args.reports))
    except ReportError as exc:
        print(f"error: {args.source}: {exc}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page, encoding="utf-8")
    print(f"report: {args.out}")
    return 0
