"""Storing a successful run's records, with actor resolution, in one transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from service.errors import NotFoundError
from service.extraction.records import ArticleExtraction
from service.identifiers import article_iso3
from service.resolution.actors import ActorResolver
from service.store.actor_links import KnownActors, link_run_actors
from service.store.actor_view import forget_actors
from service.store.identity import Identities, retire_article
from service.store.places import Geocoded, geocode_article, home_iso3, write_places
from service.store.runs import Accounting, Claim, account, held_run, release
from service.store.tables import (
    Actor,
    ActorLink,
    Article,
    ArticlePlace,
    CanonicalActor,
    Event,
    EventActor,
    EventPlace,
    ExtractionRun,
    Figure,
    ReviewEntry,
    RunStatus,
    StableRecord,
)
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
        # Geocoded before the cross-article lock is taken (the gazetteer may be opened here).
        with Session(self.engine) as session:
            text = session.exec(
                select(Article.text)
                .join(ExtractionRun, col(ExtractionRun.article_id) == col(Article.id))
                .where(ExtractionRun.id == run_id)
            ).first()
        found = (
            geocode_article(text, [e.location for e in extraction.events])
            if text is not None
            else None
        )
        with Session(self.engine) as session:
            # Cross-article lock first, the run's row second: the row (which the heartbeat
            # renews) stays locked only while this transaction runs, not while it queues.
            lock_cross_article(session)
            run = held_run(session, claim)
            article_id = run.article_id
            article = session.get(Article, article_id)
            assert article is not None
            identities = Identities(
                session, run_id, article_id, _home_iso3(found) or article_iso3(article.text)
            )
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
            identities.assign_events(events, _event_iso3s(found, len(events)))
            session.add_all(events)
            session.flush()
            identities.set_origins(events)
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
            figures = [
                Figure(
                    run_id=run_id,
                    article_id=article_id,
                    event_id=events[figure.event].id if figure.event is not None else None,
                    **figure.model_dump(mode="json", exclude={"event"}),
                )
                for figure in extraction.figures
            ]
            identities.assign_figures(figures)
            session.add_all(figures)
            session.flush()
            identities.set_origins(figures)
            if found is not None:
                write_places(session, article_id, run_id, events, found)
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

    def delete_article(self, article_id: int) -> None:
        """Remove the article, its runs, records and actor links, and its share of the
        cross-article views (the clusters, campaigns and figure groups it was in are
        re-clustered without it), in one transaction. Canonical actors other articles may
        name stay; generic descriptions kept to this article go with it. A worker still
        running one of its runs loses its lease and writes nothing."""
        with Session(self.engine) as session:
            lock_cross_article(session)
            article = session.exec(
                select(Article).where(Article.id == article_id).with_for_update()
            ).first()
            if article is None:
                raise NotFoundError(f"article {article_id} does not exist")
            refresh_article(session, article_id, removed=True)
            retire_article(session, article_id)
            session.execute(
                delete(ReviewEntry).where(
                    col(ReviewEntry.stable_id).in_(
                        select(StableRecord.id).where(StableRecord.article_id == article_id)
                    )
                )
            )
            actors = select(Actor.id).where(Actor.article_id == article_id)
            events = select(Event.id).where(Event.article_id == article_id)
            generic = select(CanonicalActor.id).where(CanonicalActor.article_id == article_id)
            generic_ids = [i for i in session.exec(generic).all() if i is not None]
            session.execute(delete(ActorLink).where(col(ActorLink.actor_id).in_(actors)))
            session.execute(delete(ActorLink).where(col(ActorLink.canonical_id).in_(generic)))
            forget_actors(session, generic_ids)
            session.execute(delete(EventPlace).where(col(EventPlace.article_id) == article_id))
            session.execute(delete(ArticlePlace).where(col(ArticlePlace.article_id) == article_id))
            session.execute(delete(EventActor).where(col(EventActor.event_id).in_(events)))
            session.execute(delete(EventActor).where(col(EventActor.actor_id).in_(actors)))
            session.execute(delete(Figure).where(col(Figure.article_id) == article_id))
            session.execute(delete(Event).where(col(Event.article_id) == article_id))
            session.execute(delete(Actor).where(col(Actor.article_id) == article_id))
            session.execute(
                delete(CanonicalActor).where(col(CanonicalActor.article_id) == article_id)
            )
            session.execute(
                delete(ExtractionRun).where(col(ExtractionRun.article_id) == article_id)
            )
            session.execute(delete(Article).where(col(Article.id) == article_id))
            session.commit()
        for canonical_id in generic_ids:
            self.known_actors.actors.pop(canonical_id, None)


def _home_iso3(found: Geocoded | None) -> str | None:
    return home_iso3(found[0]) if found is not None else None


def _event_iso3s(found: Geocoded | None, count: int) -> list[str | None]:
    """Each event's country as geocoded (its ``event_id_cnty`` prefix), None where unknown."""
    if found is None:
        return [None] * count
    return [place.country_iso3 if place is not None else None for place in found[1]]
