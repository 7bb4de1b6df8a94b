"""The event map (GET /map) and the article page's map in headless Chromium, driven through
chromedriver: points drawn, a click shows the record, the world view.

Self-contained: the service runs in this process on the fake LLM (``WORLD``'s articles, events
in six countries and of every event type), served by uvicorn on a free loopback port, so it
needs Debian's chromium and chromium-driver and nothing else (no CONFLICT_IT_BASE_URL, no
model). With CONFLICT_SHOTS_DIR set (e.g. ``docs``) the screenshots are also written there as
``map.png`` and ``article-map.png``.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from service.app import create_app
from tests.browser.webdriver import Browser, chromium_session, free_port
from tests.conftest import ARTICLE, make_settings, seed_script
from tests.fake_llm import Answer, FakeLLM, event, facts

pytestmark = pytest.mark.browser

# One-sentence articles the fake model answers for (with ARTICLE: Douma and Damascus).
WORLD = {
    "Kharkiv": "Russian forces shelled Kharkiv on Monday, killing three civilians, the regional "
    "governor said.",
    "Nairobi": "Thousands of protesters marched in Nairobi on Tuesday against new taxes.",
    "El Fasher": "The Rapid Support Forces clashed with the Sudanese army in El Fasher on "
    "Wednesday.",
    "Lagos": "Rioters looted shops and burned cars in Lagos on Thursday after a disputed election.",
    "Maiduguri": "Gunmen killed 12 villagers in Maiduguri on Saturday, police said.",
    "Kampala": "Police arrested 20 opposition activists in Kampala on Friday.",
}
ANSWERS = {
    "Kharkiv": event(
        "Shelling/artillery/missile attack",
        by=[("Russian forces", "state forces")],
        against=[("civilians", "civilians")],
        location="Kharkiv",
    ),
    "Nairobi": event("Peaceful protest", by=[("protesters", "protesters")], location="Nairobi"),
    "El Fasher": event(
        "Armed clash",
        by=[("Rapid Support Forces", "rebel group")],
        against=[("Sudanese army", "state forces")],
        location="El Fasher",
    ),
    "Lagos": event("Violent demonstration", by=[("Rioters", "rioters")], location="Lagos"),
    "Maiduguri": event("Attack", by=[("Gunmen", "political militia")], location="Maiduguri"),
    "Kampala": event("Arrests", by=[("Police", "state forces")], location="Kampala"),
}


def world_script(sentence: str, attempt: int) -> Answer:
    for place, answer in ANSWERS.items():
        if place in sentence:
            killed = ["killed"] if "killed" in sentence or "killing" in sentence else []
            return facts(events=[answer], figures=killed)
    return seed_script(sentence, attempt)


@dataclass
class Service:
    url: str
    articles: list[dict[str, Any]]

    @property
    def events(self) -> list[dict[str, Any]]:
        return [e for a in self.articles for e in a["events"]]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The app on the fake LLM behind uvicorn on 127.0.0.1, with ``WORLD`` and ARTICLE stored."""
    tmp = tmp_path_factory.mktemp("map-service")
    http = FakeLLM(script=world_script).client()
    port = free_port()
    settings = make_settings(tmp, port=port)  # the Host header names the port
    app = create_app(settings, llm_http_client=http)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}"
        stored = []
        with httpx.Client(base_url=url, timeout=60) as client:
            for text in [ARTICLE, *WORLD.values()]:
                body = {"text": text, "published_date": "2024-05-12"}
                posted = client.post("/articles?wait=30", json=body)
                assert posted.status_code == 200, posted.text
                stored.append(posted.json()["article"])
        yield Service(url=url, articles=stored)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        asyncio.run(http.aclose())


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with chromium_session(tmp_path_factory.mktemp("chromium") / "profile") as session:
        yield session


def keep_shot(shot: Path) -> None:
    """Copies a screenshot to CONFLICT_SHOTS_DIR when that is set."""
    folder = os.environ.get("CONFLICT_SHOTS_DIR")
    if folder:
        shutil.copyfile(shot, Path(folder) / shot.name)


def assert_png(shot: Path) -> None:
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000, f"screenshot is only {shot.stat().st_size} bytes"


