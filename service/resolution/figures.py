"""Who said what: figures about the same thing, side by side with who reported each.

Figures are about the same thing when they count the same category of the same population in
the same occurrence (their events are in one event cluster, service/resolution/events.py).
Figures not tied to an event are not grouped. The conservative value is ACLED's: the lowest
credible figure, i.e. the lowest lower bound reported ("up to 10" has none and gives none).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_POPULATIONS = {
    "people": "people",
    "person": "people",
    "persons": "people",
    "others": "people",
    "other people": "people",
    "individuals": "people",
    "civilian": "civilians",
    "civilians": "civilians",
    "child": "children",
    "children": "children",
    "kids": "children",
}


def population_class(population: str | None) -> str:
    """'people' for an unnamed or generic population, else its normalised name."""
    if population is None:
        return "people"
    key = " ".join(population.casefold().split())
    return _POPULATIONS.get(key, key)


@dataclass(frozen=True, slots=True)
class FigurePoint:
    id: int
    article_id: int
    event_id: int
    category: str
    population: str | None
    low: int | None


@dataclass(slots=True)
class FigureGroup:
    cluster_id: int
    category: str
    population: str
    members: list[FigurePoint] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.members[0].id

    @property
    def conservative(self) -> FigurePoint | None:
        credible = [m for m in self.members if m.low is not None]
        return min(credible, key=lambda m: (m.low, m.id)) if credible else None


def group_figures(
    figures: Iterable[FigurePoint], cluster_of: Mapping[int, int]
) -> list[FigureGroup]:
    """Groups in order of their first figure; ``cluster_of`` maps event id -> cluster id."""
    groups: dict[tuple[int, str, str], FigureGroup] = {}
    for figure in sorted(figures, key=lambda f: f.id):
        cluster_id = cluster_of.get(figure.event_id)
        if cluster_id is None:
            continue
        key = (cluster_id, figure.category, population_class(figure.population))
        if key not in groups:
            groups[key] = FigureGroup(*key)
        groups[key].members.append(figure)
    return list(groups.values())
