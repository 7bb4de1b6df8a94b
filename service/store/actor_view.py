"""Canonical actors as GET /actors lists them, maintained in tables (``actormention``,
``actorview``) in the transaction that stores a run or deletes an article, so a page is an
indexed read instead of an aggregate of every current mention.

``actormention``: each article's current mentions, counted by canonical actor and name (the
aliases); ``actorview``: each canonical actor's totals over them. Writers hold the
cross-article lock (service/store/views.py)."""

from __future__ import annotations

from sqlalchemy import delete, func, insert
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from service.store.tables import (
    Actor,
    ActorLink,
    ActorMentionView,
    ActorView,
    ExtractionRun,
    RunStatus,
)


def refresh_article_actors(session: Session, article_id: int, current: int | None) -> None:
    """Make the tables count the mentions of run ``current`` (none: nothing) for the article."""
    mentions = ActorMentionView.__table__  # type: ignore[attr-defined]
    named = select(ActorMentionView.canonical_id).where(ActorMentionView.article_id == article_id)
    affected = set(session.exec(named).all())
    session.execute(delete(mentions).where(mentions.c.article_id == article_id))
    if current is not None:
        session.execute(
            insert(mentions).from_select(
                ["canonical_id", "article_id", "name", "mention_count"],
                sa_select(
                    col(ActorLink.canonical_id),
                    col(Actor.article_id),
                    col(Actor.name),
                    func.count(),
                )
                .join(Actor, col(Actor.id) == col(ActorLink.actor_id))
                .where(col(Actor.run_id) == current)
                .group_by(col(ActorLink.canonical_id), col(Actor.article_id), col(Actor.name)),
            )
        )
        affected |= set(session.exec(named).all())
    _recount(session, affected)


def forget_actors(session: Session, canonical_ids: list[int]) -> None:
    """Drop canonical actors that are being deleted (generic ones of a deleted article)."""
    if canonical_ids:
        mentions = ActorMentionView.__table__  # type: ignore[attr-defined]
        totals = ActorView.__table__  # type: ignore[attr-defined]
        session.execute(delete(mentions).where(mentions.c.canonical_id.in_(canonical_ids)))
        session.execute(delete(totals).where(totals.c.canonical_id.in_(canonical_ids)))


def rebuild_actors(session: Session) -> None:
    """Fill both tables from every article's latest successful run at once."""
    mentions = ActorMentionView.__table__  # type: ignore[attr-defined]
    session.execute(delete(mentions))
    session.execute(delete(ActorView.__table__))  # type: ignore[attr-defined]
    current = (
        sa_select(func.max(ExtractionRun.id))
        .where(col(ExtractionRun.status) == RunStatus.SUCCEEDED)
        .group_by(col(ExtractionRun.article_id))
    )
    session.execute(
        insert(mentions).from_select(
            ["canonical_id", "article_id", "name", "mention_count"],
            sa_select(
                col(ActorLink.canonical_id), col(Actor.article_id), col(Actor.name), func.count()
            )
            .join(Actor, col(Actor.id) == col(ActorLink.actor_id))
            .where(col(Actor.run_id).in_(current))
            .group_by(col(ActorLink.canonical_id), col(Actor.article_id), col(Actor.name)),
        )
    )
    _recount(session, None)


def _recount(session: Session, canonical_ids: set[int] | None) -> None:
    """Recompute the totals of these canonical actors (None: of all) from their mentions."""
    mentions = ActorMentionView.__table__  # type: ignore[attr-defined]
    totals = ActorView.__table__  # type: ignore[attr-defined]
    if canonical_ids is not None and not canonical_ids:
        return
    counted = sa_select(
        mentions.c.canonical_id,
        func.sum(mentions.c.mention_count),
        func.count(func.distinct(mentions.c.article_id)),
    ).group_by(mentions.c.canonical_id)
    if canonical_ids is not None:
        ids = sorted(canonical_ids)
        session.execute(delete(totals).where(totals.c.canonical_id.in_(ids)))
        counted = counted.where(mentions.c.canonical_id.in_(ids))
    session.execute(
        insert(totals).from_select(["canonical_id", "mention_count", "article_count"], counted)
    )
