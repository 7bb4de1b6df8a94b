"""extract.v8's places_are_places rule: an event's location is a place."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.extraction.mentions import Mention, find_mentions
from service.extraction.places import Placeness, choose_place, in_gazetteer, is_country, judge
from service.extraction.prompts import load_prompt
from tests.fake_llm import Answer, FakeLLM, event, facts
from tests.inprocess import running_app


def _places(sentence: str) -> list[Mention]:
    return [m for m in find_mentions(sentence) if m.may_be_place]


def _choose(sentence: str, picked: str | None) -> str | None:
    places = _places(sentence)
    pick = next((m for m in places if m.text == picked), None)
    assert picked is None or pick is not None, [m.text for m in places]
    chosen = choose_place(pick, judge(sentence, places))
    return chosen.text if chosen else None


def test_gazetteer_knows_towns_and_countries() -> None:
    assert in_gazetteer("Aleppo") and in_gazetteer("Kandahar") and in_gazetteer("Goma")
    assert is_country("Syria") and is_country("Democratic Republic of the Congo")
    assert not is_country("Aleppo")
    assert not in_gazetteer("Jaysh al-Islam")


@pytest.mark.parametrize(
    ("sentence", "junk"),
    [
        ("Elsewhere, gunmen attacked a checkpoint in Kandahar on Monday.", "Elsewhere"),
        ("Additionally, two soldiers died near Goma.", "Additionally"),
        ("Russian missiles struck a depot in Kharkiv overnight.", "Russian"),
        ("Sudan's army shelled El Obeid.", "Sudan's"),
        ("The Rapid Support Forces stormed a camp near Nyala.", "Rapid Support Forces"),
        ("Assailants opened fire on a bus near Kaduna.", "Assailants"),
    ],
)
def test_known_junk_shapes_are_not_places(sentence: str, junk: str) -> None:
    judged = {c.mention.text: c.placeness for c in judge(sentence, _places(sentence))}
    assert judged[junk] is Placeness.NOT_A_PLACE
    assert _choose(sentence, junk) not in {junk, None}


def test_the_town_before_its_country() -> None:
    sentence = "Fighters ambushed a patrol in Syria near Manbij on Sunday."
    assert _choose(sentence, "Syria") == "Manbij"
    # a country alone stays
    assert _choose("Fighters ambushed a patrol in Syria on Sunday.", "Syria") == "Syria"


def test_a_place_the_model_picked_stays() -> None:
    sentence = "Government forces shelled Idlib and Saraqeb, killing four people."
    assert _choose(sentence, "Saraqeb") == "Saraqeb"
    assert _choose(sentence, "Idlib") == "Idlib"


def test_no_place_is_guessed() -> None:
    # the model gave none: none is made up
    assert _choose("Rebels shelled Idlib on Friday.", None) is None
    # a force picked and no place in the sentence: none rather than the force
    assert _choose("Islamic State militants attacked the convoy.", "Islamic State") is None


def test_a_person_is_not_a_place() -> None:
    sentence = "The drone hit a school in Tal Abyad, said Ahmad Hassan Khalil."
    assert _choose(sentence, "Ahmad Hassan Khalil") == "Tal Abyad"


def test_v8_is_v7_with_places_are_places() -> None:
    v7, v8 = load_prompt("extract.v7"), load_prompt("extract.v8")
    assert (v8.system, v8.sentence.template, v8.answer, v8.pipeline) == (
        v7.system,
        v7.sentence.template,
        v7.answer,
        v7.pipeline,
    )
    assert v8.rules == v7.rules | {"places_are_places"}


def test_v8_end_to_end(tmp_path: Path) -> None:
    text = (
        "Published: Sat, May 11, 2024\n"
        "Russian missiles struck a fuel depot in Dnipro on Friday, killing two workers.\n"
        "Separately, insurgents attacked an army convoy in Afghanistan near Ghazni.\n"
        "Houthi fighters shelled Taiz overnight.\n"
    )

    def script(sentence: str, attempt: int) -> Answer:
        if sentence.startswith("Russian"):
            return facts(events=[event("Shelling/artillery/missile attack", location="Russian")])
        if sentence.startswith("Separately"):
            return facts(events=[event("Armed clash", location="Afghanistan")])
        if sentence.startswith("Houthi"):
            return facts(events=[event("Shelling/artillery/missile attack", location="Taiz")])
        return facts()

    for version, expected in (
        ("extract.v7", ["Russian", "Afghanistan", "Taiz"]),
        ("extract.v8", ["Dnipro", "Ghazni", "Taiz"]),
    ):
        with running_app(
            tmp_path / version, FakeLLM(script=script), prompt_version=version
        ) as client:
            body = client.post("/articles?wait=10", json={"text": text}).json()
        assert body["run"]["status"] == "succeeded", body["run"]
        assert [e["location"] for e in body["article"]["events"]] == expected


def _specific(sentence: str, picked: str) -> str | None:
    places = _places(sentence)
    pick = next(m for m in places if m.text == picked)
    chosen = choose_place(pick, judge(sentence, places, sized=True), sentence)
    return chosen.text if chosen else None


@pytest.mark.parametrize(
    ("sentence", "picked", "expected"),
    [
        # a village before the county or province the model picked
        ("Clashes broke out in Bazi village of Kajo-Keji county on Friday.", "Kajo-Keji", "Bazi"),
        ("In Idlib province, shelling hit the town of Ariha.", "Idlib", "Ariha"),
        # a name alone is not replaced by a village elsewhere in the sentence
        ("Gunmen from Dogo village attacked Kaduna.", "Kaduna", "Kaduna"),
        # the province stays when no smaller place is named
        ("Fighting spread across Helmand province.", "Helmand", "Helmand"),
    ],
)
def test_the_most_specific_place(sentence: str, picked: str, expected: str) -> None:
    assert _specific(sentence, picked) == expected


def test_a_size_word_before_of_belongs_to_the_name_after_it() -> None:
    sentence = "Airstrikes pounded the Syrian city of Douma near the capital, Damascus."
    assert _specific(sentence, "Douma") == "Douma"
    judged = {c.mention.text: c for c in judge(sentence, _places(sentence), sized=True)}
    assert judged["Syrian"].placeness < Placeness.LIKELY
