"""Cross-article eval checks: pairwise scores over canonical actors and event clusters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from evals.cross_article import ClusterTruth, Unit, pair_score
from evals.runner import cluster_truth_path, load_dataset
from tests.test_eval_scorer import FakeService, run_main

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "evals/datasets/seeds.v1.yaml"

UNITS = [
    Unit("a", "Jaysh al-Islam", gold="jaysh", predicted=1),
    Unit("b", "Jaish al-Islam", gold="jaysh", predicted=1),
    Unit("b", "Observatory", gold="sohr", predicted=1),  # wrongly merged
    Unit("c", "Army of Islam", gold="jaysh", predicted=2),  # missed
]


def test_pairwise_scores_by_hand() -> None:
    # merged pairs: ab (right), a-obs, b-obs (wrong); true pairs: ab, ac, bc
    score = pair_score("actors", UNITS, across_only=False)
    assert (score.merged, score.true_pairs, score.right) == (3, 3, 1)
    assert score.precision == score.recall == pytest.approx(1 / 3)
    assert ("b: Jaish al-Islam", "b: Observatory") in score.wrong_merges
    assert len(score.missed_merges) == 2
    # Across articles only, the b-b pair does not count.
    across = pair_score("events", UNITS, across_only=True)
    assert (across.merged, across.true_pairs, across.right) == (2, 3, 1)
    assert across.precision == 0.5


def test_nothing_to_pair_measures_nothing() -> None:
    score = pair_score("events", UNITS[:1], across_only=True)
    assert score.precision is None and score.recall is None


def test_the_seed_truth_matches_its_dataset(tmp_path: Path) -> None:
    dataset = load_dataset(SEEDS)
    path = cluster_truth_path(SEEDS)
    assert path.name == "seeds.clusters.v1.yaml"
    truth = ClusterTruth.load(path, dataset)
    assert any(c.name == "Jaysh al-Islam" and len(c.members) >= 4 for c in truth.actors)

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["actors"][0]["members"].pop()
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(data))
    with pytest.raises(ValueError, match="exactly one actor cluster"):
        ClusterTruth.load(broken, dataset)


class ClusteringService(FakeService):
    def article(self) -> dict[str, Any]:
        body = super().article()
        for actor in body["actors"]:
            actor["canonical_id"] = 9
        return body

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/event-clusters":
            self.calls.append("GET /event-clusters")
            report = {
                "article_id": 1, "title": None, "source": None, "url": None,
                "published_date": None, "event_id": 5, "reported_by": None, "location": None,
                "date": None, "date_precision": "unknown", "evidence": "e",
            }  # fmt: skip
            cluster = {
                "id": 5, "event_type": "Battles", "sub_event_type": "Armed clash",
                "location": None, "date_from": None, "date_to": None, "actors": [],
                "article_count": 1, "sources": [], "fatalities": None, "reports": [report],
            }  # fmt: skip
            return httpx.Response(200, json={"items": [cluster], "next_cursor": None})
        return super().__call__(request)


def test_runner_scores_across_articles_with_a_truth_file(tmp_path: Path) -> None:
    truth = {
        "dataset": "tiny.clusters",
        "version": 1,
        "description": "one article",
        "based_on": "tiny.v1",
        "actors": [{"name": "SOHR", "members": [{"file": "seeds/a.txt", "actor": "Observatory"}]}],
        "events": [],
    }
    (tmp_path / "truth.yaml").write_text(json.dumps(truth))
    service = ClusteringService()
    code, stdout, stderr, out = run_main(
        tmp_path, service, {"cross.actor_pairs.precision": 0.9}, "--clusters",
        str(tmp_path / "truth.yaml"),
    )  # fmt: skip
    assert code == 0, stdout + stderr
    assert service.calls[-1] == "GET /event-clusters"
    report = json.loads((out / "report.json").read_text())["services"]["extract.v1"]["sets"]["tiny"]
    assert report["cross_article"]["actors"]["units"] == 1
    assert report["cross_article"]["events"]["units"] == 1
    assert report["metrics"]["cross.actor_pairs.precision"] is None  # one unit: no pair
    assert "cross.actor_pairs.precision" in stdout


def test_a_missing_truth_file_is_a_config_error(tmp_path: Path) -> None:
    code, _, stderr, _ = run_main(
        tmp_path, ClusteringService(), {}, "--clusters", str(tmp_path / "nope.yaml")
    )
    assert code == 2 and "no such file" in stderr
