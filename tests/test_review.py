"""Human review: corrections stored beside the model's values, verdicts, the review filter of
lists and exports, and both carried over to a re-run that extracts the event again."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from tests.conftest import ARTICLE, make_settings, seed_script
from tests.fake_llm import FakeLLM

# extract.v15's records: the strike lists civilians as its target, whose role a
# reviewer corrects. extract.v16 lists civilians as no actor
# (test_extract_v16_rules.py).
PROMPT_VERSION = "extract.v15"

STRIKE = "Air/drone strike"
SHELLING = "Shelling/artillery/missile attack"


async def posted(client: AsyncTestClient[Any]) -> dict[str, dict[str, Any]]:
    answer = await client.post("/articles?wait=10", json={"text": ARTICLE})
    assert answer.status_code == 200, answer.text
    events = (await client.get("/events")).json()["items"]
    return {e["sub_event_type"]: e for e in events}


async def csv_ids(client: AsyncTestClient[Any], query: str = "") -> list[int]:
    answer = await client.get(f"/events.csv{query}")
    assert answer.status_code == 200, answer.text
    return [int(row["stable_id"]) for row in csv.DictReader(io.StringIO(answer.text))]


async def test_a_correction_is_stored_beside_the_models_value(
    client: AsyncTestClient[Any],
) -> None:
    events = await posted(client)
    strike = events[STRIKE]
    answer = await client.patch(
        f"/events/{strike['id']}",
        json={"location": "Harasta", "date": "2018-04-05", "actor_roles": {"Civilians": "other"}},
    )
    assert answer.status_code == 200, answer.text
    corrected = answer.json()
    assert corrected["location"] == "Harasta" and corrected["date"] == "2018-04-05"
    assert corrected["model_values"] == {"location": "Douma", "date": strike["date"]}
    [civilians] = corrected["actors"]
    assert (civilians["role"], civilians["model_role"]) == ("other", "target")
    by_field = {c["field"]: c for c in corrected["corrections"]}
    assert by_field["location"]["old"] == "Douma" and by_field["location"]["new"] == "Harasta"
    assert by_field["location"]["who"] == "anonymous" and by_field["location"]["at"]
    assert by_field["actor_role"]["actor"] == "civilians"
    assert by_field["actor_role"]["old"] == "target"
    assert corrected["updated_at"] > strike["updated_at"]
    # A second correction of one field: its old value is the first correction's.
    again = await client.patch(f"/events/{strike['id']}", json={"location": "Arbin"})
    assert again.json()["model_values"]["location"] == "Douma"
    assert again.json()["corrections"][-1]["old"] == "Harasta"
    # Every read shows it: the list, the event, the export (filters see the model's values).
    listed = (await client.get(f"/events?location=douma&article_id={strike['article_id']}")).json()
    assert [e["location"] for e in listed["items"]] == ["Arbin"]
    assert (await client.get(f"/events/{strike['id']}")).json() == again.json()
    rows = list(csv.DictReader(io.StringIO((await client.get("/events.csv")).text)))
    assert {r["location"] for r in rows} == {"Arbin", "Damascus"}
    # The model's row is untouched: the run still says Douma.
    store = client.app.state.runtime.store
    assert store.get_article(strike["article_id"]).events[0].model_values["location"] == "Douma"


async def test_a_sub_type_alone_sets_its_event_type(client: AsyncTestClient[Any]) -> None:
    strike = (await posted(client))[STRIKE]
    answer = await client.patch(f"/events/{strike['id']}", json={"sub_event_type": "Armed clash"})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["event_type"], answer.json()["sub_event_type"]) == (
        "Battles",
        "Armed clash",
    )
    assert answer.json()["model_values"] == {
        "event_type": "Explosions/Remote violence",
        "sub_event_type": STRIKE,
    }
    # Sending the same value again stores nothing.
    same = await client.patch(f"/events/{strike['id']}", json={"sub_event_type": "Armed clash"})
    assert len(same.json()["corrections"]) == 2


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({}, 400, "nothing to correct"),
        ({"colour": "red"}, 400, "colour: Extra inputs are not permitted"),
        ({"sub_event_type": "Bombing"}, 400, "sub_event_type: Input should be"),
        ({"event_type": "Battles"}, 400, "is a sub-type of 'Explosions/Remote violence', not"),
        (
            {"event_type": "Battles", "sub_event_type": "Grenade"},
            400,
            "send with it a sub_event_type of 'Battles': Armed clash",
        ),
        ({"summary": None}, 400, "summary: cannot be null"),
        ({"summary": ""}, 400, "summary: String should have at least 1 character"),
        ({"date": "yesterday"}, 400, "date: Value error, must be an ISO date"),
        ({"date_precision": "hour"}, 400, "date_precision: Input should be"),
        ({"actor_roles": {"Nobody": "target"}}, 400, "has no actor named 'Nobody'"),
        ({"actor_roles": {"civilians": "victim"}}, 400, "actor_roles.civilians: Input should be"),
        ({"actor_roles": {}}, 400, "actor_roles: send an object"),
        ([], 400, "body must be a JSON object"),
    ],
)
async def test_bad_corrections_are_400s_that_say_why(
    client: AsyncTestClient[Any], body: Any, status: int, message: str
) -> None:
    strike = (await posted(client))[STRIKE]
    answer = await client.patch(f"/events/{strike['id']}", json=body)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"]
    assert (await client.get(f"/events/{strike['id']}")).json()["corrections"] == []


async def test_review_requests_that_name_nothing_or_send_no_json(
    client: AsyncTestClient[Any],
) -> None:
    strike = (await posted(client))[STRIKE]
    answer = await client.patch("/events/999", json={"location": "x"})
    assert answer.status_code == 404 and "event 999 does not exist" in answer.json()["error"]
    answer = await client.post("/events/999/verdict", json={"verdict": "confirmed"})
    assert answer.status_code == 404
    answer = await client.post(f"/events/{strike['id']}/verdict", json={"verdict": "maybe"})
    assert answer.status_code == 400 and "verdict: Input should be" in answer.json()["error"]
    answer = await client.patch(
        f"/events/{strike['id']}", content=b"location=x", headers={"content-type": "text/plain"}
    )
    assert answer.status_code == 415 and "application/json" in answer.json()["error"]
    # An event of an older run is not reviewable: its current successor is.
    await client.post(f"/articles/{strike['article_id']}/extract?wait=10")
    answer = await client.post(f"/events/{strike['id']}/verdict", json={"verdict": "confirmed"})
    assert answer.status_code == 404 and "not of its article's current run" in answer.text


async def test_verdicts_filter_lists_and_exports(client: AsyncTestClient[Any]) -> None:
    events = await posted(client)
    strike, shelling = events[STRIKE], events[SHELLING]
    answer = await client.post(
        f"/events/{strike['id']}/verdict", json={"verdict": "rejected", "note": "duplicate"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["review"] == "rejected"
    assert answer.json()["verdict"]["note"] == "duplicate"
    assert answer.json()["verdict"]["who"] == "anonymous"
    await client.post(f"/events/{shelling['id']}/verdict", json={"verdict": "confirmed"})

    async def listed(query: str = "") -> list[int]:
        answer = await client.get(f"/events{query}")
        assert answer.status_code == 200, answer.text
        return [e["stable_id"] for e in answer.json()["items"]]

    assert await listed() == [shelling["stable_id"]]  # default: not rejected
    assert await listed("?review=rejected") == [strike["stable_id"]]
    assert await listed("?review=confirmed") == [shelling["stable_id"]]
    assert await listed("?review=unreviewed") == []
    assert sorted(await listed("?review=all")) == sorted(
        [strike["stable_id"], shelling["stable_id"]]
    )
    assert await csv_ids(client) == [shelling["stable_id"]]
    assert await csv_ids(client, "?review=rejected") == [strike["stable_id"]]
    jsonl = (await client.get("/events.jsonl?review=all")).text.splitlines()
    assert len(jsonl) == 2
    assert (await client.get("/events?review=maybe")).status_code == 400
    # The article page still shows the rejected one, marked.
    page = (await client.get(f"/articles/{strike['article_id']}/view")).text
    assert 'data-review="rejected"' in page and 'data-review="confirmed"' in page


async def test_a_rerun_keeps_corrections_and_verdicts(
    client: AsyncTestClient[Any], fake_llm: FakeLLM
) -> None:
    events = await posted(client)
    strike, shelling = events[STRIKE], events[SHELLING]
    await client.patch(f"/events/{strike['id']}", json={"summary": "Reviewed summary."})
    await client.post(f"/events/{shelling['id']}/verdict", json={"verdict": "rejected"})
    rerun = await client.post(f"/articles/{strike['article_id']}/extract?wait=10")
    assert rerun.status_code == 200, rerun.text
    after = {e["stable_id"]: e for e in (await client.get("/events?review=all")).json()["items"]}
    assert set(after) == {strike["stable_id"], shelling["stable_id"]}
    kept = after[strike["stable_id"]]
    assert kept["id"] != strike["id"]
    assert kept["summary"] == "Reviewed summary."
    assert kept["model_values"]["summary"] == strike["summary"]
    assert after[shelling["stable_id"]]["review"] == "rejected"


@pytest.fixture
def keys_app(tmp_path: Path) -> Any:
    return create_app(
        make_settings(tmp_path, auth=True), llm_http_client=FakeLLM(script=seed_script).client()
    )


async def test_review_needs_a_write_key_when_keys_are_on(keys_app: Any) -> None:
    async with AsyncTestClient(app=keys_app) as client:
        store = client.app.state.runtime.store
        read = store.create_key("reader", "read").token
        write = store.create_key("editor", "write").token
        answer = await client.post(
            "/articles?wait=10", json={"text": ARTICLE}, headers={"x-api-key": write}
        )
        assert answer.status_code == 200, answer.text
        events = (await client.get("/events", headers={"x-api-key": read})).json()["items"]
        event_id = events[0]["id"]
        for method, url, body in (
            ("PATCH", f"/events/{event_id}", {"location": "x"}),
            ("POST", f"/events/{event_id}/verdict", {"verdict": "confirmed"}),
        ):
            answer = await client.request(method, url, json=body, headers={"x-api-key": read})
            assert answer.status_code == 403, answer.text
            assert answer.json()["detail"]["needed"] == "write"
            assert (await client.request(method, url, json=body)).status_code == 401
        answer = await client.patch(
            f"/events/{event_id}", json={"location": "x"}, headers={"x-api-key": write}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["corrections"][0]["who"].startswith("editor (key ")
