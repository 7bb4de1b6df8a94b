from __future__ import annotations

import io
import itertools
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from evals.cross_article import CrossArticleScore, PairScore
from evals.runner import ROOT, load_thresholds, main
from evals.scorer import (
    KINDS,
    GoldArticle,
    PredictedArticle,
    Scores,
    aggregate,
    check_thresholds,
    max_weight_matching,
    normalise_name,
    score_article,
)
from evals.typing_set import score_passages

LINES = [
    "Jaysh al-Islam shelled Damascus on Friday, killing 4 civilians, SANA said.",
    "The Syrian army captured Harasta after clashes with the Army of Islam.",
    "Rebels agreed to leave Douma, the Observatory said.",
    "The army would storm the town if talks fail.",
    "A photo shows a bomb blast in Idlib that damaged three cars.",
    "Residents said the market reopened on Sunday.",
]
TEXT = "\n".join(LINES)

EVENT_TYPE = {
    "Shelling/artillery/missile attack": "Explosions/Remote violence",
    "Air/drone strike": "Explosions/Remote violence",
    "Remote explosive/landmine/IED": "Explosions/Remote violence",
    "Government regains territory": "Battles",
    "Armed clash": "Battles",
    "Agreement": "Strategic developments",
}


def gold_event(
    eid: str,
    line: int,
    sub: str,
    actors: list[tuple[str, str]],
    location: str,
    date: str | None = None,
    reported_by: str | None = None,
    required: bool = True,
) -> dict[str, Any]:
    return {
        "id": eid,
        "event_type": EVENT_TYPE[sub],
        "sub_event_type": sub,
        "evidence": LINES[line],
        "summary": "s",
        "actors": [{"name": n, "role": r} for n, r in actors],
        "location": location,
        "date": date,
        "date_precision": "day" if date else "unknown",
        "reported_by": reported_by,
        "required": required,
    }


def gold_figure(
    text: str, category: str, n: int, reported_by: str | None, event: str, required: bool
) -> dict[str, Any]:
    return {
        "text": text,
        "category": category,
        "population": "p",
        "low": n,
        "high": n,
        "qualifier": "exact",
        "reported_by": reported_by,
        "event": event,
        "required": required,
    }


GOLD = GoldArticle.model_validate(
    {
        "file": "seeds/x.txt",
        "published": "2018-04-08",
        "events": [
            gold_event(
                "e1",
                0,
                "Shelling/artillery/missile attack",
                [("Jaysh al-Islam", "perpetrator")],
                "Damascus",
                date="2018-04-06",
                reported_by="SANA",
            ),
            gold_event(
                "e2",
                1,
                "Government regains territory",
                [("Syrian army", "perpetrator"), ("Army of Islam", "target")],
                "Harasta",
            ),
            gold_event(
                "e3",
                2,
                "Agreement",
                [("Rebels", "other")],
                "Douma",
                reported_by="Syrian Observatory for Human Rights",
            ),
            gold_event("e4", 4, "Remote explosive/landmine/IED", [], "Idlib", required=False),
        ],
        "non_events": [{"evidence": "The army would storm the town", "reason": "hypothetical"}],
        "actors": [
            {
                "name": "Jaysh al-Islam",
                "aliases": ["Army of Islam"],
                "actor_type": "rebel group",
                "required": True,
            },
            {
                "name": "Syrian army",
                "aliases": ["The army"],
                "actor_type": "state forces",
                "required": True,
            },
            {"name": "SANA", "aliases": [], "actor_type": "monitor/media", "required": True},
            {"name": "Observatory", "aliases": [], "actor_type": "monitor/media", "required": True},
            {"name": "Rebels", "aliases": [], "actor_type": "rebel group", "required": False},
        ],
        "figures": [
            gold_figure("4 civilians", "killed", 4, "SANA", "e1", True),
            gold_figure("three cars", "other", 3, None, "e4", False),
        ],
    }
)


def p_event(line: int, sub: str, pid: int, **overrides: Any) -> dict[str, Any]:
    start = TEXT.index(LINES[line])
    event = {
        "id": pid,
        "event_type": EVENT_TYPE[sub],
        "sub_event_type": sub,
        "summary": "s",
        "location": None,
        "date": None,
        "date_precision": "unknown",
        "reported_by": None,
        "sentence": line,
        "evidence": LINES[line],
        "start": start,
        "end": start + len(LINES[line]),
        "actors": [],
    }
    return event | overrides


