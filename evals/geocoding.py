"""Geocoding accuracy against gold places (``evals/datasets/<set>.geo.v<N>.yaml``).

A gold place is right when the geocode's country is the gold country and, for a place (town or
region point), its coordinates lie within ``WITHIN_KM`` of the gold point; for a country-level
gold place, when the country is right and the geocode does not claim a town (geo-precision 3).

``python -m evals.geocoding [--sets seeds]`` applies the service's geocoder, offline, to each
gold event's location *as the gold labels write it*, in its article's context (the article text
and the set's other gold locations), prints the accuracy per set and every miss, and exits 1
below the ``geocoding.accuracy`` limit of the set's ``<set>.geo`` section of
``evals/thresholds.yaml``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from evals.scorer import Dataset
from service.geo.geocoder import REGION, Geocode, distance_km

WITHIN_KM = 25.0
ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT / "evals" / "datasets"


class GoldPlace(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    location: str
    level: Literal["place", "country"]
    country: str
    geonameid: int | None
    latitude: float | None
    longitude: float | None
    geo_precision: int
    note: str


class GoldGeoArticle(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    home_country: str | None
    events: list[GoldPlace]


class GeoDataset(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str
    version: int
    description: str
    articles: list[GoldGeoArticle]


@dataclass(frozen=True, slots=True)
class Judged:
    file: str
    gold: GoldPlace
    found: Geocode | None
    km: float | None
    correct: bool


@dataclass(frozen=True, slots=True)
class GeoScore:
    judged: list[Judged]

    @property
    def accuracy(self) -> float | None:
        if not self.judged:
            return None
        return sum(j.correct for j in self.judged) / len(self.judged)

    def metrics(self) -> dict[str, float | None]:
        return {"geocoding.accuracy": self.accuracy, "geocoding.gold_places": len(self.judged)}


def judge(gold: GoldPlace, found: Geocode | None) -> tuple[bool, float | None]:
    if found is None or found.country_iso2 != gold.country:
        return False, None
    if gold.level == "country":
        return found.geo_precision == REGION, None
    assert gold.latitude is not None and gold.longitude is not None
    km = distance_km(gold.latitude, gold.longitude, found.latitude, found.longitude)
    return km <= WITHIN_KM, km


Geocoding = Callable[[str, Sequence[str | None]], tuple[str | None, list[Geocode | None]]]


def score_gold_locations(
    dataset: Dataset, gold: GeoDataset, geocode: Geocoding, root: Path = ROOT
) -> GeoScore:
    """The geocoder on the gold location strings, each article's at once (its context)."""
    events = {(a.file, e.id): e for a in dataset.articles for e in a.events}
    judged: list[Judged] = []
    for article in gold.articles:
        text = (root / article.file).read_text(encoding="utf-8")
        for place in article.events:
            if (article.file, place.id) not in events:
                raise ValueError(f"{article.file} {place.id}: no such gold event")
        located = [events[(article.file, p.id)].location for p in article.events]
        _, found = geocode(text, located)
        for place, result in zip(article.events, found, strict=True):
            correct, km = judge(place, result)
            judged.append(Judged(article.file, place, result, km, correct))
    return GeoScore(judged)


def load_geo(path: Path) -> GeoDataset:
    return GeoDataset.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def resolve_geo(name: str, directory: Path = DATASETS) -> Path:
    """The newest ``<directory>/<name>.geo.v<N>.yaml``."""
    found = sorted(
        directory.glob(f"{name}.geo.v*.yaml"), key=lambda p: int(p.name.rsplit(".v", 1)[1][:-5])
    )
    if not found:
        raise FileNotFoundError(f"no {directory}/{name}.geo.v<N>.yaml")
    return found[-1]


def main(argv: Sequence[str] | None = None) -> int:
    from evals.runner import load_dataset, load_thresholds, resolve_set
    from service.store.places import geocoder

    parser = argparse.ArgumentParser(prog="python -m evals.geocoding", description=__doc__)
    parser.add_argument("--sets", default="seeds", help="comma-separated sets (default seeds)")
    parser.add_argument("--thresholds", type=Path, default=ROOT / "evals" / "thresholds.yaml")
    args = parser.parse_args(argv)
    limits = load_thresholds(args.thresholds)
    failed = False
    for name in args.sets.split(","):
        dataset = load_dataset(resolve_set(name))
        gold = load_geo(resolve_geo(name))
        score = score_gold_locations(dataset, gold, geocoder().geocode_article)
        accuracy = score.accuracy
        print(f"{name}: geocoding accuracy {accuracy:.3f} over {len(score.judged)} gold places")
        for j in score.judged:
            if not j.correct:
                where = (
                    f"{j.found.name} {j.found.country_iso2} p{j.found.geo_precision}"
                    if j.found
                    else "nothing"
                )
                km = f"{j.km:.0f} km" if j.km is not None else "-"
                print(f"  miss {j.file} {j.gold.id} {j.gold.location!r}: {where} ({km})")
        limit = limits.get(f"{name}.geo", {}).get("geocoding.accuracy")
        if limit is not None and (accuracy is None or accuracy < limit):
            print(f"  below the threshold {limit}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
