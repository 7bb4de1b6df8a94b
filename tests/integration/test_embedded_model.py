"""End to end on a real model: run by scripts/integration.sh against a started service.

Deselected from the unit run (pytest -m 'not integration'); CONFLICT_IT_BASE_URL names the
service under test.
"""

from __future__ import annotations

from typing import Any

import pytest

from service.extraction.records import SCHEMA_VERSION
from service.extraction.taxonomy import EVENT_TYPE_OF, SubEventType
from service.settings import Settings
from tests import live_service

pytestmark = pytest.mark.integration
# The service under test reads the same environment (scripts/integration.sh sets no prompt).
PROMPT_VERSION = Settings().prompt_version


@pytest.fixture(scope="module")
def extracted() -> dict[str, Any]:
    return live_service.extracted_article(live_service.SEED)


def test_records_come_back_grounded_and_schema_valid(extracted: dict[str, Any]) -> None:
    text = extracted["text"]
    assert extracted["events"], "no event extracted"
    assert extracted["actors"], "no actor extracted"
    assert extracted["figures"], "no figure extracted"
    for kind in ("events", "actors", "figures"):
        for record in extracted[kind]:
            assert text[record["start"] : record["end"]] == record["evidence"]
            assert record["provenance"]["schema_version"] == SCHEMA_VERSION
            assert record["provenance"]["prompt_version"] == PROMPT_VERSION
    for event in extracted["events"]:
        sub_type = SubEventType(event["sub_event_type"])
        assert event["event_type"] == EVENT_TYPE_OF[sub_type].value


def test_figures_are_parsed_by_code(extracted: dict[str, Any]) -> None:
    figures = {f["evidence"]: f for f in extracted["figures"]}
    if "At least 40 civilians" in figures:
        at_least = figures["At least 40 civilians"]
        assert (at_least["low"], at_least["high"], at_least["qualifier"]) == (40, None, "at_least")
    for figure in figures.values():
        assert figure["low"] is not None or figure["high"] is not None
