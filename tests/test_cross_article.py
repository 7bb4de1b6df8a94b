"""Across articles: canonical actors, clustered events and who-said-what figure groups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import create_engine, text

from service.app import create_app
from service.resolution.events import EventPoint, cluster_events, compatible, group_campaigns
from service.resolution.figures import FigurePoint, group_figures, population_class
from tests.conftest import make_settings
from tests.fake_llm import Answer, FakeLLM, event, facts

OBSERVATORY_REPORT = (
    "Published: Sat, April 07, 2018\n"
    "Jaysh al-Islam fighters clashed with the Syrian army in Douma on Friday, killing at least "
    "12 civilians, the Syrian Observatory for Human Rights said. "
    "Jaysh al-Islam shelled Damascus on Thursday, killing two people."
)
SANA_REPORT = (
    "Published: Sat, April 07, 2018\n"
    "Jaish al-Islam fought the Syrian army in Douma on Friday, killing 15 civilians, state news "
    "agency SANA said. "
    "Jaish al-Islam also clashed with the Syrian army in Harasta on Friday."
)
CLASH = "Armed clash"


def script(sentence: str, attempt: int) -> Answer:
    sides = {
        "by": [(n, "rebel group") for n in ("Jaysh al-Islam", "Jaish al-Islam") if n in sentence],
        "against": [("Syrian army", "state forces")],
    }
    if "killing at least 12" in sentence:
        return facts(
            source="Syrian Observatory for Human Rights",
            events=[event(CLASH, **sides, location="Douma")],
            figures=["killed"],
        )
    if "killing 15" in sentence:
        return facts(
            source="SANA", events=[event(CLASH, **sides, location="Douma")], figures=["killed"]
        )
    if "Harasta" in sentence:
        return facts(events=[event(CLASH, **sides, location="Harasta")])
    if "shelled Damascus" in sentence:
        shelling = event("Shelling/artillery/missile attack", by=sides["by"], location="Damascus")
        return facts(events=[shelling], figures=["killed"])
    return facts()


@pytest.fixture
async def client(tmp_path: Path) -> Any:
    fake = FakeLLM(script=script)
    http = fake.client()
    app = create_app(make_settings(tmp_path), llm_http_client=http)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client
    await http.aclose()


async def post(client: AsyncTestClient[Any], text: str, source: str) -> int:
    answer = await client.post("/articles?wait=10", json={"text": text, "source": source})
    assert answer.status_code == 200, answer.text
    assert answer.json()["run"]["status"] == "succeeded"
    article_id: int = answer.json()["article_id"]
    return article_id


async def test_one_canonical_actor_per_real_actor(client: AsyncTestClient[Any]) -> None:
    first = await post(client, OBSERVATORY_REPORT, "AFP")
    second = await post(client, SANA_REPORT, "Reuters")
    actors = (await client.get("/actors?generic=false")).json()["items"]
    by_name = {a["name"]: a for a in actors}
    assert set(by_name) == {
        "Jaysh al-Islam",
        "Military Forces of Syria",
        "Syrian Observatory for Human Rights",
        "Syrian Arab News Agency",
    }
    jaysh = by_name["Jaysh al-Islam"]
    assert set(jaysh["aliases"]) == {"Jaysh al-Islam", "Jaish al-Islam"}
    assert (jaysh["article_count"], jaysh["actor_type"]) == (2, "rebel group")

    detail = (await client.get(f"/actors/{jaysh['id']}")).json()
    assert {m["article_id"] for m in detail["mentions"]} == {first, second}
    assert len(detail["events"]) == 4  # two Douma clashes, Harasta, the Damascus shelling
    assert all(any(a["canonical_id"] == jaysh["id"] for a in e["actors"]) for e in detail["events"])


async def test_the_same_occurrence_is_one_cluster_with_every_report(
    client: AsyncTestClient[Any],
) -> None:
    first = await post(client, OBSERVATORY_REPORT, "AFP")
    second = await post(client, SANA_REPORT, "Reuters")
    clusters = (await client.get("/event-clusters")).json()["items"]
    assert len(clusters) == 3  # Douma (both), Harasta, Damascus
    douma = next(c for c in clusters if c["location"] == "Douma")
    assert douma["article_count"] == 2
    assert [r["article_id"] for r in douma["reports"]] == [first, second]
    assert douma["sources"] == ["Syrian Observatory for Human Rights", "SANA"]
    assert douma["date_from"] == douma["date_to"] == "2018-04-06"
    assert {a["name"] for a in douma["actors"]} == {"Jaysh al-Islam", "Military Forces of Syria"}
    assert douma["fatalities"] == 12

    shared = (await client.get("/event-clusters?min_articles=2")).json()["items"]
    assert [c["id"] for c in shared] == [douma["id"]]

    detail = (await client.get(f"/event-clusters/{douma['id']}")).json()
    assert len(detail["events"]) == 2
    [killed] = detail["figure_groups"]
    assert (killed["category"], killed["population"]) == ("killed", "civilians")
    assert [(r["low"], r["reported_by"], r["conservative"]) for r in killed["reports"]] == [
        (12, "Syrian Observatory for Human Rights", True),
        (15, "SANA", False),
    ]
    assert killed["conservative_low"] == 12

    groups = (await client.get("/figure-groups?min_articles=2")).json()["items"]
    assert [g["id"] for g in groups] == [killed["id"]]


async def test_cluster_reads_validate_their_input(client: AsyncTestClient[Any]) -> None:
    for url, status, message in [
        ("/event-clusters/1", 404, "event cluster 1 does not exist"),
        ("/event-clusters?min_articles=0", 400, "min_articles"),
        ("/event-clusters?sub_event_type=Bombing", 400, "sub_event_type"),
        ("/event-clusters?cursor=!!", 400, "cursor"),
        ("/figure-groups?category=many", 400, "category"),
    ]:
        answer = await client.get(url)
        assert answer.status_code == status, (url, answer.text)
        assert message in answer.json()["error"]


async def test_records_stored_before_resolution_are_linked_at_start_up(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path)
    http = FakeLLM(script=script).client()
    async with AsyncTestClient(app=create_app(settings, llm_http_client=http)) as client:
        await post(client, OBSERVATORY_REPORT, "AFP")
        await post(client, SANA_REPORT, "Reuters")
        before = (await client.get("/actors")).json()["items"]
    engine = create_engine(settings.database_url)  # a database from before this version
    with engine.begin() as db:
        db.execute(text("DELETE FROM actorlink"))
        db.execute(text("DELETE FROM canonicalactor"))
    engine.dispose()
    async with AsyncTestClient(app=create_app(settings, llm_http_client=http)) as client:
        after = (await client.get("/actors")).json()["items"]
        mentions = (await client.get("/actor-mentions")).json()["items"]
    await http.aclose()

    def shape(items: list[dict[str, Any]]) -> list[tuple[str, int]]:
        return sorted((a["name"], a["mention_count"]) for a in items)

    assert shape(after) == shape(before)
    assert all(m["canonical_id"] is not None for m in mentions)


# -- pure clustering rules ---------------------------------------------------------------------

FRIDAY = dt.date(2018, 4, 6)


def point(n: int, article: int, **changes: Any) -> EventPoint:
    values: dict[str, Any] = {
        "id": n,
        "article_id": article,
        "sub_event_type": CLASH,
        "location": "Douma",
        "date": FRIDAY,
        "date_precision": "day",
        "actors": frozenset({1}),
    }
    values.update(changes)
    return EventPoint(**values)


@pytest.mark.parametrize(
    ("other", "same"),
    [
        (point(2, 2), True),
        (point(2, 2, location="the Douma town"), True),
        (point(2, 2, date=FRIDAY + dt.timedelta(days=2), date_precision="week"), True),
        (point(2, 2, actors=frozenset()), True),
        (point(2, 1), False),  # one article's events are distinct occurrences
        (point(2, 2, sub_event_type="Air/drone strike"), False),
        (point(2, 2, location="Harasta"), False),
        (point(2, 2, location=None), False),
        (point(2, 2, date=FRIDAY + dt.timedelta(days=1)), False),
        (point(2, 2, date=None, date_precision="unknown"), True),  # shares actor 1
        (point(2, 2, date=None, date_precision="unknown", actors=frozenset()), False),
        (point(2, 2, actors=frozenset({2})), False),
    ],
)
def test_compatibility(other: EventPoint, same: bool) -> None:
    assert compatible(point(1, 1), other) is same


def test_a_cluster_holds_one_event_per_article_and_checks_every_member() -> None:
    clusters = cluster_events(
        [
            point(1, 1),
            point(2, 1),  # a second Douma clash in article 1: its own cluster
            point(3, 2),
            point(4, 3, date=FRIDAY + dt.timedelta(days=3), date_precision="week"),
            point(5, 4, date=dt.date(2018, 4, 10), date_precision="week"),  # fits 4, not 1 or 3
        ]
    )
    assert [[m.id for m in c.members] for c in clusters] == [[1, 3, 4], [2], [5]]
    assert [c.id for c in clusters] == [1, 2, 5]


def test_figures_group_by_occurrence_category_and_population() -> None:
    figures = [
        FigurePoint(1, 1, event_id=10, category="killed", population="civilians", low=12),
        FigurePoint(2, 2, event_id=20, category="killed", population="civilians", low=9),
        FigurePoint(3, 2, event_id=20, category="killed", population="people", low=15),
        FigurePoint(4, 3, event_id=30, category="killed", population=None, low=None),
        FigurePoint(5, 3, event_id=99, category="killed", population="civilians", low=1),
    ]
    groups = group_figures(figures, {10: 10, 20: 10, 30: 10})
    assert [(g.id, g.population, [m.id for m in g.members]) for g in groups] == [
        (1, "civilians", [1, 2]),
        (3, "people", [3, 4]),
    ]
    conservative = [g.conservative for g in groups]
    assert [c.id if c else None for c in conservative] == [2, 3]
    assert population_class("Others") == population_class(None) == "people"


def test_without_dates_only_a_shared_named_actor_links_two_reports() -> None:
    undated: dict[str, Any] = {"date": None, "date_precision": "unknown"}
    assert compatible(point(1, 1, **undated), point(2, 2, **undated))
    assert not compatible(point(1, 1, **undated), point(2, 2, **undated, actors=frozenset()))


async def test_an_offensive_reported_as_different_events_is_one_campaign(
    client: AsyncTestClient[Any],
) -> None:
    first = await post(client, OBSERVATORY_REPORT, "AFP")
    second = await post(client, SANA_REPORT, "Reuters")
    campaigns = (await client.get("/campaigns?location=douma")).json()["items"]
    assert len(campaigns) == 1
    [douma] = campaigns
    assert [a["article_id"] for a in douma["articles"]] == [first, second]
    assert douma["sub_event_types"] == {CLASH: 1}
    everywhere = (await client.get("/campaigns")).json()["items"]
    assert sorted(c["location"] for c in everywhere) == ["Damascus", "Douma", "Harasta"]
    assert (await client.get("/campaigns?min_articles=0")).status_code == 400


def test_campaigns_join_violent_clusters_at_one_place_over_meeting_dates() -> None:
    week = {"date": FRIDAY, "date_precision": "week"}
    clusters = cluster_events(
        [
            point(1, 1),
            point(2, 2, sub_event_type="Air/drone strike", location="Douma-based", **week),
            point(3, 3, sub_event_type="Air/drone strike", date=dt.date(2018, 6, 1)),
            point(4, 4, sub_event_type="Agreement"),
            point(5, 5, location="Harasta"),
        ]
    )
    groups = group_campaigns(clusters, lambda sub: sub != "Agreement")
    assert [[c.id for c in g] for g in groups] == [[1, 2], [3], [5]]


WIRE = (
    "Syrian government forces and rebels on Saturday intensified tit-for-tat attacks on Damascus."
)


def test_two_reports_in_the_same_words_are_one_occurrence() -> None:
    undated: dict[str, Any] = {"date": None, "date_precision": "unknown", "evidence": WIRE}
    copy = point(2, 2, **undated, location=None, actors=frozenset())
    assert compatible(point(1, 1, evidence=WIRE), copy)
    assert not compatible(
        point(1, 1, evidence=WIRE), point(2, 2, evidence=WIRE, date=FRIDAY.replace(day=9))
    )
    assert not compatible(
        point(1, 1, evidence=WIRE), point(2, 2, evidence=WIRE, sub_event_type="Attack")
    )
    reworded = "Rebels fired mortars at Damascus on Saturday, state media said, citing the police."
    assert not compatible(
        point(1, 1, evidence=WIRE),
        point(2, 2, evidence=reworded, location=None, actors=frozenset()),
    )
