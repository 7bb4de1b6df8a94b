"""Bulk exports of stored records: events as ACLED's CSV columns (then this project's) and as
GeoJSON, and JSON Lines of the read models.

Row building is pure; the generators page through the store ``PAGE_SIZE`` records at a time and
yield one text chunk per page, holding one page of records at a time (the events exports also
keep the source and URL of each article they have met).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypeVar

from pydantic import BaseModel

from service import acled
from service.extraction.taxonomy import ActorRole, ActorType, EventType, FigureCategory
from service.geo.countries import countries
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

# ACLED's columns in ACLED's order (2023 codebook), then this project's.
ACLED_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)
PROJECT_COLUMNS = (
    "fatality_figure_ids",
    "event_id",
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
    "stable_id",
    "updated_at",
    "review",
    "date_precision",
)
EVENT_CSV_COLUMNS = ACLED_COLUMNS + PROJECT_COLUMNS

CsvRow = dict[str, str | int | float | None]


@dataclass(frozen=True, slots=True)
class ArticleMeta:
    """What an events row needs of its article."""

    source: str | None
    url: str | None


class KilledLike(Protocol):
    """What fatalities reads of a figure (a FigureRead, or a Killed row of events.csv)."""

    @property
    def id(self) -> int: ...
    @property
    def category(self) -> str: ...
    @property
    def low(self) -> int | None: ...


class Killed(NamedTuple):
    id: int
    low: int | None
    category: str = FigureCategory.KILLED.value


def fatalities(figures: Iterable[KilledLike]) -> tuple[int, list[int]]:
    """ACLED's count: the lowest ``low`` among "killed" figures (a vague "dozens" is stored as
    12, "several" as 3), 0 without one; and the ids of the figures it came from.

    Figures with no lower bound ("up to 10") give no count.
    """
    killed = [f for f in figures if f.category == FigureCategory.KILLED and f.low is not None]
    if not killed:
        return 0, []
    lowest = min(f.low for f in killed if f.low is not None)
    return lowest, [f.id for f in killed if f.low == lowest]


@dataclass(frozen=True, slots=True)
class Side:
    """One side of an event as ACLED writes it: the main actor, the others associated with it,
    and the main actor's inter code."""

    actor: str = ""
    associated: str = ""
    inter: int | None = None

    @property
    def named(self) -> bool:
        return bool(self.actor)


def side(event: EventRead, role: ActorRole) -> Side:
    """The first actor in ``role`` (canonical names, as ACLED rows name actors) and the others,
    in the article's order, once each."""
    linked = [a for a in event.actors if a.role == role]
    if not linked:
        return Side()
    names = list(dict.fromkeys(a.canonical_name or a.name for a in linked))
    return Side(
        actor=names[0],
        associated="; ".join(names[1:]),
        inter=acled.inter_code(linked[0].actor_type),
    )


def civilian_targeting(event: EventRead, actor2: Side) -> str | None:
    targets = (a for a in event.actors if a.role == ActorRole.TARGET)
    civilians = actor2.inter == acled.INTER_CODE[ActorType.CIVILIANS]
    return (
        acled.CIVILIAN_TARGETING
        if civilians or any(a.actor_type == ActorType.CIVILIANS for a in targets)
        else None
    )


def civilians_hit(event: EventRead, actor2: Side) -> Side:
    """ACLED's actor2 of violence against civilians that names no target: "Civilians (Syria)",
    inter code 7. From extract.v16 on civilians are not listed as actors (the guide counts them
    in the figures), so the row names them here."""
    if actor2.named or event.event_type != EventType.VIOLENCE_AGAINST_CIVILIANS:
        return actor2
    country = event.place.country if event.place else None
    return Side(
        actor=f"Civilians ({country})" if country else "Civilians",
        inter=acled.INTER_CODE[ActorType.CIVILIANS],
    )


