"""Human review of figures (PATCH /figures/{id}, POST /figures/{id}/verdict) and of an event's
sides (PATCH /events/{id} with actors): stored beside the model's values, applied on read and
in exports, and carried over to a re-run that extracts the record again."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlmodel import Session, col

from service.store.tables import Actor
from tests.conftest import ARTICLE

# extract.v15's records: the strike lists civilians as its target, whose role a
# reviewer corrects. extract.v16 lists civilians as no actor
# (test_extract_v16_rules.py).
PROMPT_VERSION = "extract.v15"

STRIKE = "Air/drone strike"
SHELLING = "Shelling/artillery/missile attack"


async def posted(client: AsyncTestClient[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The events by sub-event type and the figures by event (strike: 40 killed, shelling: 4)."""
    answer = await client.post("/articles?wait=10", json={"text": ARTICLE})
    assert answer.status_code == 200, answer.text
    events = {e["sub_event_type"]: e for e in (await client.get("/events")).json()["items"]}
    figures = {f["event_id"]: f for f in (await client.get("/figures")).json()["items"]}
    return events, {sub: figures[e["id"]] for sub, e in events.items()}


async def csv_rows(client: AsyncTestClient[Any], query: str = "") -> dict[int, dict[str, str]]:
    answer = await client.get(f"/events.csv{query}")
    assert answer.status_code == 200, answer.text
    return {int(r["stable_id"]): r for r in csv.DictReader(io.StringIO(answer.text))}


async def test_a_figure_correction_is_stored_beside_the_models_value(
    client: AsyncTestClient[Any],
) -> None:
    events, figures = await posted(client)
    killed = figures[STRIKE]
    answer = await client.patch(
        f"/figures/{killed['id']}", json={"low": 35, "high": 45, "qualifier": "range"}
    )
    assert answer.status_code == 200, answer.text
    corrected = answer.json()
    assert (corrected["low"], corrected["high"], corrected["qualifier"]) == (35, 45, "range")
    assert corrected["model_values"] == {"low": 40, "high": None, "qualifier": "at_least"}
    by_field = {c["field"]: c for c in corrected["corrections"]}
    assert by_field["low"]["old"] == 40 and by_field["low"]["new"] == 35
    assert by_field["low"]["who"] == "anonymous" and by_field["low"]["at"]
    assert corrected["review"] == "unreviewed"
    assert corrected["updated_at"] > killed["updated_at"]
    # Sending the same values again stores nothing.
    same = await client.patch(f"/figures/{killed['id']}", json={"low": 35})
    assert len(same.json()["corrections"]) == 3
    # The list, the export and the events' ACLED fatalities all read it.
    listed = {f["id"]: f for f in (await client.get("/figures")).json()["items"]}
    assert listed[killed["id"]] == same.json()
    lines = [json.loads(line) for line in (await client.get("/figures.jsonl")).text.splitlines()]
    assert {f["id"]: f["low"] for f in lines}[killed["id"]] == 35
    assert (await csv_rows(client))[events[STRIKE]["stable_id"]]["fatalities"] == "35"
    # Moved to the other event: its fatalities count it, the strike has none left.
    moved = await client.patch(
        f"/figures/{killed['id']}", json={"event_id": events[SHELLING]["id"]}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["event_id"] == events[SHELLING]["id"]
    assert moved.json()["model_values"]["event_id"] == events[STRIKE]["id"]
    rows = await csv_rows(client)
    assert rows[events[STRIKE]["stable_id"]]["fatalities"] == "0"
    assert rows[events[SHELLING]["stable_id"]]["fatalities"] == "4"  # the lowest killed
    # The model's row is untouched.
    store = client.app.state.runtime.store
    article = store.get_article(killed["article_id"])
    assert {f.id: f.model_values.get("low") for f in article.figures}[killed["id"]] == 40


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "nothing to correct: send one or more of category"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
        ({"category": "eaten"}, "category: Input should be"),
        ({"qualifier": None}, "qualifier: cannot be null"),
        ({"low": -1}, "low: Input should be greater than or equal to 0"),
        ({"low": 50, "high": 45}, "low: low 50 is above high 45"),
        ({"high": 10}, "high: low 40 is above high 10"),
        ({"population": ""}, "population: String should have at least 1 character"),
        ({"event_id": 999}, "event_id: event 999 is not an event of figure"),
        ({"event_id": 2**70}, "event_id: Input should be less than or equal to"),  # was a 500
        ([], "body must be a JSON object"),
    ],
)
async def test_bad_figure_corrections_are_400s_that_name_the_field(
    client: AsyncTestClient[Any], body: Any, message: str
) -> None:
    killed = (await posted(client))[1][STRIKE]
    answer = await client.patch(f"/figures/{killed['id']}", json=body)
    assert answer.status_code == 400, answer.text
    assert message in answer.json()["error"]
    listed = (await client.get("/figures")).json()["items"]
    assert all(f["corrections"] == [] for f in listed)


