"""Schema migrations: a new database gets the models' schema; one made by older code upgrades in
place and keeps its data."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from litestar.testing import AsyncTestClient
from sqlmodel import SQLModel

from service.app import create_app
from service.store import migrate
from service.store.database import create_db_engine
from tests.conftest import database_url, make_settings, seed_script
from tests.fake_llm import FakeLLM

OLD_DATABASE = Path(__file__).parent / "data" / "main-26485eb.sqlite"


def test_a_new_database_has_exactly_the_models_schema(tmp_path: Path) -> None:
    engine = create_db_engine(database_url(tmp_path, migrated=False))
    assert migrate.current(engine) == migrate.head()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []
    engine.dispose()


@pytest.mark.sqlite_only
async def test_a_database_made_by_main_at_26485eb_upgrades_in_place(tmp_path: Path) -> None:
    """Made by that commit's own code: three articles, run 1 failed, run 2 left running by a
    stop, run 3 pending."""
    path = tmp_path / "old.db"
    shutil.copy(OLD_DATABASE, path)
    settings = make_settings(tmp_path, database_url=f"sqlite:///{path}")
    fake = FakeLLM(script=seed_script)
    http = fake.client()
    async with AsyncTestClient(app=create_app(settings, llm_http_client=http)) as client:
        for _ in range(100):
            runs = (await client.get("/runs")).json()["items"]
            if all(r["status"] in {"succeeded", "failed"} for r in runs):
                break
            await asyncio.sleep(0.05)
        by_id = {r["id"]: r for r in runs}
        assert by_id[1]["status"] == "failed"
        assert by_id[1]["error"] == "LLM endpoint failed (HTTP 500)"
        assert by_id[2]["status"] == by_id[3]["status"] == "succeeded"
        assert by_id[2]["attempts"] == 2  # the interrupted attempt, then this one
        articles = (await client.get("/articles")).json()["items"]
        assert articles[0]["title"] == "t"
        assert len(articles) == 3
    await http.aclose()
    engine = create_db_engine(settings.database_url)
    assert migrate.current(engine) == migrate.head()
    engine.dispose()
