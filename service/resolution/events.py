"""Event deduplication across articles: events that report the same occurrence form a cluster.

Two events can be one occurrence only when (ACLED's unit of an event):
- they come from different articles: one article's events are distinct occurrences, so a
  cluster holds at most one event per article;
- they have the same sub-event type;
- they name the same place (normalised: case, a leading "the", a trailing "town"/"city"...,
  "Douma-based" as Douma);
  an event without a place joins nothing;
- their dates can overlap (a day, a week around it, a month, a year); when either is unknown,
  nothing says they are the same days, so they must share a named actor;
- their named actors overlap, when both name any (generic descriptions such as "rebels" are
  kept to their article by actor resolution and never count as shared).
One exception: two reports in (nearly) the same words (wire copy, a quoted statement) are the
same occurrence when their sub-type matches and their dates, if both known, overlap, even if
one lacks the place or the actors the other has.
An event joins the cluster it is compatible with member by member (complete linkage), the one
sharing most actors, else the oldest; otherwise it starts a cluster. A missed merge costs a
duplicate row; a wrong merge would hide an occurrence, so every test is strict.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import combinations

from rapidfuzz import fuzz

SAME_WORDS_CUTOFF = 90.0
_LEADING = re.compile(r"^(?:the)\s+")
_PLACE_KIND = re.compile(
    r"\s+(?:town|city|village|district|neighbourhood|neighborhood|area|suburb|province"
    r"|governorate|region|countryside)$"
)


def place_key(location: str | None) -> str | None:
    if location is None:
        return None
    key = " ".join(location.replace("\u2019", "'").casefold().split())
    key = _PLACE_KIND.sub("", _LEADING.sub("", key)).removesuffix("-based")
    return key or None


Span = tuple[dt.date, dt.date]


def date_span(date: dt.date | None, precision: str) -> Span | None:
    """The days a date of this precision may stand for; None when unknown."""
    if date is None or precision == "unknown":
        return None
    if precision == "week":
        return date - dt.timedelta(days=3), date + dt.timedelta(days=3)
    if precision == "month":
        last = calendar.monthrange(date.year, date.month)[1]
        return date.replace(day=1), date.replace(day=last)
    if precision == "year":
        return dt.date(date.year, 1, 1), dt.date(date.year, 12, 31)
    return date, date


def _may_meet(a: Span | None, b: Span | None) -> bool:
    """Two date spans overlap, or one is unknown."""
    return a is None or b is None or not (a[1] < b[0] or b[1] < a[0])


@dataclass(frozen=True, slots=True)
class EventPoint:
    """What clustering needs of a stored event."""

    id: int
    article_id: int
    sub_event_type: str
    location: str | None
    date: dt.date | None
    date_precision: str
    actors: frozenset[int] = frozenset()  # canonical ids of named (non-generic) actors
    evidence: str = ""

    @property
    def place(self) -> str | None:
        return place_key(self.location)

    @property
    def span(self) -> Span | None:
        return date_span(self.date, self.date_precision)


def compatible(a: EventPoint, b: EventPoint) -> bool:
    if a.article_id == b.article_id or a.sub_event_type != b.sub_event_type:
        return False
    span_a, span_b = a.span, b.span
    if not _may_meet(span_a, span_b):
        return False
    if same_words(a.evidence, b.evidence):
        return True
    if a.place is None or a.place != b.place:
        return False
    if span_a is None or span_b is None:
        return bool(a.actors & b.actors)
    return not (a.actors and b.actors and not a.actors & b.actors)


def same_words(a: str, b: str) -> bool:
    """Nearly the same sentence: wire copy or one statement quoted by two articles."""
    if not a or not b:
        return False
    x, y = " ".join(a.casefold().split()), " ".join(b.casefold().split())
    return min(len(x), len(y)) >= 40 and fuzz.ratio(x, y) >= SAME_WORDS_CUTOFF


@dataclass(slots=True)
class EventCluster:
    members: list[EventPoint] = field(default_factory=list)

    @property
    def id(self) -> int:
        """The first reported event's id: stable while that event's run stays current."""
        return self.members[0].id

    @property
    def actors(self) -> frozenset[int]:
        return frozenset().union(*(m.actors for m in self.members))

    def accepts(self, event: EventPoint) -> bool:
        return all(compatible(event, member) for member in self.members)


def cluster_events(events: Iterable[EventPoint]) -> list[EventCluster]:
    """Clusters in order of their first event; every event is in exactly one."""
    return extend_clusters([], events)


def extend_clusters(
    clusters: list[EventCluster], events: Iterable[EventPoint]
) -> list[EventCluster]:
    """``clusters`` (as ``cluster_events`` made them) with ``events``, all of later ids, added
    as ``cluster_events`` over every event would add them: members join in place, new clusters
    are appended."""
    clusters = list(clusters)
    by_block: dict[tuple[str, str | None], list[EventCluster]] = {}
    for cluster in clusters:
        first = cluster.members[0]
        by_block.setdefault((first.sub_event_type, first.place), []).append(cluster)
    for event in sorted(events, key=lambda e: e.id):
        block = by_block.setdefault((event.sub_event_type, event.place), [])
        candidates = [c for c in block if event.place is not None and c.accepts(event)]
        if candidates:
            best = max(candidates, key=lambda c: (len(c.actors & event.actors), -c.id))
            best.members.append(event)
            continue
        cluster = EventCluster([event])
        block.append(cluster)
        clusters.append(cluster)
    return clusters


def _days(cluster: EventCluster) -> list[Span] | None:
    """The days a cluster's members may stand for, as disjoint sorted spans; None when a
    member's date is unknown (it may meet anything)."""
    spans = []
    for member in cluster.members:
        span = member.span
        if span is None:
            return None
        spans.append(span)
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _days_meet(a: list[Span] | None, b: list[Span] | None) -> bool:
    """Some member of one may meet some member of the other (``_may_meet`` of any pair)."""
    if a is None or b is None:
        return True
    i = j = 0
    while i < len(a) and j < len(b):
        if _may_meet(a[i], b[j]):
            return True
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return False


def group_campaigns(
    clusters: Iterable[EventCluster], violent: Callable[[str], bool]
) -> list[list[EventCluster]]:
    """Campaigns: the violent occurrences at one place whose dates can overlap (an unknown
    date overlaps anything), joined transitively, so an offensive reported as clashes, strikes
    and shelling by different articles is one group. Looser than a cluster by design: it says
    "this fighting at this place", not "this one event". Non-violent clusters are left out."""
    chosen = [c for c in clusters if violent(c.members[0].sub_event_type)]
    parent = list(range(len(chosen)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    at_place: dict[str, list[int]] = {}
    for i, cluster in enumerate(chosen):
        place = cluster.members[0].place
        if place is not None:
            at_place.setdefault(place, []).append(i)
    days = [_days(c) for c in chosen]
    for indexes in at_place.values():
        for i, j in combinations(indexes, 2):
            if _days_meet(days[i], days[j]):
                parent[root(j)] = root(i)
    groups: dict[int, list[EventCluster]] = {}
    for i, cluster in enumerate(chosen):
        groups.setdefault(root(i), []).append(cluster)
    return sorted(groups.values(), key=lambda g: g[0].id)
