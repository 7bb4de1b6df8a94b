"""The full API path against a fake OpenAI-compatible endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from service.app import create_app
from service.store.database import create_db_engine
from service.store.repository import Store
from service.store.runs import ArticleInput
from tests.conftest import ARTICLE, DEFAULT_PROMPT, make_settings, seed_script
from tests.fake_llm import Answer, FakeLLM, OutputCut, event, facts


def assert_grounded(article: dict[str, Any]) -> None:
    text = article["text"]
    for kind in ("events", "actors", "figures"):
        for record in article[kind]:
            assert text[record["start"] : record["end"]] == record["evidence"], (kind, record)


async def test_extraction_is_stored_with_verified_offsets(
    client: AsyncTestClient[Any], fake_llm: FakeLLM
) -> None:
    answer = await client.post(
        "/articles?wait=10", json={"text": ARTICLE, "url": "https://x.test/a"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["created"] is True
    assert body["run"]["status"] == "succeeded"
    article = body["article"]
    assert article["title"] == "Airstrikes pound Douma"
    assert article["published_date"] == "2018-04-08"
    assert_grounded(article)

    events = {e["sub_event_type"]: e for e in article["events"]}
    assert set(events) == {"Air/drone strike", "Shelling/artillery/missile attack"}
    strike = events["Air/drone strike"]
    assert strike["event_type"] == "Explosions/Remote violence"
    assert strike["date"] == "2018-04-06" and strike["date_precision"] == "day"
    assert strike["location"] == "Douma"
    assert strike["reported_by"] == "Syrian Observatory for Human Rights"
    assert strike["summary"] == (
        # civilians are counted by the figures, no side (extract.v16)
        "Unidentified actors - air/drone strike in Douma on 2018-04-06."
    )
    assert strike["provenance"] == {
        "run_id": body["run"]["id"],
        "model": "fake-model",
        "prompt_version": DEFAULT_PROMPT,
        "schema_version": "2",
    }
    shelling = events["Shelling/artillery/missile attack"]
    assert [(a["name"], a["role"]) for a in shelling["actors"]] == [
        ("Jaysh al-Islam", "perpetrator")
    ]

    figures = {f["evidence"]: f for f in article["figures"]}
    assert figures["At least 40 civilians"]["low"] == 40
    assert figures["At least 40 civilians"]["high"] is None
    assert figures["At least 40 civilians"]["qualifier"] == "at_least"
    assert figures["At least 40 civilians"]["population"] == "civilians"
    assert figures["four people"]["low"] == figures["four people"]["high"] == 4
    assert figures["four people"]["event_id"] == shelling["id"]

    # the hypothetical sentence produced no event
    assert all("storm" not in e["evidence"] for e in article["events"])
    # static prefix first, the article next, the sentence last: shared by every call
    prefixes = {tuple(m["content"] for m in r["messages"][:2]) for r in fake_llm.requests}
    assert len(prefixes) == 1
    monitor = next(a for a in article["actors"] if a["name"].startswith("Syrian Observatory"))
    assert monitor["actor_type"] == "monitor/media"
    # the headline and the dateline were not sent to the model
    assert len(fake_llm.requests) == 3
    # nor is a count of a hypothetical event a fact
    assert "hundreds of rebels" not in {f["evidence"] for f in article["figures"]}


async def test_invalid_output_is_reasked_then_accepted(
    client: AsyncTestClient[Any], fake_llm: FakeLLM
) -> None:
    def script(sentence: str, attempt: int) -> Answer:
        answer = seed_script(sentence, attempt)
        if sentence.startswith("Jaysh al-Islam fired") and attempt == 0:
            answer["events"][0]["by"] = [("Free Syrian Army", "rebel group")]  # not listed
        return answer

    fake_llm.script = script
    body = (await client.post("/articles?wait=10", json={"text": ARTICLE})).json()
    assert body["run"]["status"] == "succeeded"
    assert body["run"]["retries"] == 1
    reask = [r for r in fake_llm.requests if "name 99 is not a listed name" in str(r["messages"])]
    assert reask, "the validation error was not fed back to the model"
    names = {a["name"] for a in body["article"]["actors"]}
    assert "Jaysh al-Islam" in names


async def test_ungrounded_items_are_dropped_and_counted(
    client: AsyncTestClient[Any], fake_llm: FakeLLM
) -> None:
    def script(sentence: str, attempt: int) -> Answer:
        answer = seed_script(sentence, attempt)
        if sentence.startswith("At least 40"):
            answer["source"] = "Reuters"  # not a listed name: ungrounded
            answer["figures"].append("wounded")  # a label for a count that is not there
        return answer

    fake_llm.script = script
    body = (await client.post("/articles?wait=10", json={"text": ARTICLE})).json()
    run = body["run"]
    assert run["status"] == "succeeded"
    assert run["retries"] == 1
    assert run["dropped"] == 2
    reasons = " ".join(d["reason"] for d in run["dropped_detail"])
    assert "source 99 is not a listed name" in reasons
    assert "labels beyond the listed counts" in reasons
    article = body["article"]
    strike = next(e for e in article["events"] if e["sub_event_type"] == "Air/drone strike")
    assert strike["reported_by"] is None
    assert [f["evidence"] for f in article["figures"]] == ["At least 40 civilians", "four people"]
    assert_grounded(article)


async def test_llm_down_fails_the_run_keeps_the_article_and_rerun_succeeds(
    client: AsyncTestClient[Any], fake_llm: FakeLLM
) -> None:
    fake_llm.down = True
    first = await client.post("/articles?wait=10", json={"text": ARTICLE})
    body = first.json()
    assert first.status_code == 200
    assert body["run"]["status"] == "failed"
    assert body["run"]["reason"] == "poisoned"
    assert body["run"]["attempts"] == 3
    assert "failed 3 times" in body["run"]["error"]
    assert "LLM endpoint failed" in body["run"]["error"]
    article_id = body["article_id"]
    stored = (await client.get(f"/articles/{article_id}")).json()
    assert stored["text"].startswith("Published: Sun, April 08, 2018")
    assert stored["events"] == []

    fake_llm.down = False
    again = await client.post(f"/articles/{article_id}/extract?wait=10")
    assert again.status_code == 200
    assert again.json()["run"]["status"] == "succeeded"
    stored = (await client.get(f"/articles/{article_id}")).json()
    assert [r["status"] for r in stored["runs"]] == ["failed", "succeeded"]
    assert len(stored["events"]) == 2


async def test_reposting_the_same_text_returns_the_stored_article(
    client: AsyncTestClient[Any],
) -> None:
    first = await client.post("/articles", json={"text": ARTICLE})
    assert first.status_code == 202
    assert first.headers["location"] == f"/articles/{first.json()['article_id']}"
    second = await client.post(
        "/articles", content=ARTICLE + "\n", headers={"content-type": "text/plain"}
    )
    assert second.status_code == 200
    assert second.json()["created"] is False
    assert second.json()["article_id"] == first.json()["article_id"]
    assert second.json()["run"]["id"] == first.json()["run"]["id"]


async def test_text_plain_and_batch(client: AsyncTestClient[Any]) -> None:
    plain = await client.post(
        "/articles?wait=10",
        content="Rebels shelled Harasta on Monday, killing 3 people.",
        headers={"content-type": "text/plain; charset=utf-8"},
    )
    assert plain.status_code == 200 and plain.json()["created"] is True
    batch = await client.post(
        "/articles/batch?wait=10",
        json={"articles": [{"text": ARTICLE}, {"text": "Another article about Douma fighting."}]},
    )
    assert batch.status_code == 200, batch.text
    items = batch.json()["items"]
    assert [i["created"] for i in items] == [True, True]
    assert all(i["run"]["status"] == "succeeded" for i in items)


async def test_rerun_keeps_older_runs_queryable(client: AsyncTestClient[Any]) -> None:
    body = (await client.post("/articles?wait=10", json={"text": ARTICLE})).json()
    first_run = body["run"]["id"]
    rerun = (await client.post(f"/articles/{body['article_id']}/extract?wait=10")).json()
    second_run = rerun["run"]["id"]
    assert second_run != first_run
    current = (await client.get("/events")).json()["items"]
    assert {e["provenance"]["run_id"] for e in current} == {second_run}
    old = (await client.get(f"/events?run_id={first_run}")).json()["items"]
    assert len(old) == 2 and {e["provenance"]["run_id"] for e in old} == {first_run}
    run = (await client.get(f"/runs/{first_run}")).json()
    assert run["status"] == "succeeded"


async def test_interrupted_run_is_finished_after_restart(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    store = Store(create_db_engine(settings.database_url))
    ingested = store.ingest(ArticleInput(text=ARTICLE), "fake-model", "extract.v1")
    article_id, run_id = ingested.article_id, ingested.run_id
    assert run_id is not None
    # The crashed process had claimed it; its lease has run out since (lease_s=0).
    assert store.claim_next_run("fake-model", "crashed", lease_s=0, max_attempts=3) is not None
    assert store.run_status(run_id) == "running"
    store.engine.dispose()

    fake = FakeLLM(script=seed_script)
    http = fake.client()
    async with AsyncTestClient(app=create_app(settings, llm_http_client=http)) as client:
        for _ in range(100):
            run = (await client.get(f"/runs/{run_id}")).json()
            if run["status"] == "succeeded":
                break
            import asyncio

            await asyncio.sleep(0.05)
        assert run["status"] == "succeeded"
        assert run["attempts"] == 2
        article = (await client.get(f"/articles/{article_id}")).json()
        assert len(article["events"]) == 2
    await http.aclose()


async def test_health_ready_and_openapi(client: AsyncTestClient[Any], fake_llm: FakeLLM) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200 and ready.json()["llm"] == "ok"
    fake_llm.down = True
    not_ready = await client.get("/ready")
    assert not_ready.status_code == 503
    assert not_ready.json()["llm"].startswith("error")
    schema = (await client.get("/schema/openapi.json")).json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {
        "createArticle",
        "createArticles",
        "getArticle",
        "extractArticle",
        "listEvents",
        "listActors",
        "listFigures",
        "getRun",
        "health",
        "ready",
    } <= operations
    create = schema["paths"]["/articles"]["post"]["requestBody"]["content"]
    assert set(create) == {"application/json", "text/plain"}


async def test_an_unusable_answer_costs_its_sentence_only(
    client: AsyncTestClient[Any], fake_llm: FakeLLM
) -> None:
    def script(sentence: str, attempt: int) -> Answer:
        if sentence.startswith("Jaysh al-Islam fired"):
            raise OutputCut
        return seed_script(sentence, attempt)

    fake_llm.script = script
    body = (await client.post("/articles?wait=10", json={"text": ARTICLE})).json()
    run = body["run"]
    assert run["status"] == "succeeded"
    assert any("max_tokens" in d["reason"] for d in run["dropped_detail"])
    assert [e["sub_event_type"] for e in body["article"]["events"]] == ["Air/drone strike"]


async def _extract_with(
    tmp_path: Path, fake: FakeLLM, text: str = ARTICLE, **settings: Any
) -> dict[str, Any]:
    http = fake.client()
    app = create_app(make_settings(tmp_path, **settings), llm_http_client=http)
    async with AsyncTestClient(app=app) as test_client:
        body: dict[str, Any] = (
            await test_client.post("/articles?wait=10", json={"text": text})
        ).json()
    await http.aclose()
    assert body["run"]["status"] == "succeeded", body
    return body


def _records(body: dict[str, Any]) -> tuple[Any, ...]:
    article = body["article"]
    return (
        sorted((a["name"], a["actor_type"]) for a in article["actors"]),
        sorted((e["sub_event_type"], e["summary"]) for e in article["events"]),
        sorted((f["category"], f["evidence"]) for f in article["figures"]),
    )


async def test_v2_in_grammar_mode_matches_v1_in_tools_mode(tmp_path: Path) -> None:
    v1, v2 = FakeLLM(script=seed_script), FakeLLM(script=seed_script)
    old = await _extract_with(tmp_path / "v1", v1, prompt_version="extract.v1", llm_mode="tools")
    new = await _extract_with(tmp_path / "v2", v2, prompt_version="extract.v2", llm_mode="grammar")
    assert _records(new) == _records(old)
    assert new["run"]["prompt_version"] == "extract.v2"
    assert all("tools" not in r for r in v2.requests)
    grammars = [r["response_format"]["schema"] for r in v2.requests]
    # each sentence's grammar admits only its own listed numbers; actors that the rules type
    # cost no question
    strike = next(
        g for g, r in zip(grammars, v2.requests, strict=True)
        if "Sentence: At least 40 civilians" in r["messages"][-1]["content"]
    )  # fmt: skip
    names = strike["properties"]["source"]["enum"]
    assert names[-1] is None and names[:-1] == list(range(1, len(names)))
    assert strike["properties"]["figures"]["minItems"] == 1
    typing = [g for g in grammars if set(g["properties"]) == {"type"}]
    assert len(typing) < len(old["article"]["actors"])


def _hezbollah_script(sentence: str, attempt: int) -> Answer:
    """seed_script, with Hezbollah (which no rule types) shelling Damascus twice over."""
    if sentence.startswith("Hezbollah fired"):
        shelling = event(
            "Shelling/artillery/missile attack",
            by=[("Hezbollah", "political militia")],
            location="Damascus",
        )
        return facts(events=[shelling, shelling], figures=["killed"])
    return seed_script(sentence, attempt)


async def test_v4_rows_with_follow_up_actor_questions(tmp_path: Path) -> None:
    text = ARTICLE.replace("Jaysh al-Islam fired", "Hezbollah fired")
    v2, v4 = FakeLLM(script=_hezbollah_script), FakeLLM(script=_hezbollah_script)
    grammar = {"llm_mode": "grammar"}
    old = await _extract_with(tmp_path / "v2", v2, text, prompt_version="extract.v2", **grammar)
    new = await _extract_with(tmp_path / "v4", v4, text, prompt_version="extract.v4", **grammar)
    # same records; the repeated row is one event; Hezbollah typed by the follow-up answer
    assert _records(new) == _records(old)
    assert ("Hezbollah", "political militia") in _records(new)[0]
    assert [e["sub_event_type"] for e in new["article"]["events"]].count(
        "Shelling/artillery/missile attack"
    ) == 1
    assert new["run"]["prompt_version"] == "extract.v4"
    rows = [r for r in v4.requests if "prefixItems" in str(r["response_format"]["schema"])]
    assert rows and all(len(r["messages"]) == 3 for r in rows)
    follow_ups = [r for r in v4.requests if r not in rows]
    assert len(follow_ups) == 1
    *conversation, answer, question = follow_ups[0]["messages"]
    asked = next(r for r in rows if "Hezbollah fired" in r["messages"][-1]["content"])
    # the follow-up repeats the sentence's conversation and answer verbatim: a cached prefix
    assert conversation == asked["messages"] and answer["role"] == "assistant"
    assert answer["content"].startswith('{"source": null, "events": [["happened", "shelling"')
    assert question == {"role": "user", "content": 'Actor type of "Hezbollah"?'}
