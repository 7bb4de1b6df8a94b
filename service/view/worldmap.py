"""An offline world map in SVG: country outlines, graticule and one point per geocoded event.

The outlines are Natural Earth's 1:110m admin-0 polygons (lon/lat GeoJSON, via johan's
world.geo.json) as shipped in the data files of the pinned PyPI package ``countryinfo`` 1.0.1
(MIT): read once per process, projected, simplified and turned into SVG path data, then kept.
Its files lack outlines of eight countries (Hungary, Jamaica, Kosovo, Montenegro, Myanmar,
Northern Cyprus, Serbia, Somaliland): those show as sea; events there are still drawn.

Projection: Equal Earth (Šavrič, Patterson & Jenny 2018), an equal-area pseudocylindrical
projection in the style of Robinson's, with closed formulas. The world is ``WIDTH`` units wide,
centred on (0, 0), y pointing down as in SVG. No tiles, fonts or scripts come from anywhere.
"""

from __future__ import annotations

import html
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from service.exports import fatalities
from service.extraction.taxonomy import EventType
from service.store.read_models import EventRead, FigureRead

Point = tuple[float, float]

WIDTH = 1000.0
DATA_PACKAGE = "countryinfo"
SKIPPED = {"ATA"}  # Antarctica: no conflict events, a third of the vertices

# Equal Earth's polynomial coefficients.
_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3) / 2
_SCALE = WIDTH / 2 / (math.pi / (_M * _A1))  # x(180°, 0°) is WIDTH / 2

# Simplification tolerance in map units (1 unit = 0.36° of longitude at the equator).
TOLERANCE = 0.35
# The world view shows latitudes from SOUTH to NORTH (Antarctica is not drawn).
SOUTH, NORTH = -58.0, 84.0

# One colour class per ACLED event type (the page's stylesheet colours them).
TYPE_CLASS = {
    EventType.BATTLES.value: "et-battles",
    EventType.EXPLOSIONS_REMOTE_VIOLENCE.value: "et-explosions",
    EventType.VIOLENCE_AGAINST_CIVILIANS.value: "et-civilians",
    EventType.PROTESTS.value: "et-protests",
    EventType.RIOTS.value: "et-riots",
    EventType.STRATEGIC_DEVELOPMENTS.value: "et-strategic",
}


