"""How sure the model was of each part of an answer, and how far that can be trusted.

``model_probability`` of a record is the probability the model gave to the tokens that decide it
(its own token log-probabilities, as llama-server and OpenAI-compatible hosts return them):
for an event, the tokens that open its row and write its status and type; for a side of an
event, the tokens of that name's number; for a figure, its label. ``confidence`` is that
probability calibrated on a labelled development set (Platt scaling per record kind, fitted by
``python -m evals.calibrate`` and kept in ``prompts/calibration.yaml`` per prompt version and
model); where no calibration fits the prompt and model, the confidence is the raw probability.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["event", "actor", "figure"]
Path_ = tuple[str | int, ...]
_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    logprob: float


class AnswerProbabilities:
    """The probability of parts of one JSON answer, from the tokens that wrote it."""

    def __init__(self, answer: str, tokens: Sequence[Token]) -> None:
        self._answer = answer
        self._spans = value_spans(answer)
        self._logprobs = [token.logprob for token in tokens]
        # The token that wrote each character of the answer.
        self._token_of = [n for n, token in enumerate(tokens) for _ in token.text]
        self.usable = len(self._token_of) == len(answer) and bool(self._spans)

    @classmethod
    def of(cls, answer: str | None, tokens: Sequence[Token] | None) -> AnswerProbabilities | None:
        if answer is None or not tokens:
            return None
        found = cls(answer, tokens)
        return found if found.usable else None

    def of_paths(self, *paths: Path_, opening: Path_ | None = None) -> float | None:
        """The joint probability of the values at ``paths`` (and the first character of the
        value at ``opening``: the choice to write that item at all)."""
        chars: set[int] = set()
        for path in paths:
            span = self._spans.get(path)
            if span is None:
                return None
            chars.update(range(*self._decisive(*span)))
        if opening is not None:
            span = self._spans.get(opening)
            if span is None:
                return None
            chars.add(span[0])
        if not chars:
            return None
        total = sum(self._logprobs[n] for n in {self._token_of[c] for c in chars})
        return _clamp(math.exp(max(total, -700.0)))

    def _decisive(self, start: int, end: int) -> tuple[int, int]:
        """A string's characters without its quotes: a closing quote is often one token with
        the punctuation after it, whose probability is about what comes next."""
        if end - start > 2 and self._answer[start] == '"':
            return start + 1, end - 1
        return start, end

    def has(self, path: Path_) -> bool:
        return path in self._spans


_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def value_spans(text: str) -> dict[Path_, tuple[int, int]]:
    """The character span of every value in a JSON document, by path (keys and list indexes);
    empty when the text is not one JSON value."""
    spans: dict[Path_, tuple[int, int]] = {}

    def skip(at: int) -> int:
        match = _WS.match(text, at)
        return match.end() if match else at

    def value(at: int, path: Path_) -> int:
        at = skip(at)
        if at >= len(text):
            raise ValueError("unexpected end")
        char = text[at]
        if char == "{":
            end = container(at + 1, path, "}")
        elif char == "[":
            end = container(at + 1, path, "]")
        else:
            _, end = _DECODER.raw_decode(text, at)
        spans[path] = (at, end)
        return end

    def container(at: int, path: Path_, close: str) -> int:
        at = skip(at)
        index = 0
        if at < len(text) and text[at] == close:
            return at + 1
        while True:
            if close == "}":
                key, at = _DECODER.raw_decode(text, skip(at))
                at = skip(at)
                if text[at] != ":":
                    raise ValueError("expected ':'")
                at = value(at + 1, (*path, str(key)))
            else:
                at = value(at, (*path, index))
                index += 1
            at = skip(at)
            if at < len(text) and text[at] == ",":
                at += 1
                continue
            if at < len(text) and text[at] == close:
                return at + 1
            raise ValueError(f"expected ',' or {close!r}")

    try:
        end = value(0, ())
    except (ValueError, IndexError):
        return {}
    return spans if skip(end) == len(text) else {}


def _clamp(p: float) -> float:
    return min(max(p, 0.0), 1.0)


def combine(probabilities: Iterable[float | None]) -> float | None:
    """One record reported several times (merged occurrences, one actor in several events):
    the most certain report."""
    known = [p for p in probabilities if p is not None]
    return max(known) if known else None


class Platt(BaseModel):
    """calibrated = sigmoid(a * logit(p) + b)"""

    model_config = ConfigDict(extra="forbid", frozen=True)
    a: float
    b: float

    def apply(self, p: float) -> float:
        return _clamp(_sigmoid(self.a * _logit(p) + self.b))


class Calibration(BaseModel):
    """The calibration of one prompt version on one model."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    prompt_version: str
    model: str
    fitted_on: str = Field(description="Dataset and set the fit used, e.g. dev.v1")
    fitted_at: dt.date
    samples: dict[Kind, int] = Field(default_factory=dict)
    event: Platt | None = None
    actor: Platt | None = None
    figure: Platt | None = None

    def apply(self, kind: Kind, p: float | None) -> float | None:
        if p is None:
            return None
        scaling: Platt | None = getattr(self, kind)
        return scaling.apply(p) if scaling is not None else p


class CalibrationFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    calibrations: list[Calibration] = Field(default_factory=list)

    def find(self, prompt_version: str, model: str) -> Calibration | None:
        for entry in self.calibrations:
            if entry.prompt_version == prompt_version and entry.model == model:
                return entry
        return None

    def put(self, entry: Calibration) -> None:
        self.calibrations = [
            c
            for c in self.calibrations
            if (c.prompt_version, c.model) != (entry.prompt_version, entry.model)
        ] + [entry]


def load_calibrations(path: Path) -> CalibrationFile:
    if not path.exists():
        return CalibrationFile()
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return CalibrationFile.model_validate(raw)


def save_calibrations(path: Path, calibrations: CalibrationFile) -> None:
    header = (
        "# Platt scaling of the model's token probabilities per record kind, by prompt version\n"
        "# and model: confidence = sigmoid(a * logit(p) + b).\n"
        "# Written by python -m evals.calibrate.\n"
    )
    body = yaml.safe_dump(calibrations.model_dump(mode="json"), sort_keys=False)
    path.write_text(header + body, encoding="utf-8")


def fit_platt(probabilities: Sequence[float], correct: Sequence[bool]) -> Platt:
    """Logistic regression of correctness on logit(p): Newton's method with step halving, and a
    small ridge towards the identity so that a separable or one-class sample stays finite."""
    xs = [_logit(p) for p in probabilities]
    ys = [1.0 if c else 0.0 for c in correct]
    ridge = 1e-3

    def loss(a: float, b: float) -> float:
        total = ridge / 2 * ((a - 1.0) ** 2 + b * b)
        for x, y in zip(xs, ys, strict=True):
            z = a * x + b
            # log(1 + e^z) - y z, computed without overflow
            total += max(z, 0.0) + math.log1p(math.exp(-abs(z))) - y * z
        return total

    a, b = 1.0, 0.0
    current = loss(a, b)
    for _ in range(100):
        ga, gb = ridge * (a - 1.0), ridge * b
        haa = hbb = ridge
        hab = 0.0
        for x, y in zip(xs, ys, strict=True):
            p = _sigmoid(a * x + b)
            w = p * (1 - p)
            ga += (p - y) * x
            gb += p - y
            haa += w * x * x
            hab += w * x
            hbb += w
        det = haa * hbb - hab * hab
        if det <= 0:
            break
        da = (hbb * ga - hab * gb) / det
        db = (haa * gb - hab * ga) / det
        step = 1.0
        while step > 1e-6:
            candidate = loss(a - step * da, b - step * db)
            if candidate <= current:
                break
            step /= 2
        else:
            break
        a, b = a - step * da, b - step * db
        improved = current - candidate
        current = candidate
        if improved < 1e-12:
            break
    return Platt(a=round(a, 6), b=round(b, 6))


def _logit(p: float) -> float:
    p = min(max(p, _EPS), 1 - _EPS)
    return math.log(p / (1 - p))


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(min(z, 700.0), -700.0)))
