"""extract.v15: extract.v14's questions and rules, and five rules for fewer false events
(service/extraction/nonevents.py, docs/extract-v15.md): what may, must or will happen is no
event (unreal_events); a protest called for is no protest (calls_for_protest); an earlier
period's occurrence or a total since a start is context (earlier_periods); "the overnight
attack", "Monday's clash" tell an occurrence already told (any_definite); a site's chrome is no
headline and a photo's caption is not asked about (site_chrome)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from service.extraction.nonactors import generic, is_person, is_place, place_named
from service.extraction.nonevents import (
    DEFINITE,
    GENERIC,
    a_call,
    long_before,
    no_occurrence,
    unreal,
)
from service.extraction.prompts import load_prompt
from service.extraction.questions import questions_for
from service.extraction.rules import caption_line, headline_end
from tests.fake_llm import Answer, FakeLLM, event, facts
from tests.inprocess import running_app, stored_events

V15_RULES = {
    "unreal_events",
    "calls_for_protest",
    "earlier_periods",
    "any_definite",
    "site_chrome",
    "actors_are_organisations",
    "placeless_details",
    "informative_evidence",
    "present_states",
    "generic_sides",
}


def test_extract_v15_asks_as_v14_asks() -> None:
    v14, v15 = load_prompt("extract.v14"), load_prompt("extract.v15")
    assert (v15.system, v15.sentence.template, v15.answer, v15.pipeline) == (
        v14.system,
        v14.sentence.template,
        v14.answer,
        v14.pipeline,
    )
    assert v15.rules - v14.rules == V15_RULES
    assert v14.rules <= v15.rules


# The labelling guide (evals/README.md, "Non-events"): hypothetical and future events are not
# events ("would likely see a large military operation", "inspectors will collect samples").
@pytest.mark.parametrize(
    "sentence",
    [
        "We must join forces to fight them.",
        "Inspectors will collect samples from the site of the attack.",
        "If the talks fail, the army would storm Arsal.",
        "Islamic State is likely to resort to bomb attacks elsewhere in Iraq.",
        "A former minister said British aircraft could help enforce a no-fly zone.",
        "The rebels threatened to attack the capital.",
        "The coalition ends its mission next year.",
    ],
)
def test_what_may_must_or_will_happen_is_unreal(sentence: str) -> None:
    assert unreal(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Gunmen killed five people on Monday, police said.",
        # the occurrence happened; only its toll may rise
        "The blast killed 10 people and could raise the death toll.",
        "Police said gunmen killed five people and would strike again.",
        "Troops shelled the town overnight.",
    ],
)
def test_what_happened_is_not_unreal(sentence: str) -> None:
    assert not unreal(sentence)


def test_a_protest_called_for_is_a_call() -> None:
    # the guide: "Statements, accusations, calls for talks ... and quotes are not events"
    assert a_call("Johnson called for anti-war campaigners to protest outside the embassy.")
    assert a_call("The MP called for protests by millions of people outside Russian embassies.")
    assert not a_call("Thousands protested in the capital, calling for the president to resign.")
    assert not a_call("Students marched through Dhaka on Monday.")


def test_more_than_a_year_before_publication_is_an_earlier_period() -> None:
    published = dt.date(2016, 10, 12)
    assert long_before(dt.date(2003, 2, 15), published)
    assert long_before(dt.date(2011, 3, 1), published)
    assert not long_before(dt.date(2016, 10, 11), published)
    assert not long_before(dt.date(2016, 1, 1), published)
    assert not long_before(None, published)
    assert not long_before(dt.date(2003, 2, 15), None)


@pytest.mark.parametrize(
    ("text", "definite", "generic"),
    [
        ("The overnight attack took place in several villages.", True, True),
        ("He said five others were wounded in Monday\u2019s clash.", True, False),
        ("The firefight, which left 13 militants dead, lasted hours.", True, False),
        ("Islamic State claimed the attack in an online statement.", True, True),
        ("He detonated the bomb after police opened fire.", True, False),
        ("The violence has displaced 19,000 people.", True, True),
        # a day of its own: that day's report, however the article named it before
        ("The Tuesday raids killed at least 27 people.", False, False),
        # a verb between the article and the noun: a new report, not one told again
        ("The troops launched attacks on three villages.", False, False),
        ("The attackers fled into the forest.", False, False),
    ],
)
def test_an_occurrence_named_again(text: str, definite: bool, generic: bool) -> None:
    assert (DEFINITE.search(text) is not None) == definite
    assert (GENERIC.search(text) is not None) == generic


def test_site_chrome_is_no_headline() -> None:
    text = (
        "Published: Sat, July 23, 2022\n\nLeft Menu\n\n"
        "Russian missile strike kills three in central Ukraine - governor\n\n"
        "Three people were killed when Russian missiles hit an airfield on Saturday.\n"
    )
    assert text[: headline_end(text) or 0].endswith("Left Menu")
    assert text[: headline_end(text, chrome=True) or 0].endswith("- governor")


def test_headline_lines_at_the_top_are_all_headlines() -> None:
    text = (
        "DRC: 15 soldiers killed in an attack by Mobondo militiamen\n\n"
        "DRC: 7 civilians killed by ADF rebels\n\n"
        "At least seven civilians were killed during an attack by ADF rebels in Beni.\n"
    )
    assert text[: headline_end(text) or 0].endswith("Mobondo militiamen")
    assert text[: headline_end(text, chrome=True) or 0].endswith("by ADF rebels")


def test_a_caption_is_not_asked_about() -> None:
    caption = (
        "The attack has intensified the conflict between the junta and anti-coup fighters, "
        "leaving locals in fear / Photo: AP Archive. / AP"
    )
    assert caption_line(caption)
    assert caption_line("The coalition has intensified airstrikes [File Photo: AFP]")
    assert not caption_line("A military air strike on a village killed ten civilians.")
    text = f"Published: Wed, June 28, 2023\n\nMyanmar air strike kills ten\n{caption}\n"
    text += "A military air strike on a village killed ten civilians, media reports said.\n"
    v14 = [q.sentence.text for q in questions_for(text, 1, frozenset())]
    v15 = [q.sentence.text for q in questions_for(text, 1, frozenset({"site_chrome"}))]
    assert caption in v14 and v15 == [s for s in v14 if s != caption]


def test_v15_a_headline_restates_the_body_event_with_its_count(tmp_path: Path) -> None:
    text = (
        "Published: Sat, July 23, 2022\n\nLeft Menu\n\n"
        "Russian missile strike kills three in central Ukraine - governor\n\n"
        "The governor said 19 people had been wounded in the strike.\n"
        "Three people were killed when 13 Russian missiles hit an airfield in Kirovohrad on "
        "Saturday.\n"
    )

    def script(sentence: str, attempt: int) -> Answer:
        if sentence.startswith("Russian missile"):
            return facts(events=[event("Air/drone strike")])
        if sentence.startswith("The governor"):
            return facts(events=[event("Attack")])
        if sentence.startswith("Three people"):
            return facts(events=[event("Shelling/artillery/missile attack", location="Kirovohrad")])
        return facts()

    stored = stored_events(tmp_path, text, script, ("extract.v14", "extract.v15"))
    events = {v: [e["evidence"][:20] for e in got] for v, got in stored.items()}
    # the headline counts the body's three killed: that report told again
    assert events["extract.v15"] == ["The governor said 19", "Three people were ki"]
    assert "Russian missile stri" in events["extract.v14"]


def test_v15_keeps_one_event_of_what_happened(tmp_path: Path) -> None:
    text = (
        "Published: Mon, Jun 7, 2021\n"
        "ADF rebels killed 12 civilians in the villages of Bulongo and Kidungu on Saturday "
        "night, a local official said.\n"
        "The overnight attack took place in several villages of the Ruwenzori sector.\n"
        '"We must join forces to fight them," he said.\n'
        "A lawmaker called for residents to protest outside the governor's office.\n"
        "In 2014, the rebels killed more than 200 people in a wave of massacres.\n"
    )
    adf = ("ADF rebels", "rebel group")

    def script(sentence: str, attempt: int) -> Answer:
        if sentence.startswith("ADF"):
            return facts(events=[event("Attack", by=[adf], location="Bulongo")])
        if sentence.startswith("The overnight"):
            # a small model's clash for the attack told again
            return facts(events=[event("Armed clash")])
        if sentence.startswith('"We must'):
            return facts(events=[event("Armed clash")])
        if sentence.startswith("A lawmaker"):
            return facts(events=[event("Peaceful protest")])
        if sentence.startswith("In 2014"):
            return facts(events=[event("Attack", by=[("the rebels", "rebel group")])])
        return facts()

    stored = stored_events(tmp_path, text, script, ("extract.v14", "extract.v15"))
    events = {v: [e["sub_event_type"] for e in got] for v, got in stored.items()}
    assert events["extract.v15"] == ["Attack"]
    assert len(events["extract.v14"]) > 1


# The labelling guide (evals/README.md, "Actors"): "A person is not an actor"; "Civilian
# victims are not listed as actors"; a country or a capital standing for its government is.
_ARTICLE = (
    "Rupert Colville, spokesman for the UN human rights office, said 11 civilians died. "
    "Colville said the office was alarmed. Governor Andriy Raikovych said the strike hit "
    "the regional capital Kropyvnytskyi. Insurgents were ambushed in Doonka and Bullalow "
    "near the town. Fighting spread to Sequihondita sector and to the village of Huyum. "
    "Damascus and Moscow blamed the Taliban and Boko Haram. BBC Burmese said the Burmese "
    "military struck. Troops fled to the Rapid Support Forces base in Adamawa State. "
    '"We must act," said Willy Malikidogo, chief of Kilya locality.'
)


@pytest.mark.parametrize(
    "name",
    [
        "Rupert Colville",
        "Colville",
        "Governor Andriy Raikovych",
        "Raikovych",
        "Willy Malikidogo",
        "French President Francois Hollande",
    ],
)
def test_a_person_is_not_an_actor(name: str) -> None:
    assert is_person(name, _ARTICLE)


@pytest.mark.parametrize(
    "name", ["Kropyvnytskyi", "Bullalow", "Sequihondita", "Huyum", "Adamawa State", "Doonka"]
)
def test_a_place_is_not_an_actor(name: str) -> None:
    assert is_place(name, _ARTICLE)


@pytest.mark.parametrize(
    "name",
    [
        "UN human rights office",
        "Damascus",
        "Moscow",
        "Taliban",
        "Boko Haram",
        "BBC Burmese",
        "Rapid Support Forces",
        "Russia",
    ],
)
def test_organisations_countries_and_capitals_stay_actors(name: str) -> None:
    assert not is_person(name, _ARTICLE)
    assert not is_place(name, _ARTICLE)


def test_v15_keeps_organisations_as_actors(tmp_path: Path) -> None:
    text = (
        "Published: Thu, Feb 1, 2018\n"
        "Al-Shabaab fighters attacked a convoy in Doonka on Monday, killing 11 civilians, "
        "Bullalow elders said.\n"
        "Troops were ambushed in Doonka and Bullalow near the town.\n"
    )

    def script(sentence: str, attempt: int) -> Answer:
        if sentence.startswith("Al-Shabaab"):
            # a small model's answer: the village as the source, the victims as a side
            return facts(
                source="Bullalow",
                events=[
                    event(
                        "Attack",
                        by=[("Al-Shabaab", "rebel group")],
                        against=[("Bullalow", "civilians")],
                        location="Doonka",
                    )
                ],
            )
        return facts()

    stored = {}
    for version in ("extract.v14", "extract.v15"):
        with running_app(tmp_path / version, FakeLLM(script=script), prompt_version=version) as c:
            body = c.post("/articles?wait=10", json={"text": text}).json()
        assert body["run"]["status"] == "succeeded", body["run"]
        stored[version] = body["article"]
    v15 = stored["extract.v15"]
    assert [a["name"] for a in v15["actors"]] == ["Al-Shabaab"]
    assert [ref["role"] for ref in v15["events"][0]["actors"]] == ["perpetrator"]
    assert [a["name"] for a in stored["extract.v14"]["actors"]] == ["Bullalow", "Al-Shabaab"]


# The guide: "Background ... habitual ... activity" and statements are not events; news tells
# occurrences in the past tense, a state in the present.
@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("It is a structure made up of seven fronts and 1,700 armed men.", True),
        ("This attack is part of a series of violence perpetrated by the ADF.", True),
        ("Russia's assistance continues to draw the ire of Europe.", True),
        ("The Taliban have littered the roads with bombs that often kill civilians.", True),
        ("The war has brought Yemen to the brink of collapse.", True),
        ("President Hamid Karzai issued a statement Sunday condemning the deaths.", True),
        # occurrences, whatever the tense
        ("At least 40 people have been killed in an air strike on a market.", False),
        ("Three people are dead after an explosion in Kabul.", False),
        ("Fighting continues in the north of the province.", False),
        ("Boko Haram and the vigilantes continue to battle in Damboa.", False),
        ("Unidentified gunmen abduct two refugees from a camp near Dadaab.", False),
        ("Police say gunmen killed five people.", False),
    ],
)
def test_a_state_statement_or_habit_is_no_occurrence(sentence: str, expected: bool) -> None:
    assert no_occurrence(sentence) is expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("soldiers", True),
        ("The troops", True),
        ("Three militants", True),
        ("police", True),
        ("Mali army", False),
        ("Syrian forces", False),
        ("government forces", False),
        ("Boko Haram", False),
    ],
)
def test_unnamed_forces_are_generic(name: str, expected: bool) -> None:
    assert generic(name) is expected


def test_a_place_reports_nothing() -> None:
    assert place_named("MOGADISHU") and place_named("DRC") and place_named("Mali")
    # a news agency or an acronym before a place
    assert not place_named("SANA") and not place_named("UN") and not place_named("AFP")


def test_v15_folds_what_adds_to_the_occurrence_told(tmp_path: Path) -> None:
    text = (
        "Published: Mon, Jun 3, 2013\n"
        "Taliban fighters attacked two police checkpoints in Nuristan province on Sunday, "
        "killing four police, provincial officials said.\n"
        "He said four police were also wounded.\n"
        "One resident said he saw at least 12 dead militants.\n"
        "In Kunar, a roadside bomb killed two soldiers on Sunday.\n"
    )

    def script(sentence: str, attempt: int) -> Answer:
        if sentence.startswith("Taliban"):
            return facts(
                events=[event("Armed clash", by=[("Taliban", "rebel group")], location="Nuristan")]
            )
        if sentence.startswith("He said"):
            return facts(events=[event("Attack", against=[("police", "state forces")])])
        if sentence.startswith("One resident"):
            return facts(events=[event("Armed clash", against=[("militants", "rebel group")])])
        if sentence.startswith("In Kunar"):
            return facts(events=[event("Remote explosive/landmine/IED", location="Kunar")])
        return facts()

    stored = stored_events(tmp_path, text, script, ("extract.v14", "extract.v15"))
    events = {v: [e["sub_event_type"] for e in got] for v, got in stored.items()}
    # the wounded and the dead a resident saw are that clash's; the bomb in Kunar is another
    assert events["extract.v15"] == ["Armed clash", "Remote explosive/landmine/IED"]
    assert len(events["extract.v14"]) == 4


def test_v15_unnamed_forces_are_the_named_actor_of_their_type(tmp_path: Path) -> None:
    text = (
        "Published: Thu, Feb 1, 2018\n"
        "Al-Shabaab fighters ambushed the Somali army near Afgoye on Monday, killing 15 "
        "soldiers.\n"
        "In Baidoa, gunmen abducted three aid workers on Tuesday.\n"
    )

    def script(sentence: str, attempt: int) -> Answer:
        if sentence.startswith("Al-Shabaab"):
            return facts(
                events=[
                    event(
                        "Armed clash",
                        by=[("Al-Shabaab", "rebel group")],
                        against=[("Somali army", "state forces"), ("soldiers", "state forces")],
                        location="Afgoye",
                    )
                ]
            )
        if sentence.startswith("In Baidoa"):
            return facts(
                events=[
                    event(
                        "Abduction/forced disappearance",
                        by=[("gunmen", "political militia")],
                        location="Baidoa",
                    )
                ]
            )
        return facts()

    with running_app(tmp_path, FakeLLM(script=script), prompt_version="extract.v15") as c:
        body = c.post("/articles?wait=10", json={"text": text}).json()
    assert body["run"]["status"] == "succeeded", body["run"]
    article = body["article"]
    names = [a["name"] for a in article["actors"]]
    # "soldiers" is the Somali army; the gunmen, named by no one, stay an actor of their own
    assert sorted(names) == ["Al-Shabaab", "Somali army", "gunmen"]
    clash, abduction = article["events"]
    assert sorted(ref["name"] for ref in clash["actors"]) == ["Al-Shabaab", "Somali army"]
    assert [ref["name"] for ref in abduction["actors"]] == ["gunmen"]
