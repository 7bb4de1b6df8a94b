"""extract.v14: extract.v12's questions; where the words of a sentence decide its sub-type the
model's answer no longer overrules them (words_over_model), and what happened at a protest,
told in the sentences after it, decides the protest's sub-type (protest_outcomes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.extraction.prompts import load_prompt
from service.extraction.subtypes import (
    protest_outcome,
    rule_over_battles,
    rule_over_proposal,
)
from service.extraction.taxonomy import SubEventType
from tests.fake_llm import Answer, event, facts
from tests.inprocess import stored_events

S = SubEventType


def test_extract_v14_asks_what_v12_asks() -> None:
    v12, v14 = load_prompt("extract.v12"), load_prompt("extract.v14")
    assert (v14.system, v14.sentence.template, v14.answer, v14.pipeline) == (
        v12.system,
        v12.sentence.template,
        v12.answer,
        v12.pipeline,
    )
    assert v14.rules - v12.rules == {"words_over_model", "protest_outcomes"}
    assert v12.rules <= v14.rules


# ACLED Codebook, "Event types and sub-event types": "the event types and sub-event types ...
# are presented in hierarchical order". A rule's words that the model's answer does not change:
# no engagement is named, so nothing in the sentence is a battle; a remote-violence rule runs
# after the ones that outrank it, so their words are not in the sentence.
@pytest.mark.parametrize(
    ("sentence", "proposed", "expected"),
    [
        # a grenade is a grenade (issue 16), whatever the model calls the explosion
        (
            "Unidentified men lobbed a grenade into a bar in Bujumbura, wounding six people.",
            S.REMOTE_EXPLOSIVE,
            S.GRENADE,
        ),
        # Sexual violence, no battle named
        ("Soldiers raped two women in the village of Kiwanja.", S.ARMED_CLASH, S.SEXUAL_VIOLENCE),
        # Abduction/forced disappearance, no battle named
        ("Gunmen abducted 20 passengers from a bus near Kaduna.", S.ARMED_CLASH, S.ABDUCTION),
        # Looting/property destruction, no one harmed, no battle named
        ("Militiamen looted shops and torched houses in the market.", S.ARMED_CLASH, S.LOOTING),
        # Shelling/artillery/missile attack: no word of an air strike in the sentence
        (
            "Rebels fired mortar rounds at the airport on Sunday.",
            S.AIR_DRONE_STRIKE,
            S.SHELLING_ARTILLERY_MISSILE,
        ),
    ],
)
def test_the_words_decide_where_the_answer_has_no_words_behind_it(
    sentence: str, proposed: SubEventType, expected: SubEventType
) -> None:
    typed = rule_over_proposal(sentence, proposed)
    assert typed is not None and typed[0] == expected
    assert rule_over_battles(sentence, proposed) is None  # extract.v12 deferred to the answer


@pytest.mark.parametrize(
    ("sentence", "proposed"),
    [
        # an engagement is named: the kidnapping may belong to the battle, the answer stands
        ("Militants clashed with troops and kidnapped three soldiers.", S.ARMED_CLASH),
        # Abduction: "Arrests by non-state groups ... are considered Abduction": the words do
        # not tell which
        ("Gunmen abducted the mayor and his driver.", S.ARRESTS),
        # a protest whose words name nothing done at it: the model may have read more
        ("Hundreds of students protested in Dhaka on Monday.", S.PROTEST_WITH_INTERVENTION),
    ],
)
def test_the_answer_stands_where_the_words_do_not_exclude_it(
    sentence: str, proposed: SubEventType
) -> None:
    assert rule_over_proposal(sentence, proposed) is None


# ACLED Codebook, Violence against civilians > Attack: civilians targeted with violence (by an
# organised armed group or an individual); civilians killed with no engagement named and no
# sub-type above it in the hierarchy.
@pytest.mark.parametrize(
    ("sentence", "proposed", "expected"),
    [
        ("Unknown gunmen shot and killed a farmer in Kaodji on Monday.", S.ARMED_CLASH, S.ATTACK),
        ("A man and his son were killed by unidentified assailants in Baragoi.", None, S.ATTACK),
        ("A herder stabbed two villagers to death after a dispute over cattle.", S.OTHER, S.ATTACK),
        # an engagement is named: civilians caught in a battle
        ("Three civilians were killed in crossfire as troops fought rebels.", S.ARMED_CLASH, None),
        # the model's answer may be what killed them: the words do not say it was not
        (
            "Four people were killed during rebel fire on the west of the city.",
            S.SHELLING_ARTILLERY_MISSILE,
            None,
        ),
        # fighters are no civilians
        ("Five soldiers were killed near the border on Sunday.", S.ARMED_CLASH, None),
    ],
)
def test_civilians_killed_are_an_attack(
    sentence: str, proposed: SubEventType | None, expected: SubEventType | None
) -> None:
    typed = rule_over_proposal(sentence, proposed)
    assert (typed[0] if typed else None) == expected


def test_no_rule_no_type() -> None:
    assert rule_over_proposal("The minister visited the region.", S.ARMED_CLASH) is None


# ACLED Codebook (quoted in tests/test_subtypes.py): Protest with intervention, "a physical
# attempt to disperse or suppress the protest"; Excessive force against protesters, "targeted
# with lethal violence or violence resulting in serious injuries"; Violent demonstration,
# "demonstrators engage in violence and/or destructive activity".
@pytest.mark.parametrize(
    ("report", "following", "expected"),
    [
        (
            "Students protested for the release of other students.",
            "Police responded by firing teargas at the protesters.",
            S.PROTEST_WITH_INTERVENTION,
        ),
        (
            "Lawyers protested, demanding the removal of the chief magistrate.",
            "Police used tear gas to disperse crowds.",
            S.PROTEST_WITH_INTERVENTION,
        ),
        (
            "Protesters flocked to the presidential palace.",
            "Gunfire was heard, and one protester was killed.",
            S.EXCESSIVE_FORCE,
        ),
        (
            "Residents marched to the district office over the eviction notice.",
            "They blocked the road with stones and burning tyres.",
            S.VIOLENT_DEMONSTRATION,
        ),
        # nothing done at the protest: it stays what it was
        (
            "Teachers rallied outside parliament over unpaid salaries.",
            "The union said the strike would continue next week.",
            None,
        ),
    ],
)
def test_what_happened_at_a_protest_types_it(
    report: str, following: str, expected: SubEventType | None
) -> None:
    assert protest_outcome(report, following) == expected


def test_v14_types_a_protest_by_what_the_next_sentence_tells(tmp_path: Path) -> None:
    text = (
        "Published: Tue, Mar 5, 2024\n"
        "Hundreds of students protested in Dhaka on Monday against the quota system.\n"
        "Police fired tear gas and water cannon to disperse them, witnesses said.\n"
        "In Khulna, troops clashed with gunmen near the port on Monday.\n"
    )
    students = ("students", "protesters")
    police = ("Police", "state forces")

    def script(sentence: str, attempt: int) -> Answer:
        if sentence.startswith("Hundreds"):
            return facts(events=[event("Peaceful protest", by=[students], location="Dhaka")])
        if sentence.startswith("Police"):
            # the dispersal, as a small model often answers it: a violence of its own
            return facts(events=[event("Attack", by=[police])])
        if sentence.startswith("In Khulna"):
            return facts(
                events=[
                    event(
                        "Armed clash",
                        by=[("troops", "state forces")],
                        against=[("gunmen", "rebel group")],
                        location="Khulna",
                    )
                ]
            )
        return facts()

    stored = stored_events(tmp_path, text, script, ("extract.v12", "extract.v14"))
    events = {v: [(e["sub_event_type"], e["location"]) for e in got] for v, got in stored.items()}
    # the dispersal is what happened at the protest: one event, typed by it; the clash in
    # another place is another event
    assert events["extract.v14"] == [
        ("Protest with intervention", "Dhaka"),
        ("Armed clash", "Khulna"),
    ]
    assert events["extract.v12"] == [
        ("Peaceful protest", "Dhaka"),
        ("Attack", None),
        ("Armed clash", "Khulna"),
    ]


def test_v14_a_headline_restates_the_lead_its_words_retyped(tmp_path: Path) -> None:
    text = (
        "Published: Sun, Nov 29, 2020\n"
        "Boko Haram Attacks Borno Village, Kill 15\n"
        "Fifteen people were killed when Boko Haram attacked a remote village in Borno State, "
        "residents said.\n"
    )
    boko = ("Boko Haram", "rebel group")

    def script(sentence: str, attempt: int) -> Answer:
        if sentence.startswith("Boko Haram Attacks"):
            return facts(events=[event("Non-state actor overtakes territory", by=[boko])])
        if sentence.startswith("Fifteen"):
            # the model answers a clash for both; the lead's words say civilians were killed
            return facts(events=[event("Armed clash", by=[boko], location="Borno State")])
        return facts()

    stored = stored_events(tmp_path, text, script, ("extract.v12", "extract.v14"))
    events = {v: [e["sub_event_type"] for e in got] for v, got in stored.items()}
    # one occurrence: the lead, typed by its words; the headline is that report told again
    assert events["extract.v14"] == ["Attack"]
    assert events["extract.v12"] == ["Armed clash"]


def test_v14_a_headline_assault_beside_a_lead_retyped_to_shelling_stays(tmp_path: Path) -> None:
    text = (
        "Published: Sat, Apr 7, 2018\n"
        "Syria Forces Launch Assault On Rebel-Held Douma\n"
        "Rebels fired mortars at government-held districts of Damascus on Saturday, state media "
        "said.\n"
    )
    army = ("Syria Forces", "state forces")
    rebels = ("Rebels", "rebel group")

    def script(sentence: str, attempt: int) -> Answer:
        if sentence.startswith("Syria Forces"):
            return facts(events=[event("Non-state actor overtakes territory", by=[army])])
        if sentence.startswith("Rebels"):
            return facts(events=[event("Armed clash", by=[rebels], location="Damascus")])
        return facts()

    stored = stored_events(tmp_path, text, script, ("extract.v14",))["extract.v14"]
    # the mortars are shelling by their words; the headline's assault is another event
    assert [e["sub_event_type"] for e in stored] == [
        "Shelling/artillery/missile attack",
        "Non-state actor overtakes territory",
    ]
