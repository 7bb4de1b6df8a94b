"""Plumbing of the llama.cpp server build: nothing is compiled and nothing is downloaded."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import textwrap
from pathlib import Path

import pytest

from service.errors import LocalModelError
from service.local_model import build_runtime
from service.local_model.build_runtime import (
    RuntimeBuildError,
    ensure_server,
    extract_llama_cpp,
    find_cmake,
    installed_server,
)
from service.local_model.runtime import _server_binary
from service.settings import Settings

PREFIX = "llama_cpp_python-0.3.36/vendor/llama.cpp/"


def _tarball(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755 if name.endswith(".sh") else 0o644
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return path


def _fake_sdist(tmp_path: Path) -> Path:
    return _tarball(
        tmp_path / "llama_cpp_python-0.3.36.tar.gz",
        {
            "llama_cpp_python-0.3.36/pyproject.toml": b"[project]\n",
            f"{PREFIX}CMakeLists.txt": b"project(llama.cpp)\n",
            f"{PREFIX}scripts/build-info.sh": b"#!/bin/sh\n",
        },
    )


FAKE_CMAKE = textwrap.dedent(
    """\
    #!/bin/sh
    # Records its calls; configure checks the sources, --build makes a bin/llama-server.
    echo "$*" >> {calls}
    if [ "$1" = "-S" ]; then
        test -f "$2/CMakeLists.txt" || {{ echo "no CMakeLists.txt in $2"; exit 1; }}
        echo "-- Configuring done"
        exit 0
    fi
    if [ "{fail}" = "yes" ]; then
        echo "server.cpp:1: error: boom"
        exit 2
    fi
    mkdir -p "$2/bin"
    printf '#!/bin/sh\\necho "version: fake"\\n' > "$2/bin/llama-server"
    chmod +x "$2/bin/llama-server"
    """
)


@pytest.fixture
def fake_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A fake cmake and an sdist whose sha256 is the pinned one; returns (sdist, calls file)."""
    sdist = _fake_sdist(tmp_path)
    monkeypatch.setattr(
        build_runtime, "SDIST_SHA256", hashlib.sha256(sdist.read_bytes()).hexdigest()
    )
    calls = tmp_path / "cmake-calls"
    _fake_cmake(tmp_path, monkeypatch, calls, fail=False)
    return sdist, calls


def _fake_cmake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, calls: Path, *, fail: bool
) -> None:
    cmake = tmp_path / "bin" / "cmake"
    cmake.parent.mkdir(exist_ok=True)
    cmake.write_text(FAKE_CMAKE.format(calls=calls, fail="yes" if fail else "no"))
    cmake.chmod(0o755)
    monkeypatch.setattr(build_runtime, "find_cmake", lambda: cmake)


def _no_download(url: str, target: Path) -> None:
    raise AssertionError("must not download")


def _leftovers(data_dir: Path) -> list[str]:
    runtime = data_dir / "runtime"
    return sorted(p.name for p in runtime.iterdir() if p.name.endswith((".build", ".install")))


