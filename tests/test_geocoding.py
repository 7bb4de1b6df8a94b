"""Offline geocoding: the gazetteer from pinned packages, places resolved in the article's
context, stored with each run and filled for older runs."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlmodel import Session, delete

from service.geo.gazetteer import Gazetteer, gazetteer, normalise
from service.geo.geocoder import NEAR, REGION, TOWN, Geocoder, distance_km
from service.store.places import geocode_stored
from service.store.tables import EventPlace
from tests.conftest import ARTICLE, database_url

SYRIA = (
    "Islamic State fighters were driven out of Palmyra, the ancient city in Homs province, "
    "after Syrian government forces backed by Russian air strikes retook it. The army then "
    "moved on towards Deir ez-Zor, the Syrian Observatory for Human Rights said in Damascus."
)
NEW_YORK = (
    "A fire destroyed a barn in Palmyra on Tuesday, the Wayne County sheriff said. Crews "
    "from Rochester and Syracuse in New York state helped, and Albany sent inspectors."
)
TADMUR, PALMYRA_NY = 163808, 5130441


@pytest.fixture(scope="module")
def geocoder() -> Geocoder:
    return Geocoder(gazetteer())


def resolve(geocoder: Geocoder, text: str, location: str, *others: str) -> Any:
    home, places = geocoder.geocode_article(text, [location, *others])
    return home, places[0]


def test_the_gazetteer_indexes_names_alternate_names_and_admin_regions() -> None:
    g: Gazetteer = gazetteer()
    assert normalise("Dūmā") == normalise("duma") == "duma"
    assert {p.geonameid for p in g.lookup("douma")} == {170592}  # an alternate name
    assert {p.country for p in g.lookup("palmyra")} >= {"SY", "US", "AU"}
    assert [a.name for a in g.admin1_named("idlib") if a.country == "SY"] == ["Idlib"]
    assert g.countries["SY"].iso3 == "SYR" and g.countries["SY"].numeric == 760
    capital = g.capital("SY")
    assert capital is not None and capital.name == "Damascus"


def test_palmyra_in_a_syria_article_is_tadmur(geocoder: Geocoder) -> None:
    home, place = resolve(geocoder, SYRIA, "Palmyra")
    assert home == "SY"
    assert (place.geonameid, place.country_iso2, place.geo_precision) == (TADMUR, "SY", TOWN)
    assert place.admin1 == "Homs" and place.country_iso3 == "SYR"
    assert "elsewhere" in place.reason


def test_palmyra_in_a_new_york_article_is_palmyra_new_york(geocoder: Geocoder) -> None:
    home, place = resolve(geocoder, NEW_YORK, "Palmyra")
    assert home == "US"
    assert place.geonameid == PALMYRA_NY
    # The place as written can carry its own region: "Palmyra, New York" wherever it appears.
    _, written = resolve(geocoder, SYRIA, "Palmyra, New York")
    assert written.geonameid == PALMYRA_NY


def test_near_and_outskirts_are_precision_two_at_the_town(geocoder: Geocoder) -> None:
    for written in ("near Palmyra", "outskirts of Palmyra", "10 km east of Palmyra"):
        _, place = resolve(geocoder, SYRIA, written)
        assert (place.geonameid, place.geo_precision) == (TADMUR, NEAR), written
        assert "near Tadmur" in place.reason


def test_provinces_and_countries_are_precision_three(geocoder: Geocoder) -> None:
    _, province = resolve(geocoder, SYRIA, "Idlib province")
    assert (province.admin1, province.geo_precision, province.geonameid) == ("Idlib", REGION, None)
    _, country = resolve(geocoder, SYRIA, "Syria")
    assert (country.country_iso2, country.admin1, country.geo_precision) == ("SY", None, REGION)
    assert distance_km(country.latitude, country.longitude, 33.5102, 36.29128) < 1  # capital


def test_an_unknown_place_resolves_to_the_region_or_country_not_a_guessed_town(
    geocoder: Geocoder,
) -> None:
    _, place = resolve(geocoder, SYRIA, "the village of Qaryatayn al-Sharqiya")
    assert place.country_iso2 == "SY" and place.geo_precision == REGION
    assert place.geonameid is None or place.geonameid == 163843  # the country's id
    assert place.candidate and place.reason
    # No context and no match: nothing rather than a guess.
    assert geocoder.geocode_article("Nothing here.", ["Qaryatayn al-Sharqiya"]) == (None, [None])


def test_a_small_namesake_abroad_is_not_taken(geocoder: Geocoder) -> None:
    # Homs has small namesakes elsewhere; in a Syria article only Homs, Syria is taken, and a
    # name whose only entries lie abroad falls back to the article's country.
    _, homs = resolve(geocoder, SYRIA, "Homs")
    assert homs.country_iso2 == "SY" and homs.geo_precision == TOWN
    _, abroad = resolve(geocoder, SYRIA, "Wayne County")
    assert abroad.country_iso2 == "SY" and abroad.geo_precision == REGION


def test_distance_km() -> None:
    assert distance_km(0, 0, 0, 1) == pytest.approx(111.2, abs=0.1)
    assert distance_km(33.5102, 36.29128, 33.57175, 36.4027) == pytest.approx(12.2, abs=0.3)


async def test_stored_events_carry_their_place_and_older_runs_are_filled(
    client: AsyncTestClient[Any],
) -> None:
    answer = await client.post("/articles?wait=30", json={"text": ARTICLE})
    assert answer.status_code == 200, answer.text
    events = (await client.get("/events")).json()["items"]
    places = {e["location"]: e["place"] for e in events}
    assert places["Douma"]["geonameid"] == 170592
    assert places["Douma"]["country_iso2"] == "SY" and places["Douma"]["iso"] == 760
    assert places["Damascus"]["admin1"] == "Dimashq"
    assert places["Damascus"]["geo_precision"] == TOWN
    # A run stored before geocoding existed: its places are filled by `service geocode`.
    engine = client.app.state.runtime.store.engine
    with Session(engine) as session:
        session.exec(delete(EventPlace))  # type: ignore[call-overload]
        session.commit()
    assert all(e["place"] is None for e in (await client.get("/events")).json()["items"])
    assert geocode_stored(engine) == 1
    assert geocode_stored(engine) == 0  # nothing left to do
    events = (await client.get("/events")).json()["items"]
    assert {e["place"]["geonameid"] for e in events} == {170592, 170654}


def test_the_geocode_command_fills_a_database(tmp_path: Any, monkeypatch: Any, capsys: Any) -> None:
    from service.__main__ import main

    monkeypatch.setenv("CONFLICT_DATABASE_URL", database_url(tmp_path))
    main(["geocode"])
    assert capsys.readouterr().out.strip() == "geocoded the events of 0 runs"
