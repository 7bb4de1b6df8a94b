"""extract.v6: extract.v4's questions with three rules on the answers (quotations that report
nothing happening, one event per sentence and place, the sub-type where the words decide it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.extraction.prompts import load_prompt
from service.extraction.rules import quoted_statement
from tests.fake_llm import Answer, FakeLLM, event, facts
from tests.inprocess import running_app


@pytest.mark.parametrize(
    "sentence",
    [
        '"There must be safe passage for the sick and the wounded and the dying", he said.',
        'According to the minister, now "our forces are liberating the city from the rebels".',
        "\u201cWe have so far lost 15 people and one was injured,\u201d the elder said.",
        'lost 15 people and one was injured," he told reporters.',  # quotation begun earlier
        '"The terrorists are in a state of collapse and their media lie", SANA reported.',
    ],
)
def test_a_quotation_whose_frame_reports_nothing_happening_is_a_statement(
    sentence: str,
) -> None:
    assert quoted_statement(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Government forces shelled the town on Monday, the Observatory said.",
        'The renewed fighting in Douma "is of great concern to us", the spokesman said.',
        'Troops killed five "terrorists" near the border.',
        'The president declared a "state of siege" in the province.',  # scare quotes
        'Rebels fired rockets at the city, he said: "It was the worst night in weeks."',
    ],
)
def test_a_sentence_that_itself_says_something_happened_is_no_statement(sentence: str) -> None:
    assert not quoted_statement(sentence)


def test_extract_v6_is_v4_with_rules() -> None:
    v4, v6 = load_prompt("extract.v4"), load_prompt("extract.v6")
    assert (v6.system, v6.sentence.template, v6.answer, v6.pipeline) == (
        v4.system,
        v4.sentence.template,
        v4.answer,
        v4.pipeline,
    )
    assert v4.rules == frozenset()
    assert v6.rules == {"quoted_statements", "one_event_per_sentence", "subtype_rules"}


def test_v6_end_to_end(tmp_path: Path) -> None:
    text = (
        "Published: Sat, May 11, 2024\n"
        "Army troops recaptured the town of Qusayr on Friday after clashes with the rebels, "
        "and warplanes struck rebel positions in Homs.\n"
        '"There must be safe passage for the 40 wounded", the UN envoy said.\n'
        "A roadside bomb hit a bus near Hama, killing seven passengers.\n"
        "A mob stormed the embassy on Sunday and soldiers shot dead five civilians.\n"
    )

    def script(sentence: str, attempt: int) -> Answer:
        if sentence.startswith("Army"):
            troops, rebels = ("Army troops", "state forces"), ("rebels", "rebel group")
            return facts(
                events=[
                    # the model's concurrent tactics of one capture, and a strike elsewhere
                    event("Government regains territory", by=[troops], location="Qusayr"),
                    event("Armed clash", by=[troops], against=[rebels], location="Qusayr"),
                    event("Government regains territory", location=None),
                    event("Air/drone strike", location="Homs"),
                ]
            )
        if sentence.startswith('"There'):
            return facts(events=[event("Armed clash")], figures=["wounded"])
        if sentence.startswith("A roadside"):
            # the words say a roadside bomb: an explosion, not an attack by gunmen
            return facts(events=[event("Attack", location="Hama")], figures=["killed"])
        if sentence.startswith("A mob"):
            # two rows for one sentence and no place: one event, the first row's sub-type
            return facts(events=[event("Mob violence"), event("Attack")])
        return facts()

    with running_app(tmp_path, FakeLLM(script=script), prompt_version="extract.v6") as client:
        body = client.post("/articles?wait=10", json={"text": text}).json()
    assert body["run"]["status"] == "succeeded", body["run"]
    assert body["run"]["prompt_version"] == "extract.v6"
    article = body["article"]
    events = [(e["sub_event_type"], e["location"]) for e in article["events"]]
    assert events == [
        ("Government regains territory", "Qusayr"),
        ("Air/drone strike", "Homs"),
        ("Remote explosive/landmine/IED", "Hama"),
        ("Mob violence", None),
    ]
    [capture] = [e for e in article["events"] if e["location"] == "Qusayr"]
    sides = {(a["name"], a["role"]) for a in capture["actors"]}
    assert sides == {("Army troops", "perpetrator"), ("rebels", "target")}
    # the figures of a quotation stay: a claim worth keeping, though it reports no event
    figures = {f["evidence"]: f["category"] for f in article["figures"]}
    assert figures["40"] == "wounded"
    assert figures["seven passengers"] == "killed"


def test_v7_folds_a_detail_sentence_into_the_event_just_told(tmp_path: Path) -> None:
    text = (
        "Published: Sat, May 11, 2024\n"
        "Boko Haram fighters attacked the village of Mailari on Friday, killing 15 people.\n"
        "Eight others were injured in the raid, a local official told reporters.\n"
        "Another attack in Gwoza killed three farmers.\n"
        "Witnesses said the fighters also burned houses in Gwoza.\n"
        "Soldiers later shot dead two of the attackers.\n"
    )

    def script(sentence: str, attempt: int) -> Answer:
        if sentence.startswith("Boko"):
            fighters = ("Boko Haram", "rebel group")
            return facts(events=[event("Attack", by=[fighters], location="Mailari")])
        if sentence.startswith("Eight"):
            return facts(events=[event("Attack")], figures=["wounded"])
        if sentence.startswith("Another"):
            return facts(events=[event("Attack", location="Gwoza")])
        if sentence.startswith("Witnesses"):
            # at the place of the event just told, no new side: a detail of it
            return facts(events=[event("Looting/property destruction", location="Gwoza")])
        if sentence.startswith("Soldiers"):
            return facts(events=[event("Armed clash", by=[("Soldiers", "state forces")])])
        return facts()

    with running_app(tmp_path, FakeLLM(script=script), prompt_version="extract.v7") as client:
        body = client.post("/articles?wait=10", json={"text": text}).json()
    assert body["run"]["status"] == "succeeded", body["run"]
    events = body["article"]["events"]
    # the toll sentence is the Mailari attack; Gwoza is another place, and the burning there a
    # detail of it; the soldiers are a new side ("later" announces another incident besides)
    assert [(e["sub_event_type"], e["location"]) for e in events] == [
        ("Attack", "Mailari"),
        ("Attack", "Gwoza"),
        ("Armed clash", None),
    ]
    [wounded] = [f for f in body["article"]["figures"] if f["category"] == "wounded"]
    assert wounded["event_id"] == events[0]["id"]
