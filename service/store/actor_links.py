"""Persisted actor resolution: every actor mention of a successful run is linked to a canonical
actor, in the run's own transaction, against every canonical actor stored before it. Canonical
ids are therefore stable: a new article can join an actor, never renumber one."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from service.resolution.actors import ActorResolver, Mention, ResolvedActor, normalise
from service.store.tables import Actor, ActorLink, CanonicalActor, ExtractionRun, RunStatus
from service.store.views import lock_cross_article


@dataclass
class KnownActors:
    """Canonical actors with every name linked to them, as of the highest canonical and actor
    ids read. Read incrementally: runs store actors and links under the cross-article lock
    (service/store/views.py), so ids grow in commit order and a later read only needs the rows
    above them. Only database reads change it, so a rolled-back run leaves nothing behind."""

    actors: dict[int, ResolvedActor] = field(default_factory=dict)
    last_canonical: int = 0
    last_actor: int = 0

    def refresh(self, session: Session) -> list[ResolvedActor]:
        """Read what was stored since; a copy of every known actor for the resolver to
        update in place."""
        for row in session.exec(
            select(CanonicalActor)
            .where(col(CanonicalActor.id) > self.last_canonical)
            .order_by(col(CanonicalActor.id))
        ).all():
            assert row.id is not None
            self.actors[row.id] = ResolvedActor(
                name=row.name,
                actor_type=row.actor_type,
                curated=row.curated,
                id=row.id,
                article_id=row.article_id,
            )
            self.last_canonical = row.id
        for canonical_id, actor_id, name in session.exec(
            select(ActorLink.canonical_id, Actor.id, Actor.name)
            .join(Actor, col(Actor.id) == col(ActorLink.actor_id))
            .where(col(Actor.id) > self.last_actor)
        ).all():
            self.actors[canonical_id].keys.add(normalise(name))
            self.actors[canonical_id].aliases.add(name)
            self.last_actor = max(self.last_actor, actor_id or 0)
        return [
            dataclasses.replace(
                a, keys=set(a.keys), aliases=set(a.aliases), mention_ids=[], methods={}
            )
            for a in self.actors.values()
        ]


def link_run_actors(
    session: Session, run_id: int, resolver: ActorResolver, known: KnownActors | None = None
) -> None:
    """Link the run's unlinked mentions; the caller holds the cross-article lock and commits.
    ``known``: the canonical actors read so far (a fresh read without it)."""
    rows = session.exec(
        select(Actor)
        .outerjoin(ActorLink, col(ActorLink.actor_id) == col(Actor.id))
        .where(Actor.run_id == run_id, col(ActorLink.actor_id).is_(None))
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
    for actor in resolver.resolve(mentions, (known or KnownActors()).refresh(session)):
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
