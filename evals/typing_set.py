"""Typing sets: short passages, each labelled with one ACLED sub-event type
(``evals/datasets/typing-*.v<N>.yaml``, ``passages:`` instead of ``articles:``).

Each passage runs through the service as an article (its text, no published date). The
prediction is the sub-event type of the event whose evidence overlaps the passage's first
sentence, else of the first event (by position); no event is the prediction "none".

Scores: accuracy, weighted F1 over the 25 sub-types (each sub-type's F1 weighted by its gold
count), macro F1, per-sub-type precision and recall, the lowest recall of a sub-type with gold
passages, a 25 x 26 confusion matrix (gold rows; predicted columns, the last "none") and the
median seconds per passage. Metric names (report.json and thresholds.yaml): ``typing.accuracy``,
``typing.weighted_f1``, ``typing.macro_f1``, ``typing.min_recall``, ``typing.none_share``,
``typing.seconds_median``.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from evals.report import ArticleRun, EvalReport, RunStats, _anchor, _e, _n, _num, _table
from evals.scorer import DEFAULT_CONFIG, PredictedArticle, Scores, check_thresholds
from service.extraction.taxonomy import SubEventType

SUB_TYPES: tuple[str, ...] = tuple(str(s) for s in SubEventType)
NONE = "none"
COLUMNS: tuple[str, ...] = (*SUB_TYPES, NONE)
LOW_RECALL = 0.5

# A sentence ends at . ! ? (optionally closed by a quote or bracket) before white space.
_SENTENCE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*(?=\s)")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TypingPassage(_Model):
    id: str
    text: str
    event_type: str
    sub_event_type: SubEventType


class TypingDataset(_Model):
    dataset: str
    version: int
    description: str
    passages: list[TypingPassage]


def is_typing_set(raw: object) -> bool:
    """A dataset file whose top level has ``passages:`` (and no ``articles:``)."""
    return isinstance(raw, dict) and "passages" in raw and "articles" not in raw


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentences as (start, end) offsets of ``text``: split at . ! ? followed by white space,
    and at line breaks."""
    spans = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        for end in _SENTENCE_END.finditer(line.group()):
            stop = line.start() + end.end()
            if text[start:stop].strip():
                spans.append((start, stop))
            start = stop
        if text[start : line.end()].strip():
            spans.append((start, line.end()))
    return [(s + len(text[s:e]) - len(text[s:e].lstrip()), e) for s, e in spans]


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def predicted_sub_type(predicted: PredictedArticle) -> str:
    """The sub-type of the event whose evidence overlaps the first sentence of the stored
    text, else of the first event by position; "none" without events."""
    if not predicted.events:
        return NONE
    spans = sentence_spans(predicted.text)
    first = spans[0] if spans else (0, len(predicted.text))
    events = sorted(predicted.events, key=lambda e: (e.start, e.end))
    for event in events:
        if event.start < first[1] and event.end > first[0]:
            return event.sub_event_type
    return events[0].sub_event_type


@dataclass(frozen=True)
class TypeScore:
    sub_type: str
    support: int
    predicted: int
    correct: int

    @property
    def precision(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.support if self.support else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision or 0.0, self.recall or 0.0
        if not self.support and not self.predicted:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass(frozen=True)
class TypingScore:
    """The scores of (gold, predicted) pairs; a prediction outside the 25 sub-types counts as
    "none" in the matrix (the raw value stays in the passage result)."""

    pairs: list[tuple[str, str]]
    seconds: list[float] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.pairs)

    @property
    def correct(self) -> int:
        return sum(g == p for g, p in self.pairs)

    @property
    def confusion(self) -> dict[str, dict[str, int]]:
        matrix = {gold: dict.fromkeys(COLUMNS, 0) for gold in SUB_TYPES}
        for gold, pred in self.pairs:
            matrix[gold][pred if pred in SUB_TYPES else NONE] += 1
        return matrix

    @property
    def per_type(self) -> dict[str, TypeScore]:
        support = Counter(g for g, _ in self.pairs)
        predicted = Counter(p for _, p in self.pairs)
        correct = Counter(g for g, p in self.pairs if g == p)
        return {t: TypeScore(t, support[t], predicted[t], correct[t]) for t in SUB_TYPES}

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.n if self.n else None

    @property
    def weighted_f1(self) -> float | None:
        if not self.n:
            return None
        return sum(s.support * (s.f1 or 0.0) for s in self.per_type.values()) / self.n

    @property
    def macro_f1(self) -> float | None:
        scored = [s.f1 or 0.0 for s in self.per_type.values() if s.support]
        return sum(scored) / len(scored) if scored else None

    @property
    def min_recall(self) -> float | None:
        recalls = [s.recall for s in self.per_type.values() if s.recall is not None]
        return min(recalls) if recalls else None

    @property
    def low_recall(self) -> list[TypeScore]:
        """Sub-types with gold passages and recall below LOW_RECALL, lowest first."""
        low = [s for s in self.per_type.values() if s.recall is not None and s.recall < LOW_RECALL]
        return sorted(low, key=lambda s: (s.recall or 0.0, s.sub_type))

    @property
    def none_share(self) -> float | None:
        return sum(p == NONE for _, p in self.pairs) / self.n if self.n else None

    @property
    def seconds_median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    def metrics(self) -> dict[str, float | None]:
        return {
            "typing.accuracy": self.accuracy,
            "typing.weighted_f1": self.weighted_f1,
            "typing.macro_f1": self.macro_f1,
            "typing.min_recall": self.min_recall,
            "typing.none_share": self.none_share,
            "typing.seconds_median": self.seconds_median,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "passages": self.n,
            "correct": self.correct,
            "metrics": self.metrics(),
            "per_sub_type": {t: s.to_dict() for t, s in self.per_type.items()},
            "low_recall": [s.sub_type for s in self.low_recall],
            "confusion": {"rows": list(SUB_TYPES), "columns": list(COLUMNS),
                          "counts": self.confusion},
        }  # fmt: skip


