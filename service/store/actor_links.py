"""Persisted actor resolution: every actor mention of a successful run is linked to a canonical
actor, in the run's own transaction, against every canonical actor stored before it. Canonical
ids are therefore stable: a new article can join an actor, never renumber one."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from service.resolution.actors import ActorResolver, Mention, ResolvedActor, normalise
from service.store.tables import Actor, ActorLink, CanonicalActor, ExtractionRun, RunStatus
from service.store.views import lock_cross_article


def _known(session: Session) -> list[ResolvedActor]:
    known: dict[int, ResolvedActor] = {}
    for row in session.exec(select(CanonicalActor).order_by(col(CanonicalActor.id))).all():
        assert row.id is not None
        known[row.id] = ResolvedActor(
            name=row.name,
            actor_type=row.actor_type,
            curated=row.curated,
            id=row.id,
            article_id=row.article_id,
        )
    names = session.exec(
        select(ActorLink.canonical_id, Actor.name)
        .join(Actor, col(Actor.id) == col(ActorLink.actor_id))
        .distinct()
    ).all()
    for canonical_id, name in names:
        known[canonical_id].keys.add(normalise(name))
        known[canonical_id].aliases.add(name)
    return list(known.values())


def link_run_actors(session: Session, run_id: int, resolver: ActorResolver) -> None:
    """Link the run's unlinked mentions; the caller commits."""
    linked = select(ActorLink.actor_id)
    rows = session.exec(
        select(Actor).where(Actor.run_id == run_id, col(Actor.id).not_in(linked))
    ).all()
    if not rows:
        return
    mentions = [
        Mention(
            id=row.id or 0,
            article_id=row.article_id,
            name=row.name,
            actor_type=row.actor_type,
            position=row.start,
        )
        for row in rows
    ]
    for actor in resolver.resolve(mentions, _known(session)):
        if not actor.methods:
            continue
        if actor.id is None:
            row = CanonicalActor(
                name=actor.name,
                actor_type=actor.actor_type,
                curated=actor.curated,
                article_id=actor.article_id,
            )
            session.add(row)
            session.flush()
            actor.id = row.id
        assert actor.id is not None
        session.add_all(
            ActorLink(actor_id=mention_id, canonical_id=actor.id, method=method)
            for mention_id, method in actor.methods.items()
        )
    session.flush()


def link_unlinked(engine: Engine, resolver: ActorResolver) -> int:
    """Link the mentions of successful runs stored before resolution existed (or by an older
    version); oldest run first, one transaction per run. Returns the runs linked."""
    with Session(engine) as session:
        run_ids = session.exec(
            select(Actor.run_id)
            .join(ExtractionRun, col(ExtractionRun.id) == col(Actor.run_id))
            .where(
                ExtractionRun.status == RunStatus.SUCCEEDED,
                col(Actor.id).not_in(select(ActorLink.actor_id)),
            )
            .distinct()
            .order_by(col(Actor.run_id))
        ).all()
    for run_id in run_ids:
        with Session(engine) as session:
            lock_cross_article(session)
            link_run_actors(session, run_id, resolver)
            session.commit()
    return len(run_ids)
