"""The pictures of report.html: a set's sub-event type confusion matrix, its gated metrics
against their thresholds, and F1 per prompt version across the committed reports."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from evals.charts import confusion_svg, grouped_bars_svg, threshold_svg
from evals.scorer import KINDS, ArticleScore, check_thresholds
from service.extraction.taxonomy import SubEventType

_ORDER = {str(s): n for n, s in enumerate(SubEventType)}


def _e(value: object) -> str:
    return html.escape(str(value))


def sub_type_confusion(scores: Iterable[ArticleScore]) -> Counter[tuple[str, str]]:
    """(gold, predicted) sub-event type over the matched required events (the pairs the
    events.sub_event_type accuracy counts) whose types the report recorded."""
    return Counter(
        (m.gold_label, m.pred_label)
        for score in scores
        for m in score.matches
        if m.kind == "events" and m.required and m.gold_label and m.pred_label
    )


def confusion_html(scores: Iterable[ArticleScore]) -> str:
    counts = sub_type_confusion(scores)
    if not counts:
        return (
            '<p class="muted">No sub-event type confusion matrix: no matched required event '
            "with recorded sub-event types.</p>"
        )
    seen = {t for pair in counts for t in pair}
    types = sorted(seen, key=lambda t: (_ORDER.get(t, len(_ORDER)), t))
    right = sum(n for (g, p), n in counts.items() if g == p)
    return confusion_svg(
        f"Sub-event types of matched events: {right}/{counts.total()} right",
        types,
        types,
        dict(counts),
    )


def threshold_rows(
    metrics: Mapping[str, float | None], thresholds: Mapping[str, float]
) -> list[tuple[str, float | None, float, bool, bool]]:
    """(metric, value, limit, upper bound?, met?) per threshold, met as the gate decides it."""
    rows = []
    for key, limit in thresholds.items():
        name = key.removesuffix("_max").removesuffix("_min")
        met = not check_thresholds(metrics, {key: limit})
        rows.append((name, metrics.get(name), limit, key.endswith("_max"), met))
    return rows


def thresholds_html(metrics: Mapping[str, float | None], thresholds: Mapping[str, float]) -> str:
    if not thresholds:
        return ""
    rows = threshold_rows(metrics, thresholds)
    met = sum(row[4] for row in rows)
    return threshold_svg(f"Gated metrics against thresholds: {met}/{len(rows)} met", rows)


@dataclass(frozen=True)
class Comparison:
    """One set of one committed report: F1 per kind."""

    source: str  # the report's directory under evals/reports
    label: str  # the service label, else the prompt version its runs report
    set_name: str
    f1: tuple[float | None, ...]  # in KINDS order

    @property
    def title(self) -> str:
        return self.label if self.label == self.source else f"{self.label} ({self.source})"


_SET_ORDER = {"seeds": 0, "dev": 1, "test": 2}


def comparison_html(rows: Sequence[Comparison]) -> str:
    """A table and one bar chart per set of events/actors/figures F1 per prompt version."""
    if not rows:
        return ""
    ordered = sorted(rows, key=lambda r: (_SET_ORDER.get(r.set_name, 9), r.set_name, r.label))
    names = list(dict.fromkeys(r.set_name for r in ordered))
    charts = [
        grouped_bars_svg(
            f"Set {name}: F1 per prompt version",
            [f"{k} F1" for k in KINDS],
            [(r.title, r.f1) for r in ordered if r.set_name == name],
        )
        for name in names
    ]
    head = "".join(f"<th>{_e(k)} F1</th>" for k in KINDS)
    body = "".join(
        f"<tr><td>{_e(r.set_name)}</td><td>{_e(r.label)}</td><td>{_e(r.source)}</td>"
        + "".join(f'<td class="n">{"n/a" if v is None else f"{v:.3f}"}</td>' for v in r.f1)
        + "</tr>"
        for r in ordered
    )
    return (
        '<div class="charts">' + "".join(charts) + "</div>"
        f"<table><tr><th>set</th><th>prompt version</th><th>report</th>{head}</tr>{body}</table>"
    )