def p_actor(name: str, actor_type: str, pid: int) -> dict[str, Any]:
    start = TEXT.index(name)
    return {
        "id": pid,
        "name": name,
        "actor_type": actor_type,
        "evidence": name,
        "start": start,
        "end": start + len(name),
    }


def p_figure(text: str, category: str, n: int, pid: int, **overrides: Any) -> dict[str, Any]:
    start = TEXT.index(text)
    figure = {
        "id": pid,
        "event_id": None,
        "category": category,
        "population": "p",
        "low": n,
        "high": n,
        "qualifier": "exact",
        "reported_by": None,
        "evidence": text,
        "start": start,
        "end": start + len(text),
    }
    return figure | overrides


def roles(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"name": n, "role": r} for n, r in pairs]


def perfect_events() -> list[dict[str, Any]]:
    return [
        p_event(
            0,
            "Shelling/artillery/missile attack",
            1,
            location="Damascus",
            date="2018-04-06",
            date_precision="day",
            reported_by="SANA",
            actors=roles(("Jaysh al-Islam", "perpetrator")),
        ),
        p_event(
            1,
            "Government regains territory",
            2,
            location="Harasta",
            actors=roles(("Syrian army", "perpetrator"), ("Army of Islam", "target")),
        ),
        p_event(
            2,
            "Agreement",
            3,
            location="Douma",
            reported_by="Syrian Observatory for Human Rights",
            actors=roles(("Rebels", "other")),
        ),
        p_event(4, "Remote explosive/landmine/IED", 4, location="Idlib"),
    ]


def perfect_actors() -> list[dict[str, Any]]:
    return [
        p_actor("Jaysh al-Islam", "rebel group", 1),
        p_actor("Syrian army", "state forces", 2),
        p_actor("SANA", "monitor/media", 3),
        p_actor("Observatory", "monitor/media", 4),
        p_actor("Rebels", "rebel group", 5),
    ]


def perfect_figures() -> list[dict[str, Any]]:
    return [
        p_figure("4 civilians", "killed", 4, 1, reported_by="SANA"),
        p_figure("three cars", "other", 3, 2),
    ]


def predicted(
    events: list[dict[str, Any]] | None = None,
    actors: list[dict[str, Any]] | None = None,
    figures: list[dict[str, Any]] | None = None,
) -> PredictedArticle:
    return PredictedArticle.model_validate(
        {
            "id": 1,
            "text": TEXT,
            "events": perfect_events() if events is None else events,
            "actors": perfect_actors() if actors is None else actors,
            "figures": perfect_figures() if figures is None else figures,
        }
    )


# -- assignment ------------------------------------------------------------------------------


def test_matching_beats_greedy() -> None:
    # Greedy takes (0, 0) = 0.9 and leaves 0.0; the optimum pairs crosswise for 1.6.
    assert max_weight_matching([[0.9, 0.8], [0.8, 0.0]]) == [(0, 1), (1, 0)]


def test_matching_rectangular_and_empty() -> None:
    assert max_weight_matching([[0.1, 0.7, 0.3]]) == [(0, 1)]
    assert max_weight_matching([[0.2], [0.9], [0.4]]) == [(1, 0)]
    assert max_weight_matching([]) == []
    assert max_weight_matching([[]]) == []
    # Zero and negative weights are never paired.
    assert max_weight_matching([[0.0, -1.0], [0.0, 0.5]]) == [(1, 1)]


def test_matching_equals_brute_force() -> None:
    rng = random.Random(7)
    for _ in range(60):
        rows, cols = rng.randint(1, 5), rng.randint(1, 5)
        w = [[rng.choice([0.0, rng.random()]) for _ in range(cols)] for _ in range(rows)]
        pairs = max_weight_matching(w)
        assert len({i for i, _ in pairs}) == len(pairs) == len({j for _, j in pairs})
        got = sum(w[i][j] for i, j in pairs)
        if rows <= cols:
            best = max(
                sum(w[i][j] for i, j in enumerate(p))
                for p in itertools.permutations(range(cols), rows)
            )
        else:
            best = max(
                sum(w[i][j] for j, i in enumerate(p))
                for p in itertools.permutations(range(rows), cols)
            )
        assert got == pytest.approx(best, abs=1e-5)


