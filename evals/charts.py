"""Inline SVG charts for the HTML reports: reliability diagrams and precision/recall over the
confidence threshold. Plain SVG strings (no JavaScript, nothing fetched); a bar or point
carries a ``<title>`` that a browser shows on hover."""

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
