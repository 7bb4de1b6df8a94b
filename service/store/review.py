"""Human review of events: corrections stored beside the model's values, and verdicts.

A correction never overwrites the run's row: it is a ``ReviewEntry`` of the event's stable id
(who, when, field, old, new), applied when the event is read. Being keyed by the stable id, the
corrections and the verdict of an event carry over to a re-run that extracts it again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from service.errors import BadRequestError, NotFoundError
from service.extraction.taxonomy import EVENT_TYPE_OF, EventType, SubEventType
from service.store.identity import served_run
from service.store.queries import Queries
from service.store.read_models import EventRead
from service.store.review_reads import ACTOR_ROLE, VERDICT, dump, plain
from service.store.tables import Event, ReviewEntry, StableRecord, Verdict, utcnow


def _check_types(event: EventRead, changes: dict[str, Any]) -> None:
    """The event type a sub-event type belongs to: set with it when not sent, else checked."""
    sub = changes.get("sub_event_type")
    if sub is not None and "event_type" not in changes:
        changes["event_type"] = EVENT_TYPE_OF[SubEventType(sub)].value
    event_type = changes.get("event_type", event.event_type)
    sub = changes.get("sub_event_type", event.sub_event_type)
    parent = EVENT_TYPE_OF[SubEventType(sub)].value
    if parent != event_type:
        allowed = sorted(s.value for s, t in EVENT_TYPE_OF.items() if t == EventType(event_type))
        raise BadRequestError(
            f"sub_event_type {sub!r} is a sub-type of {parent!r}, not of event_type "
            f"{event_type!r}; send with it a sub_event_type of {event_type!r}: "
            + ", ".join(allowed),
            field="sub_event_type",
        )


class ReviewWrites(Queries):
    engine: Engine

    def _reviewable(self, session: Session, event_id: int) -> tuple[Event, StableRecord]:
        event = session.get(Event, event_id)
        if event is None:
            raise NotFoundError(f"event {event_id} does not exist")
        served = served_run(session, event.article_id)
        if event.run_id != served:
            raise NotFoundError(
                f"event {event_id} is of run {event.run_id}, not of its article's current run "
                f"{served}: review the current events (GET /events?article_id="
                f"{event.article_id})"
            )
        record = session.exec(
            select(StableRecord).where(StableRecord.id == event.stable_id).with_for_update()
        ).one()
        return event, record

    def correct_event(
        self,
        event_id: int,
        changes: Mapping[str, Any],
        actor_roles: Mapping[str, str],
        who: str,
    ) -> EventRead:
        """Store each change that differs from the event's value as it reads now; a 400 for
        a sub-event type of another event type or an actor the event does not have."""
        current = self.get_event(event_id)
        fields = dict(changes)
        if "sub_event_type" in fields or "event_type" in fields:
            _check_types(current, fields)
        names = {a.name.casefold(): a for a in current.actors}
        for name in actor_roles:
            if name.casefold() not in names:
                listed = ", ".join(repr(a.name) for a in current.actors) or "none"
                raise BadRequestError(
                    f"actor_roles: event {event_id} has no actor named {name!r}; its actors: "
                    f"{listed}",
                    field="actor_roles",
                )
        with Session(self.engine) as session:
            _, record = self._reviewable(session, event_id)
            now = utcnow()
            entries: list[tuple[str, str | None, Any, Any]] = []
            for field, new in fields.items():
                old = plain(getattr(current, field))
                if plain(new) != old:
                    entries.append((field, None, old, new))
            for name, role in actor_roles.items():
                actor = names[name.casefold()]
                if actor.role != role:
                    entries.append((ACTOR_ROLE, actor.name, actor.role, role))
            for field, subject, old, new in entries:
                session.add(
                    ReviewEntry(
                        stable_id=record.id or 0,
                        field=field,
                        subject=subject,
                        old=dump(old),
                        new=dump(new),
                        who=who,
                        at=now,
                    )
                )
            if entries:
                record.updated_at = now
                session.add(record)
            session.commit()
        return self.get_event(event_id)

    def set_verdict(self, event_id: int, verdict: Verdict, note: str | None, who: str) -> EventRead:
        with Session(self.engine) as session:
            _, record = self._reviewable(session, event_id)
            now = utcnow()
            session.add(
                ReviewEntry(
                    stable_id=record.id or 0,
                    field=VERDICT,
                    old=dump(record.verdict),
                    new=dump(verdict.value),
                    note=note,
                    who=who,
                    at=now,
                )
            )
            record.verdict = verdict.value
            record.updated_at = now
            session.add(record)
            session.commit()
        return self.get_event(event_id)