async def test_figure_review_of_unknown_or_old_figures(client: AsyncTestClient[Any]) -> None:
    killed = (await posted(client))[1][STRIKE]
    answer = await client.patch("/figures/999", json={"low": 1})
    assert answer.status_code == 404 and "figure 999 does not exist" in answer.json()["error"]
    answer = await client.post("/figures/999/verdict", json={"verdict": "confirmed"})
    assert answer.status_code == 404
    answer = await client.post(f"/figures/{killed['id']}/verdict", json={"verdict": "maybe"})
    assert answer.status_code == 400 and "verdict: Input should be" in answer.json()["error"]
    await client.post(f"/articles/{killed['article_id']}/extract?wait=10")
    answer = await client.patch(f"/figures/{killed['id']}", json={"low": 1})
    assert answer.status_code == 404 and "not of its article's current run" in answer.text


async def test_figure_verdicts_filter_lists_exports_and_fatalities(
    client: AsyncTestClient[Any],
) -> None:
    events, figures = await posted(client)
    killed, other = figures[STRIKE], figures[SHELLING]
    answer = await client.post(
        f"/figures/{killed['id']}/verdict", json={"verdict": "rejected", "note": "double count"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["review"] == "rejected"
    assert answer.json()["verdict"]["note"] == "double count"
    await client.post(f"/figures/{other['id']}/verdict", json={"verdict": "confirmed"})

    async def listed(query: str = "") -> list[int]:
        answer = await client.get(f"/figures{query}")
        assert answer.status_code == 200, answer.text
        return [f["stable_id"] for f in answer.json()["items"]]

    assert await listed() == [other["stable_id"]]
    assert await listed("?review=rejected") == [killed["stable_id"]]
    assert await listed("?review=confirmed") == [other["stable_id"]]
    assert await listed("?review=unreviewed") == []
    assert len(await listed("?review=all")) == 2
    assert (await client.get("/figures?review=maybe")).status_code == 400
    jsonl = (await client.get("/figures.jsonl")).text.splitlines()
    assert [json.loads(line)["stable_id"] for line in jsonl] == [other["stable_id"]]
    assert len((await client.get("/figures.jsonl?review=all")).text.splitlines()) == 2
    # A rejected figure counts towards no event's fatalities.
    assert (await csv_rows(client))[events[STRIKE]["stable_id"]]["fatalities"] == "0"


async def test_a_rerun_keeps_figure_corrections_and_verdicts(
    client: AsyncTestClient[Any],
) -> None:
    events, figures = await posted(client)
    killed, other = figures[STRIKE], figures[SHELLING]
    await client.patch(f"/figures/{killed['id']}", json={"population": "children"})
    await client.patch(f"/figures/{other['id']}", json={"event_id": events[STRIKE]["id"]})
    await client.post(f"/figures/{other['id']}/verdict", json={"verdict": "confirmed"})
    rerun = await client.post(f"/articles/{killed['article_id']}/extract?wait=10")
    assert rerun.status_code == 200, rerun.text
    after = {f["stable_id"]: f for f in (await client.get("/figures?review=all")).json()["items"]}
    assert set(after) == {killed["stable_id"], other["stable_id"]}
    assert after[killed["stable_id"]]["id"] != killed["id"]
    assert after[killed["stable_id"]]["population"] == "children"
    assert after[killed["stable_id"]]["model_values"] == {"population": "civilians"}
    # The corrected event_id names the same event of the new run.
    strike = {e["stable_id"]: e for e in (await client.get("/events")).json()["items"]}[
        events[STRIKE]["stable_id"]
    ]
    assert strike["id"] != events[STRIKE]["id"]
    assert after[other["stable_id"]]["event_id"] == strike["id"]
    assert after[other["stable_id"]]["review"] == "confirmed"


async def test_an_events_sides_are_corrected_beside_the_models(
    client: AsyncTestClient[Any],
) -> None:
    events, _ = await posted(client)
    strike = events[STRIKE]
    jaysh = events[SHELLING]["actors"][0]["actor_id"]
    civilians = strike["actors"][0]["actor_id"]
    sides = [
        {"actor_id": jaysh, "role": "perpetrator"},
        {"actor_id": civilians, "role": "target"},
    ]
    answer = await client.patch(f"/events/{strike['id']}", json={"actors": sides})
    assert answer.status_code == 200, answer.text
    corrected = answer.json()
    assert [(a["actor_id"], a["name"], a["role"]) for a in corrected["actors"]] == [
        (jaysh, "Jaysh al-Islam", "perpetrator"),
        (civilians, "civilians", "target"),
    ]
    model = [{"actor_id": civilians, "name": "civilians", "role": "target"}]
    assert corrected["model_values"] == {"actors": model}
    [entry] = corrected["corrections"]
    assert entry["field"] == "actors" and entry["old"] == model
    assert [link["name"] for link in entry["new"]] == ["Jaysh al-Islam", "civilians"]
    # The same sides again store nothing; the event and events.csv read them.
    again = await client.patch(f"/events/{strike['id']}", json={"actors": sides})
    assert len(again.json()["corrections"]) == 1
    assert (await client.get(f"/events/{strike['id']}")).json() == again.json()
    row = (await csv_rows(client))[strike["stable_id"]]
    assert (row["actor1"], row["actor2"]) == ("Jaysh al-Islam", "civilians")
    # Listed by the model's links still (filters see the model's values).
    assert (await client.get("/events?actor=jaysh")).json()["items"][0]["id"] != strike["id"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"actors": [{"actor_id": 999, "role": "target"}]}, "actors: actor 999 is not an actor"),
        (
            {"actors": [{"actor_id": 2**70, "role": "target"}]},
            "actors.0.actor_id: Input should be less than or equal to",
        ),
        ({"actors": [{"actor_id": 2, "role": "victim"}]}, "actors.0.role: Input should be"),
        ({"actors": [{"actor_id": 2}]}, "actors.0.role: Field required"),
        ({"actors": None}, "actors: cannot be null"),
        (
            {"actors": [{"actor_id": 2, "role": "target"}, {"actor_id": 2, "role": "target"}]},
            "actors: actor 2 is listed twice",
        ),
        (
            {"actors": [], "actor_roles": {"civilians": "other"}},
            "actor_roles: send either actors or actor_roles",
        ),
    ],
)
async def test_bad_sides_are_400s(client: AsyncTestClient[Any], body: Any, message: str) -> None:
    strike = (await posted(client))[0][STRIKE]
    answer = await client.patch(f"/events/{strike['id']}", json=body)
    assert answer.status_code == 400, answer.text
    assert message in answer.json()["error"]
    assert (await client.get(f"/events/{strike['id']}")).json()["corrections"] == []


