"""Each record's confidence: the model's token probabilities of the part of the answer that
decides it, calibrated per prompt version and model."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.extraction.confidence import (
    AnswerProbabilities,
    Calibration,
    CalibrationFile,
    Platt,
    Token,
    fit_platt,
    load_calibrations,
    save_calibrations,
    value_spans,
)
from tests.conftest import ARTICLE, make_settings, seed_script
from tests.fake_llm import FakeLLM


def test_value_spans_locate_every_value_of_a_row_answer() -> None:
    answer = '{"source": 2, "events": [["happened", "clash", [1, 3], [], null]], "figures": []}'
    spans = value_spans(answer)
    assert answer.__getitem__(slice(*spans[("events", 0, 1)])) == '"clash"'
    assert answer.__getitem__(slice(*spans[("events", 0, 2, 1)])) == "3"
    assert answer.__getitem__(slice(*spans[("source",)])) == "2"
    assert answer.__getitem__(slice(*spans[("events", 0)])).startswith('["happened"')
    assert value_spans('{"a": 1} trailing') == {}
    assert value_spans('{"a": ') == {}


def test_a_part_s_probability_is_the_product_of_its_tokens() -> None:
    answer = '{"figures": ["killed", "wounded"]}'
    # one token per value: the second label was a coin flip, the rest certain
    pieces = ['{"figures": [', '"killed"', ", ", '"wounded"', "]}"]
    logprobs = [0.0, math.log(0.9), 0.0, math.log(0.5), 0.0]
    tokens = [Token(t, lp) for t, lp in zip(pieces, logprobs, strict=True)]
    found = AnswerProbabilities.of(answer, tokens)
    assert found is not None
    assert found.of_paths(("figures", 0)) == pytest.approx(0.9)
    assert found.of_paths(("figures", 1)) == pytest.approx(0.5)
    assert found.of_paths(("figures", 0), ("figures", 1)) == pytest.approx(0.45)
    assert found.of_paths(("figures", 2)) is None
    # a closing quote shares its token with what follows: that token is not the label's
    merged = [Token('{"figures": ["', 0.0), Token("killed", math.log(0.8)), Token('"]}', -3.0)]
    single = AnswerProbabilities.of('{"figures": ["killed"]}', merged)
    assert single is not None
    assert single.of_paths(("figures", 0)) == pytest.approx(0.8)
    # tokens that do not spell the answer give no probabilities at all
    assert AnswerProbabilities.of(answer, tokens[:-1]) is None
    assert AnswerProbabilities.of(answer, None) is None


def test_platt_scaling_fits_an_overconfident_model() -> None:
    # says 0.95 each time, right half the time: calibrated near 0.5
    probabilities = [0.95] * 40 + [0.6] * 40
    correct = [n % 2 == 0 for n in range(40)] + [n % 5 == 0 for n in range(40)]
    scaling = fit_platt(probabilities, correct)
    assert scaling.apply(0.95) == pytest.approx(0.5, abs=0.05)
    assert scaling.apply(0.6) == pytest.approx(0.2, abs=0.05)
    assert 0.0 <= scaling.apply(0.0) <= scaling.apply(1.0) <= 1.0


def test_calibration_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "calibration.yaml"
    assert load_calibrations(path).calibrations == []
    file = CalibrationFile()
    entry = Calibration(
        prompt_version="extract.v5",
        model="m",
        fitted_on="dev.v1",
        fitted_at=dt.date(2026, 11, 29),
        event=Platt(a=0.5, b=-1.0),
    )
    file.put(entry)
    file.put(entry)  # replaces, does not duplicate
    save_calibrations(path, file)
    loaded = load_calibrations(path)
    assert loaded.calibrations == [entry]
    found = loaded.find("extract.v5", "m")
    assert found is not None
    assert found.apply("event", 0.9) == pytest.approx(Platt(a=0.5, b=-1.0).apply(0.9))
    assert found.apply("figure", 0.9) == 0.9  # no fit for figures: the raw probability
    assert loaded.find("extract.v5", "other-model") is None


async def _extract(tmp_path: Path, fake: FakeLLM, **settings: Any) -> dict[str, Any]:
    http = fake.client()
    app = create_app(make_settings(tmp_path, **settings), llm_http_client=http)
    async with AsyncTestClient(app=app) as client:
        body: dict[str, Any] = (
            await client.post("/articles?wait=10", json={"text": ARTICLE})
        ).json()
        assert body["run"]["status"] == "succeeded", body
        run = (await client.get(f"/runs/{body['run']['id']}")).json()
        everything = (await client.get("/events")).json()["items"]
        none = (await client.get("/events?min_confidence=1")).json()["items"]
        some = (await client.get("/events?min_confidence=0.5")).json()["items"]
        figures = (await client.get("/figures?min_confidence=0.5")).json()["items"]
        bad = await client.get("/events?min_confidence=1.5")
        csv = (await client.get("/events.csv")).text
    await http.aclose()
    return {
        "body": body,
        "run": run,
        "all": everything,
        "none": none,
        "some": some,
        "figures": figures,
        "bad": bad,
        "csv": csv,
    }


# (extract.v5 finds other candidates than this fake's script expects: its answers are salvaged,
# and a salvaged answer has no probabilities, since the kept parts moved.)
@pytest.mark.parametrize("prompt_version", ["extract.v4", "extract.v2"])
async def test_every_record_carries_the_model_s_probability(
    tmp_path: Path, prompt_version: str
) -> None:
    fake = FakeLLM(script=seed_script, token_logprob=-0.01, cache_n=60)
    got = await _extract(tmp_path, fake, prompt_version=prompt_version, llm_mode="grammar")
    article = got["body"]["article"]
    assert all(r.get("logprobs") is True for r in fake.requests)
    assert article["events"] and article["figures"]
    for kind in ("events", "figures", "actors"):
        for record in article[kind]:
            p = record["model_probability"]
            assert p is not None and 0.0 < p < 1.0, (kind, record)
            # no calibration for this model: the confidence is the raw probability
            assert record["confidence"] == p
    for event in article["events"]:
        for side in event["actors"]:
            assert side["model_probability"] is not None and 0.0 < side["model_probability"] < 1.0
    # an event's probability covers its opening, status and type: below one token's
    assert all(e["model_probability"] < math.exp(-0.01) for e in article["events"])
    assert len(got["all"]) == len(article["events"])
    assert got["none"] == []
    assert {e["id"] for e in got["some"]} == {e["id"] for e in got["all"]}
    assert got["figures"]
    assert got["bad"].status_code == 400
    assert "min_confidence" in got["bad"].text
    rows = list(csv.DictReader(io.StringIO(got["csv"])))
    by_id = {e["id"]: e["confidence"] for e in got["all"]}
    assert {int(r["event_id"]): float(r["confidence"]) for r in rows} == by_id
    assert got["run"]["prompt_tokens_cached"] == 60 * got["run"]["llm_calls"]


async def test_a_calibration_for_the_prompt_and_model_is_applied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    file = CalibrationFile()
    file.put(
        Calibration(
            prompt_version="extract.v4",
            model="fake-model",
            fitted_on="dev.v1",
            fitted_at=dt.date(2026, 11, 29),
            event=Platt(a=1.0, b=-3.0),
        )
    )
    save_calibrations(prompts / "calibration.yaml", file)
    monkeypatch.setattr("service.app.PROMPTS_DIR", prompts)
    fake = FakeLLM(script=seed_script)
    got = await _extract(tmp_path, fake, prompt_version="extract.v4", llm_mode="grammar")
    article = got["body"]["article"]
    for event in article["events"]:
        expected = Platt(a=1.0, b=-3.0).apply(event["model_probability"])
        assert event["confidence"] == pytest.approx(expected)
        assert event["confidence"] < event["model_probability"]
    assert all(f["confidence"] == f["model_probability"] for f in article["figures"])


async def test_without_logprobs_records_have_no_confidence(tmp_path: Path) -> None:
    fake = FakeLLM(script=seed_script)
    got = await _extract(tmp_path, fake, llm_logprobs=False, llm_mode="grammar")
    article = got["body"]["article"]
    assert all("logprobs" not in r for r in fake.requests)
    assert article["events"]
    assert all(e["confidence"] is None for e in article["events"])
    assert got["none"] == [] and got["some"] == []  # a threshold leaves unscored records out


def test_the_committed_calibrations_fit_the_default_model() -> None:
    from service.extraction.prompts import PROMPTS_DIR
    from service.settings import Settings

    model = Settings(_env_file=None).llm_model  # type: ignore[call-arg]
    calibrations = load_calibrations(PROMPTS_DIR / "calibration.yaml")
    for prompt in ("extract.v4", "extract.v5"):
        found = calibrations.find(prompt, model)
        assert found is not None and found.fitted_on == "dev.v1"
        for kind in ("event", "actor", "figure"):
            # calibrated confidence rises with the model's probability
            assert found.apply(kind, 0.9) >= found.apply(kind, 0.5)  # type: ignore[operator]
