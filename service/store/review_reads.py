"""Reading events and figures as reviewers left them: corrections applied over the model's
values (which stay on the run's rows), the latest verdict, and the review filter of lists and
exports."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from service.store.filters import ReviewFilter
from service.store.read_models import (
    CorrectionRead,
    EventActorRead,
    EventRead,
    FigureRead,
    ReviewState,
    VerdictRead,
)
from service.store.tables import ReviewEntry, StableRecord, Verdict, as_utc

VERDICT = "verdict"
ACTOR_ROLE = "actor_role"
# An event's sides as a whole: old and new are lists of {actor_id, name, role}; applied by the
# actors' names, so that they map onto the actors of a re-run.
ACTORS = "actors"
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
# The figure fields a reviewer may correct. An event_id correction's subject is the stable id of
# the event, which maps it onto the same event of a re-run.
FIGURE_CORRECTABLE = (
    "category",
    "low",
    "high",
    "qualifier",
    "population",
    "reported_by",
    "event_id",
)
FIGURE_NOT_NULL = {"category", "qualifier"}


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


def _correction(entry: ReviewEntry) -> CorrectionRead:
    return CorrectionRead(
        field=entry.field,
        actor=entry.subject if entry.field == ACTOR_ROLE else None,
        old=_load(entry.old),
        new=_load(entry.new),
        who=entry.who,
        at=as_utc(entry.at),
    )


def _verdict(entry: ReviewEntry) -> VerdictRead:
    return VerdictRead(
        verdict=_load(entry.new), note=entry.note, who=entry.who, at=as_utc(entry.at)
    )


def link_value(actor: EventActorRead) -> dict[str, Any]:
    """An event's side as an ACTORS entry stores it."""
    return {"actor_id": actor.actor_id, "name": actor.name, "role": actor.role}


def _sides(
    links: list[dict[str, Any]], run_actors: dict[str, EventActorRead]
) -> list[EventActorRead] | None:
    """The corrected sides over the actors of the event's run, found by name; None when one of
    them is not an actor of that run (a re-run that no longer names it: the model's stay)."""
    sides: list[EventActorRead] = []
    for link in links:
        actor = run_actors.get(str(link["name"]).casefold())
        if actor is None:
            return None
        sides.append(
            actor.model_copy(
                update={"role": link["role"], "confidence": None, "model_probability": None}
            )
        )
    return sides


def reviewed(
    event: EventRead,
    entries: list[ReviewEntry],
    run_actors: dict[str, EventActorRead] | None = None,
) -> EventRead:
    """The event as reviewers left it: corrected values, the model's beside them, verdict.
    ``run_actors``: the actors of the event's run by folded name (for an ACTORS correction)."""
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
            verdict = _verdict(entry)
            continue
        corrections.append(_correction(entry))
        if entry.field == ACTOR_ROLE:
            for actor in actors:
                if entry.subject is not None and actor.name.casefold() == entry.subject.casefold():
                    actor.model_role = actor.model_role or actor.role
                    actor.role = new
        elif entry.field == ACTORS:
            sides = _sides(new or [], run_actors or {})
            if sides is not None:
                model_values.setdefault(ACTORS, [link_value(a) for a in event.actors])
                actors = sides
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


def reviewed_figure(
    figure: FigureRead, entries: list[ReviewEntry], events: dict[int, int] | None = None
) -> FigureRead:
    """The figure as reviewers left it. ``events``: the event ids of the figure's run by stable
    id, onto which an event_id correction maps (one whose event is gone leaves the model's)."""
    if not entries:
        return figure
    update: dict[str, Any] = {}
    model_values: dict[str, Any] = {}
    corrections: list[CorrectionRead] = []
    verdict: VerdictRead | None = None
    for entry in entries:
        new = _load(entry.new)
        if entry.field == VERDICT:
            verdict = _verdict(entry)
            continue
        corrections.append(_correction(entry))
        if entry.field == "event_id" and entry.subject is not None:
            mapped = (events or {}).get(int(entry.subject))
            if mapped is None:
                continue
            new = mapped
        if entry.field in FIGURE_CORRECTABLE:
            model_values.setdefault(entry.field, getattr(figure, entry.field))
            update[entry.field] = new
    review = ReviewState(verdict.verdict.value) if verdict else ReviewState.UNREVIEWED
    return figure.model_copy(
        update=update
        | {
            "model_values": model_values,
            "corrections": corrections,
            "verdict": verdict,
            "review": review,
        }
    )


def plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value
