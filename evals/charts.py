"""Inline SVG charts for the HTML reports: reliability diagrams, precision/recall over the
confidence threshold, a confusion matrix, metrics against their thresholds and grouped bars.
Plain SVG strings (no JavaScript, nothing fetched); a bar, point or cell carries a ``<title>``
that a browser shows on hover."""

from __future__ import annotations

import html
from collections.abc import Sequence

from evals.reliability import CurvePoint, Reliability

WIDTH, HEIGHT = 340, 270
LEFT, RIGHT, TOP, BOTTOM = 46, 12, 26, 62
COLOURS = ("#1f5fa8", "#c2410c", "#15803d", "#7c3aed")
TICKS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _x(value: float) -> float:
    return round(LEFT + value * (WIDTH - LEFT - RIGHT), 2)


def _y(value: float) -> float:
    return round(HEIGHT - BOTTOM - value * (HEIGHT - TOP - BOTTOM), 2)


def _frame(title: str, x_label: str, y_label: str, legend_rows: int) -> list[str]:
    """The opening tag (tall enough for the legend), the title, the axes with ticks and
    labels."""
    x0, x1, y0, y1 = _x(0), _x(1), _y(0), _y(1)
    height = HEIGHT + 12 * max(legend_rows - 1, 0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{_e(title)}" font-family="system-ui, sans-serif" font-size="10">',
        f"<title>{_e(title)}</title>",
        f'<text x="{WIDTH / 2}" y="14" text-anchor="middle" font-size="12" '
        f'font-weight="600">{_e(title)}</text>',
        f'<rect x="{x0}" y="{y1}" width="{x1 - x0}" height="{y0 - y1}" fill="#fafafa" '
        'stroke="none"/>',
    ]
    for t in TICKS:
        parts.append(
            f'<line x1="{_x(t)}" y1="{y0}" x2="{_x(t)}" y2="{y0 + 4}" stroke="#333"/>'
            f'<text x="{_x(t)}" y="{y0 + 14}" text-anchor="middle">{t:.1f}</text>'
            f'<line x1="{x0 - 4}" y1="{_y(t)}" x2="{x0}" y2="{_y(t)}" stroke="#333"/>'
            f'<text x="{x0 - 6}" y="{_y(t) + 3}" text-anchor="end">{t:.1f}</text>'
        )
        if 0 < t < 1:
            parts.append(f'<line x1="{x0}" y1="{_y(t)}" x2="{x1}" y2="{_y(t)}" stroke="#e5e5e5"/>')
    parts += [
        f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#333"/>',
        f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#333"/>',
        f'<text x="{(x0 + x1) / 2}" y="{y0 + 28}" text-anchor="middle">{_e(x_label)}</text>',
        f'<text x="12" y="{(y0 + y1) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 12 {(y0 + y1) / 2})">{_e(y_label)}</text>',
    ]
    return parts


def _legend(entries: Sequence[tuple[str, str, str]], columns: int) -> list[str]:
    """(colour, dash pattern or "", text) in rows under the x-axis label."""
    parts = []
    for n, (colour, dash, text) in enumerate(entries):
        column, row = n % columns, n // columns
        x = LEFT + column * 150
        y = HEIGHT - BOTTOM + 40 + row * 12
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{x}" y1="{y - 3}" x2="{x + 16}" y2="{y - 3}" stroke="{colour}" '
            f'stroke-width="2"{dashed}/>'
            f'<text x="{x + 20}" y="{y}">{_e(text)}</text>'
        )
    return parts


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def reliability_svg(title: str, series: Sequence[tuple[str, Reliability]]) -> str:
    """Bars: the accuracy of each confidence bin (one bar per series, side by side in the
    bin); the dashed diagonal is perfect calibration (accuracy = confidence)."""
    parts = _frame(title, "confidence (bin)", "accuracy (share right)", len(series))
    parts.append(
        f'<line x1="{_x(0)}" y1="{_y(0)}" x2="{_x(1)}" y2="{_y(1)}" stroke="#888" '
        'stroke-dasharray="4 3"><title>perfect calibration</title></line>'
    )
    width = len(series) or 1
    legend: list[tuple[str, str, str]] = []
    for n, (name, diagram) in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        for b in diagram.bins:
            if not b.count or b.accuracy is None:
                continue
            step = (b.high - b.low) / width
            left, right = b.low + n * step, b.low + (n + 1) * step
            x, top = _x(left) + 0.5, _y(b.accuracy)
            tip = (
                f"{name}, {b.low:.1f}-{b.high:.1f}: {b.count} records, mean confidence "
                f"{_num(b.mean_confidence)}, accuracy {_num(b.accuracy)}"
            )
            parts.append(
                f'<rect x="{x}" y="{top}" width="{max(_x(right) - _x(left) - 1, 1):.2f}" '
                f'height="{max(_y(0) - top, 0.5):.2f}" fill="{colour}" fill-opacity="0.55" '
                f'stroke="{colour}"><title>{_e(tip)}</title></rect>'
            )
            if b.mean_confidence is not None:
                parts.append(
                    f'<circle cx="{_x(b.mean_confidence)}" cy="{top}" r="2.2" '
                    f'fill="{colour}"><title>{_e(tip)}</title></circle>'
                )
        legend.append((colour, "", f"{name}: n={diagram.samples}, ECE {_num(diagram.ece)}"))
    parts += _legend(legend, 1)
    parts.append("</svg>")
    return "".join(parts)