def test_builds_once_installs_at_the_versioned_path_and_reuses_it(
    tmp_path: Path, fake_build: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    sdist, calls = fake_build
    monkeypatch.setattr(build_runtime, "_download", _no_download)
    data_dir = tmp_path / "models"
    announced: list[Path] = []
    binary = ensure_server(data_dir, sdist=sdist, on_build=announced.append)
    assert binary == data_dir / "runtime" / "llama-server-0.3.36" / "llama-server"
    assert binary == installed_server(data_dir)
    assert build_runtime.server_runs(binary)
    assert announced == [data_dir / "runtime" / "llama-server-0.3.36.build.log"]
    configure, build = calls.read_text().splitlines()
    assert configure.startswith("-S ") and "-DLLAMA_BUILD_SERVER=ON" in configure
    assert "-DLLAMA_CURL=OFF" in configure and "-DBUILD_SHARED_LIBS=OFF" in configure
    assert build.startswith("--build ") and "--target llama-server -j " in build
    assert (binary.parent / "build-info.json").is_file()
    assert _leftovers(data_dir) == []
    assert sdist.exists()  # a given sdist is the caller's

    assert ensure_server(data_dir, sdist=sdist, on_build=announced.append) == binary
    assert len(calls.read_text().splitlines()) == 2  # reused: cmake not run again
    assert len(announced) == 1


def test_a_default_build_is_native_a_portable_one_is_not(
    tmp_path: Path, fake_build: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    sdist, calls = fake_build
    ensure_server(tmp_path / "native", sdist=sdist)
    # The CLI's --portable (the Dockerfile's build) reaches cmake.
    assert build_runtime.main(["--data-dir", str(tmp_path / "portable"), "--sdist", str(sdist),
                               "--portable"]) == 0  # fmt: skip
    native, _, portable, _ = calls.read_text().splitlines()
    assert "GGML_NATIVE" not in native
    assert portable.split()[-1] == "-DGGML_NATIVE=OFF"
    info = (installed_server(tmp_path / "portable").parent / "build-info.json").read_text()
    assert '"-DGGML_NATIVE=OFF"' in info


def test_rebuilds_a_binary_that_does_not_run(tmp_path: Path, fake_build: tuple[Path, Path]) -> None:
    sdist, calls = fake_build
    data_dir = tmp_path / "models"
    binary = installed_server(data_dir)
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\nexit 132\n")  # e.g. SIGILL on another CPU
    binary.chmod(0o755)
    assert ensure_server(data_dir, sdist=sdist) == binary
    assert build_runtime.server_runs(binary)
    assert len(calls.read_text().splitlines()) == 2


def test_refuses_a_download_whose_sha256_differs(
    tmp_path: Path, fake_build: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, calls = fake_build
    monkeypatch.setattr(build_runtime, "SDIST_SHA256", "0" * 64)
    downloaded: list[str] = []

    def fake_download(url: str, target: Path) -> None:
        downloaded.append(url)
        _fake_sdist(target.parent).rename(target)

    monkeypatch.setattr(build_runtime, "_download", fake_download)
    data_dir = tmp_path / "models"
    with pytest.raises(RuntimeBuildError, match=r"expected sha256 0{64}, got [0-9a-f]{64}"):
        ensure_server(data_dir)
    assert downloaded == [build_runtime.SDIST_URL]
    assert not calls.exists()  # nothing was configured or built
    assert not installed_server(data_dir).parent.exists()
    assert _leftovers(data_dir) == []


def test_a_failed_build_names_the_step_and_the_log(
    tmp_path: Path, fake_build: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    sdist, calls = fake_build
    _fake_cmake(tmp_path, monkeypatch, calls, fail=True)
    data_dir = tmp_path / "models"
    log_path = data_dir / "runtime" / "llama-server-0.3.36.build.log"
    with pytest.raises(RuntimeBuildError) as err:
        ensure_server(data_dir, sdist=sdist)
    message = str(err.value)
    assert "building llama-server failed with exit code 2" in message
    assert str(log_path) in message
    assert "error: boom" in message  # the log's last lines
    assert "-- Configuring done" in log_path.read_text()
    assert not installed_server(data_dir).exists()
    assert _leftovers(data_dir) == []


def test_removes_work_dirs_of_an_interrupted_build(
    tmp_path: Path, fake_build: tuple[Path, Path]
) -> None:
    sdist, _ = fake_build
    runtime = tmp_path / "models" / "runtime"
    stale = runtime / ".llama-server-0.3.36.x1y2.build"
    (stale / "src").mkdir(parents=True)
    ensure_server(tmp_path / "models", sdist=sdist)
    assert not stale.exists()


def test_missing_cmake_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_runtime.sysconfig, "get_path", lambda name: str(tmp_path))
    with pytest.raises(RuntimeBuildError, match=r"cmake not found in .*uv sync --extra local"):
        find_cmake()


# --------------------------------------------------------------------------- extraction


def test_extracts_only_the_llama_cpp_tree(tmp_path: Path) -> None:
    source = extract_llama_cpp(_fake_sdist(tmp_path), tmp_path / "src")
    files = sorted(str(p.relative_to(source)) for p in source.rglob("*") if p.is_file())
    assert files == ["CMakeLists.txt", "scripts/build-info.sh"]
    assert (source / "scripts" / "build-info.sh").stat().st_mode & 0o100


@pytest.mark.parametrize(
    "name",
    [
        f"{PREFIX}../../../escaped.txt",
        f"{PREFIX}ggml/../../../../escaped.txt",
        f"{PREFIX}/tmp/escaped.txt",
    ],
)
def test_extraction_refuses_members_that_leave_the_tree(tmp_path: Path, name: str) -> None:
    archive = _tarball(tmp_path / "evil.tar.gz", {f"{PREFIX}ok.txt": b"ok", name: b"evil"})
    dest = tmp_path / "deep" / "er" / "src"
    with pytest.raises(RuntimeBuildError, match="unsafe archive member"):
        extract_llama_cpp(archive, dest)
    assert not list(tmp_path.rglob("escaped.txt"))


def test_extraction_refuses_links(tmp_path: Path) -> None:
    archive = _tarball(
        tmp_path / "link.tar.gz", {f"{PREFIX}ok.txt": b"ok"}, links={f"{PREFIX}x": "/etc"}
    )
    with pytest.raises(RuntimeBuildError, match="not a regular file"):
        extract_llama_cpp(archive, tmp_path / "src")
    assert not (tmp_path / "src" / "x").exists()


def test_extraction_of_a_tarball_without_the_tree_fails(tmp_path: Path) -> None:
    archive = _tarball(tmp_path / "other.tar.gz", {"other-1.0/setup.py": b""})
    with pytest.raises(RuntimeBuildError, match="holds no files under"):
        extract_llama_cpp(archive, tmp_path / "src")


# --------------------------------------------------------------------------- settings


def test_a_configured_server_binary_is_used_as_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_runtime, "_download", _no_download)
    binary = tmp_path / "my-llama-server"
    binary.write_text("#!/bin/sh\necho version: mine\n")
    binary.chmod(0o755)
    settings = Settings(local_model_server=str(binary), local_model_dir=tmp_path / "models")
    assert _server_binary(settings) == binary
    assert not (tmp_path / "models").exists()  # nothing built

    broken = Settings(local_model_server=str(tmp_path / "missing"))
    with pytest.raises(LocalModelError, match="CONFLICT_LOCAL_MODEL_SERVER"):
        _server_binary(broken)


def test_amx_is_off_and_a_binary_built_with_other_options_is_rebuilt(
    tmp_path: Path, fake_build: tuple[Path, Path]
) -> None:
    """A server built before AMX was turned off runs ``--version`` but dies loading the model
    on a CPU whose AMX tile state the VM does not grant: it is rebuilt, not reused."""
    sdist, calls = fake_build
    data_dir = tmp_path / "models"
    binary = ensure_server(data_dir, sdist=sdist)
    configure = calls.read_text().splitlines()[0]
    assert "-DCMAKE_C_FLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16" in configure
    assert "-DCMAKE_CXX_FLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16" in configure

    info = binary.parent / "build-info.json"
    older = [o for o in build_runtime.cmake_options() if "amx" not in o]
    info.write_text(json.dumps({"cmake_options": older}))
    assert ensure_server(data_dir, sdist=sdist) == binary
    assert len(calls.read_text().splitlines()) == 4  # configured and built again
    assert json.loads(info.read_text())["cmake_options"] == list(build_runtime.cmake_options())
    assert ensure_server(data_dir, sdist=sdist) == binary
    assert len(calls.read_text().splitlines()) == 4