# -- scoring ---------------------------------------------------------------------------------


def test_perfect_prediction_scores_one() -> None:
    score = score_article(GOLD, predicted())
    s = score.scores
    # 3 required events, the optional e4 matched but neither TP nor FP.
    assert (s.events.tp, s.events.fp, s.events.fn, s.events.optional_matched) == (3, 0, 0, 1)
    assert (s.actors.tp, s.actors.fp, s.actors.fn, s.actors.optional_matched) == (4, 0, 0, 1)
    assert (s.figures.tp, s.figures.fp, s.figures.fn, s.figures.optional_matched) == (1, 0, 0, 1)
    metrics = s.metrics()
    for kind in ("events", "actors", "figures"):
        for name in ("precision", "recall", "f1"):
            assert metrics[f"{kind}.{name}"] == 1.0
    assert all(v.accuracy == 1.0 for v in s.fields.values())
    # Only e1 has a gold date; roles: 1 + 2 + 1 gold event actors.
    assert (s.fields["events.date"].total, s.fields["events.actor_roles"].total) == (1, 4)
    assert s.ungrounded_share == 0.0
    assert (score.missed, score.invented, score.mismatches, score.warnings) == ([], [], [], [])
    json.dumps(score.to_dict())


def test_empty_prediction_scores_recall_zero() -> None:
    score = score_article(GOLD, predicted([], [], []))
    s = score.scores
    assert (s.events.fn, s.actors.fn, s.figures.fn) == (3, 4, 1)
    for kind in (s.events, s.actors, s.figures):
        assert (kind.recall, kind.precision, kind.f1) == (0.0, 0.0, 0.0)
    assert s.ungrounded_share == 0.0
    assert {m.gold_id for m in score.missed if m.kind == "events"} == {"e1", "e2", "e3"}
    assert all(v.accuracy is None for v in s.fields.values())


def test_two_of_three_events_and_one_invented() -> None:
    events = [
        *perfect_events()[:2],
        p_event(5, "Armed clash", 9),  # an unlabelled sentence
    ]
    score = score_article(GOLD, predicted(events=events))
    e = score.scores.events
    assert (e.tp, e.fp, e.fn) == (2, 1, 1)
    assert e.precision == pytest.approx(2 / 3)
    assert e.recall == pytest.approx(2 / 3)
    assert e.f1 == pytest.approx(2 / 3)
    assert [m.gold_id for m in score.missed] == ["e3"]
    assert [(i.pred_id, i.note) for i in score.invented] == [(9, None)]
    assert score.scores.hallucinated_non_events == 0


def test_optional_items_neither_rewarded_nor_penalised() -> None:
    without = score_article(
        GOLD,
        predicted(
            events=perfect_events()[:3],
            actors=perfect_actors()[:4],
            figures=perfect_figures()[:1],
        ),
    ).scores
    with_ = score_article(GOLD, predicted()).scores
    for kind in KINDS:
        a, b = without.kind(kind), with_.kind(kind)
        assert (a.tp, a.fp, a.fn) == (b.tp, b.fp, b.fn)
        assert (a.precision, a.recall) == (b.precision, b.recall) == (1.0, 1.0)
    assert (without.events.optional_matched, with_.events.optional_matched) == (0, 1)


def test_name_normalisation() -> None:
    assert normalise_name("The Jaysh al-Islam") == "jaish al islam"
    assert normalise_name("Jaish Al Islam") == "jaish al islam"
    assert normalise_name("al-Qaida") == "al qaeda"
    assert normalise_name("U.S.") == "us"
    assert normalise_name("al-Assad's forces") == "al assads forces"


def test_alias_matching_counts_duplicates_not_fps() -> None:
    actors = [
        p_actor("Army of Islam", "rebel group", 1),  # listed alias
        *perfect_actors()[1:4],
        {**p_actor("Jaysh al-Islam", "rebel group", 6), "name": "Jaish al-Islam"},  # translit.
        {**p_actor("Jaysh al-Islam", "rebel group", 7), "name": "Jaish Al Islam terrorists"},
        {**p_actor("Syrian army", "state forces", 8), "name": "the Syrian Army"},
    ]
    score = score_article(GOLD, predicted(actors=actors))
    a = score.scores.actors
    # Army of Islam and Syrian army matched; the other three name already found actors.
    assert (a.tp, a.fp, a.fn) == (4, 0, 0)
    assert score.scores.duplicate_actor_mentions == 3
    assert {(m.gold_id, m.pred_id) for m in score.matches if m.kind == "actors"} == {
        ("Jaysh al-Islam", 1),
        ("Syrian army", 2),
        ("SANA", 3),
        ("Observatory", 4),
    }


