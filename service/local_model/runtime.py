"""Starting the embedded model from settings, inside the service's lifespan."""

from __future__ import annotations

import shutil
from contextlib import AsyncExitStack
from pathlib import Path

import anyio.to_thread
import structlog

from service.errors import LocalModelError
from service.local_model.assemble import ModelAssemblyError, ensure_model
from service.local_model.build_runtime import RuntimeBuildError, ensure_server, server_runs
from service.local_model.server import LocalModelServer, LocalServerConfig, LocalServerError
from service.settings import Settings

log = structlog.get_logger(__name__)


def _announce_build(log_path: Path) -> None:
    log.info("building llama.cpp server, first time only, ~4 min", build_log=str(log_path))


def _given_server(name: str) -> Path:
    found = shutil.which(name)
    if found is None or not server_runs(Path(found)):
        raise LocalModelError(
            f"CONFLICT_LOCAL_MODEL_SERVER={name!r} is not an executable that runs `--version`"
        )
    return Path(found)


def _server_binary(settings: Settings) -> Path:
    if settings.local_model_server:
        return _given_server(settings.local_model_server)
    try:
        return ensure_server(settings.local_model_dir, on_build=_announce_build)
    except RuntimeBuildError as exc:
        raise LocalModelError(f"llama.cpp server unavailable: {exc}") from exc


async def start_local_model(settings: Settings, stack: AsyncExitStack) -> str:
    """Build (once) llama.cpp's server, assemble (once) and verify the model, start the server
    and stop it with the stack."""
    data_dir = settings.local_model_dir
    binary = await anyio.to_thread.run_sync(_server_binary, settings)
    try:
        model_path = await anyio.to_thread.run_sync(ensure_model, data_dir)
    except ModelAssemblyError as exc:
        raise LocalModelError(f"embedded model unavailable: {exc}") from exc
    config = LocalServerConfig(
        model_path=model_path,
        server_binary=binary,
        port=settings.local_model_port,
        n_ctx=settings.local_model_ctx,
        n_threads=settings.local_model_threads,
        model_alias=settings.llm_model,
        log_path=data_dir / "llama-server.log",
    )
    server = LocalModelServer(config)
    log.info("starting embedded model", model=str(model_path), server=str(binary), port=config.port)
    try:
        await server.start()
    except LocalServerError as exc:
        raise LocalModelError(f"embedded model server did not start: {exc}") from exc
    stack.push_async_callback(server.stop)
    log.info("embedded model ready", base_url=server.base_url)
    return server.base_url
