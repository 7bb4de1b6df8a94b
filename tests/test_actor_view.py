"""The canonical actors' tables GET /actors reads, maintained run by run (re-runs, article
deletes, a rebuild, the migration's backfill), count what the current mentions give."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from pathlib import Path

from alembic import command
from sqlalchemy import inspect

from bench.synthetic import Shape, article
from service.exports import actor_mention_pages, actor_pages
from service.extraction.records import ArticleExtraction
from service.store import migrate
from service.store.database import create_db_engine
from service.store.filters import ActorFilter, CanonicalActorFilter
from service.store.read_models import CanonicalActorRead
from service.store.repository import Store
from service.store.runs import Accounting, ArticleInput
from service.store.views import ensure_views
from service.store.writes import RunResult
from tests.conftest import database_url

SHAPE = Shape(places=4, actors=8, days=10, events_per_article=4)


def _fill(store: Store, count: int) -> dict[str, ArticleExtraction]:
    rng = random.Random(5)
    made = dict(article(n, rng, SHAPE) for n in range(count))
    store.ingest_many([ArticleInput(text=t) for t in made], "synthetic", "extract.v4")
    _finish(store, made)
    return made


def _finish(store: Store, extractions: dict[str, ArticleExtraction]) -> None:
    while (claim := store.claim_next_run("synthetic", "w", 600, 3)) is not None:
        store.finish_run(claim, RunResult(extractions[claim.article.text], Accounting()))


def _listed(store: Store, f: CanonicalActorFilter | None = None) -> list[CanonicalActorRead]:
    return [a for page in actor_pages(store, f or CanonicalActorFilter()) for a in page.items]


def _check(store: Store) -> list[CanonicalActorRead]:
    """GET /actors' rows equal the counts of the current mentions (GET /actors/mentions)."""
    mentions = [m for page in actor_mention_pages(store, ActorFilter()) for m in page.items]
    names: dict[int, Counter[str]] = defaultdict(Counter)
    articles: dict[int, set[int]] = defaultdict(set)
    for m in mentions:
        if m.canonical_id is not None:
            names[m.canonical_id][m.name] += 1
            articles[m.canonical_id].add(m.article_id)
    listed = _listed(store)
    assert [a.id for a in listed] == sorted(names)
    for actor in listed:
        counts = names[actor.id]
        assert actor.mention_count == sum(counts.values())
        assert actor.article_count == len(articles[actor.id])
        assert sorted(actor.aliases) == sorted(counts)
        assert [counts[n] for n in actor.aliases] == sorted(counts.values(), reverse=True)
    for article_id in {m.article_id for m in mentions}:
        named = _listed(store, CanonicalActorFilter(article_id=article_id))
        expected = {m.canonical_id for m in mentions if m.article_id == article_id}
        assert {a.id for a in named} == expected - {None}
    return listed


def test_re_runs_and_deletes_update_the_actors_listed(tmp_path: Path) -> None:
    store = Store(create_db_engine(database_url(tmp_path)))
    made = _fill(store, 24)
    before = _check(store)
    assert max(a.article_count for a in before) > 2  # actors shared across articles
    # Re-runs naming fewer actors: their other mentions leave the counts.
    for article_id in (2, 9, 15):
        store.request_run(article_id, "synthetic", "extract.v4")
    fewer = {
        t: e.model_copy(update={"actors": e.actors[:1], "events": [], "figures": []})
        for t, e in made.items()
    }
    _finish(store, fewer)
    after_rerun = _check(store)
    assert after_rerun != before
    for article_id in (4, 9, 20):
        store.delete_article(article_id)
    after_delete = _check(store)
    assert after_delete != after_rerun
    # A rebuild (start-up after links were added) gives the same rows.
    assert ensure_views(store.engine, force=True)
    assert _listed(store) == after_delete
    store.engine.dispose()


def test_the_migration_fills_the_actor_tables_of_an_existing_database(tmp_path: Path) -> None:
    engine = create_db_engine(database_url(tmp_path))
    store = Store(engine)
    _fill(store, 12)
    store.request_run(3, "synthetic", "extract.v4")  # a pending re-run changes nothing
    expected = _check(store)
    with engine.begin() as connection:
        command.downgrade(migrate._config(connection), "0011")
    tables = set(inspect(engine).get_table_names())
    assert not tables & {"actormention", "actoralias", "actorview"}
    migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    assert _listed(store) == expected
    _check(store)
    engine.dispose()
