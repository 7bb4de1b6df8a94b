"""Engine and schema: SQLite (embedded default: WAL, foreign keys on, a busy timeout) or
PostgreSQL (scale-out: a lock timeout); driver errors that mean "not now" become
``DatabaseUnavailableError`` at the engine."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine, ExceptionContext, make_url
from sqlmodel import create_engine

from service.errors import DatabaseUnavailableError
from service.store.migrate import upgrade

BUSY = "database is busy (locked by another writer)"
UNREACHABLE = "database unreachable"

# SQLite messages for a database that is there but cannot take the request now, with how long
# to wait before trying again (seconds).
_NOT_NOW = {
    "database is locked": (BUSY, 1),
    "database table is locked": (BUSY, 1),
    "readonly database": ("database is read-only", 30),
    "disk i/o error": ("database disk I/O error", 30),
    "unable to open database": ("database file cannot be opened", 30),
    "database or disk is full": ("database disk is full", 30),
}

# PostgreSQL SQLSTATEs that mean "not now"; class 08 (connection exceptions) is unreachable.
_PG_NOT_NOW = {
    "55P03": (BUSY, 1),  # lock_not_available: lock_timeout ran out
    "40001": ("database is busy (serialization failure)", 1),
    "40P01": ("database is busy (deadlock detected)", 1),
    "25006": ("database is read-only", 30),  # read_only_sql_transaction (e.g. a hot standby)
    "53300": ("database is busy (too many connections)", 5),
    "53100": ("database disk is full", 30),
    "57P01": (UNREACHABLE, 5),  # admin_shutdown
    "57P02": (UNREACHABLE, 5),  # crash_shutdown
    "57P03": (UNREACHABLE, 5),  # cannot_connect_now (starting up, recovering)
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
    original = context.original_exception
    reason = str(original).lower()
    found: tuple[str, int] | None
    if context.dialect.name == "sqlite":
        if not isinstance(context.sqlalchemy_exception, exc.OperationalError | exc.InterfaceError):
            return
        found = next((v for k, v in _NOT_NOW.items() if k in reason), None)
    else:
        state = str(getattr(original, "sqlstate", None) or "")
        found = _PG_NOT_NOW.get(state)
        if found is None and (
            state.startswith("08")
            or context.is_disconnect
            # No SQLSTATE: the server never answered (refused, reset, timed out).
            or (
                not state
                and isinstance(
                    context.sqlalchemy_exception, exc.OperationalError | exc.InterfaceError
                )
            )
        ):
            found = (UNREACHABLE, 5)
    if found is None and context.is_disconnect:
        found = (UNREACHABLE, 5)
    if found is not None:
        message, retry_after = found
        first_line = reason.splitlines()[0][:200] if reason else type(original).__name__
        raise DatabaseUnavailableError(
            f"{message}: {first_line}", retry_after=retry_after
        ) from context.sqlalchemy_exception


def create_db_engine(database_url: str, busy_timeout_ms: int = 5000) -> Engine:
    """Create the engine (and a SQLite file's folder); bring the schema up to date."""
    url = make_url(database_url)
    connect_args: dict[str, Any] = {}
    options: dict[str, Any] = {}
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite:
        connect_args["check_same_thread"] = False
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    else:
        # The busy timeout's counterpart: a statement waiting longer for a lock gives up (55P03).
        connect_args["options"] = f"-c lock_timeout={int(busy_timeout_ms)}"
        connect_args["connect_timeout"] = 5
        options |= {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}
    engine = create_engine(database_url, connect_args=connect_args, **options)
    if sqlite:
        event.listen(engine, "connect", partial(_sqlite_pragmas, busy_timeout_ms))
    event.listen(engine, "handle_error", _not_now)
    upgrade(engine)
    return engine
