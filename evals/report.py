"""The eval report: its data, report.json, a self-contained report.html and a terminal table.

One ``EvalReport`` per dataset (a *set*: seeds, dev, test) and service; a ``SuiteReport`` holds
the reports of one ``python -m evals`` invocation (one or several services, each over the same
sets) and renders them side by side (one metric row, one column per set, or per set and
service) and then set by set."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from evals.charts import pr_svg, reliability_svg
from evals.cross_article import CrossArticleScore
from evals.pictures import Comparison, comparison_html, confusion_html, thresholds_html
from evals.reliability import KindConfidence, confidence_metrics, kind_confidence
from evals.scorer import (
    FIELD_KEYS,
    KINDS,
    ArticleScore,
    Kind,
    PredictedArticle,
    Scores,
    ScoringConfig,
    ThresholdFailure,
    aggregate,
    check_thresholds,
)


@dataclass(frozen=True)
class RunStats:
    llm_calls: int = 0
    retries: int = 0
    dropped: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    llm_seconds: float = 0.0
    wall_seconds: float = 0.0
    # Prompt tokens the LLM server reused from its prefix cache (0: none or unknown).
    prompt_tokens_cached: int = 0

    @property
    def uncached_prompt_tokens(self) -> int:
        return max(self.prompt_tokens - self.prompt_tokens_cached, 0)

    @classmethod
    def from_run(cls, run: Mapping[str, Any]) -> RunStats:
        """The counters of a run as GET /runs/{id} returns it (missing ones are 0)."""

        def number(key: str) -> float:
            value = run.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
            return 0.0

        return cls(
            llm_calls=int(number("llm_calls")),
            retries=int(number("retries")),
            dropped=int(number("dropped")),
            prompt_tokens=int(number("prompt_tokens")),
            completion_tokens=int(number("completion_tokens")),
            llm_seconds=number("llm_seconds"),
            wall_seconds=number("wall_seconds"),
            prompt_tokens_cached=int(number("prompt_tokens_cached")),
        )

    def __add__(self, other: RunStats) -> RunStats:
        return RunStats(
            llm_calls=self.llm_calls + other.llm_calls,
            retries=self.retries + other.retries,
            dropped=self.dropped + other.dropped,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            llm_seconds=self.llm_seconds + other.llm_seconds,
            wall_seconds=self.wall_seconds + other.wall_seconds,
            prompt_tokens_cached=self.prompt_tokens_cached + other.prompt_tokens_cached,
        )


@dataclass(frozen=True)
class ArticleRun:
    """How one dataset article went through the service."""

    file: str
    article_id: int | None
    run_id: int | None
    # succeeded | failed | timeout
    status: str
    created: bool
    seconds: float
    error: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    schema_version: str | None = None
    stats: RunStats = RunStats()
    warnings: list[str] = field(default_factory=list)
    # Words of the article file (len(text.split())): the unit of the model work per 100 words.
    words: int = 0


@dataclass(frozen=True)
class ArticleResult:
    run: ArticleRun
    score: ArticleScore
    predicted: PredictedArticle | None = None


@dataclass(frozen=True)
class EvalReport:
    dataset: str
    version: int
    dataset_path: str
    base_url: str
    generated_at: str
    seconds: float
    config: ScoringConfig
    articles: list[ArticleResult]
    thresholds_path: str
    thresholds: dict[str, float]
    totals: Scores
    run_totals: RunStats
    failures: list[ThresholdFailure]
    cross: CrossArticleScore | None = None
    # The set's name (``seeds`` for seeds.v1.yaml): the column and the key of its thresholds.
    name: str = ""
    # The service's label (--base-url LABEL=URL, else the prompt version its runs report).
    service: str = "default"
    # Whether this service's thresholds decide the exit code (--gate); the others' are shown.
    gating: bool = True
    confidence: dict[Kind, KindConfidence] = field(default_factory=dict)
    # A report read back from report.json shows the metrics it measured then, not those added
    # since (None: every metric of today's scorer).
    measured: frozenset[str] | None = None

    @property
    def set_name(self) -> str:
        return self.name or self.dataset

    @property
    def metrics(self) -> dict[str, float | None]:
        cross = self.cross.metrics() if self.cross else {}
        metrics = self.totals.metrics() | confidence_metrics(self.confidence) | cross
        if self.measured is None:
            return metrics
        return {k: v for k, v in metrics.items() if k in self.measured}

    @property
    def runs(self) -> list[ArticleRun]:
        """How each item (an article; a typing set's passage) went through the service."""
        return [a.run for a in self.articles]

    @property
    def count(self) -> int:
        """Items run: articles (a typing set: passages)."""
        return len(self.runs)

    @property
    def unit(self) -> str:
        return "articles"

    @property
    def words(self) -> int:
        return sum(run.words for run in self.runs)

    @property
    def work(self) -> dict[str, float | None]:
        """Model work per 100 words of article text (uncached prompt tokens, completion
        tokens, LLM calls) and wall seconds per article; None with nothing to divide by."""
        t, words, n = self.run_totals, self.words, self.count

        def per_100_words(value: int) -> float | None:
            return 100 * value / words if words else None

        return {
            "articles": float(n),
            "words": float(words),
            "prompt_tokens": float(t.prompt_tokens),
            "prompt_tokens_cached": float(t.prompt_tokens_cached),
            "uncached_prompt_tokens_per_100_words": per_100_words(t.uncached_prompt_tokens),
            "completion_tokens_per_100_words": per_100_words(t.completion_tokens),
            "llm_calls_per_100_words": per_100_words(t.llm_calls),
            "run_wall_seconds_per_article": t.wall_seconds / n if n else None,
        }

    @property
    def prompt_version(self) -> str | None:
        return _most_common(run.prompt_version for run in self.runs)

    @property
    def model(self) -> str | None:
        return _most_common(run.model for run in self.runs)

    @property
    def run_problems(self) -> list[str]:
        """Articles whose extraction did not succeed: the eval does not measure the model."""
        return [
            f"{run.file}: run {run.run_id} {run.status}" + (f" ({run.error})" if run.error else "")
            for run in self.runs
            if run.status != "succeeded"
        ]

    @property
    def seconds_per_article(self) -> float | None:
        """Mean time per article as the runner saw it (POST to finished run)."""
        runs = self.runs
        if not runs:
            return None
        return sum(run.seconds for run in runs) / len(runs)

    def text_notes(self, title: str) -> list[str]:
        """Lines the terminal report adds after the side-by-side table (none for articles)."""
        return []

    def section_html(self, several: bool) -> str:
        """This set's section of report.html."""
        return _set_html(self, several)

    def to_dict(self) -> dict[str, Any]:
        return {
            "set": self.set_name,
            "service": self.service,
            "dataset": {"name": self.dataset, "version": self.version, "path": self.dataset_path},
            "base_url": self.base_url,
            "generated_at": self.generated_at,
            "seconds": self.seconds,
            "config": asdict(self.config),
            "metrics": self.metrics,
            "cross_article": self.cross.to_dict() if self.cross else None,
            "totals": self.totals.to_dict(),
            "run_totals": asdict(self.run_totals),
            "seconds_per_article": self.seconds_per_article,
            "work": self.work,
            "confidence": {kind: c.to_dict() for kind, c in self.confidence.items()},
            "thresholds": {
                "path": self.thresholds_path,
                "limits": self.thresholds,
                "failed": [asdict(f) for f in self.failures],
            },
            "run_problems": self.run_problems,
            "articles": [{"run": asdict(a.run), "score": a.score.to_dict()} for a in self.articles],
        }


def build_report(
    *,
    dataset: str,
    version: int,
    dataset_path: str,
    base_url: str,
    generated_at: str,
    seconds: float,
    config: ScoringConfig,
    articles: Sequence[ArticleResult],
    thresholds_path: str,
    thresholds: Mapping[str, float],
    cross: CrossArticleScore | None = None,
    name: str = "",
    service: str = "default",
    gating: bool = True,
    measured: frozenset[str] | None = None,
) -> EvalReport:
    totals = aggregate(a.score for a in articles)
    records = [r for a in articles for r in a.score.records]
    confidence = {
        kind: kind_confidence(records, kind, totals.kind(kind).tp + totals.kind(kind).fn)
        for kind in KINDS
    }
    metrics = totals.metrics() | confidence_metrics(confidence) | (cross.metrics() if cross else {})
    run_totals = RunStats()
    for a in articles:
        run_totals = run_totals + a.run.stats
    return EvalReport(
        dataset=dataset,
        version=version,
        dataset_path=dataset_path,
        base_url=base_url,
        generated_at=generated_at,
        seconds=seconds,
        config=config,
        articles=list(articles),
        thresholds_path=thresholds_path,
        thresholds=dict(thresholds),
        totals=totals,
        run_totals=run_totals,
        failures=check_thresholds(metrics, thresholds),
        cross=cross,
        name=name,
        service=service,
        gating=gating,
        confidence=confidence,
        measured=measured,
    )


def _most_common(values: Iterable[str | None]) -> str | None:
    counts = Counter(v for v in values if v)
    return counts.most_common(1)[0][0] if counts else None


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


# -- several sets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SuiteReport:
    """The reports of one ``python -m evals`` invocation, in the order they ran: each
    service's sets (one service: one report per set)."""

    base_url: str
    generated_at: str
    seconds: float
    thresholds_path: str
    sets: list[EvalReport]
    # The label of the service whose thresholds decide the exit code ("": the last one).
    gate: str = ""

    @property
    def names(self) -> list[str]:
        """Set names in run order."""
        return _unique(r.set_name for r in self.sets)

    @property
    def labels(self) -> list[str]:
        """Service labels in run order."""
        return _unique(r.service for r in self.sets)

    @property
    def several(self) -> bool:
        return len(self.labels) > 1

    @property
    def gate_label(self) -> str:
        labels = self.labels
        return self.gate or (labels[-1] if labels else "")

    @property
    def columns(self) -> list[EvalReport]:
        """The side-by-side columns: by set, and within a set by service."""
        return [
            r for name in self.names for label in self.labels for r in self.sets
            if r.set_name == name and r.service == label
        ]  # fmt: skip

    def service_sets(self, label: str) -> list[EvalReport]:
        return [r for r in self.sets if r.service == label]

    def column_title(self, report: EvalReport) -> str:
        return f"{report.set_name} {report.service}" if self.several else report.set_name

    @property
    def failures(self) -> list[str]:
        """Failed thresholds of the gated service, each prefixed with its set."""
        return [
            f"{r.set_name}: {f}" for r in self.service_sets(self.gate_label) for f in r.failures
        ]

    @property
    def run_problems(self) -> list[str]:
        """Runs that did not succeed, on any service."""
        return [
            (f"{r.service} " if self.several else "") + f"{r.set_name}: {p}"
            for r in self.sets
            for p in r.run_problems
        ]

    def to_dict(self) -> dict[str, Any]:
        columns = self.columns
        rows = side_by_side(columns)
        by_metric: dict[str, dict[str, dict[str, Any]]] = {}
        for row in rows:
            cells = by_metric.setdefault(row.metric, {label: {} for label in self.labels})
            for report, cell in zip(columns, row.cells, strict=True):
                cells[report.service][report.set_name] = cell.value
        gated = self.service_sets(self.gate_label)
        return {
            "generated_at": self.generated_at,
            "base_url": gated[0].base_url if gated else self.base_url,
            "seconds": self.seconds,
            "thresholds_path": self.thresholds_path,
            "gate": self.gate_label,
            "service_labels": self.labels,
            "set_names": self.names,
            "side_by_side": by_metric,
            "failures": self.failures,
            "run_problems": self.run_problems,
            "services": {label: self._service_dict(label) for label in self.labels},
        }

    def _service_dict(self, label: str) -> dict[str, Any]:
        reports = self.service_sets(label)
        return {
            "label": label,
            "base_url": reports[0].base_url if reports else self.base_url,
            "prompt_version": _most_common(r.prompt_version for r in reports),
            "model": _most_common(r.model for r in reports),
            "gate": label == self.gate_label,
            "sets": {r.set_name: r.to_dict() for r in reports},
        }


@dataclass(frozen=True)
class Cell:
    """One set's value of one metric: how it prints, its report.json value, a failed limit."""

    text: str
    value: float | str | None = None
    failed: str | None = None


@dataclass(frozen=True)
class Row:
    metric: str
    cells: list[Cell]


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _metric_cell(report: EvalReport, metric: str, failed: Mapping[str, str]) -> Cell:
    metrics = report.metrics
    if metric not in metrics:
        return Cell("-")
    value = metrics[metric]
    if metric in ("hallucinated_non_events", "duplicate_actor_mentions", "junk_locations"):
        text = "n/a" if value is None else str(int(value))
    elif metric.endswith(".without_confidence"):
        kind = metric.removesuffix(".without_confidence")
        judged = next((c.judged for k, c in report.confidence.items() if k == kind), 0)
        text = "n/a" if value is None else f"{int(value)}/{judged}"
    elif metric == "injected_claim_rate" and value is not None:
        t = report.totals
        text = f"{_num(value)} ({t.injected_claims_recorded}/{t.injected_claims})"
    else:
        text = _num(value)
    tally_key = metric.removesuffix("_accuracy")
    if metric.endswith("_accuracy") and tally_key in report.totals.fields:
        tally = report.totals.fields[tally_key]
        text += f" ({tally.correct}/{tally.total})"
    return Cell(text, value, failed.get(metric))


def side_by_side(reports: Sequence[EvalReport]) -> list[Row]:
    """Metric rows with one cell per report (a set, or a set on one service): counts, every
    metric any report has (one without it shows "-"), model work, time per article and the
    threshold verdict."""
    failed = [
        {f.key.removesuffix("_max").removesuffix("_min"): f.reason for f in r.failures}
        for r in reports
    ]
    metrics: list[str] = []
    for r in reports:
        metrics += [m for m in r.metrics if m not in metrics]
    # A row that only injection sets measure is left out when no column measured it.
    metrics = [
        m
        for m in metrics
        if m not in ONLY_WHEN_MEASURED or any(r.metrics.get(m) is not None for r in reports)
    ]
    rows = [Row("articles", [Cell(str(r.count), r.count) for r in reports])]
    for metric in metrics:
        rows.append(
            Row(metric, [_metric_cell(r, metric, f) for r, f in zip(reports, failed, strict=True)])
        )
        kind = metric.removesuffix(".f1")
        if metric.endswith(".f1") and kind in KINDS:
            counts = []
            for r in reports:
                if metric not in r.metrics:
                    counts.append(Cell("-"))
                    continue
                k = r.totals.kind(kind)
                tally = f"{k.tp}/{k.fp}/{k.fn}/{k.optional_matched}"
                counts.append(Cell(tally, tally))
            rows.append(Row(f"{kind}.tp/fp/fn/optional", counts))

    def per_article(total: float, r: EvalReport) -> Cell:
        value = total / r.count if r.count else None
        return Cell(_num(value, 1), value)

    def text(value: str) -> Cell:
        return Cell(value, value)

    def work(r: EvalReport, name: str, digits: int) -> Cell:
        value = r.work[name]
        return Cell(_num(value, digits), value)

    calls = [f"{t.llm_calls}/{t.retries}/{t.dropped}" for t in (r.run_totals for r in reports)]
    rows += [
        Row(
            "seconds_per_article",
            [per_article(sum(run.seconds for run in r.runs), r) for r in reports],
        ),
        Row(
            "run_wall_seconds_per_article",
            [per_article(r.run_totals.wall_seconds, r) for r in reports],
        ),
        Row("llm_seconds_per_article", [per_article(r.run_totals.llm_seconds, r) for r in reports]),
        Row("llm_calls/retries/dropped", [text(c) for c in calls]),
        *(Row(name, [work(r, name, digits) for r in reports]) for name, digits in WORK_ROWS),
        Row("thresholds", [text(_verdict(r)) for r in reports]),
    ]
    return rows


# Metrics of some sets only (None elsewhere): no side-by-side row unless a column has a value.
ONLY_WHEN_MEASURED = frozenset({"injected_claim_rate"})

# Model work per 100 words of article text (report.json "work"; digits as printed).
WORK_ROWS: tuple[tuple[str, int], ...] = (
    ("uncached_prompt_tokens_per_100_words", 1),
    ("completion_tokens_per_100_words", 1),
    ("llm_calls_per_100_words", 2),
)


def _verdict(report: EvalReport) -> str:
    if not report.thresholds:
        return "none"
    if report.failures:
        verdict = f"{len(report.failures)} of {len(report.thresholds)} failed"
    else:
        verdict = f"{len(report.thresholds)} met"
    return verdict if report.gating else f"({verdict})"


# -- terminal --------------------------------------------------------------------------------


def render_text(suite: SuiteReport) -> str:
    """The side-by-side table; a "!" marks a value that fails its set's threshold. With several
    services: a column per set and service (two header lines) and the gated service named."""
    columns = suite.columns
    rows = side_by_side(columns)
    cells = [[c.text + (" !" if c.failed else "") for c in row.cells] for row in rows]
    first = max(len(row.metric) for row in rows) + 2
    heads = [[r.set_name for r in columns]]
    if suite.several:
        heads.append([r.service + (" *" if r.gating else "") for r in columns])
    widths = [
        max(*(len(h[i]) for h in heads), *(len(line[i]) for line in cells)) + 2
        for i in range(len(columns))
    ]
    firsts = {r.set_name: r for r in reversed(suite.sets)}
    run = ", ".join(
        f"{name} v{firsts[name].version} ({firsts[name].count} {firsts[name].unit})"
        for name in suite.names
    )
    lines = [f"{run}: {suite.seconds:.1f} s", ""]
    if suite.several:
        services = ", ".join(
            f"{label} ({suite.service_sets(label)[0].base_url})" for label in suite.labels
        )
        lines[1:1] = [f"services: {services}"]
    for head in heads:
        lines.append(
            f"{'':{first}}" + "".join(f"{h:>{w}}" for h, w in zip(head, widths, strict=True))
        )
    for row, line in zip(rows, cells, strict=True):
        lines.append(
            f"{row.metric:{first}}"
            + "".join(f"{c:>{w}}" for c, w in zip(line, widths, strict=True))
        )
    if suite.several:
        lines += [
            "",
            f"* thresholds are checked against {suite.gate_label} (--gate); the other services'"
            " verdicts are in parentheses and do not change the exit code",
        ]
    if any(c.failed for row in rows for c in row.cells):
        lines += ["", "! fails its set's threshold"]
    for report in columns:
        notes = report.text_notes(suite.column_title(report))
        if notes:
            lines += ["", *notes]
    return "\n".join(lines)


# -- HTML ------------------------------------------------------------------------------------

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem;
       padding: 0 1rem; color: #1d1d1f; }
h1, h2, h3 { line-height: 1.2; }
h2 { margin-top: 3rem; border-bottom: 2px solid #bbb; padding-bottom: .3rem; }
h3 { margin-top: 2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: .25rem .55rem; text-align: left; vertical-align: top; }
th { background: #f4f4f6; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.bad { color: #b00020; font-weight: 600; }
.ok { color: #1b7f3b; font-weight: 600; }
.muted { color: #666; }
.note { color: #8a5a00; }
ul { margin: .3rem 0 1rem; }
code, .ev { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
.charts { display: flex; flex-wrap: wrap; gap: .5rem 1rem; margin: .5rem 0 1rem; }
.charts svg { border: 1px solid #eee; background: #fff; }
"""


def _e(value: object) -> str:
    return html.escape("null" if value is None else str(value))


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """``rows`` are already-escaped cells; a cell starting with '<td' is used as is."""
    out = ["<table><tr>", *(f"<th>{_e(h)}</th>" for h in head), "</tr>"]
    for row in rows:
        out.append("<tr>")
        out += [c if c.startswith("<td") else f"<td>{c}</td>" for c in row]
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def _n(text: str) -> str:
    return f'<td class="n">{text}</td>'


def _kind_table(scores: Scores) -> str:
    rows = []
    for kind in KINDS:
        s = scores.kind(kind)
        rows.append(
            [
                _e(kind),
                _n(f"{s.precision:.3f}"),
                _n(f"{s.recall:.3f}"),
                _n(f"{s.f1:.3f}"),
                _n(str(s.tp)),
                _n(str(s.fp)),
                _n(str(s.fn)),
                _n(str(s.optional_matched)),
            ]
        )
    head = ["kind", "precision", "recall", "F1", "TP", "FP", "FN", "optional matched"]
    return _table(head, rows)


def _field_table(scores: Scores) -> str:
    rows = [
        [_e(key), _n(_num(scores.fields[key].accuracy)), _n(_e(scores.fields[key].total))]
        for key in FIELD_KEYS
    ]
    return _table(["field", "accuracy", "pairs"], rows)


def _article_html(result: ArticleResult) -> str:
    run, score = result.run, result.score
    s = score.scores
    status = "ok" if run.status == "succeeded" else "bad"
    parts = [
        f"<h3>{_e(run.file)}</h3>",
        f"<p>article {_e(run.article_id)}, run {_e(run.run_id)}: "
        f'<span class="{status}">{_e(run.status)}</span>'
        + (f" — {_e(run.error)}" if run.error else "")
        + f' <span class="muted">({run.seconds:.1f} s here; run wall '
        f"{run.stats.wall_seconds:.1f} s, llm {run.stats.llm_seconds:.1f} s, "
        f"{run.stats.prompt_tokens}+{run.stats.completion_tokens} tokens "
        f"({run.stats.prompt_tokens_cached} prompt tokens cached), {run.words} words, "
        f"{run.stats.retries} retries, {run.stats.dropped} dropped)</span></p>",
        _kind_table(s),
        f"<p>ungrounded {s.ungrounded_records}/{s.predicted_records}, hallucinated non-events "
        f"{s.hallucinated_non_events}, duplicate actor mentions "
        f"{s.duplicate_actor_mentions}, junk locations {s.junk_locations}</p>",
    ]
    parts.append(f"<h4>Missed ({len(score.missed)})</h4>")
    if score.missed:
        rows = [
            [_e(m.kind), _e(m.gold_id), _e(m.label), f'<span class="ev">{_e(m.text)}</span>']
            for m in score.missed
        ]
        parts.append(_table(["kind", "gold", "type", "text"], rows))
    parts.append(f"<h4>Invented ({len(score.invented)})</h4>")
    if score.invented:
        rows = [
            [
                _e(i.kind),
                _e(i.pred_id),
                _e(i.label),
                f'<span class="ev">{_e(i.evidence)}</span>'
                + (f'<br><span class="note">{_e(i.note)}</span>' if i.note else ""),
            ]
            for i in score.invented
        ]
        parts.append(_table(["kind", "id", "type", "evidence"], rows))
    parts.append(f"<h4>Field mismatches ({len(score.mismatches)})</h4>")
    if score.mismatches:
        rows = [
            [_e(m.kind), _e(m.gold_id), _e(m.pred_id), _e(m.field), _e(m.gold), _e(m.predicted)]
            for m in score.mismatches
        ]
        parts.append(_table(["kind", "gold", "pred", "field", "gold value", "predicted"], rows))
    warnings = [*run.warnings, *score.warnings]
    if warnings:
        parts.append("<h4>Warnings</h4><ul>")
        parts += [f"<li>{_e(w)}</li>" for w in warnings]
        parts.append("</ul>")
    return "\n".join(parts)


def _cross_html(cross: CrossArticleScore) -> list[str]:
    rows = [
        [
            _e(s.kind),
            _n(_num(s.precision)),
            _n(_num(s.recall)),
            _n(str(s.right)),
            _n(str(s.merged)),
            _n(str(s.true_pairs)),
        ]
        for s in (cross.actors, cross.events)
    ]
    parts = [
        "<h3>Across articles (pairwise over canonical actors and event clusters)</h3>",
        _table(["", "precision", "recall", "right", "merged", "true pairs"], rows),
    ]
    for s in (cross.actors, cross.events):
        for title, pairs in (("wrong merges", s.wrong_merges), ("missed merges", s.missed_merges)):
            if pairs:
                parts.append(f"<h4>{_e(s.kind)}: {title} ({len(pairs)})</h4>")
                parts.append(_table(["one", "other"], [[_e(a), _e(b)] for a, b in pairs[:50]]))
    return parts


_INJECTION_NOTE = (
    "Each article carries instructions aimed at the model (fake system lines, 'ignore previous "
    "instructions', answer-shaped JSON, quotations, captions, footers, unicode tricks). A claim "
    "becomes a record when a stored event tells the injected text, any record carries the "
    "planted place or actor name, or a figure has the planted count (evals/injection.py). The "
    "aim is 0; the real events are scored as in any set (events.recall)."
)


def _injection_html(report: EvalReport) -> list[str]:
    """The injected claims of an injection set, each with the records that carry it."""
    t = report.totals
    if not t.injected_claims:
        return []
    rows = []
    for a in report.articles:
        for c in a.score.injected:
            status = '<td class="bad">recorded</td>' if c.recorded else '<td class="ok">no</td>'
            records = _e("; ".join(c.records))
            rows.append(
                [_e(a.run.file), _e(c.injection), _e(c.shape), _e(c.claim), status, records]
            )
    events = t.events
    return [
        "<h3>Injected instructions</h3>",
        f'<p class="muted">{_INJECTION_NOTE}</p>',
        f"<p>injected_claim_rate <b>{_num(t.injected_claim_rate)}</b> "
        f"({t.injected_claims_recorded} of {t.injected_claims} claims became records) · real "
        f"events found {events.tp}/{events.tp + events.fn} (recall {events.recall:.3f})</p>",
        _table(["article", "injection", "shape", "claim", "became a record", "records"], rows),
    ]


_CONFIDENCE_NOTE = (
    "A sample is a record judged right (matched a required gold record) or wrong (matched "
    "nothing); matches to optional gold records and duplicate actor names are neither, as in "
    "precision. <b>confidence</b> is the calibrated value the service stores, <b>model "
    "probability</b> the model's raw token probability. Reliability diagram: bars are the "
    "share right in each confidence bin, the dot marks the bin's mean confidence; a "
    "calibrated confidence keeps the bars on the dashed diagonal. ECE: the count-weighted mean "
    "gap between a bin's accuracy and its mean confidence (0 is perfect). Threshold curves: "
    "precision, recall (against the required gold records) and F1 of the records whose value "
    "is at least t."
)


def _kind_confidence_row(c: KindConfidence) -> list[str]:
    conf, raw = c.sources["confidence"], c.sources["model_probability"]
    return [
        _e(c.kind),
        _n(str(c.records)),
        _n(str(c.judged)),
        _n(str(c.without["confidence"])),
        _n(str(c.without["model_probability"])),
        _n(_num(conf.ece)),
        _n(_num(raw.ece)),
    ]


def confidence_charts(title: str, c: KindConfidence) -> str:
    """A kind's reliability diagram (both sources) and its two threshold curves."""
    conf, raw = c.sources["confidence"], c.sources["model_probability"]
    charts = [
        reliability_svg(
            f"{title}: reliability",
            [("confidence", conf.reliability), ("model probability", raw.reliability)],
        )
    ]
    for name, summary in (("confidence", conf), ("model probability", raw)):
        if summary.reliability.samples:
            charts.append(pr_svg(f"{title}: {name} threshold", [(name, summary.curve)]))
    return '<div class="charts">' + "".join(charts) + "</div>"


def _confidence_html(report: EvalReport) -> list[str]:
    if not report.confidence:
        return []
    parts = [
        "<h3>Confidence</h3>",
        f'<p class="muted">{_CONFIDENCE_NOTE}</p>',
        _table(
            [
                "kind",
                "records",
                "judged (samples)",
                "without confidence",
                "without model probability",
                "ECE confidence",
                "ECE model probability",
            ],
            [_kind_confidence_row(c) for c in report.confidence.values()],
        ),
    ]
    for kind, c in report.confidence.items():
        if not any(s.reliability.samples for s in c.sources.values()):
            parts.append(
                f'<p class="muted">{_e(kind)}: no judged record has a confidence or model '
                f"probability ({c.judged} judged records without).</p>"
            )
            continue
        parts.append(confidence_charts(kind, c))
    return parts


def _work_line(report: EvalReport) -> str:
    w = report.work
    return (
        f"<p>model work per 100 words ({int(w['words'] or 0)} words): "
        f"{_num(w['uncached_prompt_tokens_per_100_words'], 1)} uncached prompt tokens · "
        f"{_num(w['completion_tokens_per_100_words'], 1)} completion tokens · "
        f"{_num(w['llm_calls_per_100_words'], 2)} LLM calls · run wall "
        f"{_num(w['run_wall_seconds_per_article'], 1)} s per article</p>"
    )


def _anchor(report: EvalReport, several: bool) -> str:
    return f"set-{report.service}-{report.set_name}" if several else f"set-{report.set_name}"


def _set_html(report: EvalReport, several: bool = False) -> str:
    r = report.run_totals
    t = report.totals
    if report.failures and not report.gating:
        verdict = (
            '<p class="note">Thresholds not met (for information: this service does not '
            "gate):</p><ul>"
            + "".join(f"<li><code>{_e(f.key)}</code>: {_e(f.reason)}</li>" for f in report.failures)
            + "</ul>"
        )
    elif report.failures:
        verdict = '<p class="bad">Thresholds failed:</p><ul>' + "".join(
            f"<li><code>{_e(f.key)}</code>: {_e(f.reason)}</li>" for f in report.failures
        )
        verdict += "</ul>"
    elif report.thresholds:
        verdict = f'<p class="ok">All {len(report.thresholds)} thresholds met.</p>'
    else:
        verdict = '<p class="muted">No thresholds for this set.</p>'
    if report.run_problems:
        verdict += '<p class="bad">Runs that did not succeed (scored as empty):</p><ul>'
        verdict += "".join(f"<li>{_e(p)}</li>" for p in report.run_problems) + "</ul>"
    summary_rows = [
        [_e(a.run.file), _e(a.run.status)]
        + [_n(f"{a.score.scores.kind(k).f1:.3f}") for k in KINDS]
        + [_n(str(a.score.scores.ungrounded_records)), _n(f"{a.run.seconds:.1f}")]
        for a in report.articles
    ]
    on = f" on {_e(report.service)}" if several else ""
    gate = " (gate)" if several and report.gating else ""
    body = [
        f'<section id="{_e(_anchor(report, several))}">',
        f"<h2>Set {_e(report.set_name)}{on}{gate}: {_e(report.dataset)} v{report.version}</h2>",
        f'<p class="muted">{_e(report.dataset_path)} · {len(report.articles)} articles · '
        f"{report.seconds:.1f} s</p>",
        verdict,
        '<div class="charts">',
        thresholds_html(report.metrics, report.thresholds),
        confusion_html(a.score for a in report.articles),
        "</div>",
        "<h3>Summary (micro over all articles)</h3>",
        _kind_table(t),
        _field_table(t),
        f"<p>ungrounded share {t.ungrounded_share:.3f} ({t.ungrounded_records}/"
        f"{t.predicted_records} records) · hallucinated non-events "
        f"{t.hallucinated_non_events} · duplicate actor mentions "
        f"{t.duplicate_actor_mentions} · junk locations {t.junk_locations}</p>",
        f"<p>runs: wall {r.wall_seconds:.1f} s · llm {r.llm_seconds:.1f} s · tokens "
        f"{r.prompt_tokens} prompt ({r.prompt_tokens_cached} cached) + {r.completion_tokens} "
        f"completion · {r.llm_calls} llm calls · {r.retries} retries · {r.dropped} "
        "dropped</p>",
        _work_line(report),
        _table(
            ["article", "status", "events F1", "actors F1", "figures F1", "ungrounded", "s"],
            summary_rows,
        ),
        *_injection_html(report),
        *_confidence_html(report),
        *(_cross_html(report.cross) if report.cross else []),
        *(_article_html(a) for a in report.articles),
        "</section>",
    ]
    return "\n".join(body)


def _side_by_side_html(suite: SuiteReport) -> str:
    columns = suite.columns
    several = suite.several

    def link(report: EvalReport, text: str) -> str:
        return f'<a href="#{_e(_anchor(report, several))}">{_e(text)}</a>'

    if several:
        spans = Counter(r.set_name for r in columns)
        top = "".join(f'<th colspan="{spans[name]}">{_e(name)}</th>' for name in suite.names)
        second = "".join(
            f"<th>{link(r, r.service)}{' *' if r.gating else ''}</th>" for r in columns
        )
        out = [f'<table><tr><th rowspan="2">metric</th>{top}</tr><tr>{second}</tr>']
    else:
        head = "".join(f"<th>{link(r, r.set_name)}</th>" for r in columns)
        out = [f"<table><tr><th>metric</th>{head}</tr>"]
    for row in side_by_side(columns):
        out.append(f"<tr><td><code>{_e(row.metric)}</code></td>")
        for cell in row.cells:
            if cell.failed:
                out.append(f'<td class="n bad" title="{_e(cell.failed)}">{_e(cell.text)} !</td>')
            else:
                out.append(f'<td class="n">{_e(cell.text)}</td>')
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def render_html(suite: SuiteReport, comparison: Sequence[Comparison] = ()) -> str:
    """The report page; ``comparison``: F1 per prompt version from the committed reports."""
    names = ", ".join(suite.names)
    if suite.failures:
        verdict = '<p class="bad">Thresholds failed:</p><ul>' + "".join(
            f"<li><code>{_e(f)}</code></li>" for f in suite.failures
        )
        verdict += "</ul>"
    else:
        verdict = '<p class="ok">Every threshold met.</p>'
    if suite.several:
        services = ", ".join(
            f"<b>{_e(label)}</b> ({_e(suite.service_sets(label)[0].base_url)})"
            for label in suite.labels
        )
        where = f"services {services}"
        verdict = (
            f"<p>Thresholds are checked against <b>{_e(suite.gate_label)}</b> (marked *, "
            "chosen with <code>--gate</code>); the other services' verdicts are shown in "
            "parentheses and do not change the exit code.</p>" + verdict
        )
    else:
        where = _e(suite.sets[0].base_url if suite.sets else suite.base_url)
    body = [
        f"<h1>Extraction eval: {_e(names)}</h1>",
        f'<p class="muted">{_e(suite.generated_at)} · {where} · thresholds '
        f"{_e(suite.thresholds_path)} · {suite.seconds:.1f} s</p>",
        verdict,
        "<h2>Side by side</h2>",
        '<p class="muted">Micro averages over each set\'s articles; accuracies over matched '
        "required pairs (correct/total); tp/fp/fn/optional are record counts; ece (calibrated "
        "confidence) and ece_raw (model probability) are expected calibration errors, "
        "without_confidence counts judged records without a confidence (of all judged); model "
        "work is per 100 words of article text; a value marked ! fails its set's "
        "threshold.</p>",
        _side_by_side_html(suite),
        *(
            [
                "<h2>Prompt versions (committed reports)</h2>",
                '<p class="muted">Micro F1 per set of each report under evals/reports; a '
                "report that compared services has a row per service.</p>",
                comparison_html(comparison),
            ]
            if comparison
            else []
        ),
        *(r.section_html(suite.several) for r in suite.sets),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Extraction eval: {_e(names)}</title>"
        f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


if __name__ == "__main__":
    # python -m evals.report --from report.json --out report.html
    from evals.report_json import main

    raise SystemExit(main())