def test_event_arguments_as_a_coder_reads_them() -> None:
    events = perfect_events()
    # e1: the date without its precision, and a background event dated; e2: the sides swapped.
    events[0] = {**events[0], "date_precision": "month"}
    events[1] = {
        **events[1],
        "date": "2018-04-01",
        "actors": roles(("Army of Islam", "perpetrator"), ("Syrian army", "target")),
    }
    s = score_article(GOLD, predicted(events=events)).scores
    a1, a2, when = (s.fields[f"events.{k}"] for k in ("actor1", "actor2", "date_and_precision"))
    # actor1 and actor2 on e1, e2, e3: only e2's are wrong (e1 and e3 have no target).
    assert (a1.correct, a1.total) == (2, 3)
    assert (a2.correct, a2.total) == (2, 3)
    # e1 wrong precision, e2 dated though its text gives no date, e3 right (no date on either).
    assert (when.correct, when.total) == (1, 3)
    # ``date`` still counts only the gold-dated e1, whose day is right.
    assert s.fields["events.date"].accuracy == 1.0
    # An alias of a gold perpetrator is the same actor1.
    events = perfect_events()
    events[0] = {**events[0], "actors": roles(("Army of Islam", "perpetrator"))}
    assert score_article(GOLD, predicted(events=events)).scores.fields["events.actor1"].correct == 3


def test_junk_locations_counted_on_every_predicted_event() -> None:
    events = perfect_events()
    events[0] = {**events[0], "location": "Jaysh al-Islam"}  # an actor's name
    events[1] = {**events[1], "location": "Elsewhere"}
    events[2] = {**events[2], "location": "Syria\u2019s"}
    unmatched = p_event(5, "Armed clash", 9, location="Harasta")  # a place: not junk
    s = score_article(GOLD, predicted(events=[*events, unmatched])).scores
    assert s.junk_locations == 3
    assert s.metrics()["junk_locations"] == 3.0
    assert score_article(GOLD, predicted()).scores.junk_locations == 0


def test_non_event_prediction_counts_as_hallucination_and_fp() -> None:
    events = [*perfect_events(), p_event(3, "Armed clash", 9)]
    score = score_article(GOLD, predicted(events=events))
    e = score.scores.events
    assert (e.tp, e.fp, e.fn) == (3, 1, 0)
    assert e.precision == pytest.approx(3 / 4)
    assert score.scores.hallucinated_non_events == 1
    [invented] = score.invented
    assert invented.note == "non-event (hypothetical): The army would storm the town"


def test_ungrounded_share() -> None:
    actors = perfect_actors()
    actors[2] = {**actors[2], "start": actors[2]["start"] + 1}
    s = score_article(GOLD, predicted(actors=actors)).scores
    # 4 events + 5 actors + 2 figures, one of them off by a character.
    assert (s.ungrounded_records, s.predicted_records) == (1, 11)
    assert s.ungrounded_share == pytest.approx(1 / 11)
    assert s.metrics()["ungrounded_share"] == pytest.approx(1 / 11)


def test_assignment_is_one_to_one() -> None:
    events = perfect_events()
    twin = {**events[0], "id": 9}
    score = score_article(GOLD, predicted(events=[*events, twin]))
    e = score.scores.events
    assert (e.tp, e.fp, e.fn) == (3, 1, 0)
    assert e.precision == pytest.approx(3 / 4)
    assert e.recall == 1.0


def test_sub_event_type_breaks_ties() -> None:
    events = [p_event(0, "Air/drone strike", 8), *perfect_events()]
    score = score_article(GOLD, predicted(events=events))
    assert ("e1", 1) in {(m.gold_id, m.pred_id) for m in score.matches}
    assert [i.pred_id for i in score.invented] == [8]


