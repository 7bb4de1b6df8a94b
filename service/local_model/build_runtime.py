"""Build llama.cpp's ``llama-server`` once from the pinned llama-cpp-python sdist.

The llama-cpp-python sdist on PyPI vendors a whole llama.cpp tree (``vendor/llama.cpp``), so
the C++ server can be compiled from a registry download alone. Its grammar sampling runs in C++
rather than in llama-cpp-python's per-token Python loop (~10-15% faster per article on 2 cores,
and less memory). :func:`ensure_server` downloads the sdist, checks its sha256, extracts the
llama.cpp tree, configures and builds the ``llama-server`` target with the cmake from the
project's lock (the ``cmake`` package of the ``local`` extra) and installs the binary at a
versioned path under the model's data directory. Later calls reuse it.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path, PurePosixPath

import httpx

__all__ = [
    "CMAKE_OPTIONS",
    "LLAMA_CPP_PYTHON_VERSION",
    "PORTABLE_OPTIONS",
    "SDIST_SHA256",
    "SDIST_URL",
    "RuntimeBuildError",
    "cmake_options",
    "ensure_server",
    "extract_llama_cpp",
    "find_cmake",
    "installed_server",
    "main",
    "server_runs",
]

log = logging.getLogger(__name__)

# The uv.lock entry of llama-cpp-python 0.3.36 (the package the service ran before it built
# llama.cpp's own server); bump all three together.
LLAMA_CPP_PYTHON_VERSION = "0.3.36"
SDIST_URL = (
    "https://files.pythonhosted.org/packages/ec/e9/"
    "e7de2b0463ea3ffbf0ede6cb21b58c1258a8f6521aae45ca773a59fe7cf3/llama_cpp_python-0.3.36.tar.gz"
)
SDIST_SHA256 = "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"

SERVER_NAME = "llama-server"
# A static, CPU-only server without network features: no OpenSSL/curl (the model is local), no
# web UI (its assets would be downloaded at configure time). GGML_NATIVE stays at its default
# (-march=native): the binary is built on the machine that runs it, and the data directory
# that holds it is per machine. Copying it to an older CPU can fail with SIGILL; the
# ``--version`` check in ensure_server then rebuilds it. A binary built for other machines (a
# container image) is built with ``portable``: GGML_NATIVE=OFF, llama.cpp's fixed x86-64
# instruction set instead of the build host's.
#
# AMX stays off even where the CPU has it: -march=native on a Sapphire Rapids host compiles
# ggml's AMX matmul kernels in, and where the kernel or hypervisor does not grant the AMX tile
# state (a VM, seen on this project's machines) the server dies with SIGSEGV at its first
# ``ldtilecfg`` while loading the model, although ``--version`` runs. GCC and clang keep an
# explicit -mno-* over what -march=native turns on.
_NO_AMX = "-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
CMAKE_OPTIONS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=OFF",
    "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    f"-DCMAKE_C_FLAGS={_NO_AMX}",
    f"-DCMAKE_CXX_FLAGS={_NO_AMX}",
)
PORTABLE_OPTIONS = ("-DGGML_NATIVE=OFF",)


def cmake_options(*, portable: bool = False) -> tuple[str, ...]:
    return CMAKE_OPTIONS + (PORTABLE_OPTIONS if portable else ())


_SOURCE_PREFIX = f"llama_cpp_python-{LLAMA_CPP_PYTHON_VERSION}/vendor/llama.cpp/"
_RELEASE = f"{SERVER_NAME}-{LLAMA_CPP_PYTHON_VERSION}"
_CHUNK = 1024 * 1024
_VERSION_TIMEOUT_S = 30.0
_LOG_TAIL_LINES = 15


class RuntimeBuildError(Exception):
    """llama.cpp's server could not be downloaded, verified, built or run."""


def runtime_dir(data_dir: Path) -> Path:
    """Where built runtimes, their build logs and the build lock live."""
    return Path(data_dir) / "runtime"


def installed_server(data_dir: Path) -> Path:
    """The versioned path of the built server binary (it may not exist yet)."""
    return runtime_dir(data_dir) / _RELEASE / SERVER_NAME


def build_log(data_dir: Path) -> Path:
    return runtime_dir(data_dir) / f"{_RELEASE}.build.log"


