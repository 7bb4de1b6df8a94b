from __future__ import annotations

import pytest

from service.extraction.counts import find_counts
from service.extraction.mentions import find_mentions


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "killing 48 people in the last 24 hours alone.",
            [("48 people", "people", 48, 48, "exact")],
        ),
        (
            "saw more than 46,000 rebels and civilians bussed to Idlib",
            [
                (
                    "more than 46,000 rebels and civilians",
                    "rebels and civilians",
                    46001,
                    None,
                    "more_than",
                )
            ],
        ),
        (
            "A total of 2,963 militants and their families evacuated Douma",
            [
                (
                    "2,963 militants and their families",
                    "militants and their families",
                    2963,
                    2963,
                    "exact",
                )
            ],
        ),
        (
            "Tens of thousands of people are sheltering",
            [("Tens of thousands of people", "people", 10000, None, "vague")],
        ),
        (
            "Hundreds of IS militants hold parts of Yarmouk.",
            [("Hundreds of IS militants", "IS militants", 100, None, "vague")],
        ),
        (
            "killing at least four people and wounding 20 others",
            [
                ("at least four people", "people", 4, None, "at_least"),
                ("20 others", "others", 20, 20, "exact"),
            ],
        ),
        ("until after six to 10 months.", []),
        ("to empty out 95 percent of the enclave", []),
    ],
)
def test_counts_are_found_with_what_they_count(
    sentence: str, expected: list[tuple[str, str, int, int | None, str]]
) -> None:
    found = [
        (c.text, c.population, c.quantity.low, c.quantity.high, c.quantity.qualifier)
        for c in find_counts(sentence)
    ]
    assert found == expected
    for count in find_counts(sentence):
        assert sentence[count.start : count.end] == count.text


def test_mentions_separate_names_from_places() -> None:
    sentence = (
        "Regime forces were locked in violent clashes with Jaish Al Islam rebels in Douma, "
        "the Syrian Observatory for Human Rights said."
    )
    mentions = {m.text: m for m in find_mentions(sentence)}
    assert set(mentions) >= {
        "Regime forces",
        "Jaish Al Islam",
        "Douma",
        "Syrian Observatory for Human Rights",
    }
    assert mentions["Douma"].only_place
    assert not mentions["Regime forces"].may_be_place
    for mention in mentions.values():
        assert sentence[mention.start : mention.end] == mention.text


def test_sentence_openers_are_not_names() -> None:
    texts = [m.text for m in find_mentions("Meanwhile, the rebels fired on Damascus on Friday.")]
    assert texts == ["rebels", "Damascus"]
