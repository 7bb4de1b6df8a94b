"""Storing a successful run's records, with actor resolution, in one transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from service.extraction.records import ArticleExtraction
from service.resolution.actors import ActorResolver
from service.store.actor_links import KnownActors, link_run_actors
from service.store.runs import Accounting, Claim, account, held_run, release
from service.store.tables import Actor, Event, EventActor, Figure, RunStatus
from service.store.views import lock_cross_article, refresh_article

DROPPED_DETAIL_CHARS = 500


@dataclass(frozen=True, slots=True)
class RunResult:
    extraction: ArticleExtraction
    cost: Accounting


class RecordWrites:
    engine: Engine
    resolver: ActorResolver
    known_actors: KnownActors

    def finish_run(self, claim: Claim, result: RunResult) -> None:
        """Store every record of a successful run and mark it succeeded, in one transaction;
        ``LeaseLostError`` (nothing stored) when the run is no longer this claim's."""
        extraction = result.extraction
        run_id = claim.run_id
        with Session(self.engine) as session:
            # Cross-article lock first, the run's row second: the row (which the heartbeat
            # renews) stays locked only while this transaction runs, not while it queues.
            lock_cross_article(session)
            run = held_run(session, claim)
            article_id = run.article_id
            actors = [
                Actor(run_id=run_id, article_id=article_id, **a.model_dump(mode="json"))
                for a in extraction.actors
            ]
            session.add_all(actors)
            session.flush()
            link_run_actors(session, run_id, self.resolver, self.known_actors)
            events = []
            for record in extraction.events:
                data = record.model_dump(exclude={"actors"})
                data["event_type"] = record.event_type.value
                data["sub_event_type"] = record.sub_event_type.value
                data["date_precision"] = record.date_precision.value
                events.append(Event(run_id=run_id, article_id=article_id, **data))
            session.add_all(events)
            session.flush()
            for record, event in zip(extraction.events, events, strict=True):
                for ref in record.actors:
                    session.add(
                        EventActor(
                            event_id=event.id,  # type: ignore[arg-type]
                            actor_id=actors[ref.actor].id,  # type: ignore[arg-type]
                            role=ref.role.value,
                            confidence=ref.confidence,
                            model_probability=ref.model_probability,
                        )
                    )
            for figure in extraction.figures:
                data = figure.model_dump(mode="json", exclude={"event"})
                session.add(
                    Figure(
                        run_id=run_id,
                        article_id=article_id,
                        event_id=events[figure.event].id if figure.event is not None else None,
                        **data,
                    )
                )
            account(run, result.cost)
            run.status = RunStatus.SUCCEEDED
            release(run)
            run.error = None
            run.reason = None
            run.dropped = len(extraction.dropped)
            # A reason is enough to see what was dropped; whole model answers stay out of it.
            run.dropped_detail = json.dumps(
                [
                    d.model_dump(mode="json") | {"reason": d.reason[:DROPPED_DETAIL_CHARS]}
                    for d in extraction.dropped
                ]
            )
            session.add(run)
            session.flush()
            refresh_article(session, article_id)
            session.commit()
