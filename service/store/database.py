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

# Driver messages for a database that is there but cannot take the request now, with how long
# to wait before trying again (seconds).
_NOT_NOW = {
    "database is locked": ("database is busy (locked by another writer)", 1),
    "database table is locked": ("database is busy (locked by another writer)", 1),
    "readonly database": ("database is read-only", 30),
    "disk i/o error": ("database disk I/O error", 30),
    "unable to open database": ("database file cannot be opened", 30),
    "database or disk is full": ("database disk is full", 30),
}


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
    if not isinstance(context.sqlalchemy_exception, exc.OperationalError | exc.InterfaceError):
        return
    reason = str(context.original_exception).lower()
    found = next((v for k, v in _NOT_NOW.items() if k in reason), None)
    if found is None and (context.is_disconnect or context.dialect.name != "sqlite"):
        found = ("database unreachable", 5)
    if found is not None:
        message, retry_after = found
        raise DatabaseUnavailableError(
            f"{message}: {reason.splitlines()[0][:200]}", retry_after=retry_after
        ) from context.sqlalchemy_exception


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
