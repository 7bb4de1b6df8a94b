"""The pictures of report.html (confusion matrix, thresholds, prompt versions) and report.html
rendered again from report.json."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from evals.pictures import Comparison, comparison_html, sub_type_confusion
from evals.report import ArticleResult, ArticleRun, SuiteReport, build_report, render_html
from evals.report_json import ReportError, comparison, load, main, suite
from evals.runner import ROOT, write_report
from evals.scorer import DEFAULT_CONFIG, score_article
from tests.test_eval_scorer import GOLD, perfect_events, predicted

SVG = "{http://www.w3.org/2000/svg}"
SHELLING = "Shelling/artillery/missile attack"


def svgs(page: str) -> list[ET.Element]:
    """Every inline chart, parsed as XML (so each is well-formed)."""
    return [ET.fromstring(chunk) for chunk in re.findall(r"<svg .*?</svg>", page, re.S)]


def cells(page: str, attribute: str) -> list[dict[str, str]]:
    return [
        dict(e.attrib)
        for svg in svgs(page)
        for e in svg.iter(f"{SVG}rect")
        if attribute in e.attrib
    ]


def a_suite(thresholds: dict[str, float] | None = None) -> SuiteReport:
    events = perfect_events()
    events[0] |= {"sub_event_type": "Air/drone strike"}  # e1 is shelling
    run = ArticleRun(file="a.txt", article_id=1, run_id=1, status="succeeded", created=True,
                     seconds=3.0, prompt_version="extract.v9")  # fmt: skip
    report = build_report(
        dataset="seeds",
        version=1,
        dataset_path="evals/datasets/seeds.v1.yaml",
        base_url="http://fake",
        generated_at="2026-11-29T00:00:00+00:00",
        seconds=1.0,
        config=DEFAULT_CONFIG,
        articles=[ArticleResult(run, score_article(GOLD, predicted(events=events)))],
        thresholds_path="thresholds.yaml",
        thresholds=thresholds if thresholds is not None else {},
        name="seeds",
    )
    return SuiteReport("http://fake", "2026-11-29T00:00:00+00:00", 1.0, "thresholds.yaml", [report])


def test_confusion_matrix_counts_matched_required_events() -> None:
    report = a_suite()
    counts = sub_type_confusion(a.score for a in report.sets[0].articles)
    # e1..e3 are required and matched (e4 is optional): one shelling taken for an air strike.
    assert counts == {
        (SHELLING, "Air/drone strike"): 1,
        ("Government regains territory", "Government regains territory"): 1,
        ("Agreement", "Agreement"): 1,
    }
    page = render_html(report)
    matrix = cells(page, "data-gold")
    # Square over the types that occur, in taxonomy order; every cell carries its count.
    types = list(dict.fromkeys(c["data-gold"] for c in matrix))
    assert set(types) == {SHELLING, "Air/drone strike", "Government regains territory", "Agreement"}
    assert len(matrix) == 16
    by_pair = {(c["data-gold"], c["data-predicted"]): int(c["data-count"]) for c in matrix}
    assert by_pair[(SHELLING, "Air/drone strike")] == 1
    assert by_pair[("Agreement", "Agreement")] == 1
    assert by_pair[(SHELLING, SHELLING)] == 0
    assert sum(by_pair.values()) == 3
    assert "Sub-event types of matched events: 2/3 right" in page


def test_no_confusion_matrix_without_recorded_types() -> None:
    report = a_suite()
    bare = [
        ArticleResult(
            a.run,
            a.score.__class__(file=a.score.file, scores=a.score.scores, matches=[]),
        )
        for a in report.sets[0].articles
    ]
    assert sub_type_confusion(a.score for a in bare) == {}


def test_threshold_bars_show_value_limit_and_verdict() -> None:
    limits = {"events.f1": 0.5, "events.recall": 0.99, "ungrounded_share_max": 0.0}
    page = render_html(a_suite(limits))
    bars = {c["data-metric"]: c for c in cells(page, "data-metric")}
    assert set(bars) == {"events.f1", "events.recall", "ungrounded_share"}
    # e1..e3 matched, nothing invented but the optional e4: precision and recall 1.
    assert bars["events.f1"]["data-value"] == "1.0000"
    assert bars["events.f1"]["data-limit"] == "0.5"
    assert bars["events.f1"]["data-met"] == "true"
    assert bars["ungrounded_share"]["data-met"] == "true"
    assert "Gated metrics against thresholds: 3/3 met" in page

    failing = render_html(a_suite({"events.f1": 1.5, "figures.f1_max": 0.2}))
    bars = {c["data-metric"]: c for c in cells(failing, "data-metric")}
    assert bars["events.f1"]["data-met"] == "false" and bars["events.f1"]["data-limit"] == "1.5"
    assert bars["figures.f1"]["data-met"] == "false"
    assert "1.000 &gt;= 1.5" in failing and "&lt;= 0.2" in failing
    assert "0/2 met" in failing


def write(path: Path, data: dict[str, Any]) -> None:
    path.mkdir(parents=True)
    (path / "report.json").write_text(json.dumps(data), encoding="utf-8")


def metrics_of(events: float, actors: float, figures: float) -> dict[str, float]:
    return {"events.f1": events, "actors.f1": actors, "figures.f1": figures}


def test_comparison_reads_every_report_shape(tmp_path: Path) -> None:
    run = {"run": {"prompt_version": "extract.v1"}}
    write(
        tmp_path / "baseline",
        {"dataset": {"name": "seeds"}, "metrics": metrics_of(0.5, 0.6, 0.4), "articles": [run]},
    )
    write(
        tmp_path / "v4-dev",
        {"sets": {"dev": {"metrics": metrics_of(0.25, 0.3, 0.5), "articles": []}}},
    )
    write(
        tmp_path / "v5-vs-v4",
        {
            "services": {
                label: {"sets": {"test": {"metrics": metrics_of(f1, f1, f1)}}}
                for label, f1 in (("extract.v4", 0.3), ("extract.v5", 0.45))
            }
        },
    )
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken/report.json").write_text("{", encoding="utf-8")
    rows = comparison(tmp_path)
    assert rows == [
        Comparison("baseline", "extract.v1", "seeds", (0.5, 0.6, 0.4)),
        Comparison("v4-dev", "default", "dev", (0.25, 0.3, 0.5)),
        Comparison("v5-vs-v4", "extract.v4", "test", (0.3, 0.3, 0.3)),
        Comparison("v5-vs-v4", "extract.v5", "test", (0.45, 0.45, 0.45)),
    ]
    page = comparison_html(rows)
    charts = svgs(page)
    assert [c.get("aria-label") for c in charts] == [
        "Set seeds: F1 per prompt version",
        "Set dev: F1 per prompt version",
        "Set test: F1 per prompt version",
    ]
    bars = {(c["data-row"], c["data-series"]): c["data-value"] for c in cells(page, "data-row")}
    assert bars[("extract.v5 (v5-vs-v4)", "figures F1")] == "0.4500"
    assert bars[("extract.v1 (baseline)", "actors F1")] == "0.6000"
    assert "<td>extract.v5</td><td>v5-vs-v4</td>" in page


def test_the_committed_reports_are_compared() -> None:
    rows = comparison()
    labels = {(r.label, r.set_name) for r in rows}
    assert {("extract.v4", "seeds"), ("extract.v5", "test"), ("extract.v1", "seeds")} <= labels
    assert all(v is None or 0 <= v <= 1 for r in rows for v in r.f1)


def test_runner_report_has_the_comparison(tmp_path: Path) -> None:
    write_report(a_suite({"events.f1": 0.5}), tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<h2>Prompt versions (committed reports)</h2>" in page
    assert "Set seeds: F1 per prompt version" in page


def test_report_html_rendered_again_from_report_json(tmp_path: Path) -> None:
    original = a_suite({"events.f1": 0.5, "figures.recall": 0.99})
    data = original.to_dict()
    (tmp_path / "report.json").write_text(json.dumps(data), encoding="utf-8")
    reports = tmp_path / "reports"
    write(reports / "old", {"sets": {"seeds": {"metrics": metrics_of(0.1, 0.2, 0.3)}}})
    out = tmp_path / "html/report.html"
    code = main(["--from", str(tmp_path / "report.json"), "--out", str(out),
                 "--reports", str(reports)])  # fmt: skip
    assert code == 0
    page = out.read_text(encoding="utf-8")
    assert suite(data).to_dict()["side_by_side"] == data["side_by_side"]
    assert page == render_html(suite(data), comparison(reports))
    assert "Sub-event types of matched events: 2/3 right" in page
    assert {c["data-metric"] for c in cells(page, "data-metric")} == {"events.f1", "figures.recall"}
    assert "default (old)" in page


def test_an_old_report_gets_sub_types_from_its_dataset(tmp_path: Path) -> None:
    data = a_suite().to_dict()
    for article in data["services"]["default"]["sets"]["seeds"]["articles"]:
        for match in article["score"]["matches"]:
            del match["gold_label"], match["pred_label"]
    dataset = {
        "dataset": "seeds",
        "version": 1,
        "description": "d",
        "articles": [GOLD.model_dump(mode="json")],
    }
    (tmp_path / "seeds.v1.yaml").write_text(yaml.safe_dump(dataset), encoding="utf-8")
    again = suite(data, datasets=tmp_path)
    counts = sub_type_confusion(a.score for a in again.sets[0].articles)
    assert counts[(SHELLING, "Air/drone strike")] == 1
    assert counts[("Agreement", "Agreement")] == 1
    # Without the dataset the types stay unknown: no matrix rather than a wrong one.
    unknown = suite(data, datasets=tmp_path / "none")
    assert sub_type_confusion(a.score for a in unknown.sets[0].articles) == {
        (SHELLING, "Air/drone strike"): 1
    }


def test_every_committed_report_renders_again(tmp_path: Path) -> None:
    for path in sorted((ROOT / "evals/reports").glob("*/report.json")):
        out = tmp_path / f"{path.parent.name}.html"
        assert main(["--from", str(path), "--out", str(out)]) == 0, path
        page = out.read_text(encoding="utf-8")
        services = json.loads(path.read_text(encoding="utf-8")).get("services", {})
        names = [name for service in services.values() for name in service["sets"]]
        typing_only = bool(names) and all(name.startswith("typing-") for name in names)
        heading = "Confusion matrix" if typing_only else "Sub-event types of matched events"
        assert heading in page, path
        assert "<script" not in page and "<link" not in page and " src=" not in page
    data = load(ROOT / "evals/reports/extract.v5-vs-v4/report.json")
    # Rounded: Python 3.12+ sums floats with compensation, which moves the last digit.
    assert _rounded(suite(data).to_dict()["side_by_side"]) == _rounded(data["side_by_side"])


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 12)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def test_an_unreadable_report_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_text('{"sets": {"seeds": {"dataset": {}}}}', "utf-8")
    assert main(["--from", str(tmp_path / "report.json"), "--out", str(tmp_path / "r.html")]) == 2
    assert not (tmp_path / "r.html").exists()
    with pytest.raises(ReportError, match="neither services"):
        suite({"nothing": 1})