_DASHES = {"precision": "", "recall": "5 3", "F1": "1.5 2.5"}


def pr_svg(title: str, series: Sequence[tuple[str, Sequence[CurvePoint]]]) -> str:
    """Precision (solid), recall (dashed) and F1 (dotted) of the records kept at each
    confidence threshold; one colour per series."""
    parts = _frame(
        title, "threshold (keep confidence >= t)", "share", (len(series) * len(_DASHES) + 1) // 2
    )
    legend: list[tuple[str, str, str]] = []
    for n, (name, curve) in enumerate(series):
        colour = COLOURS[n % len(COLOURS)]
        for label, dash in _DASHES.items():
            attr = label.lower()
            runs: list[list[tuple[float, float]]] = [[]]
            for point in curve:
                value = getattr(point, attr)
                if value is None:
                    runs.append([])
                else:
                    runs[-1].append((_x(point.threshold), _y(value)))
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            for run in runs:
                if len(run) == 1:
                    px, py = run[0]
                    parts.append(f'<circle cx="{px}" cy="{py}" r="2" fill="{colour}"/>')
                elif run:
                    points = " ".join(f"{px},{py}" for px, py in run)
                    parts.append(
                        f'<polyline points="{points}" fill="none" stroke="{colour}" '
                        f'stroke-width="1.8"{dashed}><title>{_e(name)} {label}</title></polyline>'
                    )
            legend.append((colour, dash, f"{name} {label}" if len(series) > 1 else label))
    parts += _legend(legend, 2)
    parts.append("</svg>")
    return "".join(parts)


def _text_width(text: str, size: float = 10) -> float:
    """A rough width of ``text`` in a sans-serif font (no font metrics in a plain string)."""
    return len(text) * size * 0.58


def _open(title: str, width: float, height: float) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="{_e(title)}" font-family="system-ui, sans-serif" font-size="10">',
        f"<title>{_e(title)}</title>",
        f'<text x="8" y="16" font-size="12" font-weight="600">{_e(title)}</text>',
    ]


CELL = 22


def confusion_svg(
    title: str, rows: Sequence[str], columns: Sequence[str], counts: dict[tuple[str, str], int]
) -> str:
    """A matrix of ``counts[(row, column)]``: rows gold, columns predicted, each cell shaded by
    its share of the row (green on the diagonal, red off it) and labelled with its count."""
    left = 12 + max((_text_width(r) for r in rows), default=0)
    # Column labels run up and to the right at 45 degrees from the top of their column.
    slant = [_text_width(c) * 0.75 for c in columns]
    top = 30 + max(slant, default=0)
    note = "rows: gold sub-event type; columns: predicted"
    width = max(
        left + CELL * (len(columns) + 1) + 12,
        *(left + j * CELL + CELL / 2 + s + 12 for j, s in enumerate(slant)),
        left + _text_width(note) + 12,
    )
    height = top + CELL * len(rows) + 30
    parts = _open(title, width, height)
    for j, column in enumerate(columns):
        x = left + j * CELL + CELL / 2 + 3
        parts.append(
            f'<text x="{x:.1f}" y="{top - 6:.1f}" transform="rotate(-45 {x:.1f} {top - 6:.1f})"'
            f' class="column">{_e(column)}</text>'
        )
    parts.append(
        f'<text x="{left + CELL * len(columns) + CELL / 2:.1f}" y="{top - 6:.1f}" '
        'text-anchor="middle" font-weight="600">n</text>'
    )
    for i, row in enumerate(rows):
        y = top + i * CELL
        total = sum(counts.get((row, c), 0) for c in columns)
        parts.append(
            f'<text x="{left - 6:.1f}" y="{y + CELL / 2 + 3:.1f}" text-anchor="end" '
            f'class="row">{_e(row)}</text>'
        )
        for j, column in enumerate(columns):
            count = counts.get((row, column), 0)
            x = left + j * CELL
            fill, ink = "#f7f7f7", "#1d1d1f"
            if count and total:
                alpha = 0.15 + 0.75 * count / total
                rgb = "27,127,59" if row == column else "176,0,32"
                fill = f"rgba({rgb},{alpha:.2f})"
                ink = "#fff" if alpha > 0.55 else "#1d1d1f"
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{CELL - 1}" height="{CELL - 1}" '
                f'fill="{fill}" data-gold="{_e(row)}" data-predicted="{_e(column)}" '
                f'data-count="{count}"><title>{_e(f"{row} -> {column}: {count}")}</title></rect>'
            )
            if count:
                parts.append(
                    f'<text x="{x + CELL / 2 - 0.5:.1f}" y="{y + CELL / 2 + 3.5:.1f}" '
                    f'text-anchor="middle" fill="{ink}">{count}</text>'
                )
        parts.append(
            f'<text x="{left + CELL * len(columns) + CELL / 2:.1f}" y="{y + CELL / 2 + 3:.1f}" '
            f'text-anchor="middle" class="total">{total}</text>'
        )
    parts.append(f'<text x="{left:.1f}" y="{height - 10:.1f}">{note}</text></svg>')
    return "".join(parts)


