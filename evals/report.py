"""The eval report: its data, report.json, a self-contained report.html and a terminal table."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from evals.cross_article import CrossArticleScore
from evals.scorer import (
    FIELD_KEYS,
    KINDS,
    ArticleScore,
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
        )

    def __add__(self, other: RunStats) -> RunStats:
        return RunStats(
            self.llm_calls + other.llm_calls,
            self.retries + other.retries,
            self.dropped + other.dropped,
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.llm_seconds + other.llm_seconds,
            self.wall_seconds + other.wall_seconds,
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

    @property
    def metrics(self) -> dict[str, float | None]:
        cross = self.cross.metrics() if self.cross else {}
        return self.totals.metrics() | cross

    @property
    def run_problems(self) -> list[str]:
        """Articles whose extraction did not succeed: the eval does not measure the model."""
        return [
            f"{a.run.file}: run {a.run.run_id} {a.run.status}"
            + (f" ({a.run.error})" if a.run.error else "")
            for a in self.articles
            if a.run.status != "succeeded"
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": {"name": self.dataset, "version": self.version, "path": self.dataset_path},
            "base_url": self.base_url,
            "generated_at": self.generated_at,
            "seconds": self.seconds,
            "config": asdict(self.config),
            "metrics": self.metrics,
            "cross_article": self.cross.to_dict() if self.cross else None,
            "totals": self.totals.to_dict(),
            "run_totals": asdict(self.run_totals),
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
) -> EvalReport:
    totals = aggregate(a.score for a in articles)
    metrics = totals.metrics() | (cross.metrics() if cross else {})
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
    )


# -- terminal --------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def render_text(report: EvalReport) -> str:
    t = report.totals
    lines = [
        f"{report.dataset} v{report.version}: {len(report.articles)} articles, "
        f"{report.seconds:.1f} s",
        "",
        f"{'':10}{'precision':>10}{'recall':>8}{'F1':>7}{'TP':>5}{'FP':>5}{'FN':>5}{'opt':>5}",
    ]
    for kind in KINDS:
        s = t.kind(kind)
        lines.append(
            f"{kind:10}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>7.3f}"
            f"{s.tp:>5}{s.fp:>5}{s.fn:>5}{s.optional_matched:>5}"
        )
    lines += ["", "field accuracy (matched required pairs)"]
    for key in FIELD_KEYS:
        tally = t.fields[key]
        lines.append(f"  {key:28}{_num(tally.accuracy):>7}  ({tally.correct}/{tally.total})")
    r = report.run_totals
    lines += [
        "",
        f"ungrounded share          {t.ungrounded_share:.3f}  "
        f"({t.ungrounded_records}/{t.predicted_records} records)",
        f"hallucinated non-events   {t.hallucinated_non_events}",
        f"duplicate actor mentions  {t.duplicate_actor_mentions}",
        "",
        f"runs: wall {r.wall_seconds:.1f} s, llm {r.llm_seconds:.1f} s, "
        f"tokens {r.prompt_tokens} prompt + {r.completion_tokens} completion, "
        f"{r.llm_calls} llm calls, {r.retries} retries, {r.dropped} dropped",
    ]
    if report.cross:
        lines += ["", "across articles (pairwise)"]
        for score in (report.cross.actors, report.cross.events):
            lines.append(
                f"  {score.kind:8} precision {_num(score.precision)}  recall "
                f"{_num(score.recall)}  ({score.right} right of {score.merged} merged pairs, "
                f"{score.true_pairs} true pairs, {score.units} units)"
            )
    return "\n".join(lines)


# -- HTML ------------------------------------------------------------------------------------

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem;
       padding: 0 1rem; color: #1d1d1f; }
h1, h2, h3 { line-height: 1.2; }
h2 { margin-top: 2.5rem; border-bottom: 1px solid #ddd; padding-bottom: .3rem; }
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
        f"<h2>{_e(run.file)}</h2>",
        f"<p>article {_e(run.article_id)}, run {_e(run.run_id)}: "
        f'<span class="{status}">{_e(run.status)}</span>'
        + (f" — {_e(run.error)}" if run.error else "")
        + f' <span class="muted">({run.seconds:.1f} s here; run wall '
        f"{run.stats.wall_seconds:.1f} s, llm {run.stats.llm_seconds:.1f} s, "
        f"{run.stats.prompt_tokens}+{run.stats.completion_tokens} tokens, "
        f"{run.stats.retries} retries, {run.stats.dropped} dropped)</span></p>",
        _kind_table(s),
        f"<p>ungrounded {s.ungrounded_records}/{s.predicted_records}, hallucinated non-events "
        f"{s.hallucinated_non_events}, duplicate actor mentions "
        f"{s.duplicate_actor_mentions}</p>",
    ]
    parts.append(f"<h3>Missed ({len(score.missed)})</h3>")
    if score.missed:
        rows = [
            [_e(m.kind), _e(m.gold_id), _e(m.label), f'<span class="ev">{_e(m.text)}</span>']
            for m in score.missed
        ]
        parts.append(_table(["kind", "gold", "type", "text"], rows))
    parts.append(f"<h3>Invented ({len(score.invented)})</h3>")
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
    parts.append(f"<h3>Field mismatches ({len(score.mismatches)})</h3>")
    if score.mismatches:
        rows = [
            [_e(m.kind), _e(m.gold_id), _e(m.pred_id), _e(m.field), _e(m.gold), _e(m.predicted)]
            for m in score.mismatches
        ]
        parts.append(_table(["kind", "gold", "pred", "field", "gold value", "predicted"], rows))
    warnings = [*run.warnings, *score.warnings]
    if warnings:
        parts.append("<h3>Warnings</h3><ul>")
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
        "<h2>Across articles (pairwise over canonical actors and event clusters)</h2>",
        _table(["", "precision", "recall", "right", "merged", "true pairs"], rows),
    ]
    for s in (cross.actors, cross.events):
        for title, pairs in (("wrong merges", s.wrong_merges), ("missed merges", s.missed_merges)):
            if pairs:
                parts.append(f"<h3>{_e(s.kind)}: {title} ({len(pairs)})</h3>")
                parts.append(_table(["one", "other"], [[_e(a), _e(b)] for a, b in pairs[:50]]))
    return parts


def render_html(report: EvalReport) -> str:
    r = report.run_totals
    t = report.totals
    if report.failures:
        verdict = '<p class="bad">Thresholds failed:</p><ul>' + "".join(
            f"<li><code>{_e(f.key)}</code>: {_e(f.reason)}</li>" for f in report.failures
        )
        verdict += "</ul>"
    else:
        verdict = f'<p class="ok">All {len(report.thresholds)} thresholds met.</p>'
    if report.run_problems:
        verdict += '<p class="bad">Runs that did not succeed (scored as empty):</p><ul>'
        verdict += "".join(f"<li>{_e(p)}</li>" for p in report.run_problems) + "</ul>"
    summary_rows = [
        [_e(a.run.file), _e(a.run.status)]
        + [_n(f"{a.score.scores.kind(k).f1:.3f}") for k in KINDS]
        + [_n(str(a.score.scores.ungrounded_records)), _n(f"{a.run.seconds:.1f}")]
        for a in report.articles
    ]
    body = [
        f"<h1>Extraction eval: {_e(report.dataset)} v{report.version}</h1>",
        f'<p class="muted">{_e(report.generated_at)} · {_e(report.base_url)} · '
        f"{len(report.articles)} articles · {report.seconds:.1f} s</p>",
        verdict,
        "<h2>Summary (micro over all articles)</h2>",
        _kind_table(t),
        _field_table(t),
        f"<p>ungrounded share {t.ungrounded_share:.3f} ({t.ungrounded_records}/"
        f"{t.predicted_records} records) · hallucinated non-events "
        f"{t.hallucinated_non_events} · duplicate actor mentions "
        f"{t.duplicate_actor_mentions}</p>",
        f"<p>runs: wall {r.wall_seconds:.1f} s · llm {r.llm_seconds:.1f} s · tokens "
        f"{r.prompt_tokens} prompt + {r.completion_tokens} completion · {r.llm_calls} llm "
        f"calls · {r.retries} retries · {r.dropped} dropped</p>",
        _table(
            ["article", "status", "events F1", "actors F1", "figures F1", "ungrounded", "s"],
            summary_rows,
        ),
        *(_cross_html(report.cross) if report.cross else []),
        *(_article_html(a) for a in report.articles),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Extraction eval: {_e(report.dataset)} v{report.version}</title>"
        f"<style>{_CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
