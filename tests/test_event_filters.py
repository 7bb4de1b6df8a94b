"""The /events filters on the event's place, ACLED fatalities and inter codes, ?fields=, and
the GeoJSON export, on events geocoded by the real gazetteer."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service import exports
from service.api.filters import country_code, parse_bbox
from service.errors import BadRequestError
from service.store.filters import BBox
from tests.conftest import ARTICLE, seed_script
from tests.fake_llm import Answer, FakeLLM, event, facts

KHARKIV = (
    "Published: Mon, March 07, 2022\n"
    "Shelling hits Kharkiv\n"
    "\n"
    "Russian forces shelled Kharkiv on Sunday, killing dozens of civilians, Ukrainian officials "
    "said. Gunmen abducted three civilians on Monday.\n"
)


def script(sentence: str, attempt: int) -> Answer:
    if sentence.startswith("Russian forces shelled"):
        return facts(
            events=[
                event(
                    "Shelling/artillery/missile attack",
                    by=[("Russian forces", "state forces")],
                    against=[("civilians", "civilians")],
                    location="Kharkiv",
                )
            ],
            figures=["killed"],
        )
    if sentence.startswith("Gunmen abducted"):
        return facts(
            events=[
                event(
                    "Abduction/forced disappearance",
                    by=[("Gunmen", "political militia")],
                    against=[("civilians", "civilians")],
                )
            ],
            figures=["abducted"],
        )
    return seed_script(sentence, attempt)


@pytest.fixture
def fake_llm() -> FakeLLM:
    return FakeLLM(script=script)


# extract.v15's records list civilians as targets: the filters are tested on sides of every
# inter code. extract.v16 lists civilians as no actor; its rows and inter=7 are tested in
# test_extract_v16_rules.py.
PROMPT_VERSION = "extract.v15"


async def post_articles(client: AsyncTestClient[Any]) -> dict[str, int]:
    """Four events: an air strike in Douma (Rif-dimashq) killing 40 civilians, Jaysh al-Islam's
    shelling of Damascus (Dimashq) killing 4, Russian forces' shelling of Kharkiv killing
    dozens (12) of civilians, and an abduction with no place."""
    for text in (ARTICLE, KHARKIV):
        posted = await client.post("/articles?wait=10", json={"text": text})
        assert posted.status_code == 200, posted.text
    events = (await client.get("/events")).json()["items"]
    by_name = {
        "Air/drone strike": "douma",
        "Shelling/artillery/missile attack": "shelling",
        "Abduction/forced disappearance": "abduction",
    }
    ids: dict[str, int] = {}
    for item in events:
        name = by_name[item["sub_event_type"]]
        if name == "shelling" and item["location"] == "Kharkiv":
            name = "kharkiv"
        elif name == "shelling":
            name = "damascus"
        ids[name] = item["id"]
    assert set(ids) == {"douma", "damascus", "kharkiv", "abduction"}, events
    places = {e["id"]: e["place"] for e in events}
    assert places[ids["abduction"]] is None
    assert places[ids["kharkiv"]]["country"] == "Ukraine"
    return ids


async def listed(client: AsyncTestClient[Any], query: str) -> list[int]:
    answer = await client.get(f"/events?{query}")
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


FILTERED = [
    ("country=syria", ["douma", "damascus"]),
    ("country=SYRIA", ["douma", "damascus"]),
    ("country=Ukraine", ["kharkiv"]),
    ("country=Yemen", []),
    ("iso=UA", ["kharkiv"]),
    ("iso=ukr", ["kharkiv"]),
    ("iso=804", ["kharkiv"]),
    ("iso=SY&country=Syria", ["douma", "damascus"]),
    ("admin1=dimashq", ["damascus"]),
    ("admin1=RIF%20DIMASHQ", ["douma"]),  # GeoNames writes Rif-dimashq
    ("admin1=Kharkivs%E2%80%99ka%20oblast%E2%80%99", ["kharkiv"]),
    ("admin1=Idlib", []),
    ("bbox=35,32,38,35", ["douma", "damascus"]),
    ("bbox=35,49,37,51", ["kharkiv"]),
    ("bbox=36.3,33.5,36.5,33.6", ["douma"]),
    ("bbox=170,-90,-170,90", []),  # across the antimeridian: the Pacific
    ("bbox=30,0,-150,90", ["douma", "damascus", "kharkiv"]),
    ("fatalities_min=0", ["douma", "damascus", "kharkiv", "abduction"]),
    ("fatalities_min=4", ["douma", "damascus", "kharkiv"]),
    ("fatalities_min=12", ["douma", "kharkiv"]),  # "dozens" counts 12
    ("fatalities_min=13", ["douma"]),
    ("fatalities_min=41", []),
    ("fatalities_min=10000000000", []),  # above 2**31: PostgreSQL compares it as BIGINT
    ("inter=1", ["kharkiv"]),
    ("inter=2", ["damascus"]),
    ("inter=3", ["abduction"]),
    ("inter=7", ["douma", "kharkiv", "abduction"]),
    ("inter=4", []),
    ("country=syria&inter=7&fatalities_min=1", ["douma"]),
    ("bbox=30,30,40,55&inter=1&admin1=kharkivs%E2%80%99ka%20oblast%E2%80%99", ["kharkiv"]),
]


async def test_event_filters(client: AsyncTestClient[Any]) -> None:
    ids = await post_articles(client)
    for query, expected in FILTERED:
        assert await listed(client, query) == [ids[name] for name in expected], query


async def test_exports_take_the_same_filters(client: AsyncTestClient[Any]) -> None:
    ids = await post_articles(client)
    answer = await client.get("/events.csv?country=ukraine&fatalities_min=12")
    rows = list(csv.DictReader(io.StringIO(answer.text, newline="")))
    assert [int(r["event_id"]) for r in rows] == [ids["kharkiv"]]
    kharkiv = rows[0]
    assert (kharkiv["actor1"], kharkiv["inter1"], kharkiv["actor2"], kharkiv["inter2"]) == (
        "Military Forces of Russia",  # the curated canonical name
        "1",
        "civilians",
        "7",
    )
    assert (kharkiv["interaction"], kharkiv["fatalities"], kharkiv["region"]) == (
        "17",
        "12",
        "Europe",
    )
    lines = (await client.get("/events.jsonl?inter=7&bbox=35,32,38,35")).text.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [ids["douma"]]
    collection = (await client.get("/events.geojson?iso=SYR&inter=2")).json()
    assert [f["id"] for f in collection["features"]] == [ids["damascus"]]


async def test_fields_narrow_each_event(client: AsyncTestClient[Any]) -> None:
    ids = await post_articles(client)
    answer = await client.get("/events?fields=id,%20event_id_cnty,place,id&limit=1")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [list(item) for item in body["items"]] == [["id", "event_id_cnty", "place"]]
    assert body["items"][0]["id"] == ids["douma"]
    assert body["items"][0]["place"]["country"] == "Syria"
    following = await client.get(f"/events?fields=id&limit=50&cursor={body['next_cursor']}")
    assert following.json() == {
        "items": [{"id": ids[n]} for n in ("damascus", "kharkiv", "abduction")],
        "next_cursor": None,
    }
    lines = (await client.get("/events.jsonl?fields=review,id&country=ukraine")).text.splitlines()
    assert [json.loads(line) for line in lines] == [{"id": ids["kharkiv"], "review": "unreviewed"}]
    full = (await client.get("/events?limit=1")).json()["items"][0]
    assert {"actors", "provenance", "place", "evidence"} <= set(full)


async def test_the_geojson_export(
    client: AsyncTestClient[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = await client.get("/events.geojson")
    assert answer.headers["content-type"] == "application/geo+json"
    assert answer.json() == {
        "type": "FeatureCollection",
        "features": [],
        "events_without_coordinates": 0,
    }
    ids = await post_articles(client)
    answer = await client.get("/events.geojson")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == 'attachment; filename="events.geojson"'
    collection = answer.json()
    assert list(collection) == ["type", "features", "events_without_coordinates"]
    assert collection["events_without_coordinates"] == 1  # the abduction has no place
    events = {e["id"]: e for e in (await client.get("/events")).json()["items"]}
    features = collection["features"]
    assert [f["id"] for f in features] == [ids[n] for n in ("douma", "damascus", "kharkiv")]
    for feature in features:
        place = events[feature["id"]]["place"]
        assert feature["type"] == "Feature"
        assert feature["geometry"] == {
            "type": "Point",
            "coordinates": [place["longitude"], place["latitude"]],  # longitude first
        }
        assert list(feature["properties"]) == [
            "id",
            "event_id_cnty",
            "event_date",
            "event_type",
            "sub_event_type",
            "actor1",
            "actor2",
            "location",
            "country",
            "admin1",
            "geo_precision",
            "fatalities",
            "confidence",
            "review",
        ]
    kharkiv = features[2]["properties"]
    assert kharkiv == {
        "id": ids["kharkiv"],
        "event_id_cnty": events[ids["kharkiv"]]["event_id_cnty"],
        "event_date": "2022-03-06",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Shelling/artillery/missile attack",
        "actor1": "Military Forces of Russia",
        "actor2": "civilians",
        "location": "Kharkiv",
        "country": "Ukraine",
        "admin1": "Kharkivs\u2019ka Oblast\u2019",
        "geo_precision": 1,
        "fatalities": 12,
        "confidence": None,
        "review": "unreviewed",
    }
    # A page per chunk: the same document when every page holds one event.
    monkeypatch.setattr(exports, "PAGE_SIZE", 1)
    assert (await client.get("/events.geojson")).json() == collection
    assert (await client.get("/events.geojson?country=yemen")).json()["features"] == []


@pytest.mark.parametrize(
    ("country", "iso", "expected"),
    [
        ("Syria", None, "SY"),
        ("  SYRIA ", None, "SY"),
        ("the Democratic Republic of the Congo", None, "CD"),
        ("DRC", None, "CD"),
        ("Palestine", None, "PS"),  # ACLED's name
        (None, "sy", "SY"),
        (None, "SYR", "SY"),
        (None, "760", "SY"),
        (None, "4", "AF"),  # numeric 004
        (None, "004", "AF"),
        ("Syria", "SYR", "SY"),
        (None, None, None),
    ],
)
def test_countries_by_name_and_code(country: str | None, iso: str | None, expected: str) -> None:
    assert country_code(country, iso) == expected


@pytest.mark.parametrize(
    ("country", "iso", "message"),
    [
        ("Narnia", None, "country: no country is named 'Narnia'"),
        (None, "XX", r"iso: 'XX' is no ISO 3166-1"),
        (None, "S1", "iso: 'S1'"),
        (None, "999", "iso: '999'"),
        ("Syria", "UA", "country 'Syria' and iso 'UA' are two countries"),
    ],
)
def test_unknown_countries_are_400s(country: str | None, iso: str | None, message: str) -> None:
    with pytest.raises(BadRequestError, match=message):
        country_code(country, iso)


def test_bbox_parses_and_may_cross_the_antimeridian() -> None:
    assert parse_bbox("35.5,32,37.25,34.5") == BBox(35.5, 32.0, 37.25, 34.5)
    assert parse_bbox(" -180 , -90, 180,90") == BBox(-180.0, -90.0, 180.0, 90.0)
    assert parse_bbox("170,-10,-170,10") == BBox(170.0, -10.0, -170.0, 10.0)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1,2,3", "got 3 values, not 4"),
        ("1,2,3,4,5", "got 5 values, not 4"),
        ("a,b,c,d", "is not four numbers"),
        ("1,2,,4", "is not four numbers"),
        ("nan,1,2,3", "min_lon nan is outside -180..180"),
        ("1,2,inf,3", "max_lon inf is outside -180..180"),
        ("181,0,182,1", "min_lon 181.0 is outside"),
        ("0,-91,1,0", "min_lat -91.0 is outside -90..90"),
        ("0,10,1,5", "min_lat 10.0 is north of max_lat 5.0"),
    ],
)
def test_bad_bboxes_are_400s_naming_bbox(value: str, message: str) -> None:
    with pytest.raises(BadRequestError, match=r"^bbox: ") as raised:
        parse_bbox(value)
    assert message in str(raised.value)


BAD = [
    ("country=Narnia", "country: no country is named 'Narnia'"),
    ("country=", "country"),
    ("iso=XX", "iso: 'XX' is no ISO 3166-1"),
    ("iso=1234", "iso"),
    ("iso=Syria&country=Ukraine", "iso"),
    ("country=Syria&iso=UA", "are two countries"),
    ("admin1=", "admin1"),
    ("admin1=" + "x" * 201, "admin1"),
    ("bbox=1,2,3", "bbox: "),
    ("bbox=a,b,c,d", "bbox: "),
    ("bbox=0,10,1,5", "bbox: min_lat 10.0 is north of max_lat 5.0"),
    ("bbox=-181,0,0,1", "bbox: min_lon -181.0 is outside -180..180"),
    ("bbox=0,0,1,nan", "bbox: max_lat nan"),
    ("bbox=", "bbox"),
    ("fatalities_min=-1", "fatalities_min"),
    ("fatalities_min=1.5", "fatalities_min"),
    ("fatalities_min=many", "fatalities_min"),
    ("fatalities_min=99999999999999999999999", "fatalities_min"),
    ("inter=0", "inter"),
    ("inter=9", "inter"),
    ("inter=rebels", "inter"),
]


@pytest.mark.parametrize("path", ["/events", "/events.csv", "/events.jsonl", "/events.geojson"])
@pytest.mark.parametrize(("query", "message"), BAD)
async def test_bad_filters_are_400s_naming_the_parameter(
    client: AsyncTestClient[Any], path: str, query: str, message: str
) -> None:
    answer = await client.get(f"{path}?{query}")
    assert answer.status_code == 400, answer.text
    assert message in answer.json()["error"]


@pytest.mark.parametrize("path", ["/events", "/events.jsonl"])
@pytest.mark.parametrize("fields", ["nope", "id,nope", "id,,place", "ID"])
async def test_unknown_fields_are_400s_listing_the_valid_ones(
    client: AsyncTestClient[Any], path: str, fields: str
) -> None:
    answer = await client.get(f"{path}?fields={fields}")
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error.startswith("fields: ") and "is not a field of an event" in error
    assert "valid: confidence, " in error and ", event_id_cnty, " in error and "place" in error


async def test_the_list_is_documented_as_either_page(client: AsyncTestClient[Any]) -> None:
    spec = (await client.get("/schema/openapi.json")).json()
    operation = spec["paths"]["/events"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "anyOf": [
            {"$ref": "#/components/schemas/Page_EventRead_"},
            {"$ref": "#/components/schemas/EventFieldsPage"},
        ]
    }
    names = {p["name"] for p in operation["parameters"]}
    assert {"country", "iso", "admin1", "bbox", "fatalities_min", "inter", "fields"} <= names
    geojson = spec["paths"]["/events.geojson"]["get"]
    assert list(geojson["responses"]["200"]["content"]) == ["application/geo+json"]
