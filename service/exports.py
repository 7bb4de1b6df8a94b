"""Bulk exports of stored records: an ACLED-like events CSV and JSON Lines of the read models.

Row building is pure; the generators page through the store ``PAGE_SIZE`` records at a time and
yield one text chunk per page, holding one page of records at a time (the events CSV also keeps
the source and URL of each article it has met).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from service.extraction.taxonomy import ActorRole, FigureCategory
from service.store.filters import (
    ActorFilter,
    CanonicalActorFilter,
    EventFilter,
    FigureFilter,
    Window,
)
from service.store.read_models import (
    ActorRead,
    CanonicalActorRead,
    EventRead,
    FigureRead,
)
from service.store.repository import Store

M = TypeVar("M", bound=BaseModel)

PAGE_SIZE = 500

EVENT_CSV_COLUMNS = (
    "event_id",
    "event_date",
    "date_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "location",
    "fatalities",
    "source",
    "notes",
    "article_id",
    "article_url",
    "run_id",
    "model",
    "prompt_version",
    "schema_version",
    "confidence",
    "evidence_start",
    "evidence_end",
    # Sync and review (README "Keeping a copy in sync", "Review").
    "event_id_cnty",
    "stable_id",
    "updated_at",
    "review",
)

CsvRow = dict[str, str | int | float | None]


@dataclass(frozen=True, slots=True)
class ArticleMeta:
    """What an events row needs of its article."""

    source: str | None
    url: str | None


def fatalities(figures: Iterable[FigureRead]) -> int | None:
    """The conservative count: the lowest ``low`` among "killed" figures, None without one.

    Figures with no lower bound ("up to 10") give no count.
    """
    lows = [f.low for f in figures if f.category == FigureCategory.KILLED and f.low is not None]
    return min(lows, default=None)


def _actors(event: EventRead, role: ActorRole) -> str:
    """The canonical names (as ACLED rows name actors), in the article's order, once each."""
    names = (a.canonical_name or a.name for a in event.actors if a.role == role)
    return "; ".join(dict.fromkeys(names))


def event_row(event: EventRead, figures: Iterable[FigureRead], article: ArticleMeta) -> CsvRow:
    """One CSV row; ``figures`` are the figures linked to this event."""
    return {
        "event_id": event.id,
        "event_date": event.date.isoformat() if event.date else None,
        "date_precision": event.date_precision,
        "event_type": event.event_type,
        "sub_event_type": event.sub_event_type,
        "actor1": _actors(event, ActorRole.PERPETRATOR),
        "actor2": _actors(event, ActorRole.TARGET),
        "location": event.location,
        "fatalities": fatalities(figures),
        "source": event.reported_by or article.source,
        "notes": event.summary,
        "article_id": event.article_id,
        "article_url": article.url,
        "run_id": event.provenance.run_id,
        "model": event.provenance.model,
        "prompt_version": event.provenance.prompt_version,
        "schema_version": event.provenance.schema_version,
        "confidence": event.confidence,
        "evidence_start": event.start,
        "evidence_end": event.end,
        "event_id_cnty": event.event_id_cnty,
        "stable_id": event.stable_id,
        "updated_at": event.updated_at.isoformat().replace("+00:00", "Z"),
        "review": event.review.value,
    }


def csv_text(
    rows: Iterable[Mapping[str, str | int | float | None]], *, header: bool = False
) -> str:
    """RFC 4180 text (CRLF line ends) for ``rows``; None becomes an empty field."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EVENT_CSV_COLUMNS)
    if header:
        writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def figures_by_event(figures: Iterable[FigureRead]) -> dict[int, list[FigureRead]]:
    grouped: dict[int, list[FigureRead]] = {}
    for figure in figures:
        if figure.event_id is not None:
            grouped.setdefault(figure.event_id, []).append(figure)
    return grouped


def all_pages(fetch: Callable[[int], Window[M]]) -> Iterator[Window[M]]:  # type: ignore[type-var]
    """Every window from the first to the last."""
    after = 0
    while True:
        rows = fetch(after)
        yield rows
        if not rows.more or rows.last_id is None:
            return
        after = rows.last_id


def event_pages(store: Store, filters: EventFilter) -> Iterator[Window[EventRead]]:
    return all_pages(lambda after: store.list_events(filters, after, PAGE_SIZE))


def actor_pages(
    store: Store, filters: CanonicalActorFilter
) -> Iterator[Window[CanonicalActorRead]]:
    return all_pages(lambda after: store.list_canonical_actors(filters, after, PAGE_SIZE))


def actor_mention_pages(store: Store, filters: ActorFilter) -> Iterator[Window[ActorRead]]:
    return all_pages(lambda after: store.list_actors(filters, after, PAGE_SIZE))


def figure_pages(store: Store, filters: FigureFilter) -> Iterator[Window[FigureRead]]:
    return all_pages(lambda after: store.list_figures(filters, after, PAGE_SIZE))


def jsonl(pages: Iterable[Window[Any]]) -> Iterator[str]:
    for page in pages:
        if page.items:
            yield "".join(item.model_dump_json() + "\n" for item in page.items)


def _killed_figures(store: Store, events: list[EventRead]) -> dict[int, list[FigureRead]]:
    # One query per page of events; by event id, so the figures of older runs an export with
    # ?run_id= selected are found too.
    killed = store.figures_of_events([e.id for e in events], FigureCategory.KILLED.value)
    return figures_by_event(killed)


def events_csv(store: Store, filters: EventFilter) -> Iterator[str]:
    """The header, then the rows of every event ``filters`` match, a page per chunk."""
    yield csv_text([], header=True)
    articles: dict[int, ArticleMeta] = {}
    for page in event_pages(store, filters):
        if not page.items:
            continue
        missing = {e.article_id for e in page.items} - articles.keys()
        for article_id, ref in store.article_refs(missing).items():
            articles[article_id] = ArticleMeta(source=ref.source, url=ref.url)
        figures = _killed_figures(store, page.items)
        yield csv_text(
            event_row(e, figures.get(e.id, []), articles[e.article_id]) for e in page.items
        )