@dataclass(frozen=True)
class PassageResult:
    id: str
    gold: str
    predicted: str
    run: ArticleRun
    events: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "gold": self.gold,
            "predicted": self.predicted,
            "correct": self.gold == self.predicted,
            "events": self.events,
            "run": asdict(self.run),
        }


def score_passages(passages: list[PassageResult]) -> TypingScore:
    return TypingScore([(p.gold, p.predicted) for p in passages], [p.run.seconds for p in passages])


@dataclass(frozen=True)
class TypingReport(EvalReport):
    """One typing set on one service: an EvalReport whose items are passages."""

    passages: list[PassageResult] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)

    @property
    def typing(self) -> TypingScore:
        return score_passages(self.passages)

    @property
    def runs(self) -> list[ArticleRun]:
        return [p.run for p in self.passages]

    @property
    def unit(self) -> str:
        return "passages"

    @property
    def metrics(self) -> dict[str, float | None]:
        return self.typing.metrics()

    def text_notes(self, title: str) -> list[str]:
        t = self.typing
        lines = [
            f"{title}: typing accuracy {_num(t.accuracy)} ({t.correct}/{t.n}), weighted F1 "
            f"{_num(t.weighted_f1)}, macro F1 {_num(t.macro_f1)}, no event {_num(t.none_share)},"
            f" median {_num(t.seconds_median, 1)} s per passage"
        ]
        if t.low_recall:
            lines.append(f"  recall < {LOW_RECALL:g}:")
            lines += [
                f"    {s.sub_type}: {_num(s.recall, 2)} ({s.correct}/{s.support})"
                for s in t.low_recall
            ]
        return lines

    def section_html(self, several: bool) -> str:
        return typing_html(self, several)

    def to_dict(self) -> dict[str, Any]:
        return {
            "set": self.set_name,
            "kind": "typing",
            "service": self.service,
            "dataset": {"name": self.dataset, "version": self.version, "path": self.dataset_path},
            "base_url": self.base_url,
            "generated_at": self.generated_at,
            "seconds": self.seconds,
            "metrics": self.metrics,
            "typing": self.typing.to_dict(),
            "run_totals": asdict(self.run_totals),
            "seconds_per_passage": self.seconds_per_article,
            "work": self.work,
            "thresholds": {
                "path": self.thresholds_path,
                "limits": self.thresholds,
                "failed": [asdict(f) for f in self.failures],
            },
            "run_problems": self.run_problems,
            "passages": [p.to_dict() for p in self.passages],
        }


# -- HTML ------------------------------------------------------------------------------------


def _heat(count: int, row_total: int, diagonal: bool) -> str:
    """A cell's inline background: green on the diagonal, red off it, by share of the row."""
    if not count or not row_total:
        return ""
    alpha = 0.15 + 0.75 * count / row_total
    rgb = "27,127,59" if diagonal else "176,0,32"
    colour = "#fff" if alpha > 0.55 else "#1d1d1f"
    return f' style="background: rgba({rgb},{alpha:.2f}); color: {colour}"'


def _short(sub_type: str) -> str:
    return sub_type if len(sub_type) <= 14 else sub_type[:13] + "\u2026"


def confusion_html(score: TypingScore) -> str:
    matrix = score.confusion
    head = "".join(f'<th title="{_e(c)}">{_e(_short(c))}</th>' for c in COLUMNS)
    out = [
        '<table class="confusion"><tr><th>gold \\ predicted</th>',
        head,
        "<th>n</th></tr>",
    ]
    for gold in SUB_TYPES:
        row = matrix[gold]
        total = sum(row.values())
        out.append(f"<tr><th>{_e(gold)}</th>")
        for column in COLUMNS:
            count = row[column]
            style = _heat(count, total, column == gold)
            title = f"{gold} -> {column}: {count}"
            out.append(f'<td class="n"{style} title="{_e(title)}">{count or ""}</td>')
        out.append(f'<td class="n">{total}</td></tr>')
    out.append("</table>")
    return "".join(out)


