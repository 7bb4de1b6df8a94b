"""``python -m service [all|api|worker]``: the HTTP API and extraction workers in one process
(``all``, the default, on the embedded model unless an endpoint is set), the API alone, or the
workers alone. Any number of ``api`` and ``worker`` processes can share one PostgreSQL database.

``python -m service keys create --name NAME --scope read|write|admin`` (prints the token once),
``keys list``, ``keys revoke ID``: API keys, in the database CONFLICT_DATABASE_URL names.

``python -m service geocode [--redo]``: geocode the events of stored runs that have no places
yet (runs stored before migration 0009), or of every run (``--redo``, after a gazetteer or
geocoder change).
"""

from __future__ import annotations

import argparse
import signal
import sys

import anyio
import uvicorn
from pydantic import ValidationError

from service.access import Scope, check_exposure
from service.app import create_app, serve_workers
from service.errors import ConfigurationError, ServiceError
from service.settings import Settings, explain
from service.store.database import create_db_engine
from service.store.places import geocode_stored
from service.store.read_models import ApiKeyRead
from service.store.repository import Store


async def _workers(settings: Settings) -> None:
    stop = anyio.Event()

    async def on_signal() -> None:
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async for _ in signals:
                stop.set()
                return

    async with anyio.create_task_group() as group:
        group.start_soon(on_signal)
        await serve_workers(settings, stop)
        group.cancel_scope.cancel()


def _key_line(key: ApiKeyRead) -> str:
    def when(moment: object) -> str:
        return "-" if moment is None else str(moment)[:19]

    state = f"revoked {when(key.revoked_at)}" if key.revoked_at else "active"
    return (
        f"{key.id:>5}  {key.scope:<6} {key.prefix:<11} {state:<27} "
        f"last used {when(key.last_used_at):<19}  {key.name}"
    )


def keys(args: argparse.Namespace, settings: Settings) -> None:
    """The ``keys`` commands, on the configured database (migrated first)."""
    engine = create_db_engine(settings.database_url, settings.database_busy_timeout_ms)
    try:
        store = Store(engine)
        if args.action == "create":
            created = store.create_key(args.name, args.scope)
            print(f"created API key {created.id} ({created.name}, scope {created.scope})")
            print(f"token (shown once, store it now): {created.token}")
        elif args.action == "list":
            for key in store.list_keys():
                print(_key_line(key))
        else:
            revoked = store.revoke_key(args.id)
            print(f"revoked API key {revoked.id} ({revoked.name}) at {revoked.revoked_at}")
    finally:
        engine.dispose()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m service",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    roles = parser.add_subparsers(dest="role", metavar="{all,api,worker,keys,geocode}")
    roles.add_parser("all", help="API and workers in one process (the default)")
    roles.add_parser("api", help="the HTTP API only")
    roles.add_parser("worker", help="extraction workers only")
    geocode_parser = roles.add_parser(
        "geocode", help="geocode stored runs' events that have no places (after upgrading)"
    )
    geocode_parser.add_argument(
        "--redo", action="store_true", help="geocode every stored run's events again"
    )
    key_parser = roles.add_parser("keys", help="create, list or revoke API keys")
    actions = key_parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a key; prints its token once")
    create.add_argument("--name", required=True, help="who or what uses the key")
    create.add_argument(
        "--scope",
        required=True,
        choices=[s.value for s in Scope],
        help="admin implies write implies read",
    )
    actions.add_parser("list", help="every key: id, scope, token prefix, state, last use, name")
    revoke = actions.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("id", type=int)
    return parser


def geocode(args: argparse.Namespace, settings: Settings) -> None:
    """The ``geocode`` command, on the configured database (migrated first)."""
    engine = create_db_engine(settings.database_url, settings.database_busy_timeout_ms)
    try:
        done = geocode_stored(engine, redo=args.redo)
        print(f"geocoded the events of {done} runs")
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    role = args.role or "all"
    try:
        settings = Settings()
    except ValidationError as exc:
        for line in explain(exc):
            print(f"invalid setting: {line}", file=sys.stderr)
        raise SystemExit(2) from None
    try:
        if role == "keys":
            keys(args, settings)
            return
        if role == "geocode":
            geocode(args, settings)
            return
        if role == "worker":
            anyio.run(_workers, settings)
            return
        check_exposure(settings)
    except ConfigurationError as exc:
        parser.exit(2, f"{exc}\n")
    except ServiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc
    uvicorn.run(
        create_app(settings, workers=role == "all"),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        log_config=None,  # uvicorn's loggers go through the service's one log stream
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
