from __future__ import annotations

import pytest
from pydantic import ValidationError

from service.extraction.drafts import SentenceLabels, salvage_labels

CONTEXT = {
    "names": ["Jaysh al-Islam", "civilians", "Observatory"],
    "places": ["Douma"],
    "counts": ["at least 40 civilians"],
}


def answer(**overrides: object) -> dict[str, object]:
    value: dict[str, object] = {
        "source": 3,
        "events": [
            {
                "status": "happened",
                "type": "Shelling/artillery/missile attack",
                "by": [{"name": 1, "type": "rebel group"}],
                "against": [{"name": 2, "type": "civilians"}],
                "location": 1,
            }
        ],
        "figures": ["killed"],
    }
    value.update(overrides)
    return value


def test_a_consistent_answer_validates() -> None:
    labels = SentenceLabels.model_validate(answer(), context=CONTEXT)
    assert labels.events[0].by[0].name == 1
    assert labels.figures == ["killed"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source": 4}, "source 4 is not a listed name number; use 1 to 3"),
        (
            {"events": [{"status": "happened", "type": "Armed clash", "location": 2}]},
            "location 2 is not a listed place number; use 1 to 1",
        ),
        (
            {
                "events": [
                    {
                        "status": "happened",
                        "type": "Armed clash",
                        "by": [{"name": 0, "type": "rebel group"}],
                    }
                ]
            },
            "name 0 is not a listed name number",
        ),
        ({"figures": ["killed", "wounded"]}, "2 figure labels for 1 listed counts"),
        ({"figures": ["many"]}, "figures"),
        ({"events": [{"status": "maybe", "type": "Armed clash"}]}, "status"),
        ({"events": [{"status": "happened", "type": "Bombing"}]}, "type"),
        ({"colour": "red"}, "Extra inputs"),
    ],
)
def test_inconsistent_or_malformed_answers_are_rejected(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        SentenceLabels.model_validate(answer(**change), context=CONTEXT)


def test_salvage_keeps_what_validates_and_names_the_rest() -> None:
    raw = answer(
        source=7,
        figures=["killed", "wounded", "bogus"],
        events=[
            {
                "status": "happened",
                "type": "Air/drone strike",
                "by": [{"name": 9, "type": "state forces"}],
                "against": [{"name": 2, "type": "civilians"}],
                "location": 1,
            },
            {"status": "happened", "type": "Armed clash", "location": 5},
        ],
    )
    labels, dropped = salvage_labels(raw, CONTEXT)
    assert labels.source is None
    assert labels.figures == ["killed"]
    assert len(labels.events) == 1
    assert labels.events[0].by == [] and labels.events[0].against[0].name == 2
    assert len(dropped) == 4
    assert any("name 9" in reason for reason in dropped)
    assert any("location 5" in reason for reason in dropped)
