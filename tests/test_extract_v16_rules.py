"""extract.v16: extract.v15's questions and rules, and five rules for an event's arguments
(service/extraction/arguments.py, docs/extract-v16.md): the name credited with the report is no
side (reporters_not_sides); the words name who acted where the model named no one
(named_perpetrators); a word describing an actor is no place (place_shapes); every event has a
location (every_event_placed); civilians are counted by figures, not listed as actors
(civilians_in_figures)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from service.exports import civilians_hit, side
from service.extraction.arguments import (
    acted_as_subject,
    describes_an_actor,
    filed_from,
    glued,
    led_completed,
    named_by_the_words,
    reports_only,
    speaks,
)
from service.extraction.mentions import Mention, find_mentions
from service.extraction.places import Placeness, judge
from service.extraction.prompts import load_prompt
from service.extraction.questions import questions_for
from service.extraction.sides import victims
from service.extraction.taxonomy import ActorRole
from service.store.read_models import EventRead
from tests.fake_llm import Answer, FakeLLM, event, facts
from tests.inprocess import running_app, stored_events

V16_RULES = {
    "reporters_not_sides",
    "named_perpetrators",
    "place_shapes",
    "every_event_placed",
    "civilians_in_figures",
    "active_subjects",
    "datelines_not_sides",
    "glued_names",
}


def _mention(sentence: str, text: str) -> Mention:
    return next(m for m in find_mentions(sentence) if m.text == text)


def test_extract_v16_asks_as_v15_asks() -> None:
    v15, v16 = load_prompt("extract.v15"), load_prompt("extract.v16")
    assert v16.rules == v15.rules | V16_RULES
    text = "Rebel-controlled SABA news agency reported that planes bombed a house in al-Safra."
    messages = [
        v.sentence_messages(q.sentence.text, ["SABA"], [], [], None, None)
        for v in (v15, v16)
        for q in questions_for(text, v.pipeline, v.rules)
    ]
    assert messages[0] == messages[1]


@pytest.mark.parametrize(
    ("sentence", "name", "reporter"),
    [
        (
            "Rebel-controlled SABA news agency reported that planes bombed a house.",
            "Rebel-controlled SABA",
            True,
        ),
        (
            "Additionally, the Sudanese Doctors Network reported a second RSF strike on the camp.",
            "Sudanese Doctors Network",
            True,
        ),
        (
            "Thousands of homes were destroyed in Yarmouk, UNRWA spokesman Chris Gunness said.",
            "UNRWA",
            True,
        ),
        (
            "At least 32 civilians were killed in El Fasher, according to the Sudanese Doctors "
            "Network.",
            "Sudanese Doctors Network",
            True,
        ),
        # a force reports its own operations; a reporter that tells its own deed did it
        ("The Syrian army said troops killed 20 militants in Idlib.", "Syrian army", False),
        ("The Kurdish YPG said it captured the village of Tal Abyad.", "Kurdish YPG", False),
        (
            "Militants of al-Shabaab have claimed responsibility for the explosion.",
            "Militants of al-Shabaab",
            False,
        ),
        ("Boko Haram fighters attacked the village of Huyum.", "Boko Haram", False),
    ],
)
def test_the_name_credited_with_the_report(sentence: str, name: str, reporter: bool) -> None:
    assert reports_only(sentence, _mention(sentence, name)) is reporter


@pytest.mark.parametrize(
    ("sentence", "acted"),
    [
        (
            "At least 15 soldiers have been killed in an ambush attack carried out by al "
            "Shabaab near Afgoye town.",
            ["Shabaab"],
        ),
        (
            "At least 11 civilians were killed in a Saudi-led coalition airstrike in Saada.",
            ["Saudi-led coalition"],
        ),
        ("The Sudanese Doctors Network reported a second RSF strike on the camp.", ["RSF"]),
        ("A car bomb killed 13 people in Baghdad, police said.", []),
    ],
)
def test_the_words_name_who_acted(sentence: str, acted: list[str]) -> None:
    found = named_by_the_words(sentence, find_mentions(sentence))
    assert [m.text for m in found] == acted


def test_led_names_what_it_leads() -> None:
    sentence = "Since 2015 a Saudi-led military coalition has bombed Houthi positions."
    start = sentence.index("Saudi")
    led = Mention(start, start + len("Saudi-led"), "Saudi-led")
    assert led_completed(sentence, led).text == "Saudi-led military coalition"
    houthi = _mention(sentence, "Houthi")
    assert led_completed(sentence, houthi) is houthi


@pytest.mark.parametrize(
    ("sentence", "name", "acted"),
    [
        ("Taliban insurgents attacked two checkpoints in eastern Afghanistan.", "Taliban", True),
        ("Boko Haram fighters have killed 15 people in Borno.", "Boko Haram", True),
        ("Three militants were killed by security forces in Tral.", "Three militants", False),
        ("Jaysh al-Islam agreed to leave Douma.", "Jaysh al-Islam", False),
    ],
)
def test_the_subject_of_an_active_verb_of_violence_acted(
    sentence: str, name: str, acted: bool
) -> None:
    mention = next(m for m in find_mentions(sentence) if m.text.startswith(name))
    assert acted_as_subject(sentence, mention) is acted


@pytest.mark.parametrize(
    ("sentence", "place"),
    [
        (
            "KABUL, Afghanistan (AP) \u2014 Taliban insurgents attacked two checkpoints.",
            "KABUL, Afghanistan",
        ),
        ("ZAMBOANGA CITY -- Five Abu Sayyaf bandits were killed.", "ZAMBOANGA CITY"),
        ("MOGADISHU (Mareeg) - At least 15 soldiers were killed.", "MOGADISHU"),
        ("The UN said 15 soldiers were killed.", ""),
    ],
)
def test_the_datelines_place(sentence: str, place: str) -> None:
    assert sentence[: filed_from(sentence)] == place


@pytest.mark.parametrize(
    ("name", "glued_together"),
    [("Boko HaramFifteen", True), ("McDonald", False), ("MacArthur", False), ("al-Qaeda", False)],
)
def test_names_scraped_text_glued_together(name: str, glued_together: bool) -> None:
    assert glued(name) is glued_together


@pytest.mark.parametrize(
    ("name", "describes"),
    [
        ("Britain-based", True),
        ("Iran-backed Houthi", True),
        ("Saudi-led", True),
        ("Rebel-held Douma", False),
        ("government-controlled Aleppo", False),
        ("Aleppo", False),
    ],
)
def test_words_that_describe_an_actor(name: str, describes: bool) -> None:
    assert describes_an_actor(name) is describes


@pytest.mark.parametrize(
    ("name", "civilians"),
    [
        ("Four civilians", True),
        ("the displaced", True),
        ("residents", True),
        ("Three militants", False),
        ("Somali soldiers", False),
    ],
)
def test_civilians_by_their_name(name: str, civilians: bool) -> None:
    assert victims(name) is civilians


def test_a_name_that_speaks_is_no_place() -> None:
    sentence = "Sobejana said the troops continue to advance in Patikul."
    assert speaks(sentence, _mention(sentence, "Sobejana"))
    assert not speaks(sentence, _mention(sentence, "Patikul"))


def test_a_known_place_is_one_whatever_the_parser_says() -> None:
    # spaCy's small model labels "west Aleppo" a nationality and "Syrias Aleppo" a person
    sentence = "Four people were killed by rebel fire in government-held west Aleppo on Tuesday."
    aleppo = [m for m in find_mentions(sentence) if m.text == "Aleppo"]
    assert judge(sentence, aleppo, sized=True)[0].placeness is Placeness.NOT_A_PLACE
    assert judge(sentence, aleppo, sized=True, shapes=True)[0].placeness >= Placeness.LIKELY
    scraped = "At least 15 people were killed in strikes on Syrias Aleppo on Wednesday."
    places = [Mention(scraped.index("Syrias"), scraped.index(" on W"), "Syrias Aleppo")]
    judged = judge(scraped, places, sized=True, shapes=True)
    assert judged[0].mention.text == "Aleppo"
    assert judged[0].placeness >= Placeness.LIKELY


ARTICLE = (
    "Published: Thu, March 10, 2016\n\n"
    "Twelve civilians were killed in an airstrike by the Saudi-led coalition in the town of "
    "Saada on Wednesday, a tribal chief said.\n"
    "Rebel-controlled SABA news agency reported that planes bombed a house in the town of "
    "al-Safra, killing nine residents.\n"
    "A second airstrike hit a car carrying civilians, killing three.\n"
)
SABA = ("Rebel-controlled SABA", "rebel group")
COALITION = ("Saudi-led", "state forces")
CIVILIANS = ("civilians", "civilians")
TWELVE = ("Twelve civilians", "civilians")


def _script(sentence: str, attempt: int) -> Answer:
    if sentence.startswith("Twelve"):
        return facts(
            events=[event("Air/drone strike", by=[COALITION], against=[TWELVE], location="Saada")]
        )
    if sentence.startswith("Rebel-controlled"):
        # the outlet as the side that acted, the town as the side hit, no place
        return facts(
            source="Rebel-controlled SABA",
            events=[event("Air/drone strike", by=[SABA], against=[("al-Safra", "state forces")])],
        )
    if sentence.startswith("A second"):
        return facts(events=[event("Air/drone strike", against=[CIVILIANS])])
    return facts()


def test_v16_sides_places_and_civilians(tmp_path: Path) -> None:
    stored = stored_events(tmp_path, ARTICLE, _script, ("extract.v15", "extract.v16"))

    def rows(version: str) -> list[tuple[str | None, bool, list[tuple[str, str]]]]:
        return [
            (
                e["location"],
                e["location_inferred"],
                [(a["name"], a["role"]) for a in e["actors"]],
            )
            for e in stored[version]
        ]

    assert rows("extract.v16") == [
        # "Saudi-led" names the coalition; civilians are counted, not listed
        ("Saada", False, [("Saudi-led coalition", "perpetrator")]),
        # the outlet reported it; al-Safra is where, chosen by code
        ("al-Safra", True, []),
        # no place of its own: the place of the event told before it
        ("al-Safra", True, []),
    ]
    v15 = rows("extract.v15")
    assert [location for location, _, _ in v15] == ["Saada", None, None]
    assert ("Twelve civilians", "target") in v15[0][2]
    assert ("civilians", "target") in v15[2][2]
    assert ("Rebel-controlled SABA", "perpetrator") in v15[1][2]


def test_the_acled_row_names_civilians_no_actor_stands_for() -> None:
    attack = EventRead.model_validate(
        {
            "id": 1,
            "article_id": 1,
            "stable_id": 1,
            "updated_at": "2026-11-30T00:00:00Z",
            "event_type": "Violence against civilians",
            "sub_event_type": "Attack",
            "summary": "Gunmen - attack.",
            "date_precision": "unknown",
            "sentence": 1,
            "evidence": "Gunmen killed five villagers.",
            "start": 0,
            "end": 29,
            "actors": [],
            "provenance": {
                "run_id": 1,
                "model": "m",
                "prompt_version": "extract.v16",
                "schema_version": "2",
            },
            "event_id_cnty": "NGA1",
            "review": "unreviewed",
            "place": None,
        }
    )
    actor2 = civilians_hit(attack, side(attack, ActorRole.TARGET))
    assert (actor2.actor, actor2.inter) == ("Civilians", 7)
    battle = attack.model_copy(update={"event_type": "Battles", "sub_event_type": "Armed clash"})
    assert not civilians_hit(battle, side(battle, ActorRole.TARGET)).named


def test_v16_the_dateline_is_no_side_and_the_subject_acted(tmp_path: Path) -> None:
    text = (
        "Published: Mon, May 6, 2019\n\n"
        "ZAMBOANGA CITY -- Abu Sayyaf gunmen attacked an army patrol in Patikul town on "
        "Monday, the military said.\n"
    )

    def script(sentence: str, attempt: int) -> Answer:
        if sentence.startswith("ZAMBOANGA"):
            return facts(
                source="ZAMBOANGA CITY",
                events=[
                    event(
                        "Armed clash",
                        by=[("ZAMBOANGA CITY", "government")],
                        against=[("Abu Sayyaf", "rebel group")],
                        location="Patikul",
                    )
                ],
            )
        return facts()

    stored = stored_events(tmp_path, text, script, ("extract.v15", "extract.v16"))
    sides = {v: [(a["name"], a["role"]) for a in got[0]["actors"]] for v, got in stored.items()}
    assert sides["extract.v16"] == [("Abu Sayyaf gunmen", "perpetrator")]
    assert stored["extract.v16"][0]["reported_by"] is None
    assert ("ZAMBOANGA CITY", "perpetrator") in sides["extract.v15"]


def test_v16_civilians_no_actor_stands_for_are_the_rows_actor2(tmp_path: Path) -> None:
    text = (
        "Published: Tue, May 7, 2019\n\n"
        "Gunmen abducted three villagers in Kidal on Monday, a local official said.\n"
    )

    def script(sentence: str, attempt: int) -> Answer:
        if sentence.startswith("Gunmen"):
            return facts(
                events=[
                    event(
                        "Abduction/forced disappearance",
                        by=[("Gunmen", "political militia")],
                        against=[("villagers", "civilians")],
                        location="Kidal",
                    )
                ],
                figures=["abducted"],
            )
        return facts()

    with running_app(tmp_path, FakeLLM(script=script)) as client:
        posted = client.post("/articles?wait=10", json={"text": text}).json()
        [stored] = posted["article"]["events"]
        assert [(a["name"], a["role"]) for a in stored["actors"]] == [("Gunmen", "perpetrator")]
        assert [e["id"] for e in client.get("/events?inter=7").json()["items"]] == [stored["id"]]
        [row] = list(csv.DictReader(io.StringIO(client.get("/events.csv").text, newline="")))
    assert (row["actor2"], row["inter2"], row["civilian_targeting"]) == (
        "Civilians (Mali)",
        "7",
        "Civilian targeting",
    )
    assert row["interaction"] == "37"