def event_row(event: EventRead, figures: Iterable[KilledLike], article: ArticleMeta) -> CsvRow:
    """One CSV row; ``figures`` are the figures linked to this event."""
    actor1 = side(event, ActorRole.PERPETRATOR)
    actor2 = civilians_hit(event, side(event, ActorRole.TARGET))
    killed, figure_ids = fatalities(figures)
    place = event.place
    return {
        "event_id_cnty": event.event_id_cnty,
        "event_date": event.date.isoformat() if event.date else None,
        "year": event.date.year if event.date else None,
        "time_precision": acled.time_precision(event.date_precision),
        "disorder_type": acled.disorder_type(event.sub_event_type),
        "event_type": event.event_type,
        "sub_event_type": event.sub_event_type,
        "actor1": actor1.actor,
        "assoc_actor_1": actor1.associated,
        "inter1": actor1.inter,
        "actor2": actor2.actor,
        "assoc_actor_2": actor2.associated,
        "inter2": actor2.inter,
        "interaction": acled.interaction(actor1.inter, actor2.inter, actor2=actor2.named),
        "civilian_targeting": civilian_targeting(event, actor2),
        "iso": place.iso if place else None,
        "region": countries().region(place.country_iso2) if place else None,
        "country": place.country if place else None,
        "admin1": place.admin1 if place else None,
        "admin2": place.admin2 if place else None,
        "admin3": None,
        "location": event.location,
        "latitude": place.latitude if place else None,
        "longitude": place.longitude if place else None,
        "geo_precision": place.geo_precision if place else None,
        "source": event.reported_by or article.source,
        "source_scale": None,
        "notes": event.summary,
        "fatalities": killed,
        "tags": None,
        "timestamp": int(event.updated_at.timestamp()),
        "fatality_figure_ids": "; ".join(str(i) for i in figure_ids),
        "event_id": event.id,
        "article_id": event.article_id,
        "article_url": article.url,
        "run_id": event.provenance.run_id,
        "model": event.provenance.model,
        "prompt_version": event.provenance.prompt_version,
        "schema_version": event.provenance.schema_version,
        "confidence": event.confidence,
        "evidence_start": event.start,
        "evidence_end": event.end,
        "stable_id": event.stable_id,
        "updated_at": event.updated_at.isoformat().replace("+00:00", "Z"),
        "review": event.review.value,
        "date_precision": event.date_precision,
    }


def csv_text(
    rows: Iterable[Mapping[str, str | int | float | None]], *, header: bool = False
) -> str:
    """RFC 4180 text (CRLF line ends) for ``rows``; None becomes an empty field."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(EVENT_CSV_COLUMNS)
    writer.writerows([row.get(name) for name in EVENT_CSV_COLUMNS] for row in rows)
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


def jsonl(pages: Iterable[Window[Any]], fields: Sequence[str] = ()) -> Iterator[str]:
    """One record per line; only ``fields`` of each when given."""
    include = set(fields) or None
    for page in pages:
        if page.items:
            yield "".join(item.model_dump_json(include=include) + "\n" for item in page.items)


def _killed_figures(store: Store, events: list[EventRead]) -> dict[int, list[Killed]]:
    # One query per page of events; by event id, so the figures of older runs an export with
    # ?run_id= selected are found too.
    grouped: dict[int, list[Killed]] = {}
    for figure_id, event_id, low in store.killed_of_events([e.id for e in events]):
        grouped.setdefault(event_id, []).append(Killed(figure_id, low))
    return grouped


def event_rows(store: Store, filters: EventFilter) -> Iterator[list[tuple[EventRead, CsvRow]]]:
    """The events ``filters`` match with their rows, a page at a time."""
    articles: dict[int, ArticleMeta] = {}
    for page in event_pages(store, filters):
        if not page.items:
            continue
        missing = {e.article_id for e in page.items} - articles.keys()
        for article_id, ref in store.article_refs(missing).items():
            articles[article_id] = ArticleMeta(source=ref.source, url=ref.url)
        figures = _killed_figures(store, page.items)
        yield [(e, event_row(e, figures.get(e.id, []), articles[e.article_id])) for e in page.items]


def events_csv(store: Store, filters: EventFilter) -> Iterator[str]:
    """The header, then the rows of every event ``filters`` match, a page per chunk."""
    yield csv_text([], header=True)
    for rows in event_rows(store, filters):
        yield csv_text(row for _, row in rows)


GEOJSON_PROPERTIES = (
    "event_id_cnty",
    "event_date",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "location",
    "country",
    "admin1",
    "geo_precision",
    "fatalities",
    "confidence",
    "review",
)
# A foreign member of the collection (RFC 7946, 6.1), written last: it is known at the end.
WITHOUT_COORDINATES = "events_without_coordinates"


def feature(event: EventRead, row: CsvRow) -> dict[str, Any] | None:
    """The event as a GeoJSON Point feature at its place; None when it has no coordinates."""
    if event.place is None:
        return None
    return {
        "type": "Feature",
        "id": event.id,
        "geometry": {
            "type": "Point",
            "coordinates": [event.place.longitude, event.place.latitude],
        },
        "properties": {"id": event.id} | {name: row[name] for name in GEOJSON_PROPERTIES},
    }


def events_geojson(store: Store, filters: EventFilter) -> Iterator[str]:
    """A FeatureCollection of the events ``filters`` match that have coordinates, a page per
    chunk; how many had none is its last member."""
    yield '{"type": "FeatureCollection", "features": ['
    written = omitted = 0
    for rows in event_rows(store, filters):
        features = [feature(event, row) for event, row in rows]
        found = [json.dumps(f, ensure_ascii=False) for f in features if f is not None]
        omitted += len(features) - len(found)
        if found:
            yield (", " if written else "") + ", ".join(found)
            written += len(found)
    yield f'], "{WITHOUT_COORDINATES}": {omitted}}}\n'
