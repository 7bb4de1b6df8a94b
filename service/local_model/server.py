"""Supervise a llama.cpp ``llama-server`` child process serving the embedded GGUF model."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

__all__ = [
    "LocalModelServer",
    "LocalServerConfig",
    "LocalServerError",
    "build_command",
]

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
_LOG_TAIL_BYTES = 4000


class LocalServerError(RuntimeError):
    """The local model server could not be started or kept running."""


@dataclass(frozen=True)
class LocalServerConfig:
    model_path: Path
    # llama.cpp's llama-server (service.local_model.build_runtime builds the pinned one).
    server_binary: Path = Path("llama-server")
    host: str = "127.0.0.1"
    port: int = 8089
    # Room for ~3k-token prompts plus a long structured answer; the KV cache costs ~28 KiB per
    # token for this model, so 8192 tokens is ~230 MiB.
    n_ctx: int = 8192
    n_threads: int = 2
    # One slot: on 2 cores parallel slots gave no throughput, and each slot prefills the
    # ~1000-token static prompt prefix again.
    n_parallel: int = 1
    model_alias: str = "qwen2.5-coder-1.5b-instruct"
    startup_timeout_s: float = 180.0
    log_path: Path | None = None
    # 0 = off. Consecutive requests already reuse their common prefix in the live KV cache; the
    # RAM prompt cache (-cram, in MiB) would also restore older prefixes (interleaved articles)
    # but by default grows up to 8 GiB.
    prompt_cache_mib: int = 0
    extra_args: tuple[str, ...] = ()
    # Replaces the whole llama-server command line (tests use a fake server).
    command: tuple[str, ...] | None = None
    stop_grace_s: float = 10.0
    max_restarts: int = 5
    restart_backoff_s: float = 1.0
    restart_backoff_max_s: float = 30.0
    # A child that stayed up this long before dying starts a fresh restart budget.
    restart_reset_after_s: float = 300.0
    poll_interval_s: float = 0.25


def build_command(config: LocalServerConfig) -> list[str]:
    """The argv that starts the server for ``config``."""
    if config.command is not None:
        return list(config.command)
    argv = [
        str(config.server_binary),
        "-m",
        str(config.model_path),
        "-a",
        config.model_alias,
        "--host",
        config.host,
        "--port",
        str(config.port),
        "-c",
        str(config.n_ctx),
        "-t",
        str(config.n_threads),
        "-tb",
        str(config.n_threads),
        "-np",
        str(config.n_parallel),
        "-cram",
        str(config.prompt_cache_mib),
        "--no-webui",
    ]
    return [*argv, *config.extra_args]


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _port_in_use(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # Like uvicorn: lingering TIME_WAIT connections must not count as "in use".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def _die_with_parent_hook() -> Callable[[], None] | None:
    # PR_SET_PDEATHSIG makes the kernel SIGKILL the child even when the parent is SIGKILLed,
    # which no atexit/signal-handler cleanup can do; SIGKILL because a server that is still
    # finishing a minute-long generation for a dead client is worth nothing. Caveat: the
    # signal follows the *thread* that forked, i.e. the event loop thread.
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # parent died before prctl took effect
            os._exit(1)

    return hook


class LocalModelServer:
    """Start, health-check, restart and stop one llama.cpp server process."""

    def __init__(self, config: LocalServerConfig) -> None:
        self.config = config
        self._proc: asyncio.subprocess.Process | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._stopping = False
        self.restarts = 0

    @property
    def base_url(self) -> str:
        return f"http://{_url_host(self.config.host)}:{self.config.port}/v1"

    @property
    def health_url(self) -> str:
        # llama-server answers 503 here while it loads the model, 200 once it can serve.
        return f"http://{_url_host(self.config.host)}:{self.config.port}/health"

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.returncode is None else None

    async def __aenter__(self) -> LocalModelServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Spawn the server, wait until it answers, then keep it alive in the background."""
        if self._watchdog is not None and not self._watchdog.done():
            return
        self._stopping = False
        self.restarts = 0
        started = time.monotonic()
        try:
            await self._spawn_and_wait()
        except BaseException:
            await self._terminate()
            raise
        log.info(
            "local model server ready at %s (pid %s) in %.1fs",
            self.base_url,
            self.pid,
            time.monotonic() - started,
        )
        self._watchdog = asyncio.create_task(self._watch(), name="local-model-watchdog")

    async def stop(self) -> None:
        """Stop the watchdog, then SIGTERM the server and SIGKILL it after the grace period."""
        self._stopping = True
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
        await self._terminate()

    async def healthy(self) -> bool:
        if self._proc is None or self._proc.returncode is not None:
            return False
        async with httpx.AsyncClient(timeout=5.0) as client:
            return await self._answers(client)

    async def _answers(self, client: httpx.AsyncClient) -> bool:
        try:
            response = await client.get(self.health_url)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    def _open_log(self) -> IO[bytes] | None:
        path = self.config.log_path
        if path is None:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.open("ab")

    def _log_tail(self) -> str:
        path = self.config.log_path
        if path is None:
            return "(server output discarded: set log_path to keep it)"
        try:
            with path.open("rb") as fh:
                fh.seek(max(0, path.stat().st_size - _LOG_TAIL_BYTES))
                tail = fh.read().decode("utf-8", errors="replace")
        except OSError as exc:
            return f"(cannot read {path}: {exc})"
        return f"last output in {path}:\n{tail}"

    async def _spawn(self) -> asyncio.subprocess.Process:
        config = self.config
        if _port_in_use(config.host, config.port):
            raise LocalServerError(
                f"{config.host}:{config.port} is already in use; another server would answer "
                "the health checks instead of ours"
            )
        argv = build_command(config)
        log_fh = self._open_log()
        kwargs: dict[str, Any] = {}
        hook = _die_with_parent_hook()
        if hook is not None:
            kwargs["preexec_fn"] = hook
        try:
            if log_fh is not None:
                log_fh.write(f"\n=== {time.strftime('%F %T')} starting: {argv}\n".encode())
                log_fh.flush()
            proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=subprocess.DEVNULL,
                stdout=log_fh if log_fh is not None else subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                # Keep terminal signals (Ctrl-C) away from the child: stop() decides.
                start_new_session=True,
                **kwargs,
            )
        except OSError as exc:
            raise LocalServerError(f"cannot start {argv[0]!r}: {exc}") from exc
        finally:
            if log_fh is not None:
                log_fh.close()  # the child has its own descriptor
        self._proc = proc
        log.info("started local model server pid %d: %s", proc.pid, " ".join(argv))
        return proc

    async def _spawn_and_wait(self) -> None:
        proc = await self._spawn()
        deadline = time.monotonic() + self.config.startup_timeout_s
        async with httpx.AsyncClient(timeout=5.0) as client:
            while True:
                if proc.returncode is not None:
                    raise LocalServerError(
                        f"local model server exited with code {proc.returncode} during "
                        f"startup; {self._log_tail()}"
                    )
                if await self._answers(client):
                    return
                if time.monotonic() >= deadline:
                    raise LocalServerError(
                        f"local model server did not answer {self.health_url} within "
                        f"{self.config.startup_timeout_s:.0f}s; {self._log_tail()}"
                    )
                await asyncio.sleep(self.config.poll_interval_s)

    async def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
            try:
                async with asyncio.timeout(self.config.stop_grace_s):
                    await proc.wait()
            except TimeoutError:
                log.warning("local model server pid %d ignored SIGTERM; killing it", proc.pid)
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
        await proc.wait()

    async def _watch(self) -> None:
        config = self.config
        failures = 0
        while not self._stopping:
            proc = self._proc
            up_since = time.monotonic()
            if proc is not None:
                code = await proc.wait()
                if self._stopping:
                    return
                log.warning("local model server pid %d exited with code %s", proc.pid, code)
                if time.monotonic() - up_since >= config.restart_reset_after_s:
                    failures = 0
            failures += 1
            if failures > config.max_restarts:
                log.error(
                    "local model server died %d times in a row; giving up. %s",
                    failures,
                    self._log_tail(),
                )
                self._proc = None
                return
            delay = min(
                config.restart_backoff_s * 2 ** (failures - 1), config.restart_backoff_max_s
            )
            log.info("restarting local model server in %.1fs (attempt %d)", delay, failures)
            await asyncio.sleep(delay)
            self._proc = None
            try:
                await self._spawn_and_wait()
            except LocalServerError as exc:
                log.error("restarting local model server failed: %s", exc)
                await self._terminate()
                continue
            self.restarts += 1
            log.info("local model server restarted (pid %s)", self.pid)
