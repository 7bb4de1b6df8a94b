"""The offline world map: projection, simplification, outlines, zoom, the map page and GET /map."""

from __future__ import annotations

import itertools
import math
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service.api.map import MAP_CSP
from service.api.security import csp_hash
from service.store.filters import EventFilter
from service.store.read_models import ArticleRead, EventRead, FigureRead
from service.view import worldmap
from service.view.annotate import render_article
from service.view.map_page import page_template, render_map_page
from service.view.worldmap import (
    MapPoint,
    countries,
    event_points,
    fit_box,
    project,
    render_map,
    ring_path,
    simplify,
    world_box,
)
from tests.conftest import ARTICLE, seed_script
from tests.fake_llm import FakeLLM, event, facts
from tests.test_article_view import article, parse

PROVENANCE = {"run_id": 1, "model": "m", "prompt_version": "p", "schema_version": "1"}


def place(name: str, lat: float, lon: float, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "country_iso2": "SY",
        "country_iso3": "SYR",
        "iso": 760,
        "country": "Syria",
        "admin1": "Rif Dimashq",
        "latitude": lat,
        "longitude": lon,
        "geo_precision": 1,
        "candidate": name,
        "reason": "r",
        "gazetteer": "g",
        **extra,
    }


def make_event(i: int, where: dict[str, Any] | None, **fields: Any) -> EventRead:
    return EventRead.model_validate(
        {
            "id": i,
            "article_id": 7,
            "start": 0,
            "end": 5,
            "evidence": "Text.",
            "provenance": PROVENANCE,
            "event_type": "Battles",
            "sub_event_type": "Armed clash",
            "summary": "s",
            "date": "2024-05-06",
            "date_precision": "day",
            "sentence": 0,
            "actors": [],
            "stable_id": i,
            "updated_at": "2024-01-01T00:00:00Z",
            "event_id_cnty": f"SYR{i}",
            "review": "unreviewed",
            "place": where,
            **fields,
        }
    )


def killed(i: int, event_id: int, low: int, evidence: str = "40 people") -> FigureRead:
    return FigureRead.model_validate(
        {
            "id": i,
            "article_id": 7,
            "start": 0,
            "end": 5,
            "evidence": evidence,
            "provenance": PROVENANCE,
            "stable_id": 100 + i,
            "updated_at": "2024-01-01T00:00:00Z",
            "category": "killed",
            "low": low,
            "high": low,
            "qualifier": "exact",
            "event_id": event_id,
        }
    )


class Circles(HTMLParser):
    """The attributes of the circles inside svg.worldmap elements, and the svg elements'."""

    def __init__(self) -> None:
        super().__init__()
        self.maps: list[dict[str, str]] = []
        self.circles: list[dict[str, str]] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "svg" and "worldmap" in values.get("class", ""):
            self.maps.append(values)
            self.depth = 1
        elif self.depth and tag == "circle":
            self.circles.append(values)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.depth = 0


def circles_of(page: str) -> Circles:
    parser = Circles()
    parser.feed(page)
    return parser


# -- projection and simplification


def test_equal_earth_projection() -> None:
    assert project(0, 0) == (0.0, 0.0)
    assert project(180, 0) == pytest.approx((500.0, 0.0))
    assert project(-180, 0) == pytest.approx((-500.0, 0.0))
    x, y = project(30, 45)
    assert project(-30, -45) == pytest.approx((-x, -y))  # symmetric
    assert y < 0  # north is up (SVG y points down)
    # Equal Earth's published extent: 2.7066 wide per 1.3173 high from the centre
    assert -project(0, 90)[1] / 500 == pytest.approx(1.3173 / 2.7066, abs=1e-3)
    lats = [project(10, lat)[1] for lat in range(-90, 91, 10)]
    assert lats == sorted(lats, reverse=True)
    # meridians converge towards the poles
    assert abs(project(90, 60)[0]) < abs(project(90, 0)[0])


def test_douglas_peucker_keeps_ends_and_far_points_only() -> None:
    line = [(float(x), 0.0) for x in range(10)]
    assert simplify(line, 0.1) == [(0.0, 0.0), (9.0, 0.0)]
    spike = [(0.0, 0.0), (1.0, 1.55), (2.0, 3.0), (3.0, 0.0), (4.0, 0.0)]
    assert simplify(spike, 0.5) == [(0.0, 0.0), (2.0, 3.0), (3.0, 0.0), (4.0, 0.0)]
    assert simplify(spike, 5.0) == [(0.0, 0.0), (4.0, 0.0)]
    assert simplify([(0.0, 0.0), (1.0, 1.0)], 1.0) == [(0.0, 0.0), (1.0, 1.0)]
    # every dropped point lies within the tolerance of the simplified line
    wavy = [(x / 10, math.sin(x / 7) * 3) for x in range(200)]
    kept = simplify(wavy, 0.2)
    assert len(kept) < len(wavy) / 4
    for px, py in wavy:
        assert min(_distance((px, py), a, b) for a, b in itertools.pairwise(kept)) <= 0.2


