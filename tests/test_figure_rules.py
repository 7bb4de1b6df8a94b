"""Code-side rules on the model's figure labels: a count of things counts no people."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.fake_llm import Answer, FakeLLM, facts

TEXT = "About 300 fighters left Douma in three batches, and thousands of homes were destroyed."


def script(sentence: str, attempt: int) -> Answer:
    # what a small model does: every count labelled as people
    return facts(figures=["evacuated", "fighters", "displaced"])


@pytest.fixture
def fake_llm() -> FakeLLM:
    return FakeLLM(script=script)


async def test_a_count_of_things_is_never_a_count_of_people(
    client: AsyncTestClient[Any],
) -> None:
    answer = await client.post("/articles?wait=10", json={"text": TEXT})
    assert answer.status_code == 200, answer.text
    figures = {f["evidence"]: f["category"] for f in answer.json()["article"]["figures"]}
    assert figures == {
        "About 300 fighters": "evacuated",
        "three batches": "other",
        "thousands of homes": "other",
    }
