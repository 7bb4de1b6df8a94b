"""The annotated article page in a real browser: run by scripts/integration.sh against a started
service, with Debian's chromium.

Deselected from the unit run (pytest -m 'not integration and not browser'). CONFLICT_IT_BASE_URL
names the service; CONFLICT_IT_ARTICLE optionally names another article file to post (e.g. one
a fake model has answers for).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests import live_service

pytestmark = pytest.mark.browser
SEED = live_service.SEED
KINDS = {"event": "events", "actor": "actors", "figure": "figures"}


@pytest.fixture(scope="module")
def base_url() -> str:
    return live_service.base_url()


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not on PATH: apt-get install chromium (Debian)")
    return path


@pytest.fixture(scope="module")
def article() -> dict[str, Any]:
    return live_service.extracted_article(Path(os.environ.get("CONFLICT_IT_ARTICLE") or SEED))


def run_chromium(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}"
    return done


class MarkCounter(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.kinds: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        kind = dict(attrs).get("data-kind")
        if kind is not None:
            self.kinds[kind] += 1


def test_dumped_dom_marks_every_record(
    article: dict[str, Any], base_url: str, chromium: str, tmp_path: Path
) -> None:
    url = f"{base_url}/articles/{article['id']}/view"
    dom = run_chromium(chromium, tmp_path / "profile", "--dump-dom", url).stdout
    counter = MarkCounter()
    counter.feed(dom)
    expected = {kind: len(article[key]) for kind, key in KINDS.items()}
    assert all(n >= 1 for n in expected.values()), f"the run extracted {expected}"
    assert dict(counter.kinds) == expected, f"marks in the DOM of {url}"


def test_screenshot_renders(
    article: dict[str, Any], base_url: str, chromium: str, tmp_path: Path
) -> None:
    shot = tmp_path / "view.png"
    run_chromium(
        chromium,
        tmp_path / "profile",
        f"--screenshot={shot}",
        "--window-size=1280,1600",
        f"{base_url}/articles/{article['id']}/view",
    )
    assert shot.exists(), "chromium wrote no screenshot"
    assert shot.stat().st_size > 20_000, f"screenshot is only {shot.stat().st_size} bytes"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