def _distance(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def test_ring_path_is_relative_and_closes_where_it_started() -> None:
    square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0), (0.0, 0.0)]
    path = ring_path(square)
    assert path == "M0 0l10 0 0 10 -10 0z"
    steps = re.findall(r"(-?[\d.]+) (-?[\d.]+)", path.split("l", 1)[1])
    # the moves lead to the last corner; "z" draws the side back to the start
    assert sum(float(x) for x, _ in steps) == 0 and sum(float(y) for _, y in steps) == 10
    # an island smaller than the tolerance is kept whole, a point is nothing
    islet = [(0.0, 0.0), (0.2, 0.0), (0.2, 0.2), (0.0, 0.0)]
    assert ring_path(islet, tolerance=1.0) == "M0 0l0.2 0 0 0.2z"
    assert ring_path([(1.0, 1.0), (1.01, 1.0), (1.0, 1.0)]) == ""


def test_country_outlines_load_once_and_stay_light() -> None:
    first = countries()
    assert countries() is first  # cached for the process
    by_iso = {c.iso3: c for c in first}
    assert len(first) > 160
    assert {"SYR", "UKR", "SDN", "NGA", "RUS", "USA", "FJI"} <= set(by_iso)
    assert "ATA" not in by_iso
    assert all(c.path.startswith("M") and c.path.endswith("z") for c in first)
    assert sum(len(c.path) for c in first) < 100_000
    # Syria's name goes near its middle (the centroid of its largest polygon)
    x, y = by_iso["SYR"].label
    assert project(36, 35)[0] - 20 < x < project(42, 35)[0] + 20
    assert project(38, 38)[1] < y < project(38, 32)[1]


def test_fit_box_pads_the_points_at_the_aspect() -> None:
    points = [project(36.4, 33.5), project(37.2, 36.2)]
    box = fit_box(points, 2.0)
    assert box.width / box.height == pytest.approx(2.0)
    assert box.width == pytest.approx(40.0)  # the minimum: about 14 degrees
    for x, y in points:
        assert box.x < x < box.x + box.width and box.y < y < box.y + box.height
    spread = [project(-120, 40), project(140, -30)]
    wide = fit_box(spread, 2.0)
    assert wide.width > project(140, 0)[0] - project(-120, 0)[0]
    assert fit_box([project(-179, 70), project(179, -55)], 2.0) == world_box(2.0)
    assert fit_box([], 1.6) == world_box(1.6)
    world = world_box(2.0)
    assert world.width == 1000 and world.x == -500


# -- points and the SVG


def test_events_without_a_place_are_not_points_and_the_dead_size_them() -> None:
    events = [
        make_event(1, place("Douma", 33.57, 36.4)),
        make_event(2, None),
        make_event(3, place("Damascus", 33.51, 36.29)),
    ]
    points = event_points(events, {1: [killed(1, 1, 40), killed(2, 1, 60)]})
    assert [p.ref for p in points] == ["event-1", "event-3"]
    assert points[0].fatalities == 40  # the conservative count, as the events CSV
    assert points[1].fatalities == 0  # ACLED: no killed figure counts 0
    assert points[0].radius_px > points[1].radius_px == 4.0
    assert MapPoint("e", 0, 0, "Battles", "t", fatalities=10**9).radius_px == 12.0
    assert "Douma, Rif Dimashq, Syria (2024-05-06)" in points[0].title


def test_svg_escapes_titles_and_keeps_radii_in_pixels() -> None:
    point = MapPoint("event-1", 36.4, 33.5, "Riots", 'Event 1: <script>alert("x")</script>')
    svg = render_map([point], aspect=2.0, assumed_px=500, label="<b>map</b>")
    assert "<script>" not in svg and "&lt;script&gt;alert(&quot;x&quot;)" in svg
    assert 'aria-label="&lt;b&gt;map&lt;/b&gt;"' in svg
    found = circles_of(svg)
    (svg_attrs,) = found.maps
    (circle,) = found.circles
    assert "et-riots" in circle["class"] and circle["data-ref"] == "event-1"
    width = float(svg_attrs["viewbox"].split()[2])  # HTMLParser lowers attribute names
    assert float(circle["r"]) * 500 / width == pytest.approx(4.0, rel=1e-3)
    assert svg_attrs["data-fit"] == svg_attrs["viewbox"]
    assert svg_attrs["data-world"] == str(world_box(2.0))
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")


# -- the pages


def test_map_page_draws_placed_events_with_their_records() -> None:
    events = [
        make_event(1, place("Douma", 33.57, 36.4), evidence='Shelled <i>"Douma"</i>.'),
        make_event(2, None),
        make_event(3, place("Kyiv", 50.45, 30.52), event_type="Protests"),
    ]
    page = render_map_page(
        events, [killed(1, 1, 40, "40 <b>people</b>")], event_filter=EventFilter(), more=True
    )
    found = circles_of(page)
    assert [c["data-ref"] for c in found.circles] == ["event-1", "event-3"]
    assert 'id="rec-event-1"' in page and 'id="rec-event-3"' in page
    assert 'id="rec-event-2"' not in page
    assert '<a href="/articles/7/view#event-1">' in page
    assert "<i>" not in page and "Shelled &lt;i&gt;&quot;Douma&quot;&lt;/i&gt;." in page
    assert "killed: 40 &lt;b&gt;people&lt;/b&gt;" in page
    assert "Douma, Rif Dimashq, Syria (SYR); geo precision 1 (the town); 33.5700, 36.4000" in page
    assert "2 geocoded events drawn of 3 matched" in page and "the first 3 matches" in page
    assert "Battles (1)" in page and "Protests (1)" in page and "Riots (0)" in page
    assert 'class="review"' not in page  # review happens on the article page
    assert "<script src" not in page and "<link" not in page
    parse(page)  # well nested


