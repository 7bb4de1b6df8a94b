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
from service.store.read_models import EventActorRead, EventRead, FigureRead, Provenance
from tests.conftest import ARTICLE, DEFAULT_PROMPT

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


def make_figure(category: str, low: int | None, high: int | None = None) -> FigureRead:
    return FigureRead(
        id=1,
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


def link(name: str, role: str) -> EventActorRead:
    return EventActorRead(actor_id=1, name=name, actor_type="rebel group", role=role)


# -- pure row building -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        ([], None),
        ([("wounded", 12)], None),
        ([("killed", 40)], 40),
        ([("killed", 40), ("killed", 35), ("wounded", 3)], 35),
        ([("killed", None), ("killed", 8)], 8),
        ([("killed", None)], None),  # "up to 10": no lower bound, no count
        ([("killed_or_wounded", 5)], None),
    ],
)
def test_fatalities_is_the_lowest_killed_low(
    figures: list[tuple[str, int | None]], expected: int | None
) -> None:
    assert fatalities(make_figure(category, low) for category, low in figures) == expected


def test_event_row_columns_actors_and_source() -> None:
    event = make_event(
        actors=[
            link("Jaysh al-Islam", "perpetrator"),
            link("Faylaq al-Rahman", "perpetrator"),
            link("civilians", "target"),
            link("SOHR", "other"),
        ],
        reported_by=SOHR,
    )
    row = event_row(event, [make_figure("killed", 4)], ArticleMeta(source="AFP", url="https://a"))
    assert tuple(row) == EVENT_CSV_COLUMNS
    assert row == {
        "event_id": 3,
        "event_date": "2018-04-07",
        "date_precision": "day",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Shelling/artillery/missile attack",
        "actor1": "Jaysh al-Islam; Faylaq al-Rahman",
        "actor2": "civilians",
        "location": "Douma",
        "fatalities": 4,
        "source": SOHR,
        "notes": "Rebels - shelling in Douma.",
        "article_id": 2,
        "article_url": "https://a",
        "run_id": 7,
        "model": "m",
        "prompt_version": "extract.v1",
        "schema_version": "1",
        "confidence": None,
        "evidence_start": 10,
        "evidence_end": 34,
        "event_id_cnty": "SYR7",
        "stable_id": 7,
        "updated_at": "2018-04-08T00:00:00Z",
        "review": "unreviewed",
    }


def test_event_row_falls_back_to_the_article_source() -> None:
    row = event_row(make_event(date=None, location=None), [], ArticleMeta(source="AFP", url=None))
    assert (row["source"], row["event_date"], row["location"]) == ("AFP", None, None)
    assert (row["actor1"], row["actor2"], row["fatalities"], row["article_url"]) == (
        "",
        "",
        None,
        None,
    )
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
    assert values["event_date"] == values["fatalities"] == values["source"] == ""


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
    assert (strike["model"], strike["prompt_version"]) == ("fake-model", DEFAULT_PROMPT)
    start, end = int(strike["evidence_start"]), int(strike["evidence_end"])
    assert ARTICLE[start:end].startswith("At least 40 civilians were killed")
    assert (shelling["actor1"], shelling["actor2"], shelling["fatalities"]) == (
        "Jaysh al-Islam",
        "",
        "4",
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
        ("/actors", "/actors.jsonl"),
        ("/actor-mentions", "/actor-mentions.jsonl"),
        ("/figures", "/figures.jsonl"),
    ]:
        assert parameters(exported) == parameters(listed), exported
    operations = {path: op["get"]["operationId"] for path, op in paths.items() if "get" in op}
    assert operations["/events.csv"] == "exportEventsCsv"
    assert operations["/events.jsonl"] == "exportEventsJsonl"
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
