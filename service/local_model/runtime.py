"""Starting the embedded model from settings, inside the service's lifespan."""

from __future__ import annotations

import dataclasses
from contextlib import AsyncExitStack

import anyio.to_thread
import structlog

from service.errors import LocalModelError
from service.local_model.assemble import ModelAssemblyError, ensure_model
from service.local_model.server import LocalModelServer, LocalServerConfig, LocalServerError
from service.settings import Settings

log = structlog.get_logger(__name__)


async def start_local_model(settings: Settings, stack: AsyncExitStack) -> str:
    """Assemble (once) and verify the model, start its server, stop it with the stack."""
    data_dir = settings.local_model_dir
    try:
        model_path = await anyio.to_thread.run_sync(ensure_model, data_dir)
    except ModelAssemblyError as exc:
        raise LocalModelError(f"embedded model unavailable: {exc}") from exc
    config = LocalServerConfig(
        model_path=model_path,
        port=settings.local_model_port,
        n_ctx=settings.local_model_ctx,
        n_threads=settings.local_model_threads,
        model_alias=settings.llm_model,
        log_path=data_dir / "llama-server.log",
    )
    if settings.local_model_python:
        config = dataclasses.replace(config, python=settings.local_model_python)
    server = LocalModelServer(config)
    log.info("starting embedded model", model=str(model_path), port=config.port)
    try:
        await server.start()
    except LocalServerError as exc:
        raise LocalModelError(f"embedded model server did not start: {exc}") from exc
    stack.push_async_callback(server.stop)
    log.info("embedded model ready", base_url=server.base_url)
    return server.base_url
