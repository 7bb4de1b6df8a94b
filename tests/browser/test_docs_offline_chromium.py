"""The API docs page renders its operations with every host but the service unreachable (the
embedded model is meant for machines without internet): its scripts come from the service."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_article_view_chromium import base_url, chromium, run_chromium

pytestmark = pytest.mark.browser
__all__ = ["base_url", "chromium"]


def test_docs_render_offline(base_url: str, chromium: str, tmp_path: Path) -> None:
    host = base_url.split("://", 1)[1].split("/", 1)[0].split(":")[0]
    dom = run_chromium(
        chromium,
        tmp_path / "profile",
        # any name but the service's resolves to nothing: a CDN script would not load
        f"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {host}",
        "--virtual-time-budget=15000",
        "--dump-dom",
        f"{base_url}/schema",
    ).stdout
    assert "swagger-ui" in dom
    assert dom.count('class="opblock ') >= 20, dom[:2000]
    assert "listArticles" in dom or "List stored articles" in dom
