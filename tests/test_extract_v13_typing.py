"""extract.v13: the sub-type the words leave open is the model's choice among ACLED's
definitions, read from its probability of each option's label and calibrated against
content-free input (issue 16)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.extraction.pipeline import ExtractionPipeline
from service.extraction.prompts import PROMPTS_DIR, PromptFile, load_prompt
from service.extraction.taxonomy import EVENT_TYPE_OF, EventType, SubEventType
from service.llm import CallStats, Choice, Outcome, StructuredLLM, build_openai_client
from tests.conftest import make_settings
from tests.fake_llm import Answer, FakeLLM, event, facts
from tests.inprocess import running_app

CLASH = "Gunmen stormed the village of Kalaa on Monday."
IED = "A roadside bomb exploded near Kalaa on Monday."
TWO = "Gunmen stormed Kalaa and soldiers stormed Tunis on Monday."


def test_extract_v13_is_v12_plus_the_typing_question() -> None:
    v12, v13 = load_prompt("extract.v12"), load_prompt("extract.v13")
    assert (v13.system, v13.sentence.template, v13.answer, v13.pipeline) == (
        v12.system,
        v12.sentence.template,
        v12.answer,
        v12.pipeline,
    )
    assert v13.rules - v12.rules == {"definition_types"}
    assert v13.typing is not None and v12.typing is None
    # every event type and every sub-type has a definition
    assert [EventType(name) for name, _ in v13.typing.options()] == list(EventType)
    defined = [SubEventType(name) for name in v13.typing.sub_types]
    assert sorted(defined) == sorted(SubEventType)
    for event_type in EventType:
        names = [SubEventType(n) for n, _ in v13.typing.options(event_type)]
        assert names and all(EVENT_TYPE_OF[n] is event_type for n in names)


def test_the_definitions_come_first_and_the_sentence_last() -> None:
    typing = load_prompt("extract.v13").typing
    assert typing is not None
    system, question = typing.messages(CLASH, EventType.RIOTS)
    assert system["role"] == "system" and "Riots sub-event type" in system["content"]
    assert "\n- Violent demonstration: demonstrators riot" in system["content"]
    assert "\n- Mob violence: a mob or crowd" in system["content"]
    assert question == {
        "role": "user",
        "content": f"Sentence: {CLASH}\nAnswer with the name of one option.",
    }
    first = typing.messages(IED)[0]["content"]
    assert "ACLED event type" in first and "\n- Strategic developments: no violence" in first
    # the same system text for every sentence: the server keeps it cached
    assert typing.messages(IED, EventType.RIOTS)[0] == system


def _file(**changes: Any) -> dict[str, Any]:
    data = yaml.safe_load((PROMPTS_DIR / "extract.v13.yaml").read_text())
    return {**data, **changes}


def test_a_typing_section_needs_its_rule_and_known_names() -> None:
    good = _file()
    PromptFile.model_validate(good)
    with pytest.raises(ValueError, match="definition_types"):
        PromptFile.model_validate(_file(rules=good["rules"][:-1]))
    with pytest.raises(ValueError, match="definition_types"):
        PromptFile.model_validate({**good, "typing": None})
    option = {"label": "Zebra", "definition": "x"}
    typo = {**good["typing"], "sub_types": {**good["typing"]["sub_types"], "Armed clashes": option}}
    with pytest.raises(ValueError, match="Armed clashes"):
        PromptFile.model_validate(_file(typing=typo))
    # one question's labels start with different letters: a first token names one option
    sub_types = {**good["typing"]["sub_types"], "Arrests": {"label": "Arrests", "definition": "x"}}
    with pytest.raises(ValueError, match="start differently"):
        PromptFile.model_validate(_file(typing={**good["typing"], "sub_types": sub_types}))


def _choose(fake: FakeLLM, tmp_path: Path, logprobs: bool = True) -> Any:
    settings = make_settings(
        tmp_path, llm_base_url="http://fake/v1", llm_logprobs=logprobs, llm_mode="json_schema"
    )

    async def go() -> Any:
        async with fake.client() as http:
            llm = StructuredLLM(build_openai_client(settings, "http://fake/v1", http), settings)
            typing = load_prompt("extract.v13").typing
            assert typing is not None
            civilians = EventType.VIOLENCE_AGAINST_CIVILIANS
            return await llm.choose(typing.messages(CLASH, civilians), typing.labels(civilians))

    return asyncio.run(go())


def test_choose_reads_each_option_s_probability(tmp_path: Path) -> None:
    fake = FakeLLM(typing={CLASH: "Attack"})
    outcome = _choose(fake, tmp_path)
    assert outcome.value.index == 1  # Sexual violence, Attack, Kidnapping
    probabilities = outcome.value.probabilities
    assert probabilities is not None and sum(probabilities) == pytest.approx(1.0)
    assert probabilities[1] > 0.9 > probabilities[0]
    assert fake.requests[-1]["max_tokens"] == 1 and fake.requests[-1]["top_logprobs"] == 20
    assert outcome.stats.calls == 1 and outcome.stats.unusable == 0


def test_without_alternatives_the_written_letter_is_the_choice(tmp_path: Path) -> None:
    fake = FakeLLM(typing={CLASH: "Attack"}, top_logprobs=False)
    outcome = _choose(fake, tmp_path)
    assert (outcome.value.index, outcome.value.probabilities) == (1, None)
    outcome = _choose(FakeLLM(typing={CLASH: "Attack"}), tmp_path, logprobs=False)
    assert (outcome.value.index, outcome.value.probabilities) == (1, None)


def test_an_answer_that_starts_no_label_is_no_choice(tmp_path: Path) -> None:
    for answer in ("Zebra", "The", " "):
        outcome = _choose(FakeLLM(typing={CLASH: answer}, top_logprobs=False), tmp_path)
        assert outcome.value.index is None and outcome.stats.unusable == 1


def _script(sentence: str, attempt: int) -> Answer:
    gunmen, village = [("Gunmen", "rebel group")], "Kalaa"
    if sentence == TWO:
        return facts(
            events=[
                event("Armed clash", by=gunmen, location="Kalaa"),
                event("Armed clash", by=[("soldiers", "state forces")], location="Tunis"),
            ]
        )
    if sentence == IED:
        return facts(events=[event("Armed clash", location=village)])
    return facts(events=[event("Armed clash", by=gunmen, location=village)])


def _typing_calls(fake: FakeLLM) -> list[dict[str, Any]]:
    return [r for r in fake.requests if r.get("max_tokens") == 1]


def test_the_chosen_definition_types_the_one_event_the_words_leave_open(
    tmp_path: Path,
) -> None:
    fake = FakeLLM(script=_script, typing={CLASH: "Attack"})
    with running_app(tmp_path, fake, prompt_version="extract.v13") as client:
        body = client.post("/articles?wait=10", json={"text": CLASH}).json()
    assert body["run"]["status"] == "succeeded", body["run"]
    assert [e["sub_event_type"] for e in body["article"]["events"]] == ["Attack"]
    # two questions, the event type then its sub-type, each after its three content-free
    # questions (asked once per question and pipeline: the calibration's prior)
    calls = _typing_calls(fake)
    asked = [(c["messages"][0]["content"].split("Which ")[1].split(" best")[0],
              c["messages"][1]["content"].split("\n")[0]) for c in calls]  # fmt: skip
    assert asked == [
        ("ACLED event type", f"Sentence: {CLASH}"),
        ("ACLED event type", "Sentence: N/A"),
        ("ACLED event type", "Sentence: "),
        ("ACLED event type", "Sentence: [MASK]"),
        ("Violence against civilians sub-event type", f"Sentence: {CLASH}"),
        ("Violence against civilians sub-event type", "Sentence: N/A"),
        ("Violence against civilians sub-event type", "Sentence: "),
        ("Violence against civilians sub-event type", "Sentence: [MASK]"),
    ]
    assert body["run"]["llm_calls"] == len(fake.requests)  # the typing calls are counted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a rule's words decide: no typing question
        (IED, "Remote explosive/landmine/IED"),
        # two events in one sentence: which words go with which is not asked
        (TWO, "Armed clash"),
    ],
)
def test_no_typing_question_where_words_decide_or_events_share_a_sentence(
    tmp_path: Path, text: str, expected: str
) -> None:
    fake = FakeLLM(script=_script, typing={text: "Attack"})
    with running_app(tmp_path, fake, prompt_version="extract.v13") as client:
        body = client.post("/articles?wait=10", json={"text": text}).json()
    assert body["run"]["status"] == "succeeded", body["run"]
    typed = {e["sub_event_type"] for e in body["article"]["events"]}
    assert typed == {expected}
    assert _typing_calls(fake) == []


def _pipeline(answers: dict[str, tuple[float, ...] | None]) -> tuple[Any, list[str]]:
    """A pipeline whose typing answers come from ``answers`` (by sentence: probabilities over
    the options, or None for an endpoint without log-probabilities, which writes option 0)."""
    asked: list[str] = []

    async def choose(messages: list[dict[str, str]], labels: list[str]) -> Outcome[Choice]:
        sentence = messages[1]["content"].split("\n")[0].removeprefix("Sentence: ")
        asked.append(sentence)
        probabilities = answers[sentence]
        index = (
            0 if probabilities is None else max(range(len(labels)), key=probabilities.__getitem__)
        )
        return Outcome(value=Choice(index, probabilities), stats=CallStats(calls=1))

    async def never(*_: Any, **__: Any) -> Any:
        raise AssertionError("not asked")

    return ExtractionPipeline(never, load_prompt("extract.v13"), choose=choose), asked


def test_each_option_is_weighed_against_its_probability_for_content_free_input() -> None:
    """Calibrate Before Use (Zhao et al. 2021): the label a small model prefers for "N/A" is
    discounted. Battles 0.4 against a prior of 0.1 beats Violence against civilians 0.5
    against 0.6."""
    raw = (0.4, 0.05, 0.5, 0.03, 0.01, 0.01)
    prior = (0.1, 0.1, 0.6, 0.1, 0.05, 0.05)
    pipeline, asked = _pipeline({CLASH: raw, "N/A": prior, "": prior, "[MASK]": prior})
    stats = CallStats()
    assert asyncio.run(pipeline._pick(CLASH, None, stats)) == "Battles"
    assert asked == [CLASH, "N/A", "", "[MASK]"] and stats.calls == 4
    # the prior is asked once per question and pipeline
    assert asyncio.run(pipeline._pick(CLASH, None, stats)) == "Battles"
    assert len(asked) == 5 and stats.calls == 5


def test_without_probabilities_the_written_option_stands_and_nothing_is_calibrated() -> None:
    pipeline, asked = _pipeline({CLASH: None})
    assert asyncio.run(pipeline._pick(CLASH, None, CallStats())) == "Battles"
    assert asked == [CLASH]


def test_a_pipeline_for_a_typing_prompt_needs_choose() -> None:
    async def never(*_: Any, **__: Any) -> Any:
        raise AssertionError("not asked")

    with pytest.raises(ValueError, match="choose"):
        ExtractionPipeline(never, load_prompt("extract.v13"))


def test_the_prior_is_asked_once_for_the_service_not_once_per_article(tmp_path: Path) -> None:
    other = "Gunmen stormed the village of Kalaa on Tuesday."
    fake = FakeLLM(script=_script, typing={CLASH: "Attack", other: "Attack"})
    with running_app(tmp_path, fake, prompt_version="extract.v13") as client:
        for text in (CLASH, other):
            body = client.post("/articles?wait=10", json={"text": text}).json()
            assert body["article"]["events"][0]["sub_event_type"] == "Attack"
    free = [c for c in _typing_calls(fake) if CLASH not in str(c) and other not in str(c)]
    assert len(free) == 6  # 3 content-free inputs x (event type, its sub-type), once
    assert len(_typing_calls(fake)) == 6 + 2 * 2
