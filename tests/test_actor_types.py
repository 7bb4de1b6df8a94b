from __future__ import annotations

import pytest

from service.extraction.actor_types import home_country, rule_type
from service.extraction.taxonomy import ActorType as T


def test_the_home_country_is_the_one_named_most() -> None:
    text = "Syrian forces shelled Douma. Damascus said Russia helped. Syria denied it."
    assert home_country(text) == "syria"
    assert home_country("No country here.") is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rebels", T.REBEL_GROUP),
        ("Jaysh al-Islam", T.REBEL_GROUP),
        ("Army of Islam", T.REBEL_GROUP),
        ("regime forces", T.STATE_FORCES),
        ("Syrian army", T.STATE_FORCES),
        ("Syrian government", T.GOVERNMENT),
        ("Damascus", T.GOVERNMENT),
        ("Russian warplanes", T.EXTERNAL_OTHER_FORCES),
        ("Iran", T.EXTERNAL_OTHER_FORCES),
        ("Syrian state television", T.MONITOR_MEDIA),
        ("Britain-based Observatory", T.MONITOR_MEDIA),
        ("United Nations", T.INTERNATIONAL_ORGANISATION),
        ("residents", T.CIVILIANS),
        ("demonstrators", T.PROTESTERS),
        # the words do not settle it: the model is asked
        ("Hezbollah", None),
        ("People's Defense Force", None),
        ("The group", None),
        ("Kurdish rebels", T.REBEL_GROUP),
        ("Turkish-backed rebels", T.REBEL_GROUP),
    ],
)
def test_rules_type_what_the_words_settle(name: str, expected: T | None) -> None:
    assert rule_type(name, home="syria") == expected


def test_a_national_force_waits_for_the_home_country() -> None:
    assert rule_type("Syrian army", home=None) is None
    assert rule_type("Syrian army", home="russia") is T.EXTERNAL_OTHER_FORCES
