"""Record confidences in the evals: outcomes per predicted record, reliability diagrams, ECE,
precision/recall over the threshold, their metrics, charts and report sections."""

from __future__ import annotations

import json
from typing import Any

import pytest

from evals.charts import pr_svg, reliability_svg
from evals.reliability import (
    CONFIDENCE_METRICS,
    THRESHOLDS,
    Sample,
    kind_confidence,
    pr_curve,
    reliability,
    samples_of,
)
from evals.report import (
    ArticleResult,
    ArticleRun,
    RunStats,
    SuiteReport,
    build_report,
    render_html,
    render_text,
)
from evals.runner import ROOT, load_thresholds
from evals.scorer import DEFAULT_CONFIG, RecordOutcome, check_thresholds, score_article
from tests.test_eval_scorer import (
    GOLD,
    p_actor,
    p_event,
    perfect_actors,
    perfect_events,
    predicted,
)


def sure(record: dict[str, Any], confidence: float | None, raw: float | None) -> dict[str, Any]:
    return record | {"confidence": confidence, "model_probability": raw}


# -- which predicted records were right ------------------------------------------------------


def test_every_predicted_record_has_an_outcome() -> None:
    events = [sure(e, 0.9, 0.8) for e in perfect_events()]
    events.append(sure(p_event(5, "Armed clash", 9), 0.2, 0.6))  # unlabelled: an FP
    events[0]["actors"][0] |= {"confidence": 0.7, "model_probability": 0.5}
    actors = [
        *perfect_actors(),
        {**p_actor("Syrian army", "state forces", 8), "name": "the Syrian Army"},  # duplicate
    ]
    score = score_article(GOLD, predicted(events=events, actors=actors))
    by_kind: dict[str, list[tuple[int | None, str, str | None]]] = {}
    for r in score.records:
        by_kind.setdefault(r.kind, []).append((r.pred_id, r.outcome, r.gold_id))
    assert by_kind["events"] == [
        (1, "tp", "e1"),
        (2, "tp", "e2"),
        (3, "tp", "e3"),
        (4, "optional", "e4"),  # matched an optional gold event: neither right nor wrong
        (9, "fp", None),
    ]
    assert by_kind["actors"] == [
        (1, "tp", "Jaysh al-Islam"),
        (2, "tp", "Syrian army"),
        (3, "tp", "SANA"),
        (4, "tp", "Observatory"),
        (5, "optional", "Rebels"),
        (8, "duplicate", None),
    ]
    assert by_kind["figures"] == [(1, "tp", "f1"), (2, "optional", "f2")]
    assert [r.matched for r in score.records if r.kind == "events"] == [
        True,
        True,
        True,
        None,
        False,
    ]
    first, *_, invented = [r for r in score.records if r.kind == "events"]
    assert (first.confidence, first.model_probability) == (0.9, 0.8)
    assert (invented.confidence, invented.model_probability) == (0.2, 0.6)
    # Records without confidences (an older service) have None.
    assert all(r.confidence is None for r in score.records if r.kind == "actors")
    # The event's actor references accept the fields too.
    pred = predicted(events=events)
    assert pred.events[0].actors[0].confidence == 0.7
    assert pred.events[0].actors[0].model_probability == 0.5
    data = score.to_dict()["records"]
    assert data[0] == {
        "kind": "events",
        "pred_id": 1,
        "outcome": "tp",
        "gold_id": "e1",
        "confidence": 0.9,
        "model_probability": 0.8,
        "matched": True,
    }
    json.dumps(data)


def test_outcomes_agree_with_precision() -> None:
    events = [*perfect_events(), p_event(3, "Armed clash", 9), p_event(5, "Armed clash", 10)]
    score = score_article(GOLD, predicted(events=events))
    e = score.scores.events
    outcomes = [r.matched for r in score.records if r.kind == "events"]
    assert outcomes.count(True) == e.tp and outcomes.count(False) == e.fp
    assert outcomes.count(None) == e.optional_matched


# -- reliability diagram, ECE, threshold curve -----------------------------------------------


