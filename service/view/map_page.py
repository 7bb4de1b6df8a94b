"""The map page (``GET /map``): the events a filter selects, one point each on the world map
(``worldmap.py``), coloured by event type, and their records in a side panel, as the article
page shows them. Pure rendering: events and their figures in, one self-contained HTML document
out (inline CSS and JS from ``map.html``, ``map.css`` and ``map.js``)."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from dataclasses import fields
from functools import cache
from string import Template

from service.exports import figures_by_event
from service.store.filters import EventFilter, ReviewFilter
from service.store.read_models import EventRead, FigureRead
from service.store.repository import Store
from service.view.annotate import event_span, load_template, map_figure, record_card
from service.view.worldmap import event_points, legend_items, render_map

TITLE = "Event map"


def render_map_page(
    events: Sequence[EventRead],
    figures: Sequence[FigureRead],
    *,
    event_filter: EventFilter,
    more: bool = False,
) -> str:
    """``events``: those the filter matched (``more``: the first of more); ``figures``: theirs."""
    by_event = figures_by_event(figures)
    points = event_points(events, by_event)
    placed = [e for e in events if e.place is not None]
    return _page().substitute(
        title=TITLE,
        meta=_meta(len(points), len(events), more),
        filters=_filters(event_filter),
        legend=legend_items(Counter(e.event_type for e in placed)),
        notice=_notice(len(points), len(events)),
        map=map_figure(
            render_map(points, aspect=2.0, assumed_px=820, label=f"Map of {len(points)} events"),
            "Click a point for its event; the bigger the point, the more reported killed.",
        )
        if points
        else "",
        records="\n".join(
            record_card(event_span(e), extra=_extra_rows(e, by_event.get(e.id, [])), review=False)
            for e in placed
        ),
    )


def _meta(drawn: int, matched: int, more: bool) -> str:
    text = f"{drawn} geocoded events drawn of {matched} matched"
    if more:
        text += f" (the first {matched} matches, oldest first: narrow the filters or raise ?limit=)"
    return f'<p class="meta">{_e(text)}.</p>'


def _filters(f: EventFilter) -> str:
    """The filters in force, as query parameters (the page has no form: edit its URL)."""
    shown = []
    for field in fields(f):
        value = getattr(f, field.name)
        if value is None or (field.name == "review" and value == ReviewFilter.NOT_REJECTED):
            continue
        shown.append(f"<code>{_e(field.name)}={_e(str(value))}</code>")
    listed = " ".join(shown) if shown else "none (every event not rejected)"
    return (
        f'<p class="filters">Filters: {listed}. The query parameters of '
        "<code>GET /events</code> apply: <code>?event_type=Battles&amp;date_from=2024-01-01"
        "</code>.</p>"
    )


def _notice(drawn: int, matched: int) -> str:
    if drawn:
        return ""
    message = (
        "No events match these filters."
        if not matched
        else f"None of the {matched} events that match has a place: nothing to draw."
    )
    return f'<p class="notice" role="status">No geocoded events. {_e(message)}</p>'


def _extra_rows(event: EventRead, figures: Sequence[FigureRead]) -> str:
    """The event's figures, and a link to its article's page with the event picked."""
    listed = "; ".join(f"{f.category}: {f.evidence}" for f in figures) or "—"
    link = f"/articles/{event.article_id}/view#event-{event.id}"
    return (
        f"<dt>figures</dt><dd>{_e(listed)}</dd>"
        f'<dt>article</dt><dd><a href="{_e(link)}">article {event.article_id}: '
        "the event in its text</a></dd>"
    )


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def page_template() -> str:
    """The page's HTML with its placeholders (its inline script and style have none)."""
    return _page().template


@cache
def _page() -> Template:
    return load_template("map.html")


def map_page(store: Store, event_filter: EventFilter, limit: int) -> str:
    """The page of the first ``limit`` events ``event_filter`` matches, with their figures."""
    window = store.list_events(event_filter, 0, limit)
    figures = store.figures_of_events([e.id for e in window.items]) if window.items else []
    return render_map_page(window.items, figures, event_filter=event_filter, more=window.more)
