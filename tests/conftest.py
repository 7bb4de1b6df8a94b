from __future__ import annotations

import gc
import os
import queue
import shutil
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from service.app import create_app
from service.geo.gazetteer import gazetteer
from service.settings import Settings
from service.store.database import create_db_engine
from tests.fake_llm import Answer, FakeLLM, event, facts

ARTICLE = (
    "Published: Sun, April 08, 2018\n"
    "Airstrikes pound Douma\n"
    "\n"
    "At least 40 civilians were killed on Friday as airstrikes pounded Douma, the Syrian "
    "Observatory for Human Rights said. Jaysh al-Islam fired mortar shells on Damascus on "
    "Saturday, killing four people.\n"
    "Should the army storm the town, it would kill hundreds of rebels."
)


def seed_script(sentence: str, attempt: int) -> Answer:
    """Correct answers for ARTICLE's sentences."""
    if sentence.startswith("At least 40 civilians"):
        town = next(t for t in ("Douma", "Harasta", "Arbin") if t in sentence)
        return facts(
            source="Syrian Observatory for Human Rights",
            events=[event("Air/drone strike", against=[("civilians", "civilians")], location=town)],
            figures=["killed"],
        )
    if sentence.startswith("Jaysh al-Islam fired"):
        return facts(
            events=[
                event(
                    "Shelling/artillery/missile attack",
                    by=[("Jaysh al-Islam", "rebel group")],
                    location="Damascus",
                )
            ],
            figures=["killed"],
        )
    if sentence.startswith("Should the army"):
        return facts(
            events=[event("Armed clash", by=[("army", "state forces")], status="hypothetical")],
            figures=["killed"],
        )
    return facts()


# Unset: every test on its own SQLite file. Set (make test-postgres) to a PostgreSQL server's
# URL: every test on a database of its own, created on that server and dropped after the test.
TEST_DATABASE_URL = os.environ.get("CONFLICT_TEST_DATABASE_URL", "").strip() or None
POSTGRES = TEST_DATABASE_URL is not None
_databases: dict[Path, str] = {}
LEAKED_CONNECTION = "ignore:<psycopg.Connection object at .*> was deleted while still open"


def _admin() -> Any:
    assert TEST_DATABASE_URL is not None
    url = make_url(TEST_DATABASE_URL).set(database="postgres")
    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


_templates: dict[str, str] = {}  # "sqlite": a migrated file's path; "postgres": a database name


def _template() -> str:
    """A database migrated once per session, which every test's database starts as a copy of
    (a migration from scratch on each test's fresh database costs 0.2 s on SQLite and 0.7 s on
    PostgreSQL, most of the set-up of a short test)."""
    kind = "postgres" if POSTGRES else "sqlite"
    if kind not in _templates:
        if TEST_DATABASE_URL is None:
            path = Path(tempfile.mkdtemp(prefix="conflict-test-template-")) / "template.db"
            create_db_engine(f"sqlite:///{path}").dispose()
            _templates[kind] = str(path)
        else:
            name = f"t_template_{uuid.uuid4().hex[:12]}"
            engine = _admin()
            with engine.connect() as connection:
                connection.execute(text(f"CREATE DATABASE {name}"))
            engine.dispose()
            url = make_url(TEST_DATABASE_URL).set(database=name)
            create_db_engine(url.render_as_string(hide_password=False)).dispose()
            _templates[kind] = name
    return _templates[kind]


_FINGERPRINT = text(
    "SELECT md5(string_agg(row, ',' ORDER BY row)) FROM ("
    " SELECT table_name || '.' || column_name || ':' || data_type AS row"
    " FROM information_schema.columns WHERE table_schema = 'public'"
    " UNION ALL SELECT indexname || ':' || indexdef FROM pg_indexes WHERE schemaname = 'public'"
    " UNION ALL SELECT 'version:' || version_num FROM alembic_version) AS schema"
)
_TABLES = text(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
)


class _Spares:
    """Migrated PostgreSQL databases for the tests, made ready on a thread of their own.

    A database a test is done with is emptied (its connections ended, every table but
    alembic_version truncated) and used again; one whose schema the test changed is dropped.
    A copy of the template costs 0.45 s and a drop 0.7 s (the server flushing its WAL), a
    truncation 0.2 s; done while the next test runs, none of them costs the tests anything.
    """

    def __init__(self, template: str, ahead: int = 2) -> None:
        self._template = template
        self._ahead = ahead
        self._ready: queue.Queue[str] = queue.Queue()
        self._used: queue.Queue[str] = queue.Queue()
        self._stop = threading.Event()
        self._failure: BaseException | None = None
        self._fingerprint = ""
        self._thread = threading.Thread(target=self._work, name="spare-databases", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        engine = _admin()
        try:
            with engine.connect() as admin:
                self._fingerprint = self._schema(self._template)
                while not self._stop.is_set():
                    try:
                        name = self._used.get(timeout=0.05)
                    except queue.Empty:
                        if self._ready.qsize() < self._ahead:
                            name = f"t_{uuid.uuid4().hex[:20]}"
                            admin.execute(text(f"CREATE DATABASE {name} TEMPLATE {self._template}"))
                            self._ready.put(name)
                        continue
                    admin.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                            " WHERE datname = :name AND pid <> pg_backend_pid()"
                        ),
                        {"name": name},
                    )
                    if self._schema(name) == self._fingerprint:
                        self._empty(name)
                        self._ready.put(name)
                    else:
                        _drop_names(admin, [name])
        except BaseException as exc:  # handed to the test that waits for a database
            self._failure = exc
        finally:
            engine.dispose()

    def _engine(self, name: str) -> Any:
        assert TEST_DATABASE_URL is not None
        url = make_url(TEST_DATABASE_URL).set(database=name)
        return create_engine(url, poolclass=NullPool)

    def _schema(self, name: str) -> str:
        engine = self._engine(name)
        try:
            with engine.connect() as connection:
                return str(connection.execute(_FINGERPRINT).scalar_one())
        except Exception:  # a test that dropped alembic_version changed the schema too
            return ""
        finally:
            engine.dispose()

    def _empty(self, name: str) -> None:
        engine = self._engine(name)
        with engine.begin() as connection:
            tables = ", ".join(f'"{table}"' for table in connection.execute(_TABLES).scalars())
            if tables:
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()

    def take(self) -> str:
        while True:
            try:
                return self._ready.get(timeout=0.5)
            except queue.Empty:
                if self._failure is not None or not self._thread.is_alive():
                    raise RuntimeError("no spare test database") from self._failure

    def give_back(self, name: str) -> None:
        self._used.put(name)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        left = []
        for done in (self._ready, self._used):
            while not done.empty():
                left.append(done.get_nowait())
        engine = _admin()
        with engine.connect() as connection:
            _drop_names(connection, left)
        engine.dispose()