def server_runs(binary: Path) -> bool:
    """Whether ``binary`` is an executable that answers ``--version`` successfully."""
    if not binary.is_file() or not os.access(binary, os.X_OK):
        return False
    try:
        done = subprocess.run(
            [str(binary), "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_VERSION_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def built_with(binary: Path, options: Sequence[str]) -> bool:
    """Whether ``binary``'s build-info.json names exactly these cmake options (a binary built
    with other options, e.g. before AMX was turned off, is rebuilt)."""
    try:
        info = json.loads((binary.parent / "build-info.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and info.get("cmake_options") == list(options)


def find_cmake() -> Path:
    """The cmake of this environment (the ``cmake`` package); never a system-wide one."""
    scripts = Path(sysconfig.get_path("scripts"))
    cmake = scripts / "cmake"
    if not (cmake.is_file() and os.access(cmake, os.X_OK)):
        raise RuntimeBuildError(
            f"cmake not found in {scripts}: install the local extra "
            "(uv sync --extra local, or pip install cmake)"
        )
    return cmake


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url: str, target: Path) -> None:
    transport = httpx.HTTPTransport(retries=3)  # connection failures only
    try:
        with (
            httpx.Client(transport=transport, timeout=60.0, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            response.raise_for_status()
            with target.open("wb") as out:
                for chunk in response.iter_bytes(_CHUNK):
                    out.write(chunk)
    except httpx.HTTPError as exc:
        raise RuntimeBuildError(f"cannot download {url}: {exc}") from exc


def _fetch_sdist(work: Path, sdist: Path | None) -> Path:
    """The verified sdist: ``sdist`` if given, else downloaded into ``work``."""
    if sdist is None:
        sdist = work / Path(SDIST_URL).name
        log.info("downloading %s", SDIST_URL)
        _download(SDIST_URL, sdist)
    actual = _sha256_file(sdist)
    if actual != SDIST_SHA256:
        raise RuntimeBuildError(
            f"{sdist.name} does not match the pinned llama-cpp-python {LLAMA_CPP_PYTHON_VERSION} "
            f"sdist: expected sha256 {SDIST_SHA256}, got {actual}; refusing to build it"
        )
    return sdist


def _relative_member_path(name: str, prefix: str) -> PurePosixPath | None:
    """The path of member ``name`` below ``prefix``; None if it lies outside the prefix."""
    if not name.startswith(prefix):
        return None
    relative = PurePosixPath(name[len(prefix) :])
    if relative.is_absolute() or ".." in relative.parts:
        raise RuntimeBuildError(f"refusing unsafe archive member {name!r}")
    return relative


def extract_llama_cpp(archive: Path, dest: Path, prefix: str = _SOURCE_PREFIX) -> Path:
    """Extract the regular files and directories below ``prefix`` into ``dest``.

    Nothing else is written: members that would leave ``dest`` (absolute, ``..``), links and
    device files make the whole extraction fail, and members outside ``prefix`` are skipped.
    """
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    written = 0
    with tarfile.open(archive, "r:*") as tar:
        for member in tar:
            relative = _relative_member_path(member.name, prefix)
            if relative is None or not relative.parts:
                continue
            target = root.joinpath(*relative.parts)
            if not target.resolve().is_relative_to(root):
                raise RuntimeBuildError(f"refusing unsafe archive member {member.name!r}")
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            if not member.isreg():
                raise RuntimeBuildError(
                    f"refusing archive member {member.name!r}: not a regular file or directory"
                )
            source = tar.extractfile(member)
            if source is None:
                raise RuntimeBuildError(f"cannot read archive member {member.name!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            with source, target.open("wb") as out:
                shutil.copyfileobj(source, out, _CHUNK)
            target.chmod(0o755 if member.mode & stat.S_IXUSR else 0o644)
            written += 1
    if written == 0:
        raise RuntimeBuildError(f"{archive.name} holds no files under {prefix}")
    return dest


def _log_tail(path: Path) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-_LOG_TAIL_LINES:])


def _run_logged(step: str, argv: Sequence[str], log_path: Path) -> None:
    with log_path.open("ab") as out:
        out.write(f"\n=== {time.strftime('%F %T')} {step}: {' '.join(argv)}\n".encode())
        out.flush()
        try:
            code = subprocess.run(
                list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
            ).returncode
        except OSError as exc:
            raise RuntimeBuildError(f"{step}: cannot run {argv[0]}: {exc}") from exc
    if code != 0:
        raise RuntimeBuildError(
            f"{step} failed with exit code {code}; full output in {log_path}. "
            f"Last lines:\n{_log_tail(log_path)}"
        )


def _jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _build(source: Path, build_dir: Path, log_path: Path, options: Sequence[str]) -> Path:
    cmake = str(find_cmake())
    configure = [cmake, "-S", str(source), "-B", str(build_dir), *options]
    _run_logged("configuring llama.cpp", configure, log_path)
    build = [cmake, "--build", str(build_dir), "--target", SERVER_NAME, "-j", str(_jobs())]
    _run_logged(f"building {SERVER_NAME}", build, log_path)
    binary = build_dir / "bin" / SERVER_NAME
    if not binary.is_file():
        raise RuntimeBuildError(f"the build succeeded but left no {binary}; see {log_path}")
    return binary


@contextlib.contextmanager
def _exclusive_lock(directory: Path) -> Iterator[None]:
    # Two services starting together must not both spend four minutes compiling.
    with (directory / f".{_RELEASE}.lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _install(binary: Path, final_dir: Path, info: dict[str, object]) -> None:
    """Move ``binary`` into ``final_dir`` in one rename, replacing a broken previous install."""
    parent = final_dir.parent
    staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{_RELEASE}.", suffix=".install"))
    try:
        target = staging / SERVER_NAME
        shutil.move(binary, target)
        target.chmod(0o755)
        (staging / "build-info.json").write_text(json.dumps(info, indent=2) + "\n")
        staging.chmod(0o755)
        if final_dir.exists():
            shutil.rmtree(final_dir)
        os.rename(staging, final_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_dir(parent)


def _remove_leftovers(directory: Path) -> None:
    # Work directories of a build that was killed (each holds ~0.5 GB of sources and objects).
    for pattern in (f".{_RELEASE}.*.build", f".{_RELEASE}.*.install"):
        for stale in directory.glob(pattern):
            shutil.rmtree(stale, ignore_errors=True)


def _build_and_install(
    directory: Path, sdist: Path | None, log_path: Path, final: Path, options: Sequence[str]
) -> None:
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(dir=directory, prefix=f".{_RELEASE}.", suffix=".build"))
    try:
        archive = _fetch_sdist(work, sdist)
        source = extract_llama_cpp(archive, work / "src")
        built = _build(source, work / "build", log_path, options)
        info: dict[str, object] = {
            "llama_cpp_python": LLAMA_CPP_PYTHON_VERSION,
            "sdist_url": SDIST_URL,
            "sdist_sha256": SDIST_SHA256,
            "cmake_options": list(options),
            "built_at": time.strftime("%FT%T%z"),
            "build_seconds": round(time.monotonic() - started, 1),
        }
        _install(built, final, info)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log.info("built %s in %.0f s", final, time.monotonic() - started)


def ensure_server(
    data_dir: Path,
    *,
    sdist: Path | None = None,
    on_build: Callable[[Path], None] | None = None,
    portable: bool = False,
) -> Path:
    """Return the path of a working ``llama-server`` under ``data_dir``, building it if needed.

    ``sdist`` is an already downloaded llama-cpp-python sdist (still sha256-checked) to use
    instead of downloading it. ``on_build`` is called with the build log's path right before a
    build starts, so callers can say that a slow first build is under way. ``portable`` builds
    for any x86-64 CPU llama.cpp supports by default rather than this one (GGML_NATIVE=OFF).
    """
    binary = installed_server(data_dir)
    options = cmake_options(portable=portable)

    def usable() -> bool:
        return built_with(binary, options) and server_runs(binary)

    if usable():
        return binary
    directory = runtime_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(directory):
        if usable():  # another process built it while we waited
            return binary
        broken = binary.exists() and built_with(binary, options)
        if binary.exists():
            log.warning("%s does not run or was built with other options; rebuilding it", binary)
        _remove_leftovers(directory)
        log_path = build_log(data_dir)
        log_path.write_text(f"building {_RELEASE} from {SDIST_URL}\n", encoding="utf-8")
        if on_build is not None:
            on_build(log_path)
        try:
            _build_and_install(directory, sdist, log_path, binary.parent, options)
        except RuntimeBuildError as exc:
            if broken:
                raise RuntimeBuildError(
                    f"{binary} does not run `--version` (built for another CPU?) and "
                    f"rebuilding it failed: {exc}"
                ) from exc
            raise
        if not server_runs(binary):
            raise RuntimeBuildError(f"the freshly built {binary} does not run; see {log_path}")
    return binary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m service.local_model.build_runtime",
        description="Build llama.cpp's server once (about 4 minutes on 2 cores); print its path.",
    )
    parser.add_argument(
        "--data-dir", type=Path, required=True, help="the model's data dir (runtime/ goes there)"
    )
    parser.add_argument(
        "--sdist",
        type=Path,
        help="an already downloaded llama-cpp-python sdist to build from (sha256-checked)",
    )
    parser.add_argument(
        "--portable",
        action="store_true",
        help="build for other machines too (GGML_NATIVE=OFF: llama.cpp's fixed instruction "
        "set, not this CPU's -march=native), e.g. for a container image",
    )
    args = parser.parse_args(argv)

    def announce(log_path: Path) -> None:
        print(
            f"building llama.cpp server, first time only (~4 min on 2 cores); log: {log_path}",
            file=sys.stderr,
        )

    try:
        path = ensure_server(
            args.data_dir, sdist=args.sdist, on_build=announce, portable=args.portable
        )
    except RuntimeBuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    raise SystemExit(main())
