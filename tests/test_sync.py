"""Stable ids across re-extraction, and keeping a copy in sync with ?updated_since= and
GET /deleted only (README "Keeping a copy in sync")."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service.identifiers import article_iso3, event_id_cnty
from service.resolution.matching import Keyed, match
from tests.conftest import ARTICLE, seed_script
from tests.fake_llm import Answer, FakeLLM, event, facts

# -- matching, pure ------------------------------------------------------------------------------


def keyed(key: int, start: int, end: int, kind: str, group: str = "g", place: str = "") -> Keyed:
    return Keyed(key=key, start=start, end=end, kind=kind, group=group, place=place or None)


def test_the_same_sub_type_over_the_same_span_is_the_same_record() -> None:
    old = [keyed(10, 0, 50, "strike", place="douma"), keyed(11, 51, 90, "shelling")]
    new = [keyed(0, 51, 90, "shelling"), keyed(1, 0, 50, "strike", place="douma")]
    assert match(new, old) == {0: 11, 1: 10}


def test_two_events_of_one_sentence_are_told_apart_by_place_then_position() -> None:
    old = [keyed(10, 0, 50, "strike", place="douma"), keyed(11, 0, 50, "strike", place="arbin")]
    new = [keyed(0, 0, 50, "strike", place="arbin"), keyed(1, 0, 50, "strike", place="douma")]
    assert match(new, old) == {0: 11, 1: 10}
    same = [keyed(0, 0, 50, "strike"), keyed(1, 0, 50, "strike")]
    assert match(same, [keyed(10, 0, 50, "strike"), keyed(11, 0, 50, "strike")]) == {0: 10, 1: 11}


def test_records_agreeing_on_nothing_or_far_apart_are_not_matched() -> None:
    old = [keyed(10, 0, 50, "strike", group="explosions", place="douma")]
    # Another event type at another place over the same span: another occurrence.
    assert match([keyed(0, 0, 50, "clash", group="battles", place="arbin")], old) == {}
    # The same sub-type in another sentence.
    assert match([keyed(0, 60, 90, "strike", group="explosions", place="douma")], old) == {}
    # Another sub-type of the same event type, or at the same place: the model changed its mind.
    assert match([keyed(0, 0, 50, "shelling", group="explosions")], old) == {0: 10}
    assert match([keyed(0, 0, 50, "clash", group="battles", place="douma")], old) == {0: 10}


def test_event_id_cnty() -> None:
    assert event_id_cnty("SYR", 42) == "SYR42"
    assert event_id_cnty("syr", 42) == "SYR42"
    assert event_id_cnty(None, 7) == "XXX7"
    assert event_id_cnty("SY", 7) == "XXX7"
    assert article_iso3(ARTICLE) == "SYR"
    assert article_iso3("No country named here.") is None


# -- through the API -----------------------------------------------------------------------------


def rerun_script(sentence: str, attempt: int) -> Answer:
    """The first sentence again, the second sentence's event gone, the last one a new event."""
    if sentence.startswith("Jaysh al-Islam fired"):
        return facts()
    if sentence.startswith("Rebels clashed"):
        return facts(
            events=[event("Armed clash", by=[("Rebels", "rebel group")], location="Harasta")]
        )
    return seed_script(sentence, attempt)


# ARTICLE and a sentence the first run finds no event in
CLASH_ARTICLE = ARTICLE + "\nRebels clashed with troops in Harasta on Sunday."


HARASTA = (
    "At least 40 civilians were killed in Syria as airstrikes pounded Harasta, the Syrian "
    "Observatory for Human Rights said."
)


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z")


