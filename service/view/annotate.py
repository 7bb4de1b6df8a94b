"""The annotated article page: the text with every event, actor and figure marked at its offsets.

Pure rendering, ``ArticleRead`` in, one self-contained HTML document out (inline CSS and JS from
``page.html``, with the map's script and style from ``map.js``/``map.css``), with a small map of
the article's geocoded events (``worldmap.py``). Spans may nest or cross, so the text is cut at
every span boundary and the marks are opened and closed around the pieces; a span cut by a
crossing one continues in further fragments, of which only the first carries
``data-kind``/``data-id`` (one per record).
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files
from string import Template

from pydantic import BaseModel

from service.exports import figures_by_event
from service.store.read_models import (
    ActorRead,
    ArticleRead,
    EventRead,
    FigureRead,
    PlaceRead,
    RunRead,
)
from service.store.tables import RunStatus
from service.view.worldmap import event_points, render_map

KINDS = ("event", "figure", "actor")  # outermost first when spans start together
_LABEL = {"event": "Event", "figure": "Figure", "actor": "Actor"}
_LEGEND = {
    "event": "Events (whole sentence)",
    "actor": "Actors",
    "figure": "Figures",
}
_NOT_SHOWN = {"id", "article_id", "provenance"}
_GROUNDING = ("evidence", "start", "end")
_REVIEW = {"verdict", "model_values", "corrections", "review"}


@dataclass(frozen=True, slots=True)
class Span:
    kind: str
    id: int
    start: int
    end: int
    fields: tuple[tuple[str, str], ...]
    review: str | None = None  # events: confirmed, rejected or unreviewed

    @property
    def ref(self) -> str:
        return f"{self.kind}-{self.id}"

    @property
    def title(self) -> str:
        lines = [f"{_LABEL[self.kind]} {self.id}"]
        lines += [f"{name}: {value}" for name, value in self.fields if name != "evidence"]
        return "\n".join(lines)


def render_article(article: ArticleRead) -> str:
    shown = _shown_run(article)
    spans = _spans(article) if shown is not None else []
    return _page().substitute(
        heading=_e(_heading(article)),
        meta=_meta(article),
        provenance=_provenance(shown or article.latest_run),
        legend=_legend(spans),
        notice=_notice(article, shown),
        annotated=annotate(article.text, spans),
        records="\n".join(record_card(s) for s in spans),
        map=_article_map(article) if shown is not None else "",
    )


def _article_map(article: ArticleRead) -> str:
    """A small map of the shown run's geocoded events; click a point for its record."""
    points = event_points(article.events, figures_by_event(article.figures))
    if not points:
        return '<p class="hint map-none">No geocoded events to map.</p>'
    drawn = f"{len(points)} of {len(article.events)} events"
    return map_figure(
        render_map(points, aspect=1.6, assumed_px=326, label=f"Map of {drawn}"),
        f"Events on the map: {drawn} have a place.",
    )


def map_figure(svg: str, caption: str) -> str:
    """The map with its two views' buttons and a caption (escaped here)."""
    return (
        f'<figure class="map">{svg}<figcaption><span>{_e(caption)}</span>'
        '<span class="map-views"><button type="button" data-view="fit" aria-pressed="true">'
        'Fit events</button><button type="button" data-view="world" aria-pressed="false">'
        "Whole world</button></span></figcaption></figure>"
    )