def test_field_accuracy_and_mismatches() -> None:
    events = perfect_events()
    events[0] |= {"sub_event_type": "Air/drone strike", "date": "2018-04-07"}
    events[1] |= {"actors": roles(("Syrian army", "target"), ("Jaish al-Islam", "target"))}
    events[2] |= {"location": "the town of Douma", "reported_by": "the Observatory"}
    figures = perfect_figures()
    figures[0] |= {"low": 5}
    score = score_article(GOLD, predicted(events=events, figures=figures))
    f = score.scores.fields
    assert (f["events.sub_event_type"].correct, f["events.sub_event_type"].total) == (2, 3)
    assert f["events.event_type"].accuracy == 1.0
    assert (f["events.date"].correct, f["events.date"].total) == (0, 1)
    assert f["events.location"].accuracy == 1.0
    assert f["events.reported_by"].accuracy == 1.0
    # e2's "Syrian army" should be the perpetrator; "Jaish al-Islam" is an alias of the target.
    assert (f["events.actor_roles"].correct, f["events.actor_roles"].total) == (3, 4)
    assert (f["figures.low"].correct, f["figures.low"].total) == (0, 1)
    assert f["figures.high"].accuracy == 1.0
    found = {(m.gold_id, m.field, m.gold, m.predicted) for m in score.mismatches}
    assert ("e1", "sub_event_type", "Shelling/artillery/missile attack", "Air/drone strike") in (
        found
    )
    assert ("e1", "date", "2018-04-06", "2018-04-07") in found
    assert ("f1", "low", 4, 5) in found
    assert score.scores.metrics()["events.sub_event_type_accuracy"] == pytest.approx(2 / 3)


def test_aggregate_is_micro() -> None:
    perfect = score_article(GOLD, predicted())
    partial = score_article(
        GOLD, predicted(events=[*perfect_events()[:2], p_event(5, "Armed clash", 9)])
    )
    total = aggregate([perfect, partial])
    assert (total.events.tp, total.events.fp, total.events.fn) == (5, 1, 1)
    assert total.events.precision == pytest.approx(5 / 6)
    assert total.events.recall == pytest.approx(5 / 6)
    assert total.fields["events.event_type"].total == 5


def test_threshold_comparison_returns_failed_keys() -> None:
    metrics: dict[str, float | None] = {
        "events.f1": 0.5,
        "figures.recall": 0.9,
        "ungrounded_share": 0.1,
        "events.date_accuracy": None,
    }
    thresholds = {
        "events.f1": 0.6,
        "figures.recall": 0.9,
        "ungrounded_share_max": 0.0,
        "events.date_accuracy": 0.5,
        "actors.f1x": 0.1,
    }
    failed = check_thresholds(metrics, thresholds)
    assert [f.key for f in failed] == ["events.f1", "ungrounded_share_max", "actors.f1x"]
    assert check_thresholds(metrics, {"events.f1": 0.5, "ungrounded_share_max": 0.1}) == []


def test_thresholds_file_names_known_metrics() -> None:
    sets = load_thresholds(ROOT / "evals/thresholds.yaml")
    assert sets["seeds"]["ungrounded_share_max"] == 0.0
    empty_cross = CrossArticleScore(PairScore("actors"), PairScore("events"))
    for name, limits in sets.items():
        if name.endswith(".geo"):
            continue  # the geocoding eval's section (evals/geocoding.py), not the scorer's
        if name.startswith("typing-"):  # a typing set's metrics (evals/typing_set.py)
            assert check_thresholds(score_passages([]).metrics(), limits) == []
            continue
        assert check_thresholds(Scores().metrics() | empty_cross.metrics(), limits) == []


# -- runner ----------------------------------------------------------------------------------

SMALL = (
    "Published: Sun, April 08, 2018\r\n"
    "At least 40 civilians were killed in Douma, the Observatory said.\r\n"
)
SMALL_STORED = SMALL.replace("\r\n", "\n").strip()
SMALL_SENTENCE = SMALL_STORED.splitlines()[1]