def test_reliability_bins_and_ece() -> None:
    samples = [
        Sample(0.05, False),
        Sample(0.15, False),
        Sample(0.15, True),
        Sample(0.95, True),
        Sample(0.95, True),
        Sample(1.0, False),  # 1.0 falls in the last bin
    ]
    diagram = reliability(samples)
    assert len(diagram.bins) == 10 and diagram.samples == 6
    counts = [b.count for b in diagram.bins]
    assert counts == [1, 2, 0, 0, 0, 0, 0, 0, 0, 3]
    first, second, last = diagram.bins[0], diagram.bins[1], diagram.bins[9]
    assert (first.low, first.high, first.mean_confidence, first.accuracy) == (0.0, 0.1, 0.05, 0.0)
    assert second.mean_confidence == pytest.approx(0.15) and second.accuracy == 0.5
    assert last.mean_confidence == pytest.approx(2.9 / 3) and last.accuracy == pytest.approx(2 / 3)
    assert diagram.bins[4].accuracy is None and diagram.bins[4].mean_confidence is None
    expected = (1 * 0.05 + 2 * abs(0.5 - 0.15) + 3 * abs(2 / 3 - 2.9 / 3)) / 6
    assert diagram.ece == pytest.approx(expected)
    assert reliability([]).ece is None
    assert reliability([Sample(0.7, True)] * 7 + [Sample(0.7, False)] * 3).ece == pytest.approx(0)


def test_precision_recall_over_the_threshold() -> None:
    samples = [Sample(0.9, True), Sample(0.6, True), Sample(0.4, False), Sample(0.1, False)]
    assert THRESHOLDS[:3] == (0.0, 0.05, 0.1) and THRESHOLDS[-1] == 0.95 and len(THRESHOLDS) == 20
    # 4 required gold records, two of them found.
    curve = {p.threshold: p for p in pr_curve(samples, required=4)}
    assert (curve[0.0].kept, curve[0.0].right, curve[0.0].precision) == (4, 2, 0.5)
    assert curve[0.0].recall == 0.5
    assert curve[0.1].kept == 4  # >= t
    assert (curve[0.45].kept, curve[0.45].precision, curve[0.45].recall) == (2, 1.0, 0.5)
    assert curve[0.45].f1 == pytest.approx(2 / 3)
    assert (curve[0.95].kept, curve[0.95].precision, curve[0.95].f1) == (0, None, None)
    assert curve[0.95].recall == 0.0
    assert pr_curve(samples, required=0)[0].recall is None


def test_samples_skip_neither_right_nor_wrong_and_count_missing_confidences() -> None:
    records = [
        RecordOutcome("events", 1, "tp", "e1", 0.9, 0.8),
        RecordOutcome("events", 2, "fp", None, None, 0.3),
        RecordOutcome("events", 3, "optional", "e4", 0.5, 0.5),
        RecordOutcome("actors", 4, "duplicate", None, 0.5, 0.5),
        RecordOutcome("actors", 5, "tp", "a", None, None),
    ]
    assert samples_of(records, "events", "confidence") == [Sample(0.9, True)]
    assert samples_of(records, "events", "model_probability") == [
        Sample(0.8, True),
        Sample(0.3, False),
    ]
    events = kind_confidence(records, "events", required=3)
    assert (events.records, events.judged, events.required) == (3, 2, 3)
    assert events.without == {"confidence": 1, "model_probability": 0}
    assert events.sources["confidence"].reliability.samples == 1
    assert events.sources["model_probability"].curve[0].recall == pytest.approx(1 / 3)
    actors = kind_confidence(records, "actors", required=1)
    assert actors.judged == 1 and actors.without == {"confidence": 1, "model_probability": 1}
    assert actors.sources["confidence"].ece is None


# -- report: metrics, text, JSON, HTML -------------------------------------------------------


def result(events: list[dict[str, Any]], **stats: Any) -> ArticleResult:
    run = ArticleRun(file="a.txt", article_id=1, run_id=1, status="succeeded", created=True,
                     seconds=10.0, stats=RunStats(**stats), words=200)  # fmt: skip
    return ArticleResult(run, score_article(GOLD, predicted(events=events)))


def confident_events() -> list[dict[str, Any]]:
    events = [sure(e, 0.95, 0.6) for e in perfect_events()]
    return [*events, sure(p_event(5, "Armed clash", 9), 0.35, 0.6)]


def report(thresholds: dict[str, float] | None = None, **stats: Any) -> Any:
    return build_report(
        dataset="dev", version=1, dataset_path="evals/datasets/dev.v1.yaml",
        base_url="http://fake", generated_at="2026-12-01T00:00:00+00:00", seconds=1.0,
        config=DEFAULT_CONFIG, articles=[result(confident_events(), **stats)],
        thresholds_path="thresholds.yaml", thresholds=thresholds or {}, name="dev",
    )  # fmt: skip


def test_confidence_metrics_for_thresholds() -> None:
    r = report({"events.ece_max": 0.05, "events.without_confidence_max": 0})
    metrics = r.metrics
    # Events: three right at 0.95, one wrong at 0.35 (the optional match is no sample).
    assert metrics["events.ece"] == pytest.approx((3 * 0.05 + 0.35) / 4)
    # Model probability 0.6 for all four: one bin, 3 of 4 right.
    assert metrics["events.ece_raw"] == pytest.approx(0.15)
    assert metrics["events.without_confidence"] == 0.0
    # Actors and figures carry no confidence here: counted, and their ECE passes (None).
    assert metrics["actors.without_confidence"] == 4.0
    assert metrics["actors.ece"] is None
    assert set(CONFIDENCE_METRICS) <= set(metrics)
    assert [f.key for f in r.failures] == ["events.ece_max"]
    assert check_thresholds(metrics, {"figures.ece_max": 0.1}) == []


