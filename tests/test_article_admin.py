"""Deleting an article (with its share of the cross-article views), metadata conflicts on
re-post, PATCH corrections, and the queue's one-queued-run rule in the store."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bench.synthetic import article
from service.app import create_app
from service.errors import NotFoundError, QueueFullError
from service.store.database import create_db_engine
from service.store.filters import RunFilter
from service.store.repository import Store
from service.store.runs import ArticleInput
from service.store.tables import (
    Actor,
    ActorLink,
    Article,
    CanonicalActor,
    Event,
    EventActor,
    ExtractionRun,
    Figure,
    RunStatus,
)
from tests.conftest import ARTICLE, database_url, make_settings
from tests.fake_llm import FakeLLM
from tests.test_cross_article import OBSERVATORY_REPORT, SANA_REPORT, post, script
from tests.test_views_maintained import SHAPE, _expected, _finish, _stored


@pytest.fixture
async def cross(tmp_path: Path) -> Any:
    http = FakeLLM(script=script).client()
    app = create_app(make_settings(tmp_path), llm_http_client=http)
    async with AsyncTestClient(app=app) as client:
        yield client
    await http.aclose()


async def test_delete_removes_the_article_and_its_share_of_every_view(
    cross: AsyncTestClient[Any],
) -> None:
    first = await post(cross, OBSERVATORY_REPORT, "AFP")
    second = await post(cross, SANA_REPORT, "Reuters")
    await cross.post(f"/articles/{first}/extract?wait=10")  # a second run of it
    douma = next(
        c for c in (await cross.get("/event-clusters")).json()["items"] if c["location"] == "Douma"
    )
    assert douma["article_count"] == 2

    answer = await cross.delete(f"/articles/{first}")
    assert answer.status_code == 204 and answer.content == b""
    assert (await cross.get(f"/articles/{first}")).status_code == 404
    assert (await cross.delete(f"/articles/{first}")).status_code == 404
    assert (await cross.get(f"/runs?article_id={first}")).json()["items"] == []
    for path in ("/events", "/figures", "/actor-mentions"):
        items = (await cross.get(path)).json()["items"]
        assert items and {i["article_id"] for i in items} == {second}, path
    clusters = (await cross.get("/event-clusters")).json()["items"]
    assert all([r["article_id"] for r in c["reports"]] == [second] for c in clusters)
    douma = next(c for c in clusters if c["location"] == "Douma")
    assert douma["article_count"] == 1 and douma["fatalities"] == 15
    assert (await cross.get("/event-clusters?min_articles=2")).json()["items"] == []
    assert (await cross.get("/figure-groups?min_articles=2")).json()["items"] == []
    for campaign in (await cross.get("/campaigns")).json()["items"]:
        assert {a["article_id"] for a in campaign["articles"]} == {second}
    actors = (await cross.get("/actors?generic=false")).json()["items"]
    assert all(a["article_count"] == 1 for a in actors)
    assert "Syrian Observatory for Human Rights" not in {a["name"] for a in actors}
    # Nothing of it is left in any table.
    store: Store = cross.app.state.runtime.store
    with Session(store.engine) as session:
        for table in (ExtractionRun, Event, Actor, Figure, CanonicalActor):
            assert not session.exec(select(table).where(table.article_id == first)).all()
        assert session.get(Article, first) is None
        orphans = session.exec(
            select(func.count())
            .select_from(EventActor)
            .where(col(EventActor.event_id).not_in(select(Event.id)))
        ).one()
        links = session.exec(
            select(func.count())
            .select_from(ActorLink)
            .where(col(ActorLink.actor_id).not_in(select(Actor.id)))
        ).one()
        assert (orphans, links) == (0, 0)
    # The text can be posted again, as new.
    answer = await cross.post("/articles", json={"text": OBSERVATORY_REPORT})
    assert answer.json()["created"] is True


def test_deleting_articles_leaves_the_views_a_full_recomputation_gives(tmp_path: Path) -> None:
    store = Store(create_db_engine(database_url(tmp_path)))
    rng = random.Random(5)
    made = dict(article(n, rng, SHAPE) for n in range(30))
    store.ingest_many([ArticleInput(text=t) for t in made], "synthetic", "extract.v4")
    _finish(store, made, shuffle=False)
    for article_id in (2, 9, 10, 23):
        store.delete_article(article_id)
    assert _stored(store) == _expected(store)
    with pytest.raises(NotFoundError):
        store.delete_article(9)
    store.engine.dispose()


async def test_a_repost_with_other_metadata_names_the_conflicts(
    client: AsyncTestClient[Any],
) -> None:
    body = {"text": ARTICLE, "title": "Douma", "source": "AFP", "url": "https://a.example/1"}
    first = (await client.post("/articles", json=body)).json()
    assert first["created"] is True and first["conflicts"] == []
    again = await client.post(
        "/articles", json={**body, "title": "Airstrikes on Douma", "source": "Reuters"}
    )
    assert again.status_code == 200
    answer = again.json()
    assert answer["created"] is False and answer["article_id"] == first["article_id"]
    assert answer["conflicts"] == [
        {"field": "title", "stored": "Douma", "sent": "Airstrikes on Douma"},
        {"field": "source", "stored": "AFP", "sent": "Reuters"},
    ]
    stored = (await client.get(f"/articles/{first['article_id']}")).json()
    assert (stored["title"], stored["source"]) == ("Douma", "AFP")  # kept
    # The same metadata, or none sent (a headline and date read from the text), is no conflict.
    assert (await client.post("/articles", json=body)).json()["conflicts"] == []
    plain = await client.post("/articles", content=ARTICLE, headers={"content-type": "text/plain"})
    assert plain.json()["conflicts"] == []
    dated = await client.post("/articles", json={"text": ARTICLE, "published_date": "2019-01-01"})
    assert [c["field"] for c in dated.json()["conflicts"]] == ["published_date"]
    batch = {"articles": [{"text": ARTICLE, "url": "https://b.example/2"}]}
    [item] = (await client.post("/articles/batch", json=batch)).json()["items"]
    assert item["conflicts"] == [
        {"field": "url", "stored": "https://a.example/1", "sent": "https://b.example/2"}
    ]


async def test_patch_corrects_metadata_and_a_new_date_queues_a_rerun(tmp_path: Path) -> None:
    http = FakeLLM().client()
    app = create_app(make_settings(tmp_path), llm_http_client=http, workers=False)
    async with AsyncTestClient(app=app) as client:
        posted = (await client.post("/articles", json={"text": ARTICLE})).json()
        article_id = posted["article_id"]
        answer = await client.patch(f"/articles/{article_id}", json={"title": "Douma", "url": None})
        assert answer.status_code == 200, answer.text
        assert answer.json()["changed"] == ["title"] and answer.json()["run"] is None
        assert answer.json()["article"]["title"] == "Douma"
        # Still the one pending run: a date change finds it rather than queueing a second.
        answer = await client.patch(
            f"/articles/{article_id}", json={"published_date": "2018-04-09"}
        )
        assert answer.json()["changed"] == ["published_date"]
        assert answer.json()["run"]["id"] == posted["run"]["id"]
        # Once that run is done, a date change queues a new one.
        store: Store = client.app.state.runtime.store
        with Session(store.engine) as session:
            session.execute(update(ExtractionRun).values(status=RunStatus.SUCCEEDED))
            session.commit()
        answer = await client.patch(
            f"/articles/{article_id}", json={"published_date": "2018-04-10"}
        )
        run = answer.json()["run"]
        assert run["id"] != posted["run"]["id"] and run["status"] == "pending"
        stored = (await client.get(f"/articles/{article_id}")).json()
        assert (stored["title"], stored["published_date"]) == ("Douma", "2018-04-10")

        for body, status in (
            (b"{}", 400),
            (b'{"text": "new text"}', 400),
            (b'{"published_date": 5}', 400),
            (b'{"title": "a\\u0000b"}', 400),
        ):
            answer = await client.patch(
                f"/articles/{article_id}",
                content=body,
                headers={"content-type": "application/json"},
            )
            assert answer.status_code == status, body
        answer = await client.patch(
            f"/articles/{article_id}", content=b"title", headers={"content-type": "text/plain"}
        )
        assert answer.status_code == 415
        assert (await client.patch("/articles/999", json={"title": "x"})).status_code == 404
    await http.aclose()


def _store(tmp_path: Path) -> Store:
    return Store(create_db_engine(database_url(tmp_path)))


def test_one_queued_run_per_article_and_prompt_version(tmp_path: Path) -> None:
    store = _store(tmp_path)
    [stored] = store.ingest_many([ArticleInput(text=ARTICLE)], "m", "extract.v4")
    assert store.request_run(stored.article_id, "m", "extract.v4") == (stored.run_id, False)
    other, created = store.request_run(stored.article_id, "m", "extract.v5")
    assert created and other != stored.run_id
    # The database refuses a second queued run of one article and prompt version.
    with Session(store.engine) as session, pytest.raises(IntegrityError):
        session.add(
            ExtractionRun(
                article_id=stored.article_id,
                model="m",
                prompt_version="extract.v4",
                schema_version="x",
            )
        )
        session.commit()
    # A bulk retry puts back only the latest failed run of each, and none next to a queued one.
    with Session(store.engine) as session:
        session.execute(update(ExtractionRun).values(status=RunStatus.FAILED))
        session.commit()
    again, _ = store.request_run(stored.article_id, "m", "extract.v4")
    with Session(store.engine) as session:
        session.execute(
            update(ExtractionRun)
            .where(col(ExtractionRun.id) == again)
            .values(status=RunStatus.FAILED)
        )
        session.commit()
    assert store.retry_runs(RunFilter()) == [other, again]
    assert store.retry_runs(RunFilter()) == []
    store.engine.dispose()


def test_the_queue_bound_counts_new_runs_only_and_stores_nothing_when_full(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path)
    items = [ArticleInput(text=f"{ARTICLE} {n}") for n in range(3)]
    store.ingest_many(items[:2], "m", "v", max_pending=2)
    with pytest.raises(QueueFullError) as full:
        store.ingest_many(items, "m", "v", max_pending=2)  # two known, one new: one too many
    assert full.value.retry_after > 0
    assert store.list_articles(0, 10).items[-1].id == 2
    assert [s.created for s in store.ingest_many(items[:2], "m", "v", max_pending=2)] == [False] * 2
    with pytest.raises(QueueFullError):
        store.request_run(1, "m", "other", max_pending=2)
    store.engine.dispose()


@pytest.mark.sqlite_only
def test_migration_0007_supersedes_duplicate_queued_runs(tmp_path: Path) -> None:
    from alembic import command

    from service.store import migrate

    url = database_url(tmp_path)
    engine = create_db_engine(url)
    store = Store(engine)
    [stored] = store.ingest_many([ArticleInput(text=ARTICLE)], "m", "extract.v4")
    columns = (
        "article_id, status, attempts, model, prompt_version, schema_version, prompt_tokens, "
        "completion_tokens, llm_calls, retries, dropped, llm_seconds, wall_seconds, created_at"
    )
    with engine.begin() as connection:
        # the migrations since 0008 undo themselves; 0007 and 0008 are undone by hand
        command.downgrade(migrate._config(connection), "0008")
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ux_run_queued"))
        connection.execute(text("DROP TABLE apikey"))
        # later migrations' changes go too: the database is as 0006 left it
        connection.execute(text("ALTER TABLE extractionrun DROP COLUMN request_id"))
        connection.execute(text("UPDATE alembic_version SET version_num = '0006'"))
        for _ in range(2):  # two more queued runs of the same article and prompt version
            connection.execute(
                text(
                    f"INSERT INTO extractionrun ({columns}) SELECT {columns} FROM extractionrun "
                    "WHERE article_id = :article ORDER BY id LIMIT 1"
                ),
                {"article": stored.article_id},
            )
    migrate.upgrade(engine)
    with Session(engine) as session:
        runs = session.exec(select(ExtractionRun).order_by(col(ExtractionRun.id))).all()
    assert [(r.status, r.reason) for r in runs] == [
        (RunStatus.PENDING, None),
        (RunStatus.FAILED, "superseded"),
        (RunStatus.FAILED, "superseded"),
    ]
    engine.dispose()
