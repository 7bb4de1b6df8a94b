"""Canonical actors as GET /actors lists them, maintained in tables in the transaction that
stores a run or deletes an article, so a page is an indexed read instead of an aggregate of
every current mention:

- ``actormention``: each article's current mentions, counted by canonical actor and name;
- ``actoralias``: the same counted over all articles (a canonical actor's aliases);
- ``actorview``: each canonical actor's mentions and articles.

A run changes the last two by the difference between its article's old and new rows, so
storing it costs what the article names, not what the store holds. Writers hold the
cross-article lock (service/store/views.py)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from service.store.tables import (
    Actor,
    ActorAlias,
    ActorLink,
    ActorMentionView,
    ActorView,
    ExtractionRun,
    RunStatus,
)

_MENTIONS: Any = ActorMentionView.__table__  # type: ignore[attr-defined]
_ALIASES: Any = ActorAlias.__table__  # type: ignore[attr-defined]
_TOTALS: Any = ActorView.__table__  # type: ignore[attr-defined]
_COLUMNS = ["canonical_id", "article_id", "name", "mention_count"]


def refresh_article_actors(session: Session, article_id: int, current: int | None) -> None:
    """Make the tables count the mentions of run ``current`` (none: nothing) for the article."""
    of_article = sa_select(
        _MENTIONS.c.canonical_id, _MENTIONS.c.name, _MENTIONS.c.mention_count
    ).where(_MENTIONS.c.article_id == article_id)
    old = session.execute(of_article).all()
    session.execute(delete(_MENTIONS).where(_MENTIONS.c.article_id == article_id))
    if current is not None:
        _insert_mentions(session, col(Actor.run_id) == current)
    new = session.execute(of_article).all() if current is not None else []
    names: Counter[tuple[int, str]] = Counter()
    mentions: Counter[int] = Counter()
    articles: Counter[int] = Counter()
    for sign, rows in ((-1, old), (1, new)):
        for canonical_id, name, count in rows:
            names[(canonical_id, name)] += sign * count
            mentions[canonical_id] += sign * count
        for canonical_id in {row[0] for row in rows}:
            articles[canonical_id] += sign
    _add(session, _ALIASES, ("canonical_id", "name"), {k: (n,) for k, n in names.items() if n})
    totals = {(c,): (mentions[c], articles[c]) for c in mentions.keys() | articles.keys()}
    _add(session, _TOTALS, ("canonical_id",), {k: v for k, v in totals.items() if any(v)})


def _insert_mentions(session: Session, runs: Any) -> None:
    """Count into ``actormention`` the linked actors of the runs ``runs`` selects."""
    session.execute(
        insert(_MENTIONS).from_select(
            _COLUMNS,
            sa_select(
                col(ActorLink.canonical_id), col(Actor.article_id), col(Actor.name), func.count()
            )
            .join(Actor, col(Actor.id) == col(ActorLink.actor_id))
            .where(runs)
            .group_by(col(ActorLink.canonical_id), col(Actor.article_id), col(Actor.name)),
        )
    )


def _add(
    session: Session,
    table: Any,
    keys: tuple[str, ...],
    deltas: dict[tuple[Any, ...], tuple[int, ...]],
) -> None:
    """Add ``deltas`` to the count columns of ``table``'s rows by key (inserting missing rows),
    then drop rows counted down to nothing."""
    if not deltas:
        return
    counts = [c.name for c in table.c if c.name not in keys]
    canonical_ids = sorted({key[0] for key in deltas})
    key_columns = [table.c[k] for k in keys]
    existing = {
        tuple(row)
        for row in session.execute(
            sa_select(*key_columns).where(table.c.canonical_id.in_(canonical_ids))
        ).all()
    }
    updates = [
        {f"k_{k}": v for k, v in zip(keys, key, strict=True)}
        | {f"d_{c}": d for c, d in zip(counts, delta, strict=True)}
        for key, delta in deltas.items()
        if key in existing
    ]
    if updates:
        session.execute(
            table.update()
            .where(and_(*(table.c[k] == bindparam(f"k_{k}") for k in keys)))
            .values({c: table.c[c] + bindparam(f"d_{c}") for c in counts}),
            updates,
        )
    inserts = [
        dict(zip(keys, key, strict=True)) | dict(zip(counts, delta, strict=True))
        for key, delta in deltas.items()
        if key not in existing
    ]
    if inserts:
        session.execute(insert(table), inserts)
    session.execute(
        delete(table).where(
            table.c.canonical_id.in_(canonical_ids),
            or_(*(table.c[c] <= 0 for c in counts)),
        )
    )


def forget_actors(session: Session, canonical_ids: list[int]) -> None:
    """Drop canonical actors that are being deleted (generic ones of a deleted article)."""
    if canonical_ids:
        for table in (_MENTIONS, _ALIASES, _TOTALS):
            session.execute(delete(table).where(table.c.canonical_id.in_(canonical_ids)))


def rebuild_actors(session: Session) -> None:
    """Fill the tables from every article's latest successful run at once."""
    for table in (_MENTIONS, _ALIASES, _TOTALS):
        session.execute(delete(table))
    current = (
        sa_select(func.max(ExtractionRun.id))
        .where(col(ExtractionRun.status) == RunStatus.SUCCEEDED)
        .group_by(col(ExtractionRun.article_id))
    )
    _insert_mentions(session, col(Actor.run_id).in_(current))
    session.execute(
        insert(_ALIASES).from_select(
            ["canonical_id", "name", "mention_count"],
            sa_select(
                _MENTIONS.c.canonical_id, _MENTIONS.c.name, func.sum(_MENTIONS.c.mention_count)
            ).group_by(_MENTIONS.c.canonical_id, _MENTIONS.c.name),
        )
    )
    session.execute(
        insert(_TOTALS).from_select(
            ["canonical_id", "mention_count", "article_count"],
            sa_select(
                _MENTIONS.c.canonical_id,
                func.sum(_MENTIONS.c.mention_count),
                func.count(func.distinct(_MENTIONS.c.article_id)),
            ).group_by(_MENTIONS.c.canonical_id),
        )
    )