def test_map_page_without_geocoded_events_says_so() -> None:
    none = render_map_page([], [], event_filter=EventFilter(event_type="Riots"))
    assert "No geocoded events. No events match these filters." in none
    assert "<code>event_type=Riots</code>" in none
    assert circles_of(none).maps == []
    unplaced = render_map_page([make_event(1, None)], [], event_filter=EventFilter())
    assert "None of the 1 events that match has a place" in unplaced


def test_map_page_csp_hashes_its_script_and_style() -> None:
    template = page_template()
    script = re.search(r"<script>(.*?)</script>", template, re.S)
    style = re.search(r"<style>(.*?)</style>", template, re.S)
    assert script and style and "mapScale" in script.group(1) and ".et-riots" in style.group(1)
    assert csp_hash(script.group(1).encode()) in MAP_CSP
    assert csp_hash(style.group(1).encode()) in MAP_CSP


def test_article_page_has_a_map_of_its_geocoded_events() -> None:
    read = article("Rebels shelled Douma. Others marched.", events=[(0, 21), (22, 37)])
    data = read.model_dump()
    data["events"][0]["place"] = place("Douma", 33.57, 36.4)
    page = render_article(ArticleRead.model_validate(data))
    found = circles_of(page)
    assert [c["data-ref"] for c in found.circles] == ["event-1"]
    assert "1 of 2 events have a place" in page
    assert "No geocoded events to map" in render_article(read)


# -- GET /map


def escaping_script(sentence: str, attempt: int) -> Any:
    if "<Douma>" in sentence:
        return facts(events=[event("Air/drone strike", location="Douma")], figures=["killed"])
    return seed_script(sentence, attempt)


@pytest.fixture
def fake_llm() -> FakeLLM:
    return FakeLLM(script=escaping_script)


async def test_map_endpoint_draws_a_point_per_geocoded_event(
    client: AsyncTestClient[Any],
) -> None:
    posted = (await client.post("/articles?wait=10", json={"text": ARTICLE})).json()
    hostile = 'Airstrikes hit <Douma> & "Harasta", killing 7 people <script>alert(1)</script>.'
    other = (await client.post("/articles?wait=10", json={"text": hostile})).json()
    events = posted["article"]["events"] + other["article"]["events"]
    placed = [e for e in events if e["place"] is not None]
    assert len(placed) == 3
    answer = await client.get("/map")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"] == MAP_CSP
    found = circles_of(answer.text)
    assert sorted(c["data-ref"] for c in found.circles) == sorted(
        f"event-{e['id']}" for e in placed
    )
    assert "<script>alert" not in answer.text and "<Douma>" not in answer.text
    assert "&lt;Douma&gt; &amp; &quot;Harasta&quot;" in answer.text
    assert answer.text.count("<script>") == 1
    # the filters of GET /events narrow it
    battles = await client.get("/map", params={"event_type": "Battles"})
    assert circles_of(battles.text).circles == []
    assert "No geocoded events" in battles.text
    one = await client.get("/map", params={"article_id": other["article_id"]})
    assert len(circles_of(one.text).circles) == 1
    dated = await client.get("/map", params={"date_from": "2000-01-01", "review": "all"})
    assert len(circles_of(dated.text).circles) == len([e for e in placed if e["date"]])


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("date_from=yesterday", "date_from"),
        ("date_from=2024-02-01&date_to=2024-01-01", "date_from"),
        ("event_type=Skirmish", "event_type"),
        ("sub_event_type=x", "sub_event_type"),
        ("min_confidence=2", "min_confidence"),
        ("review=maybe", "review"),
        ("article_id=0", "article_id"),
        ("limit=0", "limit"),
        ("limit=5000", "limit"),
    ],
)
async def test_bad_filters_are_400_naming_the_parameter(
    client: AsyncTestClient[Any], query: str, named: str
) -> None:
    answer = await client.get(f"/map?{query}")
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["error"].startswith(named), answer.json()


async def test_article_page_maps_its_events(client: AsyncTestClient[Any]) -> None:
    posted = (await client.post("/articles?wait=10", json={"text": ARTICLE})).json()
    page = (await client.get(f"/articles/{posted['article_id']}/view")).text
    found = circles_of(page)
    assert len(found.circles) == len(posted["article"]["events"]) == 2
    assert 'data-view="world"' in page


def test_worldmap_reads_the_pinned_package_only() -> None:
    assert worldmap.DATA_PACKAGE == "countryinfo"