def test_the_repo_thresholds_still_hold_on_an_empty_report() -> None:
    for name, limits in load_thresholds(ROOT / "evals/thresholds.yaml").items():
        if name.endswith(".geo") or name.startswith("typing-"):
            continue  # the geocoding eval's and typing sets' own metrics
        empty = build_report(
            dataset="x", version=1, dataset_path="x", base_url="x", generated_at="x",
            seconds=0.0, config=DEFAULT_CONFIG, articles=[], thresholds_path="x",
            thresholds={k: v for k, v in limits.items() if not k.startswith("cross.")},
        )  # fmt: skip
        assert empty.failures == []


def test_confidence_in_text_json_and_html() -> None:
    suite = SuiteReport("http://fake", "2026-12-01T00:00:00+00:00", 1.0, "t.yaml", [report()])
    rows = {
        line.split()[0]: line.split()[1:] for line in render_text(suite).splitlines()[3:] if line
    }
    assert rows["events.ece"] == ["0.125"]
    assert rows["events.ece_raw"] == ["0.150"]
    assert rows["events.without_confidence"] == ["0/4"]
    assert rows["actors.without_confidence"] == ["4/4"]
    assert rows["actors.ece"] == ["n/a"]

    data = suite.to_dict()["services"]["default"]["sets"]["dev"]
    events = data["confidence"]["events"]
    assert (events["records"], events["judged"], events["required"]) == (5, 4, 3)
    assert events["without"] == {"confidence": 0, "model_probability": 0}
    assert events["confidence"]["ece"] == pytest.approx(0.125)
    assert len(events["confidence"]["reliability"]["bins"]) == 10
    curve = events["confidence"]["pr_curve"]
    assert [p["threshold"] for p in curve] == list(THRESHOLDS)
    assert curve[0]["precision"] == 0.75 and curve[0]["recall"] == 1.0
    at_half = curve[10]
    assert (at_half["threshold"], at_half["precision"], at_half["recall"]) == (0.5, 1.0, 1.0)
    assert data["articles"][0]["score"]["records"][0]["matched"] is True

    page = render_html(suite)
    assert "<h3>Confidence</h3>" in page
    # events: reliability + two threshold curves (the other chart: the sub-type matrix)
    assert page.count("<svg") - page.count('aria-label="Sub-event types') == 3
    assert "actors: no judged record has a confidence" in page
    assert "<script" not in page and "http://www.w3.org/2000/svg" in page
    assert "<link" not in page and "cdn" not in page.lower()


# -- charts ----------------------------------------------------------------------------------


def test_reliability_svg_has_axes_labels_and_the_diagonal() -> None:
    before = reliability([Sample(0.95, True), Sample(0.95, False), Sample(0.15, False)])
    after = reliability([Sample(0.5, True), Sample(0.5, False), Sample(0.05, False)])
    svg = reliability_svg("events <dev>", [("before", before), ("after", after)])
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "events &lt;dev&gt;" in svg  # escaped
    assert "confidence (bin)" in svg and "accuracy (share right)" in svg
    assert "perfect calibration" in svg and 'stroke-dasharray="4 3"' in svg
    assert svg.count("<rect") == 1 + 2 + 2  # plot background + two bins per series
    assert "before: n=3, ECE " in svg and "after: n=3" in svg
    assert "0.9-1.0: 2 records, mean confidence 0.950, accuracy 0.500" in svg
    for tick in ("0.0", "0.2", "0.4", "0.6", "0.8", "1.0"):
        assert f">{tick}</text>" in svg


def test_pr_svg_breaks_lines_where_nothing_is_kept() -> None:
    curve = pr_curve([Sample(0.3, True), Sample(0.2, False)], required=2)
    svg = pr_svg("events threshold", [("calibrated", curve)])
    assert "threshold (keep confidence &gt;= t)" in svg
    # Precision, recall and F1 lines; precision stops after t = 0.3 (nothing kept).
    assert svg.count("<polyline") == 3
    assert ">precision</text>" in svg and ">recall</text>" in svg and ">F1</text>" in svg
    two = pr_svg("t", [("raw", curve), ("calibrated", curve)])
    assert ">raw precision</text>" in two and ">calibrated F1</text>" in two
    assert 'height="294"' in two  # three legend rows