BAR_WIDTH = 220


def threshold_svg(title: str, rows: Sequence[tuple[str, float | None, float, bool, bool]]) -> str:
    """One bar per gated metric: (metric, value, limit, upper bound?, met?). The bar is the
    value (green met, red missed), the black mark the limit; each row has its own scale (the
    larger of 1, value and limit) so counts and shares both fit."""
    left = 12 + max((_text_width(r[0]) for r in rows), default=0)
    width = left + BAR_WIDTH + 150
    height = 30 + 18 * len(rows) + 8
    parts = _open(title, width, height)
    for n, (metric, value, limit, upper, met) in enumerate(rows):
        y = 28 + n * 18
        scale = max(1.0, value or 0.0, limit)
        relation = "<=" if upper else ">="
        shown = "n/a" if value is None else f"{value:.3f}"
        verdict = "met" if met else "missed"
        tip = f"{metric}: {shown} (limit {relation} {limit:g}, {verdict})"
        colour = "#1b7f3b" if met else "#b00020"
        parts.append(
            f'<text x="{left - 6:.1f}" y="{y + 10}" text-anchor="end">{_e(metric)}</text>'
            f'<rect x="{left:.1f}" y="{y + 1}" width="{BAR_WIDTH}" height="12" fill="#f1f1f3"/>'
        )
        if value is not None:
            parts.append(
                f'<rect x="{left:.1f}" y="{y + 1}" width="{BAR_WIDTH * value / scale:.1f}" '
                f'height="12" fill="{colour}" fill-opacity="0.75" data-metric="{_e(metric)}" '
                f'data-value="{value:.4f}" data-limit="{limit:g}" data-met="{str(met).lower()}">'
                f"<title>{_e(tip)}</title></rect>"
            )
        mark = left + BAR_WIDTH * limit / scale
        parts.append(
            f'<line x1="{mark:.1f}" y1="{y - 1}" x2="{mark:.1f}" y2="{y + 15}" stroke="#111" '
            f'stroke-width="2"><title>{_e(f"limit {relation} {limit:g}")}</title></line>'
            f'<text x="{left + BAR_WIDTH + 6:.1f}" y="{y + 10}" fill="{colour}">'
            f"{_e(f'{shown} {relation} {limit:g}')}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def grouped_bars_svg(
    title: str, series: Sequence[str], rows: Sequence[tuple[str, Sequence[float | None]]]
) -> str:
    """Horizontal bars on a 0-1 scale: one group per row (its label on the left), one bar per
    series in each group, the value written after it; a legend of the series on top."""
    left = 12 + max((_text_width(r[0]) for r in rows), default=0)
    bar, gap = 9, 8
    group = bar * len(series) + gap
    width = left + BAR_WIDTH + 50
    height = 44 + group * len(rows) + 18
    parts = _open(title, width, height)
    for k, name in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        x = left + k * 90
        parts.append(
            f'<rect x="{x:.1f}" y="24" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14:.1f}" y="33">{_e(name)}</text>'
        )
    for t in TICKS:
        x = left + BAR_WIDTH * t
        parts.append(
            f'<line x1="{x:.1f}" y1="40" x2="{x:.1f}" y2="{height - 16}" stroke="#e5e5e5"/>'
            f'<text x="{x:.1f}" y="{height - 5}" text-anchor="middle">{t:.1f}</text>'
        )
    for n, (label, values) in enumerate(rows):
        y = 42 + n * group
        parts.append(
            f'<text x="{left - 6:.1f}" y="{y + group / 2:.1f}" text-anchor="end">{_e(label)}</text>'
        )
        for k, (name, value) in enumerate(zip(series, values, strict=True)):
            colour = COLOURS[k % len(COLOURS)]
            top = y + k * bar
            shown = "n/a" if value is None else f"{value:.3f}"
            if value is not None:
                parts.append(
                    f'<rect x="{left:.1f}" y="{top}" width="{BAR_WIDTH * value:.1f}" '
                    f'height="{bar - 1}" fill="{colour}" data-row="{_e(label)}" '
                    f'data-series="{_e(name)}" data-value="{value:.4f}">'
                    f"<title>{_e(f'{label} {name}: {shown}')}</title></rect>"
                )
            parts.append(
                f'<text x="{left + BAR_WIDTH * (value or 0) + 4:.1f}" y="{top + bar - 1.5}" '
                f'font-size="8">{shown}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
