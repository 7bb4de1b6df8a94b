"""ACLED's codebook as the events exports apply it: disorder types, inter and interaction codes,
time precision, regions and country codes."""

from __future__ import annotations

import pytest

from service import acled
from service.acled import BOTH, DEMONSTRATIONS, POLITICAL_VIOLENCE, STRATEGIC_DEVELOPMENTS
from service.extraction.taxonomy import EVENT_TYPE_OF, ActorType, DatePrecision, SubEventType
from service.geo.countries import countries

# ACLED's regions as its data names them.
REGIONS = {
    "Western Africa",
    "Middle Africa",
    "Eastern Africa",
    "Southern Africa",
    "Northern Africa",
    "Middle East",
    "Europe",
    "Caucasus and Central Asia",
    "South Asia",
    "Southeast Asia",
    "East Asia",
    "Oceania",
    "North America",
    "Central America",
    "Caribbean",
    "South America",
    "Antarctica",
}


def test_every_sub_event_type_has_its_disorder_type() -> None:
    assert set(acled.DISORDER_TYPE) == set(SubEventType) and len(acled.DISORDER_TYPE) == 25
    by_event_type: dict[str, set[str]] = {}
    for sub, event_type in EVENT_TYPE_OF.items():
        by_event_type.setdefault(event_type.value, set()).add(acled.DISORDER_TYPE[sub])
    assert by_event_type == {
        "Battles": {POLITICAL_VIOLENCE},
        "Explosions/Remote violence": {POLITICAL_VIOLENCE},
        "Violence against civilians": {POLITICAL_VIOLENCE},
        # ACLED Codebook 2023, "Disorder type": excessive force against protesters is both.
        "Protests": {DEMONSTRATIONS, BOTH},
        # acledR's "demonstrations" leave mob violence out: it is political violence.
        "Riots": {DEMONSTRATIONS, POLITICAL_VIOLENCE},
        "Strategic developments": {STRATEGIC_DEVELOPMENTS},
    }
    assert acled.disorder_type("Excessive force against protesters") == BOTH
    assert acled.disorder_type("Peaceful protest") == DEMONSTRATIONS
    assert acled.disorder_type("Violent demonstration") == DEMONSTRATIONS
    assert acled.disorder_type("Mob violence") == POLITICAL_VIOLENCE
    assert acled.disorder_type("Looting/property destruction") == STRATEGIC_DEVELOPMENTS
    assert acled.disorder_type("Bombing") is None


def test_inter_codes_of_every_actor_type() -> None:
    assert set(acled.INTER_CODE) == set(ActorType)
    # ACLED's eight actor categories are the first eight types, in code order.
    assert [acled.inter_code(t) for t in list(ActorType)[:8]] == list(range(1, 9))
    assert acled.inter_code("government") == 1
    assert acled.inter_code("international organisation") == 8
    assert acled.inter_code("monitor/media") is None
    assert acled.inter_code("other") is None
    assert acled.inter_code("warlord") is None
    assert acled.actor_types_of(1) == ["state forces", "government"]
    assert acled.actor_types_of(8) == ["external/other forces", "international organisation"]
    assert acled.actor_types_of(7) == ["civilians"]


@pytest.mark.parametrize(
    ("inter1", "inter2", "actor2", "expected"),
    [
        (1, 3, True, 13),  # "the military fights a political militia ... 13"
        (7, 3, True, 37),  # "always the smallest possible number (37 instead of 73)"
        (3, 7, True, 37),
        (2, None, False, 20),  # "a non-violent rebel event ... 20"
        (8, None, False, 80),  # "Sole other Action"
        (1, 7, True, 17),  # "Military versus Civilians"
        (7, 8, True, 78),  # "Other Actor versus Civilians"
        (1, 1, True, 11),
        (6, 6, True, 66),
        (1, None, True, None),  # actor 2 named, its type has no code
        (None, 7, True, None),  # no actor 1
        (None, None, False, None),
    ],
)
def test_interaction_codes_as_the_codebook_gives_them(
    inter1: int | None, inter2: int | None, actor2: bool, expected: int | None
) -> None:
    assert acled.interaction(inter1, inter2, actor2=actor2) == expected


def test_time_precision() -> None:
    assert {p.value: acled.time_precision(p) for p in DatePrecision} == {
        "day": 1,
        "week": 2,
        "month": 3,
        "year": 3,  # nothing coarser in ACLED
        "unknown": None,
    }


def test_every_country_has_an_acled_region() -> None:
    known = countries()
    assert {known.region(iso2) for iso2 in known.by_iso2} == REGIONS
    examples = "SY TR IR SD SS CD NG ZA UA RU AF MM TL KZ GE CN MX HT US CO AU".split()
    assert {iso2: known.region(iso2) for iso2 in examples} == {
        "SY": "Middle East",
        "TR": "Middle East",
        "IR": "Middle East",
        "SD": "Northern Africa",
        "SS": "Eastern Africa",
        "CD": "Middle Africa",
        "NG": "Western Africa",
        "ZA": "Southern Africa",
        "UA": "Europe",
        "RU": "Europe",
        "AF": "South Asia",
        "MM": "Southeast Asia",
        "TL": "Southeast Asia",
        "KZ": "Caucasus and Central Asia",
        "GE": "Caucasus and Central Asia",
        "CN": "East Asia",
        "MX": "Central America",
        "HT": "Caribbean",
        "US": "North America",
        "CO": "South America",
        "AU": "Oceania",
    }
    assert known.region("ZZ") is None


def test_countries_by_code_and_name() -> None:
    known = countries()
    assert (known.coded("SY"), known.coded("syr"), known.coded("760"), known.coded("4")) == (
        "SY",
        "SY",
        "SY",
        "AF",
    )
    assert (known.coded("XX"), known.coded("999"), known.coded("S1")) == (None, None, None)
    assert (known.named("the Syria"), known.named("DRC"), known.named("Narnia")) == (
        "SY",
        "CD",
        None,
    )
