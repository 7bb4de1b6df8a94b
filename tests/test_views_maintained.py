"""The cross-article view tables, maintained run by run (runs finishing out of order, re-runs),
hold what clustering every current event at once gives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import random
from collections import defaultdict
from pathlib import Path

from sqlmodel import Session, select

from bench.synthetic import Shape, article
from service.exports import event_pages, figure_pages
from service.extraction.records import ArticleExtraction
from service.resolution.events import EventPoint, cluster_events, group_campaigns
from service.resolution.figures import FigurePoint, group_figures
from service.store.database import create_db_engine
from service.store.filters import EventFilter, FigureFilter
from service.store.repository import Store
from service.store.runs import Accounting, ArticleInput
from service.store.tables import EventClusterRow, EventView, FigureGroupRow, FigureView
from service.store.views import ensure_views, violent
from service.store.writes import RunResult
from tests.conftest import database_url

# Few places, actors and days: blocks of many events, clusters of several articles.
SHAPE = Shape(places=4, actors=5, days=10, events_per_article=4)


def _expected(store: Store) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """event -> cluster, cluster -> campaign, figure -> group, computed from scratch."""
    events = [e for page in event_pages(store, EventFilter()) for e in page.items]
    generic = store.generic_among(
        {a.canonical_id for e in events for a in e.actors if a.canonical_id}
    )
    points = [
        EventPoint(
            id=e.id,
            article_id=e.article_id,
            sub_event_type=e.sub_event_type,
            # a location code chose where the model gave none is no sign of one occurrence
            location=None if e.location_inferred else e.location,
            date=e.date,
            date_precision=e.date_precision,
            evidence=e.evidence,
            actors=frozenset(
                a.canonical_id for a in e.actors if a.canonical_id and a.canonical_id not in generic
            ),
        )
        for e in events
    ]
    clusters = cluster_events(points)
    cluster_of = {m.id: c.id for c in clusters for m in c.members}
    campaign_of = {c.id: group[0].id for group in group_campaigns(clusters, violent) for c in group}
    figures = [f for page in figure_pages(store, FigureFilter()) for f in page.items]
    groups = group_figures(
        (
            FigurePoint(f.id, f.article_id, f.event_id, f.category, f.population, f.low)
            for f in figures
            if f.event_id is not None
        ),
        cluster_of,
    )
    group_of = {m.id: g.id for g in groups for m in g.members}
    return cluster_of, campaign_of, group_of


def _stored(store: Store) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    with Session(store.engine) as session:
        cluster_of = dict(session.exec(select(EventView.event_id, EventView.cluster_id)).all())
        campaign_of = {
            c.id: c.campaign_id
            for c in session.exec(select(EventClusterRow)).all()
            if c.campaign_id is not None
        }
        group_of = dict(session.exec(select(FigureView.figure_id, FigureView.group_id)).all())
        groups = {g.id for g in session.exec(select(FigureGroupRow)).all()}
    assert set(group_of.values()) == groups
    return cluster_of, campaign_of, group_of


def _finish(store: Store, extractions: dict[str, ArticleExtraction], shuffle: bool) -> None:
    claims = []
    while (claim := store.claim_next_run("synthetic", "w", 600, 3)) is not None:
        claims.append(claim)
    if shuffle:  # runs finishing out of order: claimed in id order, stored shuffled
        random.Random(7).shuffle(claims)
    for claim in claims:
        store.finish_run(claim, RunResult(extractions[claim.article.text], Accounting()))


def test_maintained_views_equal_a_full_recomputation(tmp_path: Path) -> None:
    store = Store(create_db_engine(database_url(tmp_path)))
    rng = random.Random(3)
    made = dict(article(n, rng, SHAPE) for n in range(60))
    # every third event placed by code (extract.v16's every_event_placed)
    made = {
        text: extraction.model_copy(
            update={
                "events": [
                    e.model_copy(update={"location_inferred": i % 3 == 0})
                    for i, e in enumerate(extraction.events)
                ]
            }
        )
        for text, extraction in made.items()
    }
    texts = list(made)
    store.ingest_many([ArticleInput(text=t) for t in texts[:30]], "synthetic", "extract.v4")
    _finish(store, made, shuffle=False)
    store.ingest_many([ArticleInput(text=t) for t in texts[30:]], "synthetic", "extract.v4")
    _finish(store, made, shuffle=True)
    # Re-runs answering less: the articles' other events leave their clusters.
    for article_id in (3, 17, 41):
        store.request_run(article_id, "synthetic", "extract.v4")
    fewer = {
        t: e.model_copy(update={"events": e.events[:1], "figures": []}) for t, e in made.items()
    }
    _finish(store, fewer, shuffle=True)

    expected = _expected(store)
    stored = _stored(store)
    assert stored == expected
    inferred = {
        e.id
        for page in event_pages(store, EventFilter())
        for e in page.items
        if e.location_inferred
    }
    assert inferred and all(stored[0][i] == i for i in inferred)  # each in a cluster of its own
    clusters = defaultdict(set)
    for event_id, cluster_id in stored[0].items():
        clusters[cluster_id].add(event_id)
    assert max(len(c) for c in clusters.values()) > 2  # the data does cluster
    assert len(set(stored[1].values())) < len(stored[1])  # and forms campaigns
    # A rebuild (as for another version of the rules) gives the same tables.
    assert ensure_views(store.engine, force=True)
    assert _stored(store) == expected
    store.engine.dispose()


def test_campaign_grouping_joins_exactly_the_pairs_whose_dates_may_meet() -> None:
    """group_campaigns against its definition: any two members' date spans may meet."""
    rng = random.Random(11)
    points = [
        EventPoint(
            id=n,
            article_id=n,
            sub_event_type=rng.choice(["Armed clash", "Air/drone strike", "Arrests"]),
            location=f"Town {rng.randrange(3)}",
            date=None
            if rng.random() < 0.05
            else dt.date(2018, 1, 1) + dt.timedelta(rng.randrange(90)),
            date_precision=rng.choice(["day", "day", "week", "month"]),
        )
        for n in range(1, 400)
    ]
    points = [
        p if p.date is not None else dataclasses.replace(p, date_precision="unknown")
        for p in points
    ]
    clusters = cluster_events(points)
    groups = group_campaigns(clusters, violent)
    group_of = {c.id: g[0].id for g in groups for c in g}
    chosen = [c for c in clusters if violent(c.members[0].sub_event_type)]
    parent = {c.id: c.id for c in chosen}

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for a, b in itertools.combinations(chosen, 2):
        if a.members[0].place == b.members[0].place and any(
            x.span is None or y.span is None or not (x.span[1] < y.span[0] or y.span[1] < x.span[0])
            for x in a.members
            for y in b.members
        ):
            parent[root(b.id)] = root(a.id)
    naive: dict[int, set[int]] = defaultdict(set)
    for c in chosen:
        naive[root(c.id)].add(c.id)
    assert sorted(sorted(g) for g in naive.values()) == sorted(
        sorted(c.id for c in g) for g in groups
    )
    assert len(groups) < len(chosen)  # some do join
    assert set(group_of) == {c.id for c in chosen}