def small_dataset(tmp: Path) -> Path:
    (tmp / "seeds").mkdir()
    (tmp / "seeds/a.txt").write_bytes(SMALL.encode())
    dataset = {
        "dataset": "tiny",
        "version": 1,
        "description": "one article",
        "articles": [
            {
                "file": "seeds/a.txt",
                "published": "2018-04-08",
                "events": [
                    {
                        "id": "e1",
                        "event_type": "Explosions/Remote violence",
                        "sub_event_type": "Air/drone strike",
                        "evidence": SMALL_SENTENCE,
                        "summary": "s",
                        "actors": [],
                        "location": "Douma",
                        "date": None,
                        "date_precision": "unknown",
                        "reported_by": "Syrian Observatory for Human Rights",
                        "required": True,
                    }
                ],
                "non_events": [],
                "actors": [
                    {
                        "name": "Observatory",
                        "aliases": [],
                        "actor_type": "monitor/media",
                        "required": True,
                    }
                ],
                "figures": [],
            }
        ],
    }
    path = tmp / "tiny.v1.yaml"
    path.write_text(json.dumps(dataset))  # JSON is YAML
    return path


def grounded(text: str, evidence: str) -> dict[str, Any]:
    start = text.index(evidence)
    return {"evidence": evidence, "start": start, "end": start + len(evidence)}


PROVENANCE = {"run_id": 7, "model": "fake", "prompt_version": "extract.v1", "schema_version": "1"}


def as_stored(article: dict[str, Any]) -> dict[str, Any]:
    """An article as GET /articles/{id} answers it: what a fake gives, plus the stored fields
    the eval runner does not read (the typed client checks every answer's shape)."""
    stored = {
        "title": None, "url": None, "source": None, "published_date": None,
        "content_hash": "0" * 64, "received_at": "2026-11-28T00:00:00Z",
        "chars": len(article["text"]), "latest_run": None, "runs": [],
    } | article  # fmt: skip
    stable: dict[str, dict[str, Any]] = {
        "events": {"updated_at": "2026-11-28T00:00:00Z", "review": "unreviewed"},
        "figures": {"updated_at": "2026-11-28T00:00:00Z"},
    }
    for kind in ("events", "actors", "figures"):
        stored[kind] = []
        for record in article.get(kind, []):
            ids = {"stable_id": record.get("id", 0)} if kind in stable else {}
            if kind == "events":
                ids["event_id_cnty"] = f"XXX{record.get('id', 0)}"
            stored[kind].append(
                {"article_id": article["id"], "provenance": PROVENANCE}
                | stable.get(kind, {})
                | ids
                | record
            )
    return stored


class FakeService:
    def __init__(self, *, created: bool = True, final: str = "succeeded", events: bool = True):
        self.created = created
        self.statuses = ["running", final]
        self.events = events
        self.text = ""
        self.calls: list[str] = []
        self.posted: dict[str, Any] = {}

    def run(self, run_id: int, status: str) -> dict[str, Any]:
        return {
            "id": run_id,
            "status": status,
            "error": "llm down" if status == "failed" else None,
            "model": "fake",
            "prompt_version": "extract.v1",
            "schema_version": "1",
            "llm_calls": 2,
            "retries": 1,
            "dropped": 0,
            "prompt_tokens": 100,
            "completion_tokens": 20,
            "llm_seconds": 1.5,
            "wall_seconds": 2.0,
            "article_id": 1,
            "status_url": f"/runs/{run_id}",
        }

    def article(self) -> dict[str, Any]:
        text = self.text
        events = []
        if self.events:
            events.append(
                {
                    "id": 5,
                    "event_type": "Explosions/Remote violence",
                    "sub_event_type": "Air/drone strike",
                    "summary": "s",
                    "location": "Douma",
                    "date": None,
                    "date_precision": "unknown",
                    "reported_by": "Syrian Observatory for Human Rights",
                    "sentence": 1,
                    "actors": [],
                    **grounded(text, SMALL_SENTENCE),
                }
            )
        actor = {"id": 3, "name": "Observatory", "actor_type": "monitor/media"}
        return {
            "id": 1,
            "text": text,
            "published_date": "2018-04-08",
            "events": events,
            "actors": [actor | grounded(text, "Observatory")],
            "figures": [],
        }

    def __call__(self, request: httpx.Request) -> httpx.Response:
        key = f"{request.method} {request.url.path}"
        self.calls.append(key)
        if key == "POST /articles":
            self.posted = json.loads(request.content)
            self.text = self.posted["text"].replace("\r\n", "\n").strip()
            run = self.run(7, "pending")
            accepted = {"article_id": 1, "created": self.created, "run": run}
            return httpx.Response(202, json=accepted | {"article_url": "/articles/1"})
        if key == "POST /articles/1/extract":
            accepted = {"article_id": 1, "created": False, "run": self.run(8, "pending")}
            return httpx.Response(202, json=accepted | {"article_url": "/articles/1"})
        if key in ("GET /runs/7", "GET /runs/8"):
            return httpx.Response(200, json=self.run(int(key[-1]), self.statuses.pop(0)))
        if key == "GET /articles/1":
            return httpx.Response(200, json=as_stored(self.article()))
        return httpx.Response(404, json={"status_code": 404, "error": "no such thing"})


