"""``python -m service [all|api|worker]``: the HTTP API and extraction workers in one process
(``all``, the default, on the embedded model unless an endpoint is set), the API alone, or the
workers alone. Any number of ``api`` and ``worker`` processes can share one PostgreSQL database.
"""

from __future__ import annotations

import argparse
import signal
import sys

import anyio
import uvicorn
from pydantic import ValidationError

from service.app import create_app, serve_workers
from service.settings import Settings, explain


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m service", description=__doc__)
    parser.add_argument("role", nargs="?", choices=["all", "api", "worker"], default="all")
    role = parser.parse_args(argv).role
    try:
        settings = Settings()
    except ValidationError as exc:
        for line in explain(exc):
            print(f"invalid setting: {line}", file=sys.stderr)
        raise SystemExit(2) from None
    if role == "worker":
        anyio.run(_workers, settings)
        return
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
