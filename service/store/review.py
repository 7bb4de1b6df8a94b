"""Human review of events and figures: corrections stored beside the model's values, and
verdicts.

A correction never overwrites the run's row: it is a ``ReviewEntry`` of the record's stable id
(who, when, field, old, new), applied when the record is read. Being keyed by the stable id, the
corrections and the verdict of a record carry over to a re-run that extracts it again; an
event's corrected sides name their actors, which map onto the re-run's actors of those names,
and a figure's corrected event_id names its event's stable id.
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
from service.store.read_models import EventRead, FigureRead
from service.store.review_reads import ACTOR_ROLE, ACTORS, VERDICT, dump, link_value, plain
from service.store.tables import (
    Actor,
    Event,
    Figure,
    ReviewEntry,
    StableRecord,
    Verdict,
    utcnow,
)

# One change: field, subject, old, new.
Change = tuple[str, str | None, Any, Any]


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

    def _reviewable(
        self, session: Session, table: type[Event] | type[Figure], row_id: int
    ) -> StableRecord:
        kind = "event" if table is Event else "figure"
        row: Event | Figure | None = session.get(table, row_id)  # type: ignore[assignment]
        if row is None:
            raise NotFoundError(f"{kind} {row_id} does not exist")
        served = served_run(session, row.article_id)
        if row.run_id != served:
            raise NotFoundError(
                f"{kind} {row_id} is of run {row.run_id}, not of its article's current run "
                f"{served}: review the current {kind}s (GET /{kind}s?article_id="
                f"{row.article_id})"
            )
        record = session.exec(
            select(StableRecord).where(StableRecord.id == row.stable_id).with_for_update()
        ).one()
        return record

    def _store(
        self,
        table: type[Event] | type[Figure],
        row_id: int,
        changes: list[Change],
        who: str,
        verdict: Verdict | None = None,
        note: str | None = None,
    ) -> None:
        """Each change (or the verdict) as a review entry of the record's stable id."""
        with Session(self.engine) as session:
            record = self._reviewable(session, table, row_id)
            now = utcnow()
            if verdict is not None:
                changes = [(VERDICT, None, record.verdict, verdict.value)]
                record.verdict = verdict.value
            for field, subject, old, new in changes:
                session.add(
                    ReviewEntry(
                        stable_id=record.id or 0,
                        field=field,
                        subject=subject,
                        old=dump(old),
                        new=dump(new),
                        note=note if field == VERDICT else None,
                        who=who,
                        at=now,
                    )
                )
            if changes:
                record.updated_at = now
                session.add(record)
            session.commit()

    def _sides(self, event: EventRead, sides: list[tuple[int, str]]) -> list[dict[str, Any]]:
        """Corrected sides as stored: each actor must be one of the event's run."""
        with Session(self.engine) as session:
            row = session.get(Event, event.id)
            assert row is not None
            actors = {
                a.id: a for a in session.exec(select(Actor).where(Actor.run_id == row.run_id)).all()
            }
        listed = ", ".join(f"{i} ({a.name!r})" for i, a in actors.items()) or "none"
        links: list[dict[str, Any]] = []
        for actor_id, role in sides:
            actor = actors.get(actor_id)
            if actor is None:
                raise BadRequestError(
                    f"actors: actor {actor_id} is not an actor of event {event.id}'s article "
                    f"(its run {row.run_id}); its actors: {listed}",
                    field="actors",
                )
            link = {"actor_id": actor_id, "name": actor.name, "role": role}
            if link in links:
                raise BadRequestError(
                    f"actors: actor {actor_id} is listed twice as {role!r}", field="actors"
                )
            links.append(link)
        return links

    def correct_event(
        self,
        event_id: int,
        changes: Mapping[str, Any],
        actor_roles: Mapping[str, str],
        who: str,
        sides: list[tuple[int, str]] | None = None,
    ) -> EventRead:
        """Store each change that differs from the event's value as it reads now; a 400 for
        a sub-event type of another event type or an actor the event does not have.
        ``sides``: the event's corrected sides (actor id, role), replacing its links."""
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
        entries: list[Change] = []
        for field, new in fields.items():
            old = plain(getattr(current, field))
            if plain(new) != old:
                entries.append((field, None, old, new))
        if sides is not None:
            links = self._sides(current, sides)
            old_links = [link_value(a) for a in current.actors]
            if _names(links) != _names(old_links):
                entries.append((ACTORS, None, old_links, links))
        for name, role in actor_roles.items():
            actor = names[name.casefold()]
            if actor.role != role:
                entries.append((ACTOR_ROLE, actor.name, actor.role, role))
        self._store(Event, event_id, entries, who)
        return self.get_event(event_id)

    def set_verdict(self, event_id: int, verdict: Verdict, note: str | None, who: str) -> EventRead:
        self._store(Event, event_id, [], who, verdict, note)
        return self.get_event(event_id)

    def get_figure(self, figure_id: int) -> FigureRead:
        """One figure of any run, as reviewers left it."""
        found = self.figures_by_id([figure_id])
        if figure_id not in found:
            raise NotFoundError(f"figure {figure_id} does not exist")
        return found[figure_id]

    def correct_figure(self, figure_id: int, changes: Mapping[str, Any], who: str) -> FigureRead:
        """Store each change that differs from the figure's value as it reads now; a 400 for
        low above high or an event_id that is not an event of the figure's run."""
        current = self.get_figure(figure_id)
        low = changes.get("low", current.low)
        high = changes.get("high", current.high)
        if low is not None and high is not None and low > high:
            field = "low" if "low" in changes else "high"
            raise BadRequestError(f"{field}: low {low} is above high {high}", field=field)
        entries: list[Change] = []
        for field, new in changes.items():
            old = getattr(current, field)
            if new == old:
                continue
            subject = None
            if field == "event_id" and new is not None:
                subject = str(self._event_of_run(current, new))
            entries.append((field, subject, old, new))
        self._store(Figure, figure_id, entries, who)
        return self.get_figure(figure_id)

    def set_figure_verdict(
        self, figure_id: int, verdict: Verdict, note: str | None, who: str
    ) -> FigureRead:
        self._store(Figure, figure_id, [], who, verdict, note)
        return self.get_figure(figure_id)

    def _event_of_run(self, figure: FigureRead, event_id: int) -> int:
        """The stable id of ``event_id``, which must be an event of the figure's run."""
        with Session(self.engine) as session:
            row = session.get(Figure, figure.id)
            event = session.get(Event, event_id)
            assert row is not None
            if event is None or event.run_id != row.run_id:
                raise BadRequestError(
                    f"event_id: event {event_id} is not an event of figure {figure.id}'s run "
                    f"{row.run_id} (GET /events?run_id={row.run_id})",
                    field="event_id",
                )
            return event.stable_id


def _names(links: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((str(link["name"]).casefold(), str(link["role"])) for link in links)