def annotate(text: str, spans: list[Span]) -> str:
    """The escaped text with properly nested ``<mark>`` elements for the spans."""
    size = len(text)
    clamped = [_clamp(s, size) for s in spans]
    starting: dict[int, list[Span]] = defaultdict(list)
    for span in clamped:
        starting[span.start].append(span)
    bounds = sorted({0, size, *(s.start for s in clamped), *(s.end for s in clamped)})
    out: list[str] = []
    stack: list[Span] = []
    begun: set[str] = set()
    for i, pos in enumerate(bounds):
        ending = [depth for depth, s in enumerate(stack) if s.end == pos]
        reopen: list[Span] = []
        if ending:
            # Closing a span closes everything opened inside it; those still running reopen.
            cut = ending[0]
            reopen = [s for s in stack[cut:] if s.end != pos]
            out.append("</mark>" * (len(stack) - cut))
            del stack[cut:]
        here = starting.get(pos, [])
        opening = sorted(
            [*reopen, *(s for s in here if s.end > s.start)],
            key=lambda s: (-s.end, KINDS.index(s.kind), s.id),
        )
        for span in opening:
            out.append(_open(span, first=span.ref not in begun))
            begun.add(span.ref)
            stack.append(span)
        for span in (s for s in here if s.end == s.start):
            out.append(_open(span, first=True) + "</mark>")
        if i + 1 < len(bounds):
            out.append(_e(text[pos : bounds[i + 1]]))
    return "".join(out)


def _clamp(span: Span, size: int) -> Span:
    start = min(max(span.start, 0), size)
    return replace(span, start=start, end=min(max(span.end, start), size))


def _open(span: Span, *, first: bool) -> str:
    attrs = f'class="hl hl-{span.kind}" data-ref="{span.ref}" title="{_e(span.title)}"'
    if span.review is not None:
        attrs += f' data-review="{span.review}"'
    if first:
        attrs += (
            f' data-kind="{span.kind}" data-id="{span.id}"'
            f' data-start="{span.start}" data-end="{span.end}" tabindex="0"'
        )
    return f"<mark {attrs}>"


def _spans(article: ArticleRead) -> list[Span]:
    records: tuple[tuple[str, Sequence[EventRead | ActorRead | FigureRead]], ...] = (
        ("event", article.events),
        ("actor", article.actors),
        ("figure", article.figures),
    )
    return [
        event_span(record)
        if isinstance(record, EventRead)
        else Span(kind, record.id, record.start, record.end, _fields(record))
        for kind, items in records
        for record in items
    ]


def event_span(event: EventRead) -> Span:
    return Span("event", event.id, event.start, event.end, _fields(event), event.review.value)


_SCORES = ("confidence", "model_probability")


def _fields(record: BaseModel) -> tuple[tuple[str, str], ...]:
    data = record.model_dump(mode="json", exclude=_NOT_SHOWN | _REVIEW)
    if isinstance(record, EventRead):
        data["actors"] = [
            f"{a.name} ({a.role}"
            + (f", model: {a.model_role}" if a.model_role else "")
            + f", actor {a.actor_id})"
            for a in record.actors
        ]
        for name, model_value in record.model_dump(mode="json")["model_values"].items():
            data[name] = f"{_value(data.get(name))} (corrected; model: {_value(model_value)})"
        data["place"] = _place(record.place)
        data["review"] = record.review.value + (
            f" ({record.verdict.who}: {record.verdict.note})"
            if record.verdict and record.verdict.note
            else ""
        )
    scores = [(name, _probability(data.pop(name, None))) for name in _SCORES]
    grounding = [(name, data.pop(name)) for name in _GROUNDING]
    return tuple((name, _value(value)) for name, value in [*data.items(), *scores, *grounding])


_PRECISION = {1: "the town", 2: "near a town, or part of a region", 3: "a region or the country"}


def _place(place: PlaceRead | None) -> str | None:
    """Where the gazetteer put the event: name, admin1, country, precision and coordinates."""
    if place is None:
        return None
    names = [place.name, place.admin2, place.admin1, place.country]
    where = ", ".join(dict.fromkeys(n for n in names if n))
    precision = _PRECISION.get(place.geo_precision, "")
    return (
        f"{where} ({place.country_iso3}); geo precision {place.geo_precision}"
        + (f" ({precision})" if precision else "")
        + f"; {place.latitude:.4f}, {place.longitude:.4f}"
    )


def _probability(value: object) -> object:
    return f"{value:.2f}" if isinstance(value, float) else value


def _value(value: object) -> str:
    if value is None or value == []:
        return "—"
    if isinstance(value, list):
        return "; ".join(_value(v) for v in value)
    return str(value)


