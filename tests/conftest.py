from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.settings import Settings
from tests.fake_llm import Answer, FakeLLM, event, facts

ARTICLE = (
    "Published: Sun, April 08, 2018\n"
    "Airstrikes pound Douma\n"
    "\n"
    "At least 40 civilians were killed on Friday as airstrikes pounded Douma, the Syrian "
    "Observatory for Human Rights said. Jaysh al-Islam fired mortar shells on Damascus on "
    "Saturday, killing four people.\n"
    "Should the army storm the town, it would kill hundreds of rebels."
)


def seed_script(sentence: str, attempt: int) -> Answer:
    """Correct answers for ARTICLE's sentences."""
    if sentence.startswith("At least 40 civilians"):
        town = next(t for t in ("Douma", "Harasta", "Arbin") if t in sentence)
        return facts(
            source="Syrian Observatory for Human Rights",
            events=[event("Air/drone strike", against=[("civilians", "civilians")], location=town)],
            figures=["killed"],
        )
    if sentence.startswith("Jaysh al-Islam fired"):
        return facts(
            events=[
                event(
                    "Shelling/artillery/missile attack",
                    by=[("Jaysh al-Islam", "rebel group")],
                    location="Damascus",
                )
            ],
            figures=["killed"],
        )
    if sentence.startswith("Should the army"):
        return facts(
            events=[event("Armed clash", by=[("army", "state forces")], status="hypothetical")],
            figures=["killed"],
        )
    return facts()


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{tmp_path / 'test.db'}",
        "llm_base_url": "http://fake-llm.test/v1",
        "llm_model": "fake-model",
        "llm_http_retries": 0,
        "llm_max_retries": 1,
        "workers": 1,
        "max_article_chars": 5_000,
        "max_batch_articles": 5,
        "run_retry_backoff_s": 0,
        "database_retry_s": 2,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def fake_llm() -> FakeLLM:
    return FakeLLM(script=seed_script)


ClientFactory = Callable[..., Any]


@pytest.fixture
async def client(tmp_path: Path, fake_llm: FakeLLM) -> AsyncIterator[AsyncTestClient[Any]]:
    http = fake_llm.client()
    app = create_app(make_settings(tmp_path), llm_http_client=http)
    async with AsyncTestClient(app=app) as test_client:
        yield test_client
    await http.aclose()