_spares: list[_Spares] = []


def database_url(tmp_path: Path, *, migrated: bool = True) -> str:
    """The test's database: a SQLite file in ``tmp_path``, or a fresh PostgreSQL database;
    already at the newest schema unless ``migrated`` is false (then empty)."""
    if TEST_DATABASE_URL is None:
        path = tmp_path / "test.db"
        if migrated and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_template(), path)
        return f"sqlite:///{path}"
    if tmp_path not in _databases:
        if migrated:
            if not _spares:
                _spares.append(_Spares(_template()))
            name = _spares[0].take()
        else:
            name = f"t_{uuid.uuid4().hex[:20]}"
            engine = _admin()
            with engine.connect() as connection:
                connection.execute(text(f"CREATE DATABASE {name}"))
            engine.dispose()
        url = make_url(TEST_DATABASE_URL).set(database=name)
        _databases[tmp_path] = url.render_as_string(hide_password=False)
    return _databases[tmp_path]


def _drop_names(connection: Any, names: list[str]) -> None:
    for name in names:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def _drop(paths: list[Path]) -> None:
    names = [str(make_url(_databases.pop(path)).database) for path in paths]
    if _spares:
        for name in names:
            _spares[0].give_back(name)
    elif names:
        engine = _admin()
        with engine.connect() as connection:
            _drop_names(connection, names)
        engine.dispose()


def pytest_sessionstart(session: pytest.Session) -> None:
    """A PostgreSQL run on a server that cannot be reached fails; it is never skipped. The
    gazetteer index is built (first run on a machine) before any test waits on a worker."""
    gazetteer()
    # Everything loaded so far (the gazetteer, the libraries) lives as long as the session: the
    # collections after each test need not walk it (0.13 s each).
    gc.freeze()
    if TEST_DATABASE_URL is None:
        return
    try:
        engine = _admin()
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        pytest.exit(f"CONFLICT_TEST_DATABASE_URL: cannot reach the server: {exc}", returncode=1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    other, reason = (
        ("sqlite_only", "SQLite by nature (file locks, read-only file, old files)")
        if POSTGRES
        else ("postgres_only", "PostgreSQL only: make test-postgres")
    )
    for item in items:
        if other in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))
        if POSTGRES:
            # KNOWN ISSUE, not understood yet: now and then a psycopg connection is garbage
            # collected unclosed (a pooled connection outliving its engine?). Ignored here so
            # that the suite tests the service; see the scale branch's hand-over notes.
            item.add_marker(pytest.mark.filterwarnings(LEAKED_CONNECTION))


def pytest_sessionfinish(session: pytest.Session) -> None:
    _drop(list(_databases))
    for spares in _spares:
        spares.close()
    _spares.clear()
    template = _templates.pop("postgres", None)
    if template is not None:
        engine = _admin()
        with engine.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {template} WITH (FORCE)"))
        engine.dispose()
    path = _templates.pop("sqlite", None)
    if path is not None:
        shutil.rmtree(Path(path).parent, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fresh_databases() -> Iterator[None]:
    """Drop the PostgreSQL databases a test created."""
    before = set(_databases)
    yield
    if POSTGRES:
        gc.collect()  # under this test's warning filters, not at the end of the session
    _drop([path for path in _databases if path not in before])


# The prompt a service runs when CONFLICT_PROMPT_VERSION is not set.
DEFAULT_PROMPT: str = Settings.model_fields["prompt_version"].default


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url(tmp_path),
        "llm_base_url": "http://fake-llm.test/v1",
        "llm_model": "fake-model",
        "llm_http_retries": 0,
        "llm_max_retries": 1,
        "workers": 1,
        "max_article_chars": 5_000,
        "max_batch_articles": 5,
        "allowed_hosts": "testserver.local,testserver",  # Litestar's and schemathesis' test clients
        "run_retry_backoff_s": 0,
        "database_retry_s": 2,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def fake_llm() -> FakeLLM:
    return FakeLLM(script=seed_script)


ClientFactory = Callable[..., Any]


@pytest.fixture
async def client(
    request: pytest.FixtureRequest, tmp_path: Path, fake_llm: FakeLLM
) -> AsyncIterator[AsyncTestClient[Any]]:
    """The app on the fake LLM; a test module's ``PROMPT_VERSION`` names the prompt it runs."""
    http = fake_llm.client()
    version = getattr(request.module, "PROMPT_VERSION", DEFAULT_PROMPT)
    app = create_app(make_settings(tmp_path, prompt_version=version), llm_http_client=http)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client
    await http.aclose()
