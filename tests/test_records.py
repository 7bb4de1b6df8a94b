from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from service.extraction.records import (
    ActorRecord,
    ActorRef,
    ArticleExtraction,
    EventRecord,
    FigureRecord,
)
from service.extraction.taxonomy import (
    EVENT_TYPE_OF,
    ActorRole,
    ActorType,
    DatePrecision,
    EventType,
    FigureCategory,
    Qualifier,
    SubEventType,
)

TEXT = "Rebels shelled Damascus on Friday, killing at least four people."


def event(**overrides: object) -> EventRecord:
    values: dict[str, object] = {
        "event_type": EventType.EXPLOSIONS_REMOTE_VIOLENCE,
        "sub_event_type": SubEventType.SHELLING_ARTILLERY_MISSILE,
        "summary": "Rebels shelled Damascus.",
        "sentence": 1,
        "evidence": TEXT,
        "start": 0,
        "end": len(TEXT),
    }
    values.update(overrides)
    return EventRecord.model_validate(values, context={"text": TEXT})


def test_taxonomy_has_six_types_and_twenty_five_sub_types() -> None:
    assert len(EventType) == 6 and len(SubEventType) == 25
    assert set(EVENT_TYPE_OF.values()) == set(EventType)


def test_event_type_pair_is_validated() -> None:
    assert event().event_type is EventType.EXPLOSIONS_REMOTE_VIOLENCE
    with pytest.raises(ValidationError, match="belongs to 'Explosions/Remote violence'"):
        event(event_type=EventType.BATTLES)


def test_evidence_must_be_the_slice_of_the_text() -> None:
    with pytest.raises(ValidationError, match="not the evidence"):
        event(start=1)
    with pytest.raises(ValidationError, match="is empty"):
        event(start=5, end=5)


def test_strict_and_closed() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        event(colour="red")
    with pytest.raises(ValidationError):
        EventRecord.model_validate(
            {**event().model_dump(), "sentence": "1"}, context={"text": TEXT}
        )


def test_date_and_precision_go_together() -> None:
    dated = event(date=dt.date(2018, 4, 6), date_precision=DatePrecision.DAY)
    assert dated.date == dt.date(2018, 4, 6)
    with pytest.raises(ValidationError, match="date_precision"):
        event(date=dt.date(2018, 4, 6))
    with pytest.raises(ValidationError, match="date_precision"):
        event(date_precision=DatePrecision.DAY)


def figure(**overrides: object) -> FigureRecord:
    start = TEXT.index("at least")
    values: dict[str, object] = {
        "category": FigureCategory.KILLED,
        "low": 4,
        "qualifier": Qualifier.AT_LEAST,
        "evidence": "at least four people",
        "start": start,
        "end": start + len("at least four people"),
    }
    values.update(overrides)
    return FigureRecord.model_validate(values, context={"text": TEXT})


def test_figure_interval() -> None:
    assert figure().high is None
    with pytest.raises(ValidationError, match="needs a low or a high"):
        figure(low=None)
    with pytest.raises(ValidationError, match="above high"):
        figure(low=5, high=4)
    with pytest.raises(ValidationError):
        figure(low=-1)


def test_extraction_references_must_exist() -> None:
    actor = ActorRecord(
        name="Rebels", actor_type=ActorType.REBEL_GROUP, evidence="Rebels", start=0, end=6
    )
    linked = event(actors=[ActorRef(actor=0, role=ActorRole.PERPETRATOR)])
    ArticleExtraction(actors=[actor], events=[linked], figures=[figure(event=0)])
    with pytest.raises(ValidationError, match="actor 0, which does not exist"):
        ArticleExtraction(events=[linked])
    with pytest.raises(ValidationError, match="event 0, which does not exist"):
        ArticleExtraction(figures=[figure(event=0)])