def project(lon: float, lat: float) -> Point:
    """Equal Earth: degrees to map units (x east, y south)."""
    lam = math.radians(max(-180.0, min(180.0, lon)))
    phi = math.radians(max(-90.0, min(90.0, lat)))
    theta = math.asin(_M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (_M * (_A1 + 3 * _A2 * t2 + t6 * (7 * _A3 + 9 * _A4 * t2)))
    y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return x * _SCALE, -y * _SCALE


def simplify(points: Sequence[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker: the points of the line within ``tolerance`` of it, ends kept."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        length = math.hypot(dx, dy)
        far, far_at = 0.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            if length == 0:
                distance = math.hypot(px - ax, py - ay)
            else:
                distance = abs(dy * (px - ax) - dx * (py - ay)) / length
            if distance > far:
                far, far_at = distance, i
        if far > tolerance and far_at > 0:
            keep[far_at] = True
            stack += [(first, far_at), (far_at, last)]
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def ring_path(ring: Sequence[Point], tolerance: float = TOLERANCE) -> str:
    """SVG path data of a closed ring of projected points, simplified (a small island that
    simplification would erase is kept whole); '' when it is smaller than a triangle.
    Relative moves between rounded points, so nothing drifts."""
    rounded = _rounded(simplify(ring, tolerance))
    if len(rounded) < 3:
        rounded = _rounded(ring)
    if len(rounded) < 3:
        return ""
    (x0, y0), steps = rounded[0], []
    for (ax, ay), (bx, by) in itertools.pairwise(rounded):
        steps.append(f"{_tenths(bx - ax)} {_tenths(by - ay)}")
    return f"M{_tenths(x0)} {_tenths(y0)}l" + " ".join(steps) + "z"


def _rounded(points: Sequence[Point]) -> list[tuple[int, int]]:
    """Tenths of a unit, repeated points and the closing one dropped."""
    rounded: list[tuple[int, int]] = []
    for x, y in points:
        point = (round(x * 10), round(y * 10))
        if not rounded or point != rounded[-1]:
            rounded.append(point)
    if len(rounded) > 1 and rounded[0] == rounded[-1]:
        rounded.pop()
    return rounded


def _tenths(value: int) -> str:
    sign = "-" if value < 0 else ""
    whole, tenth = divmod(abs(value), 10)
    return f"{sign}{whole}.{tenth}" if tenth else f"{sign}{whole}"


@dataclass(frozen=True, slots=True)
class Country:
    """One country's outline in map units; ``label`` is where its name goes (the centroid of
    its largest polygon), ``area`` that polygon's projected area."""

    iso3: str
    name: str
    path: str
    label: Point
    area: float


@cache
def countries() -> tuple[Country, ...]:
    """Every country outline of the data package, projected: read once per process."""
    found: dict[str, Country] = {}
    for entry in sorted(files(DATA_PACKAGE).joinpath("data").iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        info = json.loads(entry.read_text(encoding="utf-8"))
        for feature in (info.get("geoJSON") or {}).get("features") or []:
            iso3 = str(feature.get("id") or (info.get("ISO") or {}).get("alpha3") or "")
            geometry = feature.get("geometry") or {}
            if iso3 in SKIPPED or iso3 in found:
                continue
            rings = [
                [project(lon, lat) for lon, lat in ring]
                for polygon in _polygons(geometry)
                for ring in polygon
            ]
            path = "".join(ring_path(ring) for ring in rings)
            if path:
                name = str((feature.get("properties") or {}).get("name") or info.get("name"))
                area, label = max(_area_centroid(ring) for ring in rings)
                found[iso3] = Country(iso3=iso3, name=name, path=path, label=label, area=area)
    return tuple(found.values())


def _area_centroid(ring: Sequence[Point]) -> tuple[float, Point]:
    """A ring's area (shoelace) and centroid; its first point when it has no area."""
    twice, cx, cy = 0.0, 0.0, 0.0
    for (ax, ay), (bx, by) in zip(ring, [*ring[1:], ring[0]], strict=True):
        cross = ax * by - bx * ay
        twice += cross
        cx += (ax + bx) * cross
        cy += (ay + by) * cross
    if abs(twice) < 1e-9:
        return 0.0, ring[0]
    return abs(twice) / 2, (cx / (3 * twice), cy / (3 * twice))


def _polygons(geometry: dict[str, Any]) -> list[list[list[Point]]]:
    """A GeoJSON Polygon or MultiPolygon as a list of polygons (each a list of rings)."""
    coordinates: list[Any] = geometry.get("coordinates") or []
    if geometry.get("type") == "Polygon":
        return [coordinates]
    if geometry.get("type") == "MultiPolygon":
        return coordinates
    return []


@cache
def graticule() -> str:
    """Meridians and parallels every 30 degrees, and the world's edge."""
    lines = []
    for lon in range(-150, 180, 30):
        lines.append(_line([(lon, lat) for lat in range(-90, 91, 5)]))
    for lat in range(-60, 61, 30):
        lines.append(_line([(-180, lat), (180, lat)]))
    return "".join(lines)


@cache
def sphere() -> str:
    """The world's outline (the sea is drawn inside it)."""
    east = [(180.0, float(lat)) for lat in range(-90, 91, 5)]
    west = [(-180.0, float(lat)) for lat in range(90, -91, -5)]
    return _line([*east, *west]) + "z"


def _line(points: Iterable[tuple[float, float]]) -> str:
    projected = [project(lon, lat) for lon, lat in points]
    return "M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in projected)


@dataclass(frozen=True, slots=True)
class ViewBox:
    x: float
    y: float
    width: float
    height: float

    def __str__(self) -> str:
        return f"{self.x:.1f} {self.y:.1f} {self.width:.1f} {self.height:.1f}"


def world_box(aspect: float) -> ViewBox:
    """The whole (inhabited) world at ``aspect`` (width / height)."""
    _, top = project(0, NORTH)
    _, bottom = project(0, SOUTH)
    return _box(-WIDTH / 2, top, WIDTH / 2, bottom, aspect)


def fit_box(points: Sequence[Point], aspect: float, min_width: float = 40.0) -> ViewBox:
    """The projected points' bounding box, 15% padded, at least ``min_width`` units wide (about
    14 degrees), at ``aspect``; never larger than the world view."""
    if not points:
        return world_box(aspect)
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    pad = max(max(xs) - min(xs), max(ys) - min(ys)) * 0.15
    box = _box(min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad, aspect, min_width)
    world = world_box(aspect)
    return world if box.width >= world.width else box


def _box(
    left: float, top: float, right: float, bottom: float, aspect: float, min_width: float = 0.0
) -> ViewBox:
    width = max(right - left, (bottom - top) * aspect, min_width)
    height = width / aspect
    cx, cy = (left + right) / 2, (top + bottom) / 2
    return ViewBox(cx - width / 2, cy - height / 2, width, height)


@dataclass(frozen=True, slots=True)
class MapPoint:
    """One event on the map: ``ref`` is its record's reference on the page (``event-12``)."""

    ref: str
    lon: float
    lat: float
    event_type: str
    title: str
    fatalities: int | None = None

    @property
    def radius_px(self) -> float:
        """On-screen radius: 4 px, growing with the log of the dead (12 px from 60,000)."""
        if not self.fatalities:
            return 4.0
        return min(12.0, 4.0 + 1.67 * math.log10(1 + self.fatalities))


def event_points(
    events: Iterable[EventRead], figures: Mapping[int, list[FigureRead]]
) -> list[MapPoint]:
    """The geocoded events as points (events without a place are left out), sized by their
    fatalities as the events CSV counts them (the lowest "killed" figure)."""
    points = []
    for event in events:
        place = event.place
        if place is None:
            continue
        where = ", ".join(p for p in (place.name, place.admin1, place.country) if p)
        when = f" ({event.date})" if event.date else ""
        points.append(
            MapPoint(
                ref=f"event-{event.id}",
                lon=place.longitude,
                lat=place.latitude,
                event_type=event.event_type,
                title=f"Event {event.id}: {event.sub_event_type}, {where}{when}",
                fatalities=fatalities(figures.get(event.id, []))[0],
            )
        )
    return points


def render_map(points: Sequence[MapPoint], *, aspect: float, assumed_px: float, label: str) -> str:
    """The SVG element: sea, countries, graticule and the points, zoomed to the points (with
    padding). ``data-fit``/``data-world`` hold the two views the page's buttons switch between;
    circle radii are in map units for a map ``assumed_px`` wide (the page's script keeps them
    at ``data-px`` screen pixels)."""
    projected = [project(p.lon, p.lat) for p in points]
    fit, world = fit_box(projected, aspect), world_box(aspect)
    per_px = fit.width / assumed_px
    shapes = _country_shapes()
    # Bigger points first, so that a small one over a big one stays clickable.
    order = sorted(range(len(points)), key=lambda i: (-points[i].radius_px, i))
    circles = "".join(_circle(points[i], projected[i], per_px) for i in order)
    names = "".join(_label(c, fit, per_px) for c in countries())
    return (
        f'<svg class="worldmap" viewBox="{fit}" data-fit="{fit}" data-world="{world}" '
        f'role="img" aria-label="{_e(label)}" xmlns="http://www.w3.org/2000/svg">'
        f'<path class="sea" d="{sphere()}"/>'
        f'<g class="countries">{shapes}</g>'
        f'<path class="graticule" d="{graticule()}"/>'
        f'<g class="labels" aria-hidden="true">{names}</g>'
        f'<g class="points">{circles}</g></svg>'
    )


@cache
def _country_shapes() -> str:
    return "".join(
        f'<path class="country" d="{c.path}"><title>{_e(c.name)}</title></path>'
        for c in countries()
    )


# A country is named when its largest polygon covers this share of the view (the page's
# script applies the same rule when the view changes).
LABEL_SHARE = 0.004
LABEL_PX = 11.0


def _label(country: Country, view: ViewBox, per_px: float) -> str:
    x, y = country.label
    shown = country.area >= LABEL_SHARE * view.width * view.height
    return (
        f'<text class="label{"" if shown else " off"}" x="{x:.1f}" y="{y:.1f}" '
        f'font-size="{LABEL_PX * per_px:.3f}" data-px="{LABEL_PX:g}" '
        f'data-area="{country.area:.1f}">{_e(country.name)}</text>'
    )


def _circle(point: MapPoint, at: Point, per_px: float) -> str:
    css = TYPE_CLASS.get(point.event_type, "et-other")
    x, y = at
    return (
        f'<circle class="pt {css}" cx="{x:.2f}" cy="{y:.2f}" r="{point.radius_px * per_px:.3f}" '
        f'data-px="{point.radius_px:.1f}" data-ref="{_e(point.ref)}" tabindex="0">'
        f"<title>{_e(point.title)}</title></circle>"
    )


def legend_items(counts: dict[str, int] | None = None) -> str:
    """The legend's list items: one swatch per event type, with counts when given."""
    items = []
    for event_type, css in TYPE_CLASS.items():
        count = f" ({counts.get(event_type, 0)})" if counts is not None else ""
        items.append(
            f'<li><svg class="dot" viewBox="-5 -5 10 10" aria-hidden="true">'
            f'<circle class="pt {css}" r="4"/></svg>{_e(event_type)}{count}</li>'
        )
    return "".join(items)


def _e(text: str) -> str:
    return html.escape(text, quote=True)
