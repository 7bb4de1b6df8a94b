"""What the read queries can be narrowed by, and the windows of rows they answer with.

Cursors are the API's business (service/api/pages.py): the store takes the last id seen and
answers a window of rows plus whether more follow.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import func

from service.store.tables import FailureReason, RunStatus


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=_Identified)


@dataclass(frozen=True)
class Window(Generic[R]):
    """Rows in id order after a given id; ``more``: another window follows."""

    items: list[R]
    more: bool

    @property
    def last_id(self) -> int | None:
        return self.items[-1].id if self.items else None


def window(rows: list[R], limit: int | None) -> Window[R]:
    """``rows`` read with ``fetch(limit)``: one more than a window shows tells whether more
    follow."""
    if limit is None:
        return Window(items=rows, more=False)
    return Window(items=rows[:limit], more=len(rows) > limit)


def fetch(limit: int | None) -> int | None:
    return None if limit is None else limit + 1


def contains(column: Any, value: str) -> Any:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped.lower()}%", escape="\\")


class ReviewFilter(StrEnum):
    """Events and figures by their latest verdict; ``not_rejected`` is the lists' and
    exports' default."""

    CONFIRMED = "confirmed"
    UNREVIEWED = "unreviewed"
    REJECTED = "rejected"
    NOT_REJECTED = "not_rejected"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class BBox:
    """A box in degrees, GeoJSON's order (RFC 7946, 5): west, south, east, north. ``min_lon``
    east of ``max_lon`` is a box across the antimeridian."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


@dataclass(frozen=True, slots=True)
class EventFilter:
    article_id: int | None = None
    run_id: int | None = None
    event_type: str | None = None
    sub_event_type: str | None = None
    actor: str | None = None
    actor_id: int | None = None  # a canonical actor
    location: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    reported_by: str | None = None
    min_confidence: float | None = None
    updated_since: dt.datetime | None = None
    review: ReviewFilter = ReviewFilter.ALL
    # Of the event's geocoded place (an event without one matches none of these).
    country_iso2: str | None = None
    admin1: str | None = None  # any case
    bbox: BBox | None = None
    fatalities_min: int | None = None  # ACLED's count (service/exports.py, fatalities)
    inter: int | None = None  # an actor of this ACLED inter code on either side


@dataclass(frozen=True, slots=True)
class ActorFilter:
    article_id: int | None = None
    run_id: int | None = None
    name: str | None = None
    actor_type: str | None = None
    canonical_id: int | None = None
    min_confidence: float | None = None


@dataclass(frozen=True, slots=True)
class CanonicalActorFilter:
    name: str | None = None  # the canonical name or any alias contains it
    actor_type: str | None = None
    article_id: int | None = None  # named in this article
    generic: bool | None = None


@dataclass(frozen=True, slots=True)
class FigureFilter:
    article_id: int | None = None
    run_id: int | None = None
    event_id: int | None = None
    category: str | None = None
    qualifier: str | None = None
    reported_by: str | None = None
    min_confidence: float | None = None
    updated_since: dt.datetime | None = None
    review: ReviewFilter = ReviewFilter.ALL


@dataclass(frozen=True, slots=True)
class RunFilter:
    status: RunStatus | None = None
    article_id: int | None = None
    since: dt.datetime | None = None  # created at or after
    reason: FailureReason | None = None


@dataclass(frozen=True, slots=True)
class ClusterFilter:
    event_type: str | None = None
    sub_event_type: str | None = None
    location: str | None = None  # contains, any report
    actor_id: int | None = None  # a canonical actor took part
    article_id: int | None = None  # this article reported it
    min_articles: int = 1


@dataclass(frozen=True, slots=True)
class CampaignFilter:
    location: str | None = None  # contains, any report
    min_articles: int = 1


@dataclass(frozen=True, slots=True)
class FigureGroupFilter:
    category: str | None = None
    cluster_id: int | None = None
    min_articles: int = 1
