"""Typing sets (``passages:``) in the eval runner: the prediction rule, the scores, the reports,
several services side by side, thresholds, and typing and article sets in one run."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from evals.runner import ROOT, load_any_dataset, main, resolve_set
from evals.scorer import PredictedArticle
from evals.typing_set import (
    COLUMNS,
    NONE,
    SUB_TYPES,
    TypingDataset,
    TypingScore,
    predicted_sub_type,
    sentence_spans,
)
from tests.test_eval_runner import ManyArticles, two_sets, write

AIR, SHELLING, CLASH = "Air/drone strike", "Shelling/artillery/missile attack", "Armed clash"
ET = {AIR: "Explosions/Remote violence", SHELLING: "Explosions/Remote violence", CLASH: "Battles"}

PASSAGES = [
    # (id, text, gold)
    ("t-1", "Warplanes struck Douma. Two died.", AIR),
    ("t-2", "Shells hit Harasta on Monday. A drone strike followed.", SHELLING),
    ("t-3", "Troops clashed with rebels near Idlib.", CLASH),
    ("t-4", "Rebels fired rockets at the base.", SHELLING),
]


def typing_yaml(directory: Path, name: str = "typing-mini", version: int = 1) -> Path:
    directory.mkdir(exist_ok=True)
    body = {
        "dataset": name,
        "version": version,
        "description": "four passages",
        "passages": [
            {"id": i, "text": t, "event_type": ET[g], "sub_event_type": g,
             "source": {"url": "https://example.org", "locator": "p1"}}
            for i, t, g in PASSAGES
        ],
    }  # fmt: skip
    path = directory / f"{name}.v{version}.yaml"
    path.write_text(json.dumps(body))
    return path


def event(text: str, evidence: str, sub_type: str) -> dict[str, Any]:
    start = text.index(evidence)
    return {
        "id": start + 1,
        "event_type": "Explosions/Remote violence",
        "sub_event_type": sub_type,
        "evidence": evidence,
        "start": start,
        "end": start + len(evidence),
        "actors": [],
        "summary": "s",
        "date_precision": "unknown",
        "sentence": 0,
    }


# What the fake model answers: passage text -> [(evidence, sub-type)].
ANSWERS: dict[str, list[tuple[str, str]]] = {
    # Right.
    PASSAGES[0][1]: [("Warplanes struck Douma.", AIR)],
    # The event of the second sentence comes first in the list, but the first sentence's wins.
    PASSAGES[1][1]: [("A drone strike followed.", AIR), ("Shells hit Harasta", SHELLING)],
    # Only an event outside the first sentence: the first event by position.
    PASSAGES[2][1]: [],
    # No event: "none".
    PASSAGES[3][1]: [],
}


class TypingService(ManyArticles):
    """The fake service, answering each passage from ANSWERS (or ``answers``)."""

    def __init__(self, answers: dict[str, list[tuple[str, str]]] | None = None, **kw: Any):
        super().__init__(**kw)
        self.answers = ANSWERS if answers is None else answers
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/articles":
            self.bodies.append(json.loads(request.content))
        return super().__call__(request)

    def article(self) -> dict[str, Any]:
        answer = self.answers.get(self.text, [])
        events = [event(self.text, ev, sub) for ev, sub in answer]
        return {"id": 1, "text": self.text, "events": events, "actors": [], "figures": []}


def run(
    tmp_path: Path, service: Any, thresholds: object, *extra: str
) -> tuple[int, str, str, Path]:
    sets = two_sets(tmp_path)
    typing_yaml(sets)
    limits = write(tmp_path, thresholds)
    out = tmp_path / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(
        ["--sets-dir", str(sets), "--root", str(tmp_path), "--out", str(out),
         "--thresholds", str(limits), "--poll", "0", *extra],
        transport=httpx.MockTransport(service),
        stdout=stdout,
        stderr=stderr,
        sleep=lambda _: None,
    )  # fmt: skip
    return code, stdout.getvalue(), stderr.getvalue(), out


# -- the prediction --------------------------------------------------------------------------


def test_sentence_spans() -> None:
    text = 'He said "Go." Then (at 5 p.m.) they left!\nA headline\n\nLast one'
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        'He said "Go."',
        "Then (at 5 p.m.)",
        "they left!",
        "A headline",
        "Last one",
    ]
    assert sentence_spans("") == []


def predicted(text: str, events: list[tuple[str, str]]) -> PredictedArticle:
    return PredictedArticle.model_validate(
        {"text": text, "events": [event(text, ev, sub) for ev, sub in events]}
    )


def test_the_event_of_the_first_sentence_else_the_first_event_else_none() -> None:
    text = "Shells hit Harasta. A drone strike followed. Rockets too."
    both = [("A drone strike followed.", AIR), ("Shells hit Harasta.", SHELLING)]
    assert predicted_sub_type(predicted(text, both)) == SHELLING
    # Overlap is enough: evidence running over the first sentence's end.
    assert predicted_sub_type(predicted(text, [("Harasta. A drone", CLASH)])) == CLASH
    later = [("Rockets too.", SHELLING), ("A drone strike followed.", AIR)]
    assert predicted_sub_type(predicted(text, later)) == AIR
    assert predicted_sub_type(predicted(text, [])) == NONE


# -- the scores ------------------------------------------------------------------------------


def test_scores_by_hand() -> None:
    pairs = [(AIR, AIR), (AIR, SHELLING), (SHELLING, SHELLING), (CLASH, NONE), (CLASH, "Bogus")]
    score = TypingScore(pairs, [1.0, 3.0, 2.0, 10.0, 4.0])
    assert score.accuracy == pytest.approx(2 / 5)
    per = score.per_type
    assert (per[AIR].precision, per[AIR].recall) == (1.0, 0.5)
    assert (per[SHELLING].precision, per[SHELLING].recall) == (0.5, 1.0)
    assert per[CLASH].recall == 0.0 and per[CLASH].precision is None
    assert per["Grenade"].f1 is None
    # Weighted F1: (2 * 2/3 + 1 * 2/3 + 2 * 0) / 5.
    assert score.weighted_f1 == pytest.approx((2 * 2 / 3 + 2 / 3) / 5)
    assert score.macro_f1 == pytest.approx((2 / 3 + 2 / 3 + 0) / 3)
    assert score.min_recall == 0.0
    assert [s.sub_type for s in score.low_recall] == [CLASH]
    assert score.none_share == pytest.approx(1 / 5)
    assert score.seconds_median == 3.0
    matrix = score.confusion
    assert len(matrix) == 25 and all(len(row) == 26 for row in matrix.values())
    assert list(matrix[AIR]) == list(COLUMNS) and COLUMNS[-1] == NONE
    assert matrix[AIR][SHELLING] == 1 and matrix[CLASH][NONE] == 2  # "Bogus" counts as none
    assert sum(sum(row.values()) for row in matrix.values()) == 5
    assert set(score.metrics()) == {
        "typing.accuracy",
        "typing.weighted_f1",
        "typing.macro_f1",
        "typing.min_recall",
        "typing.none_share",
        "typing.seconds_median",
    }
    empty = TypingScore([])
    assert empty.accuracy is None and empty.weighted_f1 is None and empty.min_recall is None


# -- the repo's typing sets ------------------------------------------------------------------


def test_the_repo_typing_sets_load() -> None:
    for name, count in (("typing-dev", 207), ("typing-test", 205)):
        loaded = load_any_dataset(resolve_set(name, ROOT / "evals/datasets"))
        assert isinstance(loaded, TypingDataset), name
        assert len(loaded.passages) == count
        assert {str(p.sub_event_type) for p in loaded.passages} == set(SUB_TYPES)


# -- end to end ------------------------------------------------------------------------------


def test_a_typing_set_end_to_end(tmp_path: Path) -> None:
    service = TypingService()
    code, stdout, stderr, out = run(
        tmp_path, service, {"typing-mini": {"typing.accuracy": 0.5, "typing.min_recall": 0.1}},
        "--base-url", "http://fake", "--sets", "typing-mini",
    )  # fmt: skip
    # Accuracy 2/4 meets 0.5; Armed clash has recall 0 < 0.1.
    assert code == 1, stdout + stderr
    assert "FAILED threshold typing-mini: typing.min_recall: 0 < min 0.1" in stdout
    assert [line for line in stdout.splitlines() if "FAILED" in line] == [
        "FAILED threshold typing-mini: typing.min_recall: 0 < min 0.1"
    ]
    # Each passage posted as an article: its text, no published date.
    assert service.bodies == [{"text": text} for _, text, _ in PASSAGES]
    assert "[typing-mini 1/4] t-1: article 1 run 7 succeeded" in stderr
    assert "right: gold Air/drone strike, predicted Air/drone strike" in stderr
    assert "WRONG: gold Armed clash, predicted none" in stderr

    lines = stdout.splitlines()
    assert lines[0].startswith("typing-mini v1 (4 passages)")
    table = {line.split()[0]: line.split()[1:] for line in lines[3:] if line.strip()}
    assert table["typing.accuracy"] == ["0.500"]
    assert table["typing.min_recall"] == ["0.000", "!"]
    assert "typing-mini: typing accuracy 0.500 (2/4)" in stdout
    assert "recall < 0.5:" in stdout and "Armed clash: 0.00 (0/1)" in stdout

    report = json.loads((out / "report.json").read_text())
    mini = report["services"]["extract.v1"]["sets"]["typing-mini"]
    assert mini["kind"] == "typing"
    assert mini["metrics"]["typing.accuracy"] == 0.5
    assert mini["typing"]["per_sub_type"][SHELLING]["recall"] == 0.5
    assert mini["typing"]["per_sub_type"][AIR]["precision"] == 1.0
    assert mini["typing"]["confusion"]["counts"][CLASH][NONE] == 1
    assert len(mini["typing"]["confusion"]["columns"]) == 26
    assert [p["predicted"] for p in mini["passages"]] == [AIR, SHELLING, NONE, NONE]
    assert mini["thresholds"]["failed"][0]["key"] == "typing.min_recall"
    assert report["side_by_side"]["typing.accuracy"] == {"extract.v1": {"typing-mini": 0.5}}

    page = (out / "report.html").read_text()
    assert "<script" not in page
    assert '<section id="set-typing-mini">' in page
    assert '<table class="confusion">' in page
    # Heat-coloured cells: the right Air/drone strike cell is green, the missed clash red.
    assert 'style="background: rgba(27,127,59,0.90)' in page
    assert 'style="background: rgba(176,0,32,0.90)' in page
    assert "<th>sub-event type</th>" in page


def test_typing_and_article_sets_in_one_run(tmp_path: Path) -> None:
    service = TypingService()
    code, stdout, stderr, out = run(
        tmp_path, service, {"alpha": {"figures.f1": 0.5}, "typing-mini": {"typing.accuracy": 0.4}},
        "--base-url", "http://fake", "--sets", "alpha,typing-mini",
    )  # fmt: skip
    assert code == 0, stdout + stderr
    lines = stdout.splitlines()
    assert lines[0].startswith("alpha v1 (1 articles), typing-mini v1 (4 passages)")
    table = {line.split()[0]: line.split()[1:] for line in lines[3:] if line.strip()}
    assert table["articles"] == ["1", "4"]
    # Each set shows its own metrics; the other's are "-".
    assert table["events.f1"] == ["0.000", "-"]
    assert table["events.tp/fp/fn/optional"] == ["0/0/1/0", "-"]
    assert table["typing.accuracy"] == ["-", "0.500"]
    report = json.loads((out / "report.json").read_text())
    assert report["set_names"] == ["alpha", "typing-mini"]
    sets = report["services"]["extract.v1"]["sets"]
    assert "kind" not in sets["alpha"] and sets["typing-mini"]["kind"] == "typing"
    page = (out / "report.html").read_text()
    assert '<section id="set-alpha">' in page and '<section id="set-typing-mini">' in page


def test_typing_sets_side_by_side_on_two_services(tmp_path: Path) -> None:
    good = TypingService({text: [(text.split(". ")[0], gold)] for _, text, gold in PASSAGES})
    bad = TypingService({})

    def hosts(request: httpx.Request) -> httpx.Response:
        return {"good": good, "bad": bad}[request.url.host](request)

    code, stdout, stderr, out = run(
        tmp_path, hosts, {"typing-mini": {"typing.weighted_f1": 0.9}},
        "--base-url", "bad=http://bad", "--base-url", "good=http://good",
        "--sets", "typing-mini",
    )  # fmt: skip
    # "bad" predicts nothing and fails, but "good" (the last) gates.
    assert code == 0, stdout + stderr
    lines = stdout.splitlines()
    assert lines[4].split() == ["bad", "good", "*"]
    table = {line.split()[0]: line.split()[1:] for line in lines[5:] if line.strip()}
    assert table["typing.weighted_f1"] == ["0.000", "!", "1.000"]
    assert table["typing.none_share"] == ["1.000", "0.000"]
    assert "typing-mini bad: typing accuracy 0.000 (0/4)" in stdout
    assert "typing-mini good: typing accuracy 1.000 (4/4)" in stdout
    report = json.loads((out / "report.json").read_text())
    assert report["side_by_side"]["typing.weighted_f1"] == {
        "bad": {"typing-mini": 0.0},
        "good": {"typing-mini": 1.0},
    }
    page = (out / "report.html").read_text()
    assert '<section id="set-bad-typing-mini">' in page
    assert "Typing set typing-mini on good (gate)" in page


def test_a_failed_run_predicts_none(tmp_path: Path) -> None:
    service = TypingService(final="failed")
    code, _, stderr, out = run(
        tmp_path, service, {}, "--base-url", "http://fake", "--sets", "typing-mini"
    )
    assert code == 2
    assert "run problem: typing-mini: t-1: run 7 failed (llm down)" in stderr
    report = json.loads((out / "report.json").read_text())
    passages = report["services"]["extract.v1"]["sets"]["typing-mini"]["passages"]
    assert {p["predicted"] for p in passages} == {NONE}


# -- the rules alone (python -m evals.typing_rules) ------------------------------------------


def test_typing_rules_offline(tmp_path: Path) -> None:
    from evals import typing_rules

    typing_yaml(tmp_path)
    out = io.StringIO()
    assert typing_rules.main(["--set", "typing-mini", "--sets-dir", str(tmp_path)], out) == 0
    text = out.getvalue()
    # t-1 air strike (right), t-2 shelling (right: the first sentence decides), t-3 a clash
    # (no rule), t-4 rockets (right).
    assert "decided: 0.750 (3/4)" in text
    assert "precision of decided: 1.000 (3/3)" in text
    assert "  air_strike                  1  1.000 (1/1)" in text
    assert "  Shelling/artillery/missile attack    1.000 (2/2)" in text
    assert "  passages (whole text): 1.000 (4/4)" in text
    assert typing_rules.main(["--set", "nope", "--sets-dir", str(tmp_path)], out) == 2