async def test_sides_of_another_article_are_400s(client: AsyncTestClient[Any]) -> None:
    strike = (await posted(client))[0][STRIKE]
    other = await client.post(
        "/articles?wait=10", json={"text": ARTICLE.replace("Douma", "Harasta")}
    )
    assert other.status_code == 200, other.text
    theirs = (await client.get(f"/actor-mentions?article_id={other.json()['article_id']}")).json()
    actor_id = theirs["items"][0]["id"]
    answer = await client.patch(
        f"/events/{strike['id']}", json={"actors": [{"actor_id": actor_id, "role": "target"}]}
    )
    assert answer.status_code == 400, answer.text
    assert f"actor {actor_id} is not an actor of event" in answer.json()["error"]


async def test_a_rerun_keeps_corrected_sides_by_the_actors_names(
    client: AsyncTestClient[Any],
) -> None:
    events, _ = await posted(client)
    strike = events[STRIKE]
    jaysh = events[SHELLING]["actors"][0]["actor_id"]
    answer = await client.patch(
        f"/events/{strike['id']}", json={"actors": [{"actor_id": jaysh, "role": "perpetrator"}]}
    )
    assert answer.status_code == 200, answer.text
    rerun = await client.post(f"/articles/{strike['article_id']}/extract?wait=10")
    assert rerun.status_code == 200, rerun.text
    after = {e["stable_id"]: e for e in (await client.get("/events")).json()["items"]}
    kept = after[strike["stable_id"]]
    [side] = kept["actors"]
    assert (side["name"], side["role"]) == ("Jaysh al-Islam", "perpetrator")
    assert side["actor_id"] != jaysh  # the new run's actor of that name
    assert kept["model_values"]["actors"][0]["name"] == "civilians"
    row = (await csv_rows(client))[strike["stable_id"]]
    assert (row["actor1"], row["actor2"]) == ("Jaysh al-Islam", "")
    # A run without an actor of that name: the model's sides stay, the correction is listed.
    store = client.app.state.runtime.store
    with Session(store.engine) as session:
        session.execute(
            update(Actor).where(col(Actor.id) == side["actor_id"]).values(name="Someone else")
        )
        session.commit()
    gone = (await client.get(f"/events/{kept['id']}")).json()
    assert [(a["name"], a["role"]) for a in gone["actors"]] == [("civilians", "target")]
    assert "actors" not in gone["model_values"]
    assert [c["field"] for c in gone["corrections"]] == ["actors"]
