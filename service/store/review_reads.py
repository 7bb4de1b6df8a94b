"""Reading events as reviewers left them: corrections applied over the model's values (which
stay on the run's rows), the latest verdict, and the review filter of lists and exports."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from service.store.filters import ReviewFilter
from service.store.read_models import CorrectionRead, EventRead, ReviewState, VerdictRead
from service.store.tables import ReviewEntry, StableRecord, Verdict, as_utc

VERDICT = "verdict"
ACTOR_ROLE = "actor_role"
# The event fields a reviewer may correct (actor roles are ACTOR_ROLE entries).
CORRECTABLE = (
    "event_type",
    "sub_event_type",
    "summary",
    "location",
    "date",
    "date_precision",
    "reported_by",
)
NOT_NULL = {"event_type", "sub_event_type", "summary", "date_precision"}


def review_clause(stmt: Any, review: ReviewFilter) -> Any:
    """``stmt`` (joined to StableRecord) narrowed to the events of this review state."""
    verdict = col(StableRecord.verdict)
    if review is ReviewFilter.CONFIRMED:
        return stmt.where(verdict == Verdict.CONFIRMED.value)
    if review is ReviewFilter.REJECTED:
        return stmt.where(verdict == Verdict.REJECTED.value)
    if review is ReviewFilter.UNREVIEWED:
        return stmt.where(verdict.is_(None))
    if review is ReviewFilter.NOT_REJECTED:
        return stmt.where(or_(verdict.is_(None), verdict != Verdict.REJECTED.value))
    return stmt


def entries_of(session: Session, stable_ids: list[int]) -> dict[int, list[ReviewEntry]]:
    found: dict[int, list[ReviewEntry]] = {}
    if stable_ids:
        for entry in session.exec(
            select(ReviewEntry)
            .where(col(ReviewEntry.stable_id).in_(stable_ids))
            .order_by(col(ReviewEntry.id))
        ).all():
            found.setdefault(entry.stable_id, []).append(entry)
    return found


def _load(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def dump(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        value = value.isoformat()
    return json.dumps(value)


def _typed(field: str, value: Any) -> Any:
    return dt.date.fromisoformat(value) if field == "date" and value is not None else value


def reviewed(event: EventRead, entries: list[ReviewEntry]) -> EventRead:
    """The event as reviewers left it: corrected values, the model's beside them, verdict."""
    if not entries:
        return event
    update: dict[str, Any] = {}
    model_values: dict[str, Any] = {}
    actors = [a.model_copy() for a in event.actors]
    corrections: list[CorrectionRead] = []
    verdict: VerdictRead | None = None
    for entry in entries:
        new = _load(entry.new)
        if entry.field == VERDICT:
            verdict = VerdictRead(verdict=new, note=entry.note, who=entry.who, at=as_utc(entry.at))
            continue
        corrections.append(
            CorrectionRead(
                field=entry.field,
                actor=entry.subject,
                old=_load(entry.old),
                new=new,
                who=entry.who,
                at=as_utc(entry.at),
            )
        )
        if entry.field == ACTOR_ROLE:
            for actor in actors:
                if entry.subject is not None and actor.name.casefold() == entry.subject.casefold():
                    actor.model_role = actor.model_role or actor.role
                    actor.role = new
        elif entry.field in CORRECTABLE:
            model_values.setdefault(entry.field, plain(getattr(event, entry.field)))
            update[entry.field] = _typed(entry.field, new)
    review = ReviewState(verdict.verdict.value) if verdict else ReviewState.UNREVIEWED
    return event.model_copy(
        update=update
        | {
            "actors": actors,
            "model_values": model_values,
            "corrections": corrections,
            "verdict": verdict,
            "review": review,
        }
    )


def plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
