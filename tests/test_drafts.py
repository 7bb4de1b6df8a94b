from __future__ import annotations

import pytest
from pydantic import ValidationError

from service.extraction.drafts import SentenceFacts, salvage
from service.extraction.grounding import appears_in, find_span

TEXT = (
    "The Britain-based Observatory said at least 40 civilians were killed in Douma. "
    "Jaysh al-Islam fired \u201cmortar shells\u201d."
)
SENTENCE = "The Britain-based Observatory said at least 40 civilians were killed in Douma."
CONTEXT = {"text": TEXT, "sentence": SENTENCE}


def answer(**overrides: object) -> dict[str, object]:
    value: dict[str, object] = {
        "source": "the Britain-based Observatory",
        "events": [
            {
                "summary": "Civilians were killed in Douma.",
                "status": "happened",
                "type": "Air/drone strike",
                "by": [],
                "against": [{"name": "civilians", "type": "civilians"}],
                "location": "Douma",
            }
        ],
        "figures": [{"text": "at least 40 civilians", "category": "killed", "event": 1}],
        "actors": [{"name": "Observatory", "type": "monitor/media"}],
    }
    value.update(overrides)
    return value


def test_find_span_ignores_case_quotes_and_spaces_but_indexes_the_original() -> None:
    start, end = find_span(TEXT, 'fired "MORTAR  shells"') or (0, 0)
    assert TEXT[start:end] == "fired \u201cmortar shells\u201d"
    assert find_span(TEXT, "Douma", 0, 10) is None
    assert find_span(TEXT, "   ") is None
    assert appears_in(TEXT, "jaysh AL-islam")


def test_grounded_answer_validates() -> None:
    facts = SentenceFacts.model_validate(answer(), context=CONTEXT)
    assert facts.events[0].against[0].name == "civilians"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source": "Reuters"}, "source 'Reuters' does not appear in the article"),
        ({"actors": [{"name": "Free Syrian Army", "type": "rebel group"}]}, "actor name"),
        (
            {"figures": [{"text": "100 soldiers", "category": "killed", "event": None}]},
            "is not in the sentence",
        ),
        (
            {"figures": [{"text": "civilians", "category": "killed", "event": None}]},
            "holds no count",
        ),
        (
            {"figures": [{"text": "at least 40 civilians", "category": "killed", "event": 2}]},
            "there are 1 events",
        ),
        ({"events": [{"summary": "x", "status": "maybe", "type": "Armed clash"}]}, "status"),
        ({"events": [{"summary": "xyz", "status": "happened", "type": "Bombing"}]}, "type"),
        ({"colour": "red"}, "Extra inputs"),
    ],
)
def test_ungrounded_or_malformed_answers_are_rejected(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        SentenceFacts.model_validate(answer(**change), context=CONTEXT)


def test_salvage_keeps_what_validates_and_names_the_rest() -> None:
    raw = answer(
        source="Reuters",
        figures=[
            {"text": "at least 40 civilians", "category": "killed", "event": 3},
            {"text": "100 soldiers", "category": "killed", "event": None},
        ],
        actors=[
            {"name": "Observatory", "type": "monitor/media"},
            {"name": "Free Syrian Army", "type": "rebel group"},
        ],
    )
    raw["events"][0]["by"] = [{"name": "Syrian Arab Army", "type": "state forces"}]  # type: ignore[index]
    facts, dropped = salvage(raw, CONTEXT)
    assert [a.name for a in facts.actors] == ["Observatory"]
    assert [f.text for f in facts.figures] == ["at least 40 civilians"]
    assert facts.figures[0].event is None
    assert facts.source is None
    assert len(facts.events) == 1 and facts.events[0].by == []
    assert len(dropped) == 5
    assert any("Syrian Arab Army" in reason for reason in dropped)