def per_type_html(score: TypingScore) -> str:
    rows = []
    for s in score.per_type.values():
        low = s.recall is not None and s.recall < LOW_RECALL
        recall = _num(s.recall)
        rows.append(
            [
                _e(s.sub_type),
                _n(str(s.support)),
                _n(str(s.predicted)),
                _n(str(s.correct)),
                _n(_num(s.precision)),
                f'<td class="n bad">{recall}</td>' if low else _n(recall),
                _n(_num(s.f1)),
            ]
        )
    head = ["sub-event type", "gold", "predicted", "right", "precision", "recall", "F1"]
    return _table(head, rows)


def typing_html(report: TypingReport, several: bool) -> str:
    t = report.typing
    on = f" on {_e(report.service)}" if several else ""
    gate = " (gate)" if several and report.gating else ""
    if report.failures:
        cls = "bad" if report.gating else "note"
        verdict = f'<p class="{cls}">Thresholds not met:</p><ul>' + "".join(
            f"<li><code>{_e(f.key)}</code>: {_e(f.reason)}</li>" for f in report.failures
        )
        verdict += "</ul>"
    elif report.thresholds:
        verdict = f'<p class="ok">All {len(report.thresholds)} thresholds met.</p>'
    else:
        verdict = '<p class="muted">No thresholds for this set.</p>'
    if report.run_problems:
        verdict += '<p class="bad">Runs that did not succeed (scored as "none"):</p><ul>'
        verdict += "".join(f"<li>{_e(p)}</li>" for p in report.run_problems) + "</ul>"
    headline = _table(
        ["passages", "accuracy", "weighted F1", "macro F1", "min recall", "no event",
         "median s / passage"],
        [[_n(str(t.n)), _n(f"{_num(t.accuracy)} ({t.correct}/{t.n})"), _n(_num(t.weighted_f1)),
          _n(_num(t.macro_f1)), _n(_num(t.min_recall)), _n(_num(t.none_share)),
          _n(_num(t.seconds_median, 1))]],
    )  # fmt: skip
    wrong = [p for p in report.passages if p.gold != p.predicted]
    wrong_rows = [
        [_e(p.id), _e(p.gold), _e(p.predicted),
         f'<span class="ev">{_e(report.texts.get(p.id, "")[:300])}</span>']
        for p in wrong
    ]  # fmt: skip
    body = [
        f'<section id="{_e(_anchor(report, several))}">',
        f"<h2>Typing set {_e(report.set_name)}{on}{gate}: {_e(report.dataset)} "
        f"v{report.version}</h2>",
        f'<p class="muted">{_e(report.dataset_path)} · {t.n} passages · '
        f"{report.seconds:.1f} s. The prediction is the sub-event type of the event whose "
        "evidence overlaps the passage's first sentence, else of the first event; no event is "
        '"none".</p>',
        verdict,
        headline,
        "<h3>Per sub-event type</h3>",
        per_type_html(t),
        "<h3>Confusion matrix</h3>",
        '<p class="muted">Rows: gold; columns: predicted (the last: no event). Green: right, '
        "red: wrong, darker: a larger share of the row.</p>",
        confusion_html(t),
        f"<h3>Wrong ({len(wrong)})</h3>",
        _table(["passage", "gold", "predicted", "text"], wrong_rows) if wrong else "",
        "</section>",
    ]
    return "\n".join(body)


def build_typing_report(
    *,
    dataset: TypingDataset,
    dataset_path: str,
    base_url: str,
    generated_at: str,
    seconds: float,
    passages: list[PassageResult],
    thresholds_path: str,
    thresholds: dict[str, float],
    name: str,
    service: str = "default",
    gating: bool = True,
) -> TypingReport:
    run_totals = RunStats()
    for p in passages:
        run_totals = run_totals + p.run.stats
    metrics = score_passages(passages).metrics()
    return TypingReport(
        dataset=dataset.dataset,
        version=dataset.version,
        dataset_path=dataset_path,
        base_url=base_url,
        generated_at=generated_at,
        seconds=seconds,
        config=DEFAULT_CONFIG,
        articles=[],
        thresholds_path=thresholds_path,
        thresholds=dict(thresholds),
        totals=Scores(),
        run_totals=run_totals,
        failures=check_thresholds(metrics, thresholds),
        name=name,
        service=service,
        gating=gating,
        passages=list(passages),
        texts={p.id: p.text for p in dataset.passages},
    )