def _shown_run(article: ArticleRead) -> RunRead | None:
    """The run whose records the article carries: its latest successful one."""
    succeeded = [r for r in article.runs if r.status == RunStatus.SUCCEEDED]
    return succeeded[-1] if succeeded else None


def _heading(article: ArticleRead) -> str:
    return article.title or f"Article {article.id}"


def _meta(article: ArticleRead) -> str:
    parts = [
        f"{label}: {_e(str(value))}"
        for label, value in (
            ("Source", article.source),
            ("Published", article.published_date),
            ("URL", article.url),
        )
        if value
    ]
    parts.append(f"Article {article.id}, {article.chars} characters")
    return f'<p class="meta">{" · ".join(parts)}</p>'


def _provenance(run: RunRead | None) -> str:
    if run is None:
        return "<div><dt>Run</dt><dd>none</dd></div>"
    items = (
        ("Model", _e(run.model)),
        ("Prompt version", _e(run.prompt_version)),
        ("Schema version", _e(run.schema_version)),
        ("Run", str(run.id)),
        ("Status", f'<span class="status-{run.status.value}">{run.status.value}</span>'),
    )
    return "".join(f"<div><dt>{label}</dt><dd>{value}</dd></div>" for label, value in items)


def _legend(spans: list[Span]) -> str:
    counts = {kind: sum(s.kind == kind for s in spans) for kind in _LEGEND}
    return "".join(
        f'<li><span class="swatch hl-{kind}"></span>{label} ({counts[kind]})</li>'
        for kind, label in _LEGEND.items()
    )


def _notice(article: ArticleRead, shown: RunRead | None) -> str:
    latest = article.latest_run
    if latest is None:
        message = "No extraction run for this article yet."
    elif shown is None:
        message = f"No successful extraction yet: run {latest.id} is {latest.status.value}"
        message += f" ({latest.error})." if latest.error else "."
        message += " The text is shown without highlights."
    elif latest.id != shown.id:
        message = (
            f"Run {latest.id} is {latest.status.value}; the highlights are from run {shown.id}, "
            "the latest successful one."
        )
    else:
        return ""
    return f'<p class="notice" role="status">{_e(message)}</p>'


def record_card(span: Span, *, extra: str = "", review: bool = True) -> str:
    """A record's panel card, hidden until picked. ``extra``: further rows, already HTML."""
    rows = "".join(f"<dt>{_e(name)}</dt><dd>{_e(value)}</dd>" for name, value in span.fields)
    return (
        f'<section class="record" id="rec-{span.ref}" hidden>'
        f'<h3><span class="swatch hl-{span.kind}"></span>{_LABEL[span.kind]} {span.id}</h3>'
        f"<dl>{rows}{extra}</dl>{_review_box(span) if review else ''}</section>"
    )


def _review_box(span: Span) -> str:
    """Confirm/reject buttons of an event; the page's script posts the verdict."""
    if span.review is None:
        return ""
    return (
        f'<div class="review" data-event="{span.id}">'
        f'<span class="review-state" data-review="{span.review}">{span.review}</span>'
        '<button type="button" data-verdict="confirmed">Confirm</button>'
        '<button type="button" data-verdict="rejected">Reject</button>'
        '<span class="review-msg" role="status"></span></div>'
    )


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def page_template() -> str:
    """The page's HTML with its placeholders (its inline script and style have none)."""
    return _page().template


@cache
def _page() -> Template:
    return load_template("page.html")


def load_template(name: str) -> Template:
    """A page of this package with the map's stylesheet and script put in its inline ones
    (where ``/* map.css */`` and ``/* map.js */`` stand): one hash each for the page's CSP."""
    folder = files("service.view")
    text = folder.joinpath(name).read_text(encoding="utf-8")
    for part in ("map.css", "map.js"):
        text = text.replace(f"/* {part} */", folder.joinpath(part).read_text(encoding="utf-8"))
    return Template(text)