async def all_items(client: AsyncTestClient[Any], url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        sep = "&" if "?" in url else "?"
        page_url = f"{url}{sep}limit=2" + (f"&cursor={cursor}" if cursor else "")
        answer = await client.get(page_url)
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return items


class Copy:
    """A downstream copy, kept only with ?updated_since= and GET /deleted."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, int], dict[str, Any]] = {}
        self.since: str | None = None

    async def sync(self, client: AsyncTestClient[Any]) -> None:
        started = now()
        query = f"?updated_since={self.since}" if self.since else ""
        deleted = await all_items(
            client, "/deleted" + (f"?since={self.since}" if self.since else "")
        )
        for gone in deleted:
            self.records.pop((gone["kind"], gone["stable_id"]), None)
        for kind, url in (("event", "/events"), ("figure", "/figures")):
            for item in await all_items(client, url + query):
                self.records[(kind, item["stable_id"])] = item
        self.since = started


async def served(client: AsyncTestClient[Any]) -> dict[tuple[str, int], dict[str, Any]]:
    events = await all_items(client, "/events")
    figures = await all_items(client, "/figures")
    return {("event", e["stable_id"]): e for e in events} | {
        ("figure", f["stable_id"]): f for f in figures
    }


@pytest.fixture
def fake_llm() -> FakeLLM:
    return FakeLLM(script=seed_script)


async def test_a_copy_stays_in_sync_across_a_rerun_and_a_delete(
    client: AsyncTestClient[Any], fake_llm: FakeLLM
) -> None:
    other = await client.post(
        "/articles?wait=10",
        json={"text": HARASTA},
    )
    posted = await client.post("/articles?wait=10", json={"text": CLASH_ARTICLE})
    assert posted.status_code == 200, posted.text
    article_id = posted.json()["article_id"]
    copy = Copy()
    await copy.sync(client)
    assert copy.records == await served(client)
    before = {e["sub_event_type"]: e for e in await all_items(client, "/events")}
    strike = before["Air/drone strike"]
    shelling = before["Shelling/artillery/missile attack"]
    assert strike["event_id_cnty"] == f"SYR{strike['stable_id']}"
    old_figures = await all_items(client, f"/figures?article_id={article_id}")

    fake_llm.script = rerun_script
    rerun = await client.post(f"/articles/{article_id}/extract?wait=10")
    assert rerun.status_code == 200, rerun.text
    after = {e["sub_event_type"]: e for e in await all_items(client, "/events")}
    assert after["Air/drone strike"]["stable_id"] == strike["stable_id"]
    assert after["Air/drone strike"]["id"] != strike["id"]  # a row of the new run
    assert after["Armed clash"]["stable_id"] not in {e["stable_id"] for e in before.values()}
    assert "Shelling/artillery/missile attack" not in after
    # The Douma figure is the same figure; the Damascus one is gone.
    new_figures = await all_items(client, f"/figures?article_id={article_id}")
    assert len(old_figures) == 2 and len(new_figures) == 1
    assert new_figures[0]["stable_id"] == old_figures[0]["stable_id"]

    deleted = (await client.get("/deleted?kind=event")).json()["items"]
    assert [(d["stable_id"], d["reason"]) for d in deleted] == [
        (shelling["stable_id"], "not_found_by_rerun")
    ]
    assert deleted[0]["event_id_cnty"] == shelling["event_id_cnty"]
    await copy.sync(client)
    assert copy.records == await served(client)

    # Nothing changed: an incremental sync fetches nothing.
    since = copy.since
    assert await all_items(client, f"/events?updated_since={since}") == []
    assert await all_items(client, f"/deleted?since={since}") == []

    removed = await client.delete(f"/articles/{article_id}")
    assert removed.status_code == 204, removed.text
    await copy.sync(client)
    assert copy.records == await served(client)
    assert {r["article_id"] for r in copy.records.values()} == {other.json()["article_id"]}
    gone = await all_items(client, f"/deleted?since={since}")
    assert {g["reason"] for g in gone} == {"article_deleted"}
    assert after["Air/drone strike"]["stable_id"] in {g["stable_id"] for g in gone}


async def test_updated_since_and_deleted_reject_bad_times(client: AsyncTestClient[Any]) -> None:
    for url in ("/events?updated_since=yesterday", "/deleted?since=2018-13-01", "/deleted?kind=x"):
        answer = await client.get(url)
        assert answer.status_code == 400, url
    assert (await client.get("/events.csv?updated_since=2030-01-01T00:00:00Z")).status_code == 200


SOMALIA = (
    "Published: Mon, March 03, 2025\n"
    "Al-Shabaab militants attacked a base in Baidoa on Sunday, killing three soldiers.\n"
    "Hours later militants shelled Kismayo, Somalia's southern port.\n"
)


def somalia_script(sentence: str, attempt: int) -> Answer:
    if sentence.startswith("Al-Shabaab"):
        return facts(events=[event("Armed clash", location="Baidoa")], figures=["killed"])
    if sentence.startswith("Hours later"):
        return facts(events=[event("Shelling/artillery/missile attack", location="Kismayo")])
    return facts()


async def test_event_id_cnty_is_the_geocoded_country(tmp_path: Any) -> None:
    """Somalia is no country the article's own name count knows: the gazetteer gives SOM."""
    from service.app import create_app
    from tests.conftest import make_settings

    http = FakeLLM(script=somalia_script).client()
    app = create_app(make_settings(tmp_path), llm_http_client=http)
    async with AsyncTestClient(app=app) as client:
        posted = await client.post("/articles?wait=10", json={"text": SOMALIA})
        assert posted.json()["run"]["status"] == "succeeded", posted.text
        events = await all_items(client, "/events")
    await http.aclose()
    assert article_iso3(SOMALIA) is None
    assert {e["location"]: e["event_id_cnty"][:3] for e in events} == {
        "Baidoa": "SOM",
        "Kismayo": "SOM",
    }
