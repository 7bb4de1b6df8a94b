"""Engine and schema: SQLite with WAL, foreign keys on and a busy timeout for workers; driver
errors that mean "not now" become ``DatabaseUnavailableError`` at the engine."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine, ExceptionContext, make_url
from sqlmodel import create_engine

from service.errors import DatabaseUnavailableError
from service.store.migrate import upgrade

_NOT_NOW = (
    "database is locked",
    "database table is locked",
    "readonly database",
    "disk i/o error",
    "unable to open database",
    "database or disk is full",
)


def _sqlite_pragmas(busy_timeout_ms: int, dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.close()


def _not_now(context: ExceptionContext) -> None:
    """Locked, read-only, full or unreachable: the request may succeed later (503, retried by
    workers). Anything else stays the driver's error: a bug to see, not to retry."""
    error = context.sqlalchemy_exception
    message = str(context.original_exception).lower()
    unreachable = context.is_disconnect or (
        isinstance(error, exc.OperationalError)
        and (
            any(part in message for part in _NOT_NOW)
            or (context.engine is not None and context.engine.dialect.name != "sqlite")
        )
    )
    if unreachable:
        first_line = str(context.original_exception).splitlines()[0][:200]
        raise DatabaseUnavailableError(f"database unavailable: {first_line}") from error


def create_db_engine(database_url: str, busy_timeout_ms: int = 5000) -> Engine:
    """Create the engine and the database file's folder; bring the schema up to date."""
    url = make_url(database_url)
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        connect_args["check_same_thread"] = False
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(database_url, connect_args=connect_args)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", partial(_sqlite_pragmas, busy_timeout_ms))
    event.listen(engine, "handle_error", _not_now)
    upgrade(engine)
    return engine
