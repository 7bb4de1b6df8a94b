"""Across the five seeds on the real model: one canonical row per real actor, the Douma
offensive with every article that reports it. Run by scripts/integration.sh."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from evals.runner import load_dataset
from service.resolution.actors import default_table, normalise
from tests import live_service

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
VIOLENT = {"Battles", "Explosions/Remote violence", "Violence against civilians"}


@pytest.fixture(scope="module")
def seeds() -> dict[str, int]:
    """Seed file -> article id, every seed extracted."""
    return {
        f"seeds/{path.name}": live_service.extracted_article(path)["id"]
        for path in sorted((ROOT / "seeds").glob("*.txt"))
    }


def get_all(client: httpx.Client, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 500}
    while True:
        page = client.get(path, params=params).json()
        items += page["items"]
        if not page["next_cursor"]:
            return items
        params["cursor"] = page["next_cursor"]


def test_one_canonical_row_per_real_actor(seeds: dict[str, int]) -> None:
    with httpx.Client(base_url=live_service.base_url(), timeout=60) as client:
        actors = get_all(client, "/actors")
    table = default_table()

    def named(*forms: str) -> list[dict[str, Any]]:
        keys = {normalise(f) for f in forms}
        return [a for a in actors if keys & {normalise(n) for n in [a["name"], *a["aliases"]]}]

    jaysh = named("Jaysh al-Islam", "Jaish al-Islam", "Jaish Al Islam", "Army of Islam")
    assert [a["name"] for a in jaysh] == ["Jaysh al-Islam"], jaysh
    assert len(set(jaysh[0]["aliases"])) >= 2  # the articles' different spellings
    assert jaysh[0]["article_count"] >= 3
    sohr = named("Syrian Observatory for Human Rights", "Observatory", "Britain-based Observatory")
    assert [a["name"] for a in sohr] == ["Syrian Observatory for Human Rights"], sohr
    # No canonical row holds names of two different curated actors.
    for actor in actors:
        entries = {
            entry.name
            for alias in actor["aliases"]
            if (entry := table.entry_for(normalise(alias))) is not None
        }
        assert len(entries) <= 1, (actor["name"], actor["aliases"])


def test_the_douma_offensive_lists_every_article_reporting_it(seeds: dict[str, int]) -> None:
    dataset = load_dataset(ROOT / "evals/datasets/seeds.v1.yaml")
    reporting = {
        seeds[article.file]
        for article in dataset.articles
        for event in article.events
        if event.required
        and event.event_type in VIOLENT
        and (event.location or "").casefold() == "douma"
    }
    assert len(reporting) >= 4
    with httpx.Client(base_url=live_service.base_url(), timeout=60) as client:
        campaigns = get_all(client, "/campaigns?location=douma&min_articles=2")
        douma = [c for c in campaigns if (c["location"] or "").casefold() == "douma"]
        assert douma, campaigns
        listed = {a["article_id"] for a in douma[0]["articles"]}
        assert reporting <= listed, (reporting, listed)
        clusters = client.get("/event-clusters?location=douma&limit=500").json()["items"]
    assert {c["id"] for c in clusters} >= set(douma[0]["cluster_ids"]) - {None}
