"""extract.v10's sides_are_actors rule: an event's sides are actors taking part in it."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.extraction.mentions import Mention, find_mentions
from service.extraction.prompts import load_prompt
from service.extraction.sides import Side, settle_sides
from tests.fake_llm import Answer, FakeLLM, event, facts
from tests.inprocess import running_app


def _side(sentence: str, name: str) -> Side:
    mention = next((m for m in find_mentions(sentence) if m.text == name), None)
    if mention is None:
        start = sentence.index(name)
        mention = Mention(start, start + len(name), name)
    return Side(mention, None, 0.9)


def _settle(sentence: str, by: list[str], against: list[str]) -> tuple[list[str], list[str]]:
    acted, hit = settle_sides(
        sentence, [_side(sentence, n) for n in by], [_side(sentence, n) for n in against]
    )
    return [s.mention.text for s in acted], [s.mention.text for s in hit]


@pytest.mark.parametrize(
    ("sentence", "by", "against", "expected"),
    [
        # a dateline's place is where the reporter filed from
        (
            "GAO, Mali (AP) - Jihadists attacked an army post on Sunday.",
            ["GAO", "Jihadists"],
            ["Mali"],
            (["Jihadists"], []),
        ),
        # a place is where it happened; a country after "in" too
        (
            "Gunmen raided a market in Maiduguri in north-east Nigeria.",
            ["Gunmen"],
            ["Maiduguri", "Nigeria"],
            (["Gunmen"], []),
        ),
        # civilians are hit, never the side that acted
        (
            "Militia fighters killed nine villagers and two displaced people near Djugu.",
            ["villagers", "Militia fighters"],
            ["displaced people"],
            (["Militia fighters"], ["displaced people"]),
        ),
        # a person speaks for a group; the group acts
        (
            "Kherson Governor Oleksandr Prokudin said Russian troops shelled the city.",
            ["Kherson Governor Oleksandr Prokudin", "Russian"],
            [],
            (["Russian troops"], []),
        ),
        # a name with the force it qualifies
        (
            "Suspected Islamist militants stormed a church in Kasanga.",
            ["Suspected Islamist"],
            [],
            (["Suspected Islamist militants"], []),
        ),
        # a possessive alone names nothing; with its force it names the force
        ("Ethiopia's drones hit a fuel truck.", ["Ethiopia's"], [], ([], [])),
        (
            "Sudan\u2019s army said it shelled Nyala.",
            ["Sudan\u2019s"],
            [],
            (["Sudan\u2019s army"], []),
        ),
    ],
)
def test_names_that_are_no_actors(
    sentence: str, by: list[str], against: list[str], expected: tuple[list[str], list[str]]
) -> None:
    assert _settle(sentence, by, against) == expected


def test_a_country_that_acts_stays() -> None:
    sentence = "Russia launched dozens of drones at Odesa overnight."
    assert _settle(sentence, ["Russia"], []) == (["Russia"], [])


def test_an_armed_group_named_like_a_place_stays() -> None:
    sentence = "Hamas fighters fired rockets at Ashkelon."
    assert _settle(sentence, ["Hamas"], []) == (["Hamas"], [])


@pytest.mark.parametrize(
    ("sentence", "by", "against", "expected"),
    [
        # the object of "by" after a passive verb acted
        (
            "Two soldiers were killed when their convoy was ambushed by bandits in Zamfara.",
            ["soldiers"],
            ["bandits"],
            (["bandits"], ["soldiers"]),
        ),
        # the object of "by" after an attack noun acted
        (
            "The Malian army said it repelled an attack by the Macina Liberation Front on Mopti.",
            ["Malian army"],
            ["Macina Liberation Front"],
            (["Macina Liberation Front"], ["Malian army"]),
        ),
    ],
)
def test_swapped_sides_are_put_right(
    sentence: str, by: list[str], against: list[str], expected: tuple[list[str], list[str]]
) -> None:
    assert _settle(sentence, by, against) == expected


def test_sides_the_grammar_supports_stay() -> None:
    sentence = "Police officers were ambushed by gunmen on the highway."
    assert _settle(sentence, ["gunmen"], ["Police"]) == (["gunmen"], ["Police"])
    # no parse either way: the model's sides stay
    sentence = "Rebels and the army fought for control of the hills."
    assert _settle(sentence, ["Rebels"], ["army"]) == (["Rebels"], ["army"])


def test_v10_is_v9_with_two_rules_more() -> None:
    v9, v10 = load_prompt("extract.v9"), load_prompt("extract.v10")
    assert (v10.system, v10.sentence.template, v10.answer, v10.pipeline) == (
        v9.system,
        v9.sentence.template,
        v9.answer,
        v9.pipeline,
    )
    assert v10.rules == v9.rules | {"sides_are_actors", "most_specific_place", "article_aliases"}


def test_v10_end_to_end(tmp_path: Path) -> None:
    text = (
        "Published: Sat, May 11, 2024\n"
        "Police officers were killed when they were ambushed by gunmen near Uruapan.\n"
    )

    def script(sentence: str, attempt: int) -> Answer:
        # the model swaps the sides: the police acted, the gunmen were hit
        swapped = event(
            "Armed clash",
            by=[("Police", "state forces")],
            against=[("gunmen", "rebel group")],
            location="Uruapan",
        )
        return facts(events=[swapped], figures=["killed"])

    for version, expected in (
        ("extract.v9", [("Police", "perpetrator"), ("gunmen", "target")]),
        ("extract.v10", [("gunmen", "perpetrator"), ("Police", "target")]),
    ):
        with running_app(
            tmp_path / version, FakeLLM(script=script), prompt_version=version
        ) as client:
            body = client.post("/articles?wait=10", json={"text": text}).json()
        assert body["run"]["status"] == "succeeded", body["run"]
        (found,) = body["article"]["events"]
        names = {a["id"]: a["name"] for a in body["article"]["actors"]}
        assert sorted((names[a["actor_id"]], a["role"]) for a in found["actors"]) == sorted(
            expected
        )


def test_names_completed_only_with_their_own_force() -> None:
    # "and rebels" is another actor, and a name with its force word is whole already
    sentence = "Syrian government forces and rebels traded fire near Harasta."
    assert _settle(sentence, ["Syrian government forces"], []) == (
        ["Syrian government forces"],
        [],
    )


def test_an_armed_group_spacy_calls_a_person_stays() -> None:
    sentence = "Jaysh al-Islam resumed attacks against Syrian forces in Douma."
    assert _settle(sentence, ["Jaysh al-Islam"], ["Syrian forces"]) == (
        ["Jaysh al-Islam"],
        ["Syrian forces"],
    )
    sentence = "UN spokesman Stephane Dujarric condemned the shelling of Kramatorsk."
    assert _settle(sentence, ["Stephane Dujarric"], []) == ([], [])


def test_a_passive_that_is_no_violence_says_nothing() -> None:
    sentence = "Regime forces were locked in violent clashes with Jaish al-Islam rebels."
    assert _settle(sentence, ["Regime forces"], ["Jaish al-Islam"]) == (
        ["Regime forces"],
        ["Jaish al-Islam"],
    )
    sentence = "Troops assaulted Douma, held by Jaysh al-Islam since 2013."
    assert _settle(sentence, ["Troops"], ["Jaysh al-Islam"]) == (["Troops"], ["Jaysh al-Islam"])


def test_one_name_is_on_one_side() -> None:
    sentence = "Regime forces have captured almost all of Ghouta."
    assert _settle(sentence, ["Regime forces"], ["Regime forces"]) == (["Regime forces"], [])
    sentence = "Two rebels were killed near Jobar."
    assert _settle(sentence, ["rebels"], ["rebels"]) == ([], ["rebels"])