def run_main(
    tmp_path: Path,
    handler: Callable[[httpx.Request], httpx.Response],
    thresholds: dict[str, float],
    *extra: str,
) -> tuple[int, str, str, Path]:
    dataset = small_dataset(tmp_path)
    limits = tmp_path / "thresholds.yaml"
    limits.write_text(json.dumps(thresholds))
    out = tmp_path / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(
        [
            "--base-url",
            "http://fake",
            "--dataset",
            str(dataset),
            "--root",
            str(tmp_path),
            "--out",
            str(out),
            "--thresholds",
            str(limits),
            "--poll",
            "0",
            *extra,
        ],
        transport=httpx.MockTransport(handler),
        stdout=stdout,
        stderr=stderr,
        sleep=lambda _: None,
    )
    return code, stdout.getvalue(), stderr.getvalue(), out


def test_runner_end_to_end(tmp_path: Path) -> None:
    service = FakeService()
    code, stdout, stderr, out = run_main(
        tmp_path, service, {"events.f1": 0.5, "ungrounded_share_max": 0.0}
    )
    assert code == 0, stdout + stderr
    assert service.posted == {"text": SMALL, "published_date": "2018-04-08"}
    assert service.calls == [
        "POST /articles",
        "GET /runs/7",
        "GET /runs/7",
        "GET /articles/1",
    ]
    report = json.loads((out / "report.json").read_text())["services"]["extract.v1"]["sets"]["tiny"]
    assert report["metrics"]["events.f1"] == 1.0
    assert report["metrics"]["actors.f1"] == 1.0
    assert report["run_totals"]["prompt_tokens"] == 100
    assert report["articles"][0]["run"]["status"] == "succeeded"
    page = (out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page and "<link" not in page and "<script" not in page
    assert "[tiny 1/1] seeds/a.txt" in stderr and "succeeded" in stderr
    assert "events.f1" in stdout and "ungrounded_share" in stdout


def test_runner_threshold_failure_exits_1(tmp_path: Path) -> None:
    code, stdout, _, out = run_main(
        tmp_path, FakeService(events=False), {"events.recall": 0.5, "actors.f1": 0.5}
    )
    assert code == 1
    assert "FAILED threshold tiny: events.recall" in stdout
    assert "actors.f1" not in stdout.split("FAILED", 1)[1]
    assert (out / "report.json").exists() and (out / "report.html").exists()


def test_runner_rerun_posts_extract(tmp_path: Path) -> None:
    service = FakeService(created=False)
    code, _, _, _ = run_main(tmp_path, service, {}, "--rerun")
    assert code == 0
    assert service.calls[:2] == ["POST /articles", "POST /articles/1/extract"]
    assert "GET /runs/8" in service.calls


def test_runner_failed_run_exits_2_with_report(tmp_path: Path) -> None:
    code, _, stderr, out = run_main(tmp_path, FakeService(final="failed"), {"events.f1": 0.0})
    assert code == 2
    assert "run 7 failed (llm down)" in stderr
    report = json.loads((out / "report.json").read_text())["services"]["extract.v1"]["sets"]["tiny"]
    assert report["metrics"]["events.recall"] == 0.0


@pytest.mark.parametrize(
    "handler",
    [
        pytest.param(lambda r: httpx.Response(500, text="boom"), id="http-500"),
        pytest.param(lambda r: httpx.Response(200, text="not json"), id="not-json"),
    ],
)
def test_runner_service_error_exits_2(
    tmp_path: Path, handler: Callable[[httpx.Request], httpx.Response]
) -> None:
    code, _, stderr, out = run_main(tmp_path, handler, {})
    assert code == 2
    assert "service error: POST /articles" in stderr
    assert not out.exists()


def test_runner_network_error_exits_2(tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    code, _, stderr, _ = run_main(tmp_path, refuse, {})
    assert code == 2
    assert "ConnectError" in stderr
