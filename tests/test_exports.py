"""Exports: the events CSV and the JSON Lines of events, actors and figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from litestar.exceptions import LitestarException
from litestar.testing import AsyncTestClient

from service import exports
from service.exports import EVENT_CSV_COLUMNS, ArticleMeta, CsvRow, event_row, fatalities
from service.store.filters import Window
from service.store.read_models import (
    EventActorRead,
    EventRead,
    FigureRead,
    PlaceRead,
    Provenance,
)
from tests.conftest import ARTICLE

# extract.v15's records: the strike lists civilians as its target (inter 7 on
# either side). extract.v16 lists civilians as no actor
# (test_extract_v16_rules.py).
PROMPT_VERSION = "extract.v15"

PROVENANCE = Provenance(run_id=7, model="m", prompt_version="extract.v1", schema_version="1")
HARASTA = ARTICLE.replace("Douma", "Harasta")
AIR_STRIKE = "Air/drone strike"
SOHR = "Syrian Observatory for Human Rights"


def make_event(**overrides: Any) -> EventRead:
    values: dict[str, Any] = {
        "id": 3,
        "article_id": 2,
        "evidence": "Rebels shelled the town.",
        "start": 10,
        "end": 34,
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Shelling/artillery/missile attack",
        "summary": "Rebels - shelling in Douma.",
        "location": "Douma",
        "date": dt.date(2018, 4, 7),
        "date_precision": "day",
        "date_text": "on Saturday",
        "reported_by": None,
        "sentence": 2,
        "actors": [],
        "provenance": PROVENANCE,
        "stable_id": 7,
        "updated_at": dt.datetime(2018, 4, 8, tzinfo=dt.UTC),
        "event_id_cnty": "SYR7",
        "review": "unreviewed",
    }
    values.update(overrides)
    return EventRead(**values)


def make_figure(category: str, low: int | None, high: int | None = None, id: int = 1) -> FigureRead:
    return FigureRead(
        id=id,
        article_id=2,
        event_id=3,
        evidence="x",
        start=0,
        end=1,
        category=category,
        low=low,
        high=high,
        qualifier="exact",
        provenance=PROVENANCE,
        stable_id=1,
        updated_at=dt.datetime(2018, 4, 8, tzinfo=dt.UTC),
    )


def link(
    name: str, role: str, actor_type: str = "rebel group", canonical: str | None = None
) -> EventActorRead:
    return EventActorRead(
        actor_id=1, name=name, actor_type=actor_type, role=role, canonical_name=canonical
    )


DOUMA = PlaceRead(
    name="Dūmā",
    country_iso2="SY",
    country_iso3="SYR",
    iso=760,
    country="Syria",
    admin1="Rif-dimashq",
    latitude=33.57175,
    longitude=36.4027,
    geonameid=170592,
    geo_precision=1,
    candidate="Dūmā",
    reason="Dūmā, population 111864",
    gazetteer="test",
)


# -- pure row building -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        ([], (0, [])),
        ([("wounded", 12)], (0, [])),
        ([("killed", 40)], (40, [1])),
        ([("killed", 40), ("killed", 35), ("wounded", 3)], (35, [2])),
        ([("killed", None), ("killed", 8)], (8, [2])),
        ([("killed", None)], (0, [])),  # "up to 10": no lower bound, no count
        ([("killed_or_wounded", 5)], (0, [])),
        ([("killed", 12), ("killed", 30), ("killed", 12)], (12, [1, 3])),  # "dozens" is 12
    ],
)
def test_fatalities_is_the_lowest_killed_low(
    figures: list[tuple[str, int | None]], expected: tuple[int, list[int]]
) -> None:
    made = [make_figure(category, low, id=n) for n, (category, low) in enumerate(figures, 1)]
    assert fatalities(made) == expected


def test_the_csv_header_is_acleds_columns_in_acleds_order_then_this_services() -> None:
    # ACLED's export since its 2023 column changes (disorder_type, civilian_targeting, tags).
    acled = (
        "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,"
        "actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,"
        "iso,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,"
        "source,source_scale,notes,fatalities,tags,timestamp"
    ).split(",")
    assert list(EVENT_CSV_COLUMNS[: len(acled)]) == acled
    assert EVENT_CSV_COLUMNS[len(acled) :] == (
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
        "stable_id",
        "updated_at",
        "review",
        "date_precision",
    )
    header = exports.csv_text([], header=True)
    assert header == ",".join(EVENT_CSV_COLUMNS) + "\r\n"


def test_event_row_columns_actors_and_source() -> None:
    event = make_event(
        actors=[
            link("Jaysh al-Islam", "perpetrator"),
            link("Faylaq al-Rahman", "perpetrator", "political militia"),
            link("civilians", "target", "civilians"),
            link("SOHR", "other", "monitor/media"),
        ],
        reported_by=SOHR,
        place=DOUMA,
        confidence=0.8,
    )
    killed = [make_figure("killed", 4, id=5), make_figure("killed", 9, id=6)]
    row = event_row(event, killed, ArticleMeta(source="AFP", url="https://a"))
    assert tuple(row) == EVENT_CSV_COLUMNS
    assert row == {
        "event_id_cnty": "SYR7",
        "event_date": "2018-04-07",
        "year": 2018,
        "time_precision": 1,
        "disorder_type": "Political violence",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Shelling/artillery/missile attack",
        "actor1": "Jaysh al-Islam",
        "assoc_actor_1": "Faylaq al-Rahman",
        "inter1": 2,
        "actor2": "civilians",
        "assoc_actor_2": "",
        "inter2": 7,
        "interaction": 27,
        "civilian_targeting": "Civilian targeting",
        "iso": 760,
        "region": "Middle East",
        "country": "Syria",
        "admin1": "Rif-dimashq",
        "admin2": None,
        "admin3": None,
        "location": "Douma",
        "latitude": 33.57175,
        "longitude": 36.4027,
        "geo_precision": 1,
        "source": SOHR,
        "source_scale": None,
        "notes": "Rebels - shelling in Douma.",
        "fatalities": 4,
        "tags": None,
        "timestamp": 1523145600,
        "fatality_figure_ids": "5",
        "event_id": 3,
        "article_id": 2,
        "article_url": "https://a",
        "run_id": 7,
        "model": "m",
        "prompt_version": "extract.v1",
        "schema_version": "1",
        "confidence": 0.8,
        "evidence_start": 10,
        "evidence_end": 34,
        "stable_id": 7,
        "updated_at": "2018-04-08T00:00:00Z",
        "review": "unreviewed",
        "date_precision": "day",
    }


def test_one_named_side_and_canonical_names() -> None:
    event = make_event(
        actors=[
            link("the army", "perpetrator", "state forces", canonical="Military Forces of Syria"),
            link(
                "Syrian troops", "perpetrator", "state forces", canonical="Military Forces of Syria"
            ),
            link("Hezbollah", "perpetrator", "political militia"),
        ],
        date_precision="year",
    )
    row = event_row(event, [], ArticleMeta(source=None, url=None))
    assert (row["actor1"], row["assoc_actor_1"], row["inter1"]) == (
        "Military Forces of Syria",
        "Hezbollah",
        1,
    )
    assert (row["actor2"], row["inter2"], row["interaction"]) == ("", None, 10)  # sole action
    assert (row["time_precision"], row["civilian_targeting"]) == (3, None)
    # A named side without an inter code (a monitor) leaves the interaction unknown.
    row = event_row(
        make_event(
            actors=[
                link("army", "perpetrator", "state forces"),
                link("AFP", "target", "monitor/media"),
            ],
            date_precision="unknown",
        ),
        [],
        ArticleMeta(source=None, url=None),
    )
    assert (row["inter1"], row["inter2"], row["interaction"], row["time_precision"]) == (
        1,
        None,
        None,
        None,
    )


def test_event_row_falls_back_to_the_article_source() -> None:
    row = event_row(make_event(date=None, location=None), [], ArticleMeta(source="AFP", url=None))
    assert (row["source"], row["event_date"], row["year"], row["location"]) == (
        "AFP",
        None,
        None,
        None,
    )
    assert (row["actor1"], row["actor2"], row["fatalities"], row["article_url"]) == (
        "",
        "",
        0,
        None,
    )
    # Not geocoded: every column of the place is empty.
    assert {
        row[c] for c in ("iso", "region", "country", "admin1", "latitude", "geo_precision")
    } == {None}
    row = event_row(make_event(), [], ArticleMeta(source=None, url=None))
    assert row["source"] is None


def test_csv_text_quotes_and_blanks() -> None:
    row = event_row(
        make_event(summary='He said "no",\nthen left.', date=None),
        [],
        ArticleMeta(source=None, url=None),
    )
    text = exports.csv_text([row], header=True)
    assert text.startswith(",".join(EVENT_CSV_COLUMNS) + "\r\n")
    header, parsed = list(csv.reader(io.StringIO(text)))
    assert tuple(header) == EVENT_CSV_COLUMNS
    values = dict(zip(header, parsed, strict=True))
    assert values["notes"] == 'He said "no",\nthen left.'
    assert values["event_date"] == values["source"] == values["fatality_figure_ids"] == ""
    assert values["fatalities"] == "0"


def test_all_pages_follows_last_ids_and_jsonl_skips_empty_windows() -> None:
    first, second = make_figure("killed", 1), make_figure("killed", 2)
    second.id = 9
    windows = {
        0: Window[FigureRead](items=[first], more=True),
        1: Window[FigureRead](items=[second], more=False),
    }
    asked: list[int] = []

    def fetch(after: int) -> Window[FigureRead]:
        asked.append(after)
        return windows[after]

    chunks = list(exports.jsonl(exports.all_pages(fetch)))
    assert asked == [0, 1]
    assert [json.loads(c)["low"] for c in chunks] == [1, 2]
    assert all(c.endswith("\n") and c.count("\n") == 1 for c in chunks)
    assert list(exports.jsonl([Window[FigureRead](items=[], more=False)])) == []


# -- endpoints ---------------------------------------------------------------------------------


async def post_two_articles(client: AsyncTestClient[Any]) -> tuple[int, int]:
    first = await client.post("/articles?wait=10", json={"text": ARTICLE})
    second = await client.post(
        "/articles?wait=10",
        json={"text": HARASTA, "url": "https://news.example/harasta", "source": "AFP"},
    )
    assert first.status_code == second.status_code == 200, (first.text, second.text)
    return first.json()["article_id"], second.json()["article_id"]


async def csv_rows(client: AsyncTestClient[Any], query: str = "") -> list[dict[str, str]]:
    answer = await client.get(f"/events.csv{query}")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="events.csv"'
    reader = csv.DictReader(io.StringIO(answer.text, newline=""))
    assert tuple(reader.fieldnames or ()) == EVENT_CSV_COLUMNS
    return list(reader)


async def jsonl_items(client: AsyncTestClient[Any], url: str) -> list[dict[str, Any]]:
    answer = await client.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/x-ndjson"
    assert answer.text == "" or answer.text.endswith("\n")
    return [json.loads(line) for line in answer.text.splitlines()]


async def test_events_csv_rows(client: AsyncTestClient[Any]) -> None:
    douma, harasta = await post_two_articles(client)
    rows = await csv_rows(client)
    assert [(r["article_id"], r["sub_event_type"]) for r in rows] == [
        (str(douma), AIR_STRIKE),
        (str(douma), "Shelling/artillery/missile attack"),
        (str(harasta), AIR_STRIKE),
        (str(harasta), "Shelling/artillery/missile attack"),
    ]
    strike, shelling, harasta_strike, harasta_shelling = rows
    assert strike["fatalities"] == "40"  # "At least 40 civilians"
    assert (strike["actor1"], strike["actor2"]) == ("", "civilians")
    assert (strike["source"], strike["location"], strike["event_date"]) == (
        SOHR,
        "Douma",
        "2018-04-06",
    )
    assert (strike["date_precision"], strike["event_type"]) == ("day", "Explosions/Remote violence")
    assert strike["notes"].startswith("Unidentified actors - air/drone strike")
    # ACLED's columns from the codebook and the event's geocoded place.
    assert (strike["event_id_cnty"], strike["year"], strike["time_precision"]) == (
        f"SYR{strike['stable_id']}",
        "2018",
        "1",
    )
    assert (strike["disorder_type"], strike["inter2"], strike["civilian_targeting"]) == (
        "Political violence",
        "7",
        "Civilian targeting",
    )
    assert (strike["iso"], strike["region"], strike["country"], strike["admin1"]) == (
        "760",
        "Middle East",
        "Syria",
        "Rif-dimashq",
    )
    assert (round(float(strike["latitude"])), round(float(strike["longitude"]))) == (34, 36)
    assert strike["geo_precision"] == "1"
    douma_killed = (await client.get(f"/figures?article_id={douma}")).json()["items"][0]
    assert strike["fatality_figure_ids"] == str(douma_killed["id"])
    assert int(strike["timestamp"]) == int(
        dt.datetime.fromisoformat(strike["updated_at"]).timestamp()
    )
    assert (strike["model"], strike["prompt_version"]) == ("fake-model", PROMPT_VERSION)
    start, end = int(strike["evidence_start"]), int(strike["evidence_end"])
    assert ARTICLE[start:end].startswith("At least 40 civilians were killed")
    assert (shelling["actor1"], shelling["actor2"], shelling["fatalities"]) == (
        "Jaysh al-Islam",
        "",
        "4",
    )
    assert (shelling["inter1"], shelling["interaction"], shelling["admin1"]) == (
        "2",
        "20",
        "Dimashq",
    )
    assert (shelling["source"], shelling["article_url"]) == ("", "")  # nothing to fall back to
    assert (harasta_shelling["source"], harasta_shelling["article_url"]) == (
        "AFP",
        "https://news.example/harasta",
    )
    assert harasta_strike["source"] == SOHR  # the event's own source wins
    assert harasta_strike["location"] == "Harasta"
    events = (await client.get("/events")).json()["items"]
    assert [r["event_id"] for r in rows] == [str(e["id"]) for e in events]
    assert {r["run_id"] for r in rows} == {str(e["provenance"]["run_id"]) for e in events}


async def test_events_csv_filters(client: AsyncTestClient[Any]) -> None:
    douma, _ = await post_two_articles(client)
    strikes = await csv_rows(client, "?sub_event_type=Air/drone strike")
    assert [r["location"] for r in strikes] == ["Douma", "Harasta"]
    assert {r["article_id"] for r in await csv_rows(client, f"?article_id={douma}")} == {str(douma)}
    assert len(await csv_rows(client, f"?article_id={douma}")) == 2
    assert [r["location"] for r in await csv_rows(client, "?location=harasta")] == ["Harasta"]
    assert [r["actor1"] for r in await csv_rows(client, "?actor=jaysh")] == ["Jaysh al-Islam"] * 2
    assert len(await csv_rows(client, "?reported_by=observatory")) == 2
    assert len(await csv_rows(client, "?date_from=2018-04-07&date_to=2018-04-07")) == 2
    assert len(await csv_rows(client, "?event_type=Battles")) == 0


async def test_exports_page_through_the_store(
    client: AsyncTestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    await post_two_articles(client)
    expected_csv = await csv_rows(client)
    monkeypatch.setattr(exports, "PAGE_SIZE", 1)
    assert await csv_rows(client) == expected_csv
    figures = (await client.get("/figures")).json()["items"]
    assert len(figures) == 4
    assert await jsonl_items(client, "/figures.jsonl") == figures


async def test_csv_of_an_older_run_keeps_its_figures(client: AsyncTestClient[Any]) -> None:
    douma, _ = await post_two_articles(client)
    first_run = (await client.get(f"/articles/{douma}")).json()["runs"][0]["id"]
    rerun = await client.post(f"/articles/{douma}/extract?wait=10")
    assert rerun.status_code == 200, rerun.text
    newer = await csv_rows(client, f"?article_id={douma}")
    older = await csv_rows(client, f"?run_id={first_run}")
    assert {r["run_id"] for r in newer} != {r["run_id"] for r in older} == {str(first_run)}
    assert [r["fatalities"] for r in older] == [r["fatalities"] for r in newer] == ["40", "4"]


@pytest.mark.parametrize(
    ("resource", "query"),
    [
        ("events", ""),
        ("events", "?sub_event_type=Air/drone strike&location=harasta"),
        ("actors", ""),
        ("actors", "?actor_type=civilians"),
        ("actor-mentions", ""),
        ("actor-mentions", "?actor_type=civilians"),
        ("figures", ""),
        ("figures", "?category=killed&qualifier=exact"),
    ],
)
async def test_jsonl_equals_the_list_endpoint(
    client: AsyncTestClient[Any], resource: str, query: str
) -> None:
    await post_two_articles(client)
    listed = await client.get(f"/{resource}{query}{'&' if query else '?'}limit=500")
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert items and listed.json()["next_cursor"] is None
    assert await jsonl_items(client, f"/{resource}.jsonl{query}") == items


async def test_empty_exports(client: AsyncTestClient[Any]) -> None:
    assert await csv_rows(client) == []
    answer = await client.get("/events.csv")
    assert answer.text == ",".join(EVENT_CSV_COLUMNS) + "\r\n"
    for resource in ("events", "actors", "actor-mentions", "figures"):
        assert await jsonl_items(client, f"/{resource}.jsonl") == []
    await post_two_articles(client)
    assert await csv_rows(client, "?article_id=999") == []
    assert await jsonl_items(client, "/events.jsonl?location=nowhere") == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/events.csv?event_type=Nonsense", "event_type"),
        ("/events.csv?sub_event_type=Bombing", "sub_event_type"),
        ("/events.csv?date_from=yesterday", "date_from"),
        ("/events.csv?date_to=2018-13-01", "date_to"),
        ("/events.csv?date_from=2018-04-09&date_to=2018-04-01", "is after date_to"),
        ("/events.csv?article_id=abc", "article_id"),
        ("/events.csv?run_id=0", "run_id"),
        ("/events.csv?actor=", "actor"),
        ("/events.csv?reported_by=" + "x" * 201, "reported_by"),
        ("/events.jsonl?event_type=Nonsense", "event_type"),
        ("/events.jsonl?date_from=2018-04-09&date_to=2018-04-01", "is after date_to"),
        ("/actors.jsonl?actor_type=warlord", "actor_type"),
        ("/actors.jsonl?name=", "name"),
        ("/actors.jsonl?generic=perhaps", "generic"),
        ("/actor-mentions.jsonl?actor_type=warlord", "actor_type"),
        ("/figures.jsonl?category=many", "category"),
        ("/figures.jsonl?qualifier=roughly", "qualifier"),
        ("/figures.jsonl?event_id=-1", "event_id"),
    ],
)
async def test_bad_export_filters(client: AsyncTestClient[Any], url: str, message: str) -> None:
    answer = await client.get(url)
    assert answer.status_code == 400, answer.text
    assert message in answer.json()["error"]


async def test_export_filters_match_the_list_endpoints(client: AsyncTestClient[Any]) -> None:
    """The exports take the list endpoints' filters, declared identically (no paging)."""
    paths = (await client.get("/schema/openapi.json")).json()["paths"]

    def parameters(path: str) -> dict[str, Any]:
        declared = paths[path]["get"]["parameters"]
        return {p["name"]: p for p in declared if p["name"] not in {"cursor", "limit"}}

    for listed, exported in [
        ("/events", "/events.csv"),
        ("/events", "/events.jsonl"),
        ("/events", "/events.geojson"),
        ("/actors", "/actors.jsonl"),
        ("/actor-mentions", "/actor-mentions.jsonl"),
        ("/figures", "/figures.jsonl"),
    ]:
        wanted = parameters(listed)
        if exported in {"/events.csv", "/events.geojson"}:  # fixed columns and properties
            del wanted["fields"]
        assert parameters(exported) == wanted, exported
    operations = {path: op["get"]["operationId"] for path, op in paths.items() if "get" in op}
    assert operations["/events.csv"] == "exportEventsCsv"
    assert operations["/events.jsonl"] == "exportEventsJsonl"
    assert operations["/events.geojson"] == "exportEventsGeojson"
    assert operations["/actors.jsonl"] == "exportActorsJsonl"
    assert operations["/actor-mentions.jsonl"] == "exportActorMentionsJsonl"
    assert operations["/figures.jsonl"] == "exportFiguresJsonl"
    assert operations["/events"] == "listEvents"


async def test_a_failure_mid_export_is_not_a_complete_body(
    client: AsyncTestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Litestar ends a sync-iterator stream quietly on ValueError; the export must not.
    await post_two_articles(client)
    monkeypatch.setattr(exports, "PAGE_SIZE", 1)
    built: list[CsvRow] = []

    def second_row_fails(*args: Any) -> CsvRow:
        if built:
            raise ValueError("a record that no longer validates")
        built.append(event_row(*args))
        return built[-1]

    monkeypatch.setattr(exports, "event_row", second_row_fails)
    # The test transport re-raises what a server would answer by dropping the connection.
    with pytest.raises(LitestarException, match="after response started") as raised:
        await client.get("/events.csv")
    group: BaseException | None = raised.value
    # (each middleware layer may wrap it once more)
    while isinstance(group, LitestarException):
        group = group.__cause__
    assert isinstance(group, BaseExceptionGroup)
    assert group.subgroup(ValueError) is not None
