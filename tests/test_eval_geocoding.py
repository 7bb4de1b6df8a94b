"""The geocoding eval: gold places for every located seed event, scored within 25 km."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.geocoding import (
    ROOT,
    GoldPlace,
    judge,
    load_geo,
    main,
    resolve_geo,
    score_gold_locations,
)
from evals.runner import load_dataset, load_thresholds, resolve_set
from service.geo.geocoder import NEAR, REGION, Geocode
from service.store.places import geocoder

THRESHOLDS = ROOT / "evals" / "thresholds.yaml"


def _geocode(country: str, lat: float, lon: float, precision: int) -> Geocode:
    return Geocode(
        name="x", country_iso2=country, country_iso3="XXX", country_numeric=0, country="X",
        admin1=None, admin2=None, latitude=lat, longitude=lon, geonameid=None,
        geo_precision=precision, candidate="x", reason="x",
    )  # fmt: skip


def test_judge_counts_country_and_distance() -> None:
    gold = GoldPlace(
        id="e1", location="Douma", level="place", country="SY", geonameid=170592,
        latitude=33.57175, longitude=36.4027, geo_precision=1, note="",
    )  # fmt: skip
    assert judge(gold, _geocode("SY", 33.5102, 36.29128, NEAR))[0]  # Damascus: 12 km
    assert not judge(gold, _geocode("SY", 33.75, 36.75, REGION))[0]  # 38 km
    assert not judge(gold, _geocode("LB", 33.57175, 36.4027, 1))[0]  # wrong country
    assert not judge(gold, None)[0]
    country = gold.model_copy(update={"level": "country", "latitude": None, "longitude": None})
    assert judge(country, _geocode("SY", 0, 0, REGION))[0]
    assert not judge(country, _geocode("SY", 0, 0, 1))[0]  # a town claimed for a country


def test_every_located_seed_event_has_a_gold_place() -> None:
    dataset = load_dataset(resolve_set("seeds"))
    gold = load_geo(resolve_geo("seeds"))
    located = {(a.file, e.id) for a in dataset.articles for e in a.events if e.location}
    assert {(a.file, p.id) for a in gold.articles for p in a.events} == located


def test_the_geocoder_meets_the_seeds_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    dataset = load_dataset(resolve_set("seeds"))
    score = score_gold_locations(
        dataset, load_geo(resolve_geo("seeds")), geocoder().geocode_article
    )
    limit = load_thresholds(THRESHOLDS)["seeds.geo"]["geocoding.accuracy"]
    assert limit >= 0.9
    assert score.accuracy is not None and score.accuracy >= limit
    assert main(["--sets", "seeds", "--thresholds", str(THRESHOLDS)]) == 0
    assert "seeds: geocoding accuracy" in capsys.readouterr().out


def test_the_cli_fails_below_its_threshold(tmp_path: Path) -> None:
    strict = tmp_path / "thresholds.yaml"
    strict.write_text("seeds.geo:\n  geocoding.accuracy: 1.01\n", encoding="utf-8")
    assert main(["--sets", "seeds", "--thresholds", str(strict)]) == 1
