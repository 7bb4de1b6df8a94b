from __future__ import annotations

import pytest
from pydantic import ValidationError

from service.extraction.drafts import (
    SentenceAnswer,
    SentenceLabels,
    actor_type_schema,
    answer_schema,
    salvage_answer,
    salvage_labels,
)
from service.extraction.taxonomy import SUB_EVENT_LABELS, ActorType, Factuality, SubEventType

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


def test_the_v2_grammar_admits_only_listed_numbers_and_one_label_per_count() -> None:
    schema = answer_schema(names=3, places=1, counts=2)
    properties = schema["properties"]
    assert list(properties) == ["source", "events", "figures"]
    assert properties["source"] == {"enum": [1, 2, 3, None]}
    event = properties["events"]["items"]["properties"]
    assert event["by"]["items"] == {"enum": [1, 2, 3]} and event["by"]["maxItems"] == 3
    assert event["location"] == {"enum": [1, None]}
    assert (properties["figures"]["minItems"], properties["figures"]["maxItems"]) == (2, 2)
    assert schema["additionalProperties"] is False and schema["required"] == list(properties)


def test_the_v2_grammar_leaves_out_what_a_sentence_cannot_fill() -> None:
    schema = answer_schema(names=0, places=0, counts=0)
    assert list(schema["properties"]) == ["events"]
    assert list(schema["properties"]["events"]["items"]["properties"]) == ["status", "type"]
    # the defaults of the fields left out hold
    assert SentenceAnswer.model_validate({"events": []}, context=CONTEXT) == SentenceAnswer()


def test_a_v2_answer_points_with_bare_numbers() -> None:
    raw = {
        "source": 3,
        "events": [{"status": "happened", "type": "Attack", "by": [1], "against": [2]}],
        "figures": ["killed"],
    }
    parsed = SentenceAnswer.model_validate(raw, context=CONTEXT)
    assert (parsed.events[0].by, parsed.events[0].against, parsed.source) == ([1], [2], 3)
    with pytest.raises(ValidationError, match="name 4 is not a listed name number"):
        SentenceAnswer.model_validate(
            {**raw, "events": [{**raw["events"][0], "by": [4]}]}, context=CONTEXT
        )  # type: ignore[dict-item]


def test_v2_salvage_keeps_listed_numbers_and_names_the_rest() -> None:
    raw = {
        "source": 9,
        "events": [{"status": "happened", "type": "Attack", "by": [1, 7], "location": 1}],
        "figures": ["killed", "wounded"],
    }
    kept, dropped = salvage_answer(raw, CONTEXT)
    assert kept.source is None and kept.events[0].by == [1] and kept.figures == ["killed"]
    assert len(dropped) == 3, dropped


def test_the_actor_type_grammar_is_the_closed_list() -> None:
    assert actor_type_schema()["properties"]["type"]["enum"] == [t.value for t in ActorType]


def test_a_v4_row_reads_as_an_event_with_its_full_sub_event_type() -> None:
    raw = {"source": 3, "events": [["happened", "shelling", [1], [2], 1]], "figures": ["killed"]}
    parsed = SentenceAnswer.model_validate(raw, context=CONTEXT)
    event = parsed.events[0]
    assert event.type is SubEventType.SHELLING_ARTILLERY_MISSILE
    assert (event.status, event.by, event.against, event.location) == ("happened", [1], [2], 1)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["happened", "shelling", [1], [2]], "an event row has 5 items"),
        (["happened", "bombardment", [1], [2], 1], "type"),
        (["happened", "attack", [4], [], None], "name 4 is not a listed name number"),
        (["happened", "attack", [], [], 2], "location 2 is not a listed place number"),
    ],
)
def test_a_malformed_v4_row_is_rejected_with_what_to_fix(row: list[object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SentenceAnswer.model_validate({"events": [row]}, context=CONTEXT)


def test_every_sub_event_type_has_one_short_label() -> None:
    assert sorted(SUB_EVENT_LABELS.values()) == sorted(SubEventType)
    assert len(set(SUB_EVENT_LABELS)) == len(SubEventType)


def test_the_v4_grammar_is_a_row_per_event_with_short_labels() -> None:
    schema = answer_schema(names=3, places=1, counts=1, rows=True)
    row = schema["properties"]["events"]["items"]
    assert (row["type"], row["minItems"], row["maxItems"]) == ("array", 5, 5)
    status, type_, by, against, location = row["prefixItems"]
    assert status["enum"] == [f.value for f in Factuality]
    assert type_["enum"] == list(SUB_EVENT_LABELS) and "shelling" in type_["enum"]
    assert by == against == {"type": "array", "items": {"enum": [1, 2, 3]}, "maxItems": 3}
    assert location == {"enum": [1, None]}
    # nothing listed: the slots stay, empty
    empty = answer_schema(names=0, places=0, counts=0, rows=True)
    _, _, by, against, location = empty["properties"]["events"]["items"]["prefixItems"]
    assert by == against == {"type": "array", "maxItems": 0} and location == {"type": "null"}


def test_v4_salvage_reads_rows() -> None:
    raw = {"events": [["happened", "attack", [1, 7], [], 1], ["happened", "nonsense", [], [], 1]]}
    kept, dropped = salvage_answer(raw, CONTEXT)
    assert [e.by for e in kept.events] == [[1]]
    assert len(dropped) == 2, dropped
