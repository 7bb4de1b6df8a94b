"""Code-side rules on the model's picks: an outlet credited with a report is neither a side nor
the place of the event it reports."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.fake_llm import Answer, FakeLLM, event, facts

TEXT = (
    "Jaysh al-Islam fighters shelled Damascus on Friday, killing four people, the Syrian "
    "Observatory for Human Rights said."
)


def script(sentence: str, attempt: int) -> Answer:
    sohr = "Syrian Observatory for Human Rights"
    return facts(
        source=sohr,
        events=[
            event(
                "Shelling/artillery/missile attack",
                by=[("Jaysh al-Islam", "rebel group"), (sohr, "monitor/media")],
                against=[(sohr, "monitor/media")],
                location=sohr,
            )
        ],
        figures=["killed"],
    )


@pytest.fixture
def fake_llm() -> FakeLLM:
    return FakeLLM(script=script)


async def test_a_credited_outlet_is_neither_a_side_nor_a_place(
    client: AsyncTestClient[Any],
) -> None:
    answer = await client.post("/articles?wait=10", json={"text": TEXT})
    assert answer.status_code == 200, answer.text
    [stored] = answer.json()["article"]["events"]
    assert [(a["name"], a["role"]) for a in stored["actors"]] == [("Jaysh al-Islam", "perpetrator")]
    # the outlet is no place; the sentence's place stands in, chosen by code (extract.v16)
    assert (stored["location"], stored["location_inferred"]) == ("Damascus", True)
    assert stored["reported_by"] == "Syrian Observatory for Human Rights"
