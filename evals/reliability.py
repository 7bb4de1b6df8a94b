"""How far the service's record confidences can be trusted. Pure functions, no I/O.

A *sample* is one predicted record that the scorer judged right (matched a required gold item,
a TP) or wrong (matched nothing, an FP), with a probability: its calibrated ``confidence`` or
the model's raw ``model_probability``. Records matched to optional gold items and duplicate
actor names are neither, as precision counts them, and are no samples. Judged records without
the probability are counted (``without``), not dropped silently.

- reliability diagram: 10 equal-width bins over [0, 1] (the last one includes 1.0): count,
  mean probability, accuracy (share right); **ECE** (expected calibration error) is the
  count-weighted mean of |accuracy - mean probability| over the bins.
- precision/recall over the threshold: for t = 0.0, 0.05, ..., 0.95 the records with a
  probability >= t: precision = right / kept; recall = right / the gold required count (TP + FN
  as the scorer counts them); F1. Nothing kept: precision None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from evals.scorer import KINDS, Kind, RecordOutcome

Source = Literal["confidence", "model_probability"]
SOURCES: tuple[Source, ...] = ("confidence", "model_probability")
# Metric name suffix per source: events.ece (calibrated), events.ece_raw (model probability).
ECE_METRIC: dict[Source, str] = {"confidence": "ece", "model_probability": "ece_raw"}
BINS = 10
THRESHOLDS: tuple[float, ...] = tuple(round(n * 0.05, 2) for n in range(20))


@dataclass(frozen=True)
class Sample:
    p: float
    right: bool


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int
    mean_confidence: float | None
    accuracy: float | None


@dataclass(frozen=True)
class Reliability:
    bins: list[Bin]
    samples: int
    ece: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"samples": self.samples, "ece": self.ece, "bins": [asdict(b) for b in self.bins]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reliability:
        return cls([Bin(**b) for b in data["bins"]], int(data["samples"]), data["ece"])


def reliability(samples: Sequence[Sample], bins: int = BINS) -> Reliability:
    members: list[list[Sample]] = [[] for _ in range(bins)]
    for s in samples:
        p = min(max(s.p, 0.0), 1.0)
        members[min(int(p * bins), bins - 1)].append(s)
    out = []
    gap = 0.0
    for n, inside in enumerate(members):
        low, high = round(n / bins, 6), round((n + 1) / bins, 6)
        if not inside:
            out.append(Bin(low, high, 0, None, None))
            continue
        mean = sum(min(max(s.p, 0.0), 1.0) for s in inside) / len(inside)
        accuracy = sum(s.right for s in inside) / len(inside)
        gap += len(inside) * abs(accuracy - mean)
        out.append(Bin(low, high, len(inside), mean, accuracy))
    return Reliability(out, len(samples), gap / len(samples) if samples else None)


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    kept: int
    right: int
    precision: float | None
    recall: float | None
    f1: float | None


def pr_curve(
    samples: Sequence[Sample], required: int, thresholds: Sequence[float] = THRESHOLDS
) -> list[CurvePoint]:
    points = []
    for t in thresholds:
        kept = [s for s in samples if s.p >= t - 1e-12]
        right = sum(s.right for s in kept)
        precision = right / len(kept) if kept else None
        recall = right / required if required else None
        f1 = None
        if precision is not None and recall is not None:
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        points.append(CurvePoint(t, len(kept), right, precision, recall, f1))
    return points


@dataclass(frozen=True)
class SourceSummary:
    """One probability (confidence or model_probability) of one record kind."""

    reliability: Reliability
    curve: list[CurvePoint]

    @property
    def ece(self) -> float | None:
        return self.reliability.ece

    def to_dict(self) -> dict[str, Any]:
        return {
            "ece": self.ece,
            "reliability": self.reliability.to_dict(),
            "pr_curve": [asdict(p) for p in self.curve],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SourceSummary:
        return cls(
            Reliability.from_dict(data["reliability"]),
            [CurvePoint(**p) for p in data["pr_curve"]],
        )


def summarise(samples: Sequence[Sample], required: int) -> SourceSummary:
    return SourceSummary(reliability(samples), pr_curve(samples, required))


@dataclass(frozen=True)
class KindConfidence:
    """The confidences of one record kind over a set's articles."""

    kind: Kind
    records: int  # every predicted record of the kind
    judged: int  # right or wrong (TP or FP): the possible samples
    required: int  # gold required items (TP + FN): the recall denominator
    without: dict[Source, int]  # judged records without that probability
    sources: dict[Source, SourceSummary]

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "judged": self.judged,
            "required": self.required,
            "without": dict(self.without),
            **{source: self.sources[source].to_dict() for source in SOURCES},
        }


def samples_of(records: Iterable[RecordOutcome], kind: Kind, source: Source) -> list[Sample]:
    out = []
    for r in records:
        p = getattr(r, source)
        if r.kind == kind and r.matched is not None and p is not None:
            out.append(Sample(float(p), r.matched))
    return out


def kind_confidence(records: Sequence[RecordOutcome], kind: Kind, required: int) -> KindConfidence:
    mine = [r for r in records if r.kind == kind]
    judged = [r for r in mine if r.matched is not None]
    return KindConfidence(
        kind=kind,
        records=len(mine),
        judged=len(judged),
        required=required,
        without={s: sum(getattr(r, s) is None for r in judged) for s in SOURCES},
        sources={s: summarise(samples_of(judged, kind, s), required) for s in SOURCES},
    )


def confidence_metrics(kinds: Mapping[Kind, KindConfidence]) -> dict[str, float | None]:
    """Flat metric names for thresholds.yaml: ``events.ece`` (calibrated confidence),
    ``events.ece_raw`` (model probability; None without samples: passes), and
    ``events.without_confidence`` (judged records without a confidence)."""
    flat: dict[str, float | None] = {}
    for kind in KINDS:
        if kind not in kinds:
            continue
        k = kinds[kind]
        for source in SOURCES:
            flat[f"{kind}.{ECE_METRIC[source]}"] = k.sources[source].ece
        flat[f"{kind}.without_confidence"] = float(k.without["confidence"])
    return flat


CONFIDENCE_METRICS: tuple[str, ...] = tuple(
    f"{kind}.{name}" for kind in KINDS for name in (*ECE_METRIC.values(), "without_confidence")
)
