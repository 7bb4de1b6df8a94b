"""Which record of a new run is which record of the previous one: the same occurrence extracted
again keeps its stable id (service/store/identity.py).

The article's text never changes (it is the article's identity), so offsets of the two runs
index the same string. A new record and an old one are candidates when their evidence spans
overlap; candidates are ranked by

1. how well their types agree: the same sub-event type (figure: category), else the same event
   type, else the same (non-empty) location; records agreeing on none are never matched;
2. how much their spans overlap (intersection over union);
3. the same location (two strikes told in one sentence share its span);
4. how close their positions are among the run's records.

and paired greedily, best first, each record at most once. Records left over are new
occurrences (new) or gone ones (old).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Keyed:
    """What matching looks at of one record; ``key`` is its stable id (old) or index (new)."""

    key: int
    start: int
    end: int
    kind: str  # sub-event type, or figure category
    group: str | None = None  # event type; None for figures
    place: str | None = None  # location, or a figure's low-high


def overlap(a: Keyed, b: Keyed) -> float:
    """Intersection over union of the two spans; 0 when they do not overlap."""
    inter = min(a.end, b.end) - max(a.start, b.start)
    if inter <= 0:
        # Two empty spans at one offset are the same place.
        return 1.0 if a.start == b.start and a.end == b.end else 0.0
    union = max(a.end, b.end) - min(a.start, b.start)
    return inter / union


def _agreement(a: Keyed, b: Keyed) -> int | None:
    if a.kind == b.kind:
        return 0
    if a.group is not None and a.group == b.group:
        return 1
    if a.place and a.place == b.place:
        return 2
    return None


def match(new: list[Keyed], old: list[Keyed]) -> dict[int, int]:
    """``{new key: old key}`` for the records of ``new`` that are records of ``old``."""
    candidates: list[tuple[tuple[int, float, int, int, int, int], Keyed, Keyed]] = []
    for n_pos, n in enumerate(new):
        for o_pos, o in enumerate(old):
            tier = _agreement(n, o)
            share = overlap(n, o)
            if tier is None or share <= 0.0:
                continue
            same_place = 0 if (n.place or None) == (o.place or None) else 1
            rank = (tier, -share, same_place, abs(n_pos - o_pos), n_pos, o_pos)
            candidates.append((rank, n, o))
    candidates.sort(key=lambda c: c[0])
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    for _, n, o in candidates:
        if n.key in pairs or o.key in taken:
            continue
        pairs[n.key] = o.key
        taken.add(o.key)
    return pairs
