"""Cross-article checks: are the service's canonical actors and event clusters the real ones?

Truth: `evals/datasets/<name>.clusters.v<N>.yaml` groups the per-article gold actors and
events of a dataset into real actors and occurrences (format in evals/README.md).

Pairwise scores (the usual measure for clusterings):
- actors: every predicted actor mention that stands for a gold actor of its article (its
  per-article match, else the one gold actor its name denotes) is a unit. A pair of units is
  merged by the service when they share a canonical id, and truly the same actor when their
  gold actors are in one truth cluster. Precision = right merges / merges made; recall = right
  merges / true pairs. A wrong merge (precision below 1) is the costly error.
- events: every predicted event matched to a gold event is a unit; pairs from different
  articles only (one article's events are distinct by construction). Merged when the service
  put them in one event cluster; truly the same when the truth clusters their gold events.
With nothing to pair, a score is None (passes thresholds: nothing to measure).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

from evals.scorer import ArticleScore, Dataset, PredictedArticle, _ActorIndex


class _Truth(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActorMember(_Truth):
    file: str
    actor: str


class EventMember(_Truth):
    file: str
    event: str


class ActorCluster(_Truth):
    name: str
    members: list[ActorMember]


class EventClusterTruth(_Truth):
    id: str
    description: str
    members: list[EventMember]


class ClusterTruth(_Truth):
    dataset: str
    version: int
    description: str
    based_on: str
    actors: list[ActorCluster]
    events: list[EventClusterTruth]

    @classmethod
    def load(cls, path: Path, dataset: Dataset) -> ClusterTruth:
        truth = cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        truth.check(dataset)
        return truth

    def check(self, dataset: Dataset) -> None:
        """Every reference resolves; every gold actor is in exactly one cluster."""
        if self.based_on != f"{dataset.dataset}.v{dataset.version}":
            raise ValueError(f"cluster truth is based on {self.based_on}, not this dataset")
        actors = {(a.file, g.name) for a in dataset.articles for g in a.actors}
        events = {(a.file, e.id) for a in dataset.articles for e in a.events}
        placed = [(m.file, m.actor) for c in self.actors for m in c.members]
        unknown = set(placed) - actors
        if unknown:
            raise ValueError(f"cluster truth names unknown actors: {sorted(unknown)}")
        if len(placed) != len(set(placed)) or set(placed) != actors:
            raise ValueError("every gold actor must be in exactly one actor cluster")
        for cluster in self.events:
            files = [m.file for m in cluster.members]
            if len(files) != len(set(files)):
                raise ValueError(f"event cluster {cluster.id} has two events of one article")
            missing = {(m.file, m.event) for m in cluster.members} - events
            if missing:
                raise ValueError(f"event cluster {cluster.id} names unknown events: {missing}")

    def actor_cluster_of(self) -> dict[tuple[str, str], str]:
        return {(m.file, m.actor): c.name for c in self.actors for m in c.members}

    def event_cluster_of(self) -> dict[tuple[str, str], str]:
        return {(m.file, m.event): c.id for c in self.events for m in c.members}


@dataclass(frozen=True)
class Unit:
    file: str
    label: str  # what the report shows: the predicted name or event evidence
    gold: str  # the truth cluster
    predicted: int  # the service's canonical actor or event cluster id


@dataclass
class PairScore:
    kind: Literal["actors", "events"]
    units: int = 0
    merged: int = 0
    true_pairs: int = 0
    right: int = 0
    wrong_merges: list[tuple[str, str]] = field(default_factory=list)
    missed_merges: list[tuple[str, str]] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.right / self.merged if self.merged else None

    @property
    def recall(self) -> float | None:
        return self.right / self.true_pairs if self.true_pairs else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "merged_pairs": self.merged,
            "true_pairs": self.true_pairs,
            "right_pairs": self.right,
            "precision": self.precision,
            "recall": self.recall,
            "wrong_merges": [list(p) for p in self.wrong_merges],
            "missed_merges": [list(p) for p in self.missed_merges],
        }


def pair_score(
    kind: Literal["actors", "events"], units: Sequence[Unit], *, across_only: bool
) -> PairScore:
    score = PairScore(kind, units=len(units))
    for a, b in combinations(units, 2):
        if across_only and a.file == b.file:
            continue
        same_gold, same_pred = a.gold == b.gold, a.predicted == b.predicted
        score.merged += same_pred
        score.true_pairs += same_gold
        score.right += same_gold and same_pred
        pair = (f"{a.file}: {a.label}", f"{b.file}: {b.label}")
        if same_pred and not same_gold:
            score.wrong_merges.append(pair)
        elif same_gold and not same_pred:
            score.missed_merges.append(pair)
    return score


@dataclass
class CrossArticleScore:
    actors: PairScore
    events: PairScore

    def metrics(self) -> dict[str, float | None]:
        return {
            "cross.actor_pairs.precision": self.actors.precision,
            "cross.actor_pairs.recall": self.actors.recall,
            "cross.event_pairs.precision": self.events.precision,
            "cross.event_pairs.recall": self.events.recall,
        }

    def to_dict(self) -> dict[str, Any]:
        return {"actors": self.actors.to_dict(), "events": self.events.to_dict()}


def actor_units(
    dataset: Dataset,
    truth: ClusterTruth,
    predicted: Mapping[str, PredictedArticle],
    scores: Mapping[str, ArticleScore],
) -> list[Unit]:
    cluster_of = truth.actor_cluster_of()
    units = []
    for gold in dataset.articles:
        article = predicted.get(gold.file)
        if article is None:
            continue
        matched = {m.pred_id: m.gold_id for m in scores[gold.file].matches if m.kind == "actors"}
        index = _ActorIndex(gold.actors)
        for actor in article.actors:
            if actor.canonical_id is None:
                continue
            name = matched.get(actor.id)
            if name is None:
                denoted = index.resolve(actor.name)
                if len(denoted) != 1:
                    continue
                name = gold.actors[denoted.pop()].name
            units.append(
                Unit(gold.file, actor.name, cluster_of[(gold.file, name)], actor.canonical_id)
            )
    return units


def event_units(
    dataset: Dataset,
    truth: ClusterTruth,
    predicted: Mapping[str, PredictedArticle],
    scores: Mapping[str, ArticleScore],
    service_cluster_of: Mapping[int, int],
) -> list[Unit]:
    cluster_of = truth.event_cluster_of()
    units = []
    for gold in dataset.articles:
        article = predicted.get(gold.file)
        if article is None:
            continue
        evidence = {e.id: e.evidence for e in article.events}
        for match in scores[gold.file].matches:
            if match.kind != "events" or match.pred_id is None:
                continue
            if match.pred_id not in service_cluster_of:
                continue
            key = (gold.file, match.gold_id)
            units.append(
                Unit(
                    gold.file,
                    evidence.get(match.pred_id, "")[:80],
                    cluster_of.get(key, f"{gold.file}#{match.gold_id}"),
                    service_cluster_of[match.pred_id],
                )
            )
    return units


def score_cross_article(
    dataset: Dataset,
    truth: ClusterTruth,
    predicted: Mapping[str, PredictedArticle],
    scores: Mapping[str, ArticleScore],
    service_cluster_of: Mapping[int, int],
) -> CrossArticleScore:
    """``service_cluster_of`` maps each predicted event id to its service cluster id."""
    return CrossArticleScore(
        actors=pair_score(
            "actors", actor_units(dataset, truth, predicted, scores), across_only=False
        ),
        events=pair_score(
            "events",
            event_units(dataset, truth, predicted, scores, service_cluster_of),
            across_only=True,
        ),
    )
