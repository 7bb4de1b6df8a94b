"""The user's cache folder for what this project builds once and reuses across checkouts."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/conflict-extract`` (``~/.cache/conflict-extract`` when unset)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "conflict-extract"


def models_dir() -> Path:
    return cache_dir() / "models"
