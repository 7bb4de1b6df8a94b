"""Schema migrations (Alembic), applied at start-up.

At start-up rather than by a separate command: the embedded default is one process on one
SQLite file, started by one command, and a schema behind the code would only fail later. A
database made before migrations existed (tables, no ``alembic_version``) is stamped with the
baseline first, then upgraded in place.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

BASELINE = "0001"
# Any fixed number: processes starting together on one PostgreSQL database migrate one at a time.
_MIGRATION_LOCK = 7_201_301
SCRIPTS = Path(__file__).resolve().parent / "migrations"


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = connection
    return config


def head() -> str:
    head = ScriptDirectory(str(SCRIPTS)).get_current_head()
    assert head is not None
    return head


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
        config = _config(connection)
        tables = set(inspect(connection).get_table_names())
        if "alembic_version" not in tables and "article" in tables:
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")