def view_box(browser: Browser, svg: str) -> list[float]:
    return [float(v) for v in (browser.attribute(svg, "viewBox") or "").split()]


def test_map_draws_a_point_per_geocoded_event_and_shows_its_record(
    service: Service, browser: Browser, tmp_path: Path
) -> None:
    placed = [e for e in service.events if e["place"] is not None]
    assert len(placed) == 8, [(e["location"], e["place"]) for e in service.events]
    assert {e["event_type"] for e in placed} == {
        "Battles",
        "Explosions/Remote violence",
        "Violence against civilians",
        "Protests",
        "Riots",
        "Strategic developments",
    }
    browser.open(f"{service.url}/map")
    circles = browser.find_all("svg.worldmap circle.pt")
    assert len(circles) == len(placed)
    refs = {browser.attribute(c, "data-ref") for c in circles}
    assert refs == {f"event-{e['id']}" for e in placed}
    kharkiv = next(e for e in placed if e["location"] == "Kharkiv")
    card = browser.find(f"#rec-event-{kharkiv['id']}")
    assert not browser.displayed(card)
    browser.click(browser.find(f'svg.worldmap circle.pt[data-ref="event-{kharkiv["id"]}"]'))
    assert browser.displayed(card)
    shown = browser.text(card)
    for expected in (
        "Explosions/Remote violence",
        "Shelling/artillery/missile attack",
        "Russian forces",
        "Kharkiv",
        "Ukraine",
        "geo precision 1",
        "2024-05-",
        "killed: three civilians",
        "Russian forces shelled Kharkiv on Monday",
        f"article {kharkiv['article_id']}",
    ):
        assert expected in shown, (expected, shown)
    link = browser.find(f"#rec-event-{kharkiv['id']} a")
    assert browser.attribute(link, "href") == (
        f"/articles/{kharkiv['article_id']}/view#event-{kharkiv['id']}"
    )
    assert browser.run("return location.hash") == f"#event-{kharkiv['id']}"
    svg = browser.find("svg.worldmap")
    fitted = view_box(browser, svg)
    shot = tmp_path / "map.png"
    browser.screenshot(shot)
    assert_png(shot)
    keep_shot(shot)
    browser.click(browser.find('button[data-view="world"]'))
    world = view_box(browser, svg)
    assert world[2] == pytest.approx(1000.0, abs=1) and world[2] > fitted[2]
    # The page's script (its CSP let it run) keeps each point at its size in screen pixels.
    for circle in circles:
        radius = float(browser.attribute(circle, "r") or 0) * browser.width(svg) / world[2]
        assert radius == pytest.approx(float(browser.attribute(circle, "data-px") or 0), rel=0.02)


def test_article_page_maps_its_events(service: Service, browser: Browser, tmp_path: Path) -> None:
    article = service.articles[0]  # ARTICLE: Douma and Damascus
    browser.open(f"{service.url}/articles/{article['id']}/view")
    circles = browser.find_all("svg.worldmap circle.pt")
    assert len(circles) == len(article["events"]) == 2
    damascus = next(e for e in article["events"] if e["location"] == "Damascus")
    ref = f"event-{damascus['id']}"
    browser.click(browser.find(f'svg.worldmap circle.pt[data-ref="{ref}"]'))
    card = browser.find(f"#rec-{ref}")
    assert browser.displayed(card)
    assert "Damascus" in browser.text(card) and "Jaysh al-Islam" in browser.text(card)
    mark = browser.find(f'mark.hl[data-kind][data-ref="{ref}"]')
    assert "selected" in (browser.attribute(mark, "class") or "")
    point = browser.find(f'svg.worldmap circle.pt[data-ref="{ref}"]')
    assert "selected" in (browser.attribute(point, "class") or "")
    shot = tmp_path / "article-map.png"
    browser.screenshot(shot)
    assert_png(shot)
    keep_shot(shot)


def test_map_shows_only_what_the_filters_select(service: Service, browser: Browser) -> None:
    browser.open(f"{service.url}/map?event_type=Protests")
    assert len(browser.find_all("svg.worldmap circle.pt")) == 1
    browser.open(f"{service.url}/map?date_from=2030-01-01")
    assert browser.find_all("svg.worldmap") == []
    assert re.search("No geocoded events", browser.text(browser.find("p.notice")))
