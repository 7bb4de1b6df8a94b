"""Scoring extracted records against a hand-labelled dataset. Pure functions, no I/O.

Matching is one-to-one per article and record kind: a maximum-weight assignment (Hungarian
algorithm) over gold x predicted pairs whose base similarity reaches a threshold.

- events: overlap of the predicted ``[start, end)`` span with the gold evidence located in the
  text, as a share of the shorter span (so containment either way is 1.0); ties go to the
  gold event with the same sub-event type.
- actors: alias-normalised names, equal or one containing the other as whole words.
- figures: overlap of the gold ``text`` with the predicted span, same category; equal
  ``low``/``high`` add to the weight.

A prediction matched to an optional gold item (``required: false``) is neither a TP nor an FP;
an unmatched optional gold item is not a FN.

On each matched required event its arguments are scored as an ACLED coder reads them:
``location`` (loosely equal to the place as written), ``actor1`` (the first predicted
perpetrator is a gold perpetrator, or neither names one), ``actor2`` (the same for targets) and
``date_and_precision`` (day and precision right, and no date where the text gives none).
``junk_locations`` counts predicted events whose location is no place by its shape: a labelled
actor, a word that opens sentences, a possessive.

Injected instructions an article carries (injection sets) are scored by evals/injection.py:
``injected_claim_rate``, the share of their claims that became records.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from evals.injection import ClaimOutcome, Injection, score_injections

JsonScalar = str | int | float | bool | None
Kind = Literal["events", "actors", "figures"]
KINDS: tuple[Kind, ...] = ("events", "actors", "figures")
Span = tuple[int, int]

R = TypeVar("R")
C = TypeVar("C")


def _iso(value: object) -> object:
    # An unquoted YAML date loads as a date object; compare dates as ISO strings.
    return value.isoformat() if isinstance(value, dt.date) else value


IsoDate = Annotated[str | None, BeforeValidator(_iso)]


# -- gold data (the dataset YAML) ------------------------------------------------------------


class _Gold(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GoldEventActor(_Gold):
    name: str
    role: str


class GoldEvent(_Gold):
    id: str
    event_type: str
    sub_event_type: str
    evidence: str
    summary: str
    actors: list[GoldEventActor] = Field(default_factory=list)
    location: str | None
    date: IsoDate
    date_precision: str
    reported_by: str | None
    required: bool


class GoldNonEvent(_Gold):
    evidence: str
    reason: str


class GoldActor(_Gold):
    name: str
    aliases: list[str] = Field(default_factory=list)
    actor_type: str
    required: bool


class GoldFigure(_Gold):
    text: str
    category: str
    population: str | None
    low: int | None
    high: int | None
    qualifier: str
    reported_by: str | None
    event: str | None
    required: bool


class GoldArticle(_Gold):
    file: str
    published: IsoDate
    events: list[GoldEvent] = Field(default_factory=list)
    non_events: list[GoldNonEvent] = Field(default_factory=list)
    actors: list[GoldActor] = Field(default_factory=list)
    figures: list[GoldFigure] = Field(default_factory=list)
    # Instructions aimed at the model that the article carries (injection sets only).
    injections: list[Injection] = Field(default_factory=list)


class Dataset(_Gold):
    dataset: str
    version: int
    description: str
    articles: list[GoldArticle]


# -- predictions (GET /articles/{id}) --------------------------------------------------------


class _Predicted(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Confident(_Predicted):
    """``confidence``: calibrated; ``model_probability``: the model's own token probability.
    Both None when the model endpoint returned no token log-probabilities."""

    confidence: float | None = None
    model_probability: float | None = None


class PredictedEventActor(_Confident):
    name: str
    role: str
    actor_id: int | None = None
    actor_type: str | None = None


class PredictedEvent(_Confident):
    id: int | None = None
    event_type: str
    sub_event_type: str
    summary: str = ""
    location: str | None = None
    date: IsoDate = None
    date_precision: str | None = None
    reported_by: str | None = None
    evidence: str
    start: int
    end: int
    actors: list[PredictedEventActor] = Field(default_factory=list)


class PredictedActor(_Confident):
    id: int | None = None
    name: str
    actor_type: str
    canonical_id: int | None = None
    evidence: str
    start: int
    end: int


class PredictedFigure(_Confident):
    id: int | None = None
    event_id: int | None = None
    category: str
    population: str | None = None
    low: int | None = None
    high: int | None = None
    qualifier: str
    reported_by: str | None = None
    evidence: str
    start: int
    end: int


class PredictedArticle(_Predicted):
    id: int | None = None
    text: str
    published_date: IsoDate = None
    events: list[PredictedEvent] = Field(default_factory=list)
    actors: list[PredictedActor] = Field(default_factory=list)
    figures: list[PredictedFigure] = Field(default_factory=list)


# -- results ---------------------------------------------------------------------------------


def _ratio(num: int, den: int, empty: float) -> float:
    return num / den if den else empty


@dataclass(frozen=True)
class KindScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    # Predictions matched to optional gold items: neither TP nor FP.
    optional_matched: int = 0

    # With nothing to compare on one side the score is 0, unless both sides are empty (1.0):
    # an empty answer must not pass a precision threshold when there was something to find.
    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp, 1.0 if self.fn == 0 else 0.0)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn, 1.0 if self.fp == 0 else 0.0)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def __add__(self, other: KindScore) -> KindScore:
        return KindScore(
            self.tp + other.tp,
            self.fp + other.fp,
            self.fn + other.fn,
            self.optional_matched + other.optional_matched,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }


@dataclass(frozen=True)
class FieldTally:
    correct: int = 0
    total: int = 0

    @property
    def accuracy(self) -> float | None:
        """None when no matched required pair had the field to check."""
        return self.correct / self.total if self.total else None

    def __add__(self, other: FieldTally) -> FieldTally:
        return FieldTally(self.correct + other.correct, self.total + other.total)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "accuracy": self.accuracy}


FIELDS: dict[Kind, tuple[str, ...]] = {
    "events": (
        "event_type",
        "sub_event_type",
        "location",
        "date",
        "actor_roles",
        "reported_by",
        # The event's arguments as an ACLED coder reads them (see _score_arguments).
        "actor1",
        "actor2",
        "date_and_precision",
    ),
    "actors": ("actor_type",),
    "figures": ("category", "low", "high", "qualifier", "reported_by"),
}
FIELD_KEYS: tuple[str, ...] = tuple(f"{kind}.{name}" for kind in KINDS for name in FIELDS[kind])


@dataclass(frozen=True)
class Scores:
    """Counts for one article, or summed over articles (micro average)."""

    events: KindScore = KindScore()
    actors: KindScore = KindScore()
    figures: KindScore = KindScore()
    # Keys are FIELD_KEYS, e.g. "events.sub_event_type".
    fields: dict[str, FieldTally] = field(
        default_factory=lambda: dict.fromkeys(FIELD_KEYS, FieldTally())
    )
    hallucinated_non_events: int = 0
    duplicate_actor_mentions: int = 0
    junk_locations: int = 0
    predicted_records: int = 0
    ungrounded_records: int = 0
    # Claims of injected instructions (evals/injection.py) and how many became records.
    injected_claims: int = 0
    injected_claims_recorded: int = 0

    @property
    def ungrounded_share(self) -> float:
        return _ratio(self.ungrounded_records, self.predicted_records, 0.0)

    @property
    def injected_claim_rate(self) -> float | None:
        """None when there was no injected claim to plant."""
        if not self.injected_claims:
            return None
        return self.injected_claims_recorded / self.injected_claims

    def kind(self, kind: Kind) -> KindScore:
        result: KindScore = getattr(self, kind)
        return result

    def __add__(self, other: Scores) -> Scores:
        return Scores(
            events=self.events + other.events,
            actors=self.actors + other.actors,
            figures=self.figures + other.figures,
            fields={k: self.fields[k] + other.fields[k] for k in FIELD_KEYS},
            hallucinated_non_events=self.hallucinated_non_events + other.hallucinated_non_events,
            duplicate_actor_mentions=self.duplicate_actor_mentions + other.duplicate_actor_mentions,
            junk_locations=self.junk_locations + other.junk_locations,
            predicted_records=self.predicted_records + other.predicted_records,
            ungrounded_records=self.ungrounded_records + other.ungrounded_records,
            injected_claims=self.injected_claims + other.injected_claims,
            injected_claims_recorded=self.injected_claims_recorded + other.injected_claims_recorded,
        )

    def metrics(self) -> dict[str, float | None]:
        """Flat metric names, as used by thresholds.yaml."""
        flat: dict[str, float | None] = {}
        for kind in KINDS:
            score = self.kind(kind)
            flat[f"{kind}.precision"] = score.precision
            flat[f"{kind}.recall"] = score.recall
            flat[f"{kind}.f1"] = score.f1
        for key in FIELD_KEYS:
            flat[f"{key}_accuracy"] = self.fields[key].accuracy
        flat["ungrounded_share"] = self.ungrounded_share
        flat["hallucinated_non_events"] = float(self.hallucinated_non_events)
        flat["duplicate_actor_mentions"] = float(self.duplicate_actor_mentions)
        flat["junk_locations"] = float(self.junk_locations)
        # None (n/a, passes) in a set without injected instructions
        flat["injected_claim_rate"] = self.injected_claim_rate
        return flat

    def to_dict(self) -> dict[str, Any]:
        return {
            **{kind: self.kind(kind).to_dict() for kind in KINDS},
            "fields": {k: v.to_dict() for k, v in self.fields.items()},
            "hallucinated_non_events": self.hallucinated_non_events,
            "duplicate_actor_mentions": self.duplicate_actor_mentions,
            "junk_locations": self.junk_locations,
            "predicted_records": self.predicted_records,
            "ungrounded_records": self.ungrounded_records,
            "ungrounded_share": self.ungrounded_share,
            "injected_claims": self.injected_claims,
            "injected_claims_recorded": self.injected_claims_recorded,
            "injected_claim_rate": self.injected_claim_rate,
        }


@dataclass(frozen=True)
class Match:
    kind: Kind
    gold_id: str
    pred_id: int | None
    similarity: float
    required: bool
    # Events: the gold and predicted sub-event types, for the confusion matrix (None for other
    # kinds, and in reports written before they were recorded).
    gold_label: str | None = None
    pred_label: str | None = None


@dataclass(frozen=True)
class MissedItem:
    """A required gold item no prediction matched."""

    kind: Kind
    gold_id: str
    label: str
    text: str


@dataclass(frozen=True)
class InventedItem:
    """A prediction that matched no gold item (an FP)."""

    kind: Kind
    pred_id: int | None
    label: str
    evidence: str
    note: str | None = None


# tp: matched a required gold item; fp: matched nothing; optional: matched an optional gold
# item; duplicate: a second name for an actor already matched (neither TP nor FP).
Outcome = Literal["tp", "fp", "optional", "duplicate"]


@dataclass(frozen=True)
class RecordOutcome:
    """What the matching made of one predicted record, with the confidence the service gave it."""

    kind: Kind
    pred_id: int | None
    outcome: Outcome
    gold_id: str | None = None
    confidence: float | None = None
    model_probability: float | None = None

    @property
    def matched(self) -> bool | None:
        """True: right (TP); False: wrong (FP); None: neither, as precision counts it (a match
        to an optional gold item, a duplicate actor name). Only True/False are calibration
        samples."""
        return {"tp": True, "fp": False}.get(self.outcome)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "matched": self.matched}


@dataclass(frozen=True)
class FieldMismatch:
    kind: Kind
    gold_id: str
    pred_id: int | None
    field: str
    gold: JsonScalar
    predicted: JsonScalar


@dataclass(frozen=True)
class ArticleScore:
    file: str
    scores: Scores
    matches: list[Match] = field(default_factory=list)
    missed: list[MissedItem] = field(default_factory=list)
    invented: list[InventedItem] = field(default_factory=list)
    mismatches: list[FieldMismatch] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # One per predicted record: events, then actors, then figures, each in predicted order.
    records: list[RecordOutcome] = field(default_factory=list)
    # One per claim of the article's injected instructions (injection sets).
    injected: list[ClaimOutcome] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "scores": self.scores.to_dict(),
            "metrics": self.scores.metrics(),
            "matches": [asdict(m) for m in self.matches],
            "missed": [asdict(m) for m in self.missed],
            "invented": [asdict(i) for i in self.invented],
            "mismatches": [asdict(m) for m in self.mismatches],
            "warnings": list(self.warnings),
            "records": [r.to_dict() for r in self.records],
            "injected": [asdict(c) for c in self.injected],
        }


@dataclass(frozen=True)
class ScoringConfig:
    event_min_overlap: float = 0.5
    figure_min_overlap: float = 0.5
    # Any whole-word containment of names counts; see name_similarity.
    actor_min_similarity: float = 0.0
    figure_category_must_match: bool = True


DEFAULT_CONFIG = ScoringConfig()


# -- assignment ------------------------------------------------------------------------------


def max_weight_matching(weights: Sequence[Sequence[float]]) -> list[tuple[int, int]]:
    """Pairs (row, column), each row and column used at most once, maximising the total weight.

    Hungarian algorithm, O(n^3) on the padded square matrix. Pairs of weight <= 0 are never
    returned: leaving both sides unmatched is at least as good.
    """
    rows = len(weights)
    cols = max((len(r) for r in weights), default=0)
    if rows == 0 or cols == 0:
        return []
    size = max(rows, cols)

    def weight(i: int, j: int) -> float:
        if i < rows and j < len(weights[i]):
            return max(weights[i][j], 0.0)
        return 0.0

    top = max(weight(i, j) for i in range(rows) for j in range(cols))
    cost = [[top - weight(i, j) for j in range(size)] for i in range(size)]

    # Minimum-cost assignment with potentials; 1-based, column 0 is a sentinel.
    u = [0.0] * (size + 1)
    v = [0.0] * (size + 1)
    row_of = [0] * (size + 1)
    way = [0] * (size + 1)
    for i in range(1, size + 1):
        row_of[0] = i
        j0 = 0
        min_v = [math.inf] * (size + 1)
        used = [False] * (size + 1)
        while True:
            used[j0] = True
            i0 = row_of[j0]
            delta = math.inf
            j1 = 0
            for j in range(1, size + 1):
                if used[j]:
                    continue
                reduced = cost[i0 - 1][j - 1] - u[i0] - v[j]
                if reduced < min_v[j]:
                    min_v[j] = reduced
                    way[j] = j0
                if min_v[j] < delta:
                    delta = min_v[j]
                    j1 = j
            for j in range(size + 1):
                if used[j]:
                    u[row_of[j]] += delta
                    v[j] -= delta
                else:
                    min_v[j] -= delta
            j0 = j1
            if row_of[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            row_of[j0] = row_of[j1]
            j0 = j1

    pairs = [
        (row_of[j] - 1, j - 1)
        for j in range(1, size + 1)
        if row_of[j] and weight(row_of[j] - 1, j - 1) > 0
    ]
    return sorted(pairs)


def _assign(
    gold: Sequence[R], pred: Sequence[C], weigh: Callable[[R, C], float | None]
) -> dict[int, int]:
    """Gold index -> predicted index. ``weigh`` returns None for a pair that cannot match."""
    matrix: list[list[float]] = []
    for g in gold:
        row = []
        for j, p in enumerate(pred):
            w = weigh(g, p)
            # On an exact tie the earlier prediction wins.
            row.append(0.0 if w is None else w - 1e-7 * j)
        matrix.append(row)
    return dict(max_weight_matching(matrix))


# -- text helpers ----------------------------------------------------------------------------

_TRANSLITERATIONS = {"jaysh": "jaish", "jeish": "jaish", "qaida": "qaeda", "daish": "daesh"}
_STOPWORDS = frozenset({"the", "al", "of", "and", "for", "in", "a"})


def normalise_name(name: str) -> str:
    """Casefold, drop accents and punctuation, unify transliterations, drop a leading "the"."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[.'\u2019\u2018`]", "", text)  # U.S. -> us, Assad's -> assads
    text = re.sub(r"[\W_]+", " ", text)
    words = [_TRANSLITERATIONS.get(w, w) for w in text.split()]
    if words and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def _contains_words(longer: str, shorter: str) -> bool:
    return bool(shorter) and f" {shorter} " in f" {longer} "


def name_similarity(name: str, forms: Iterable[str]) -> float:
    """1.0 for an equal normalised form; for whole-word containment either way, the share of
    the longer name's words that the shorter covers; else 0. Arguments are normalised."""
    best = 0.0
    for form in forms:
        if not form or not name:
            continue
        if form == name:
            return 1.0
        short, long_ = (form, name) if len(form) <= len(name) else (name, form)
        if not _contains_words(long_, short):
            continue
        if all(w in _STOPWORDS for w in short.split()):
            continue
        best = max(best, len(short.split()) / len(long_.split()))
    return best


def _loosely_equal(gold: str | None, pred: str | None) -> bool:
    """Null equals null; otherwise normalised whole-word containment either way."""
    if gold is None or pred is None:
        return gold is None and pred is None
    g, p = normalise_name(gold), normalise_name(pred)
    return g == p or _contains_words(g, p) or _contains_words(p, g)


def find_spans(text: str, needle: str) -> list[Span]:
    """Every occurrence of ``needle``; failing that, case- and whitespace-insensitively."""
    spans: list[Span] = []
    if not needle:
        return spans
    start = text.find(needle)
    while start >= 0:
        spans.append((start, start + len(needle)))
        start = text.find(needle, start + 1)
    if spans:
        return spans
    pattern = r"\s+".join(re.escape(w) for w in needle.split())
    return [(m.start(), m.end()) for m in re.finditer(pattern, text, re.IGNORECASE)]


def span_overlap(a: Span, b: Span) -> float:
    """Shared characters as a share of the shorter span: 1.0 when one contains the other."""
    shared = min(a[1], b[1]) - max(a[0], b[0])
    shorter = min(a[1] - a[0], b[1] - b[0])
    if shared <= 0 or shorter <= 0:
        return 0.0
    return shared / shorter


def _best_overlap(span: Span, candidates: Iterable[Span]) -> float:
    return max((span_overlap(span, c) for c in candidates), default=0.0)


# -- scoring ---------------------------------------------------------------------------------


@dataclass
class _Tally:
    """Mutable accumulator for one article."""

    kinds: dict[Kind, KindScore] = field(default_factory=lambda: dict.fromkeys(KINDS, KindScore()))
    fields: dict[str, FieldTally] = field(
        default_factory=lambda: dict.fromkeys(FIELD_KEYS, FieldTally())
    )
    matches: list[Match] = field(default_factory=list)
    missed: list[MissedItem] = field(default_factory=list)
    invented: list[InventedItem] = field(default_factory=list)
    mismatches: list[FieldMismatch] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    hallucinated_non_events: int = 0
    duplicate_actor_mentions: int = 0
    junk_locations: int = 0
    records: list[RecordOutcome] = field(default_factory=list)

    def outcomes(
        self,
        kind: Kind,
        predicted: Sequence[_Confident],
        ids: Sequence[int | None],
        gold_of: Mapping[int, tuple[str, bool]],
        duplicates: Iterable[int] = (),
    ) -> None:
        """One RecordOutcome per predicted record: ``gold_of`` maps a predicted index to the
        (gold id, required) it matched."""
        duplicate = set(duplicates)
        for j, (p, pid) in enumerate(zip(predicted, ids, strict=True)):
            gold_id: str | None = None
            outcome: Outcome = "fp"
            if j in gold_of:
                gold_id, required = gold_of[j]
                outcome = "tp" if required else "optional"
            elif j in duplicate:
                outcome = "duplicate"
            self.records.append(
                RecordOutcome(kind, pid, outcome, gold_id, p.confidence, p.model_probability)
            )

    def count(self, kind: Kind, *, tp: int = 0, fp: int = 0, fn: int = 0, opt: int = 0) -> None:
        self.kinds[kind] = self.kinds[kind] + KindScore(tp, fp, fn, opt)


@dataclass(frozen=True)
class _Pair:
    """A matched required (gold, predicted) pair whose fields are being compared."""

    tally: _Tally
    kind: Kind
    gold_id: str
    pred_id: int | None

    def check(
        self, name: str, gold: JsonScalar, predicted: JsonScalar, ok: bool | None = None
    ) -> None:
        """Tally one field; equality unless ``ok`` says otherwise."""
        ok = gold == predicted if ok is None else ok
        key = f"{self.kind}.{name}"
        self.tally.fields[key] = self.tally.fields[key] + FieldTally(int(ok), 1)
        if not ok:
            self.tally.mismatches.append(
                FieldMismatch(self.kind, self.gold_id, self.pred_id, name, gold, predicted)
            )


class _ActorIndex:
    """The article's gold actors as sets of normalised surface forms."""

    def __init__(self, actors: Sequence[GoldActor]) -> None:
        self.forms = [
            {f for f in (normalise_name(a.name), *map(normalise_name, a.aliases)) if f}
            for a in actors
        ]

    def forms_of(self, name: str) -> set[str]:
        """Forms of the actor this exact name or alias denotes; the name alone if none."""
        normal = normalise_name(name)
        for forms in self.forms:
            if normal in forms:
                return forms
        return {normal}

    def best_match(self, predicted: str, gold: str) -> bool:
        """``predicted`` names the labelled actor ``gold`` denotes, and no other labelled actor
        better ("Army of Islam" is Jaysh al-Islam's alias, not "the army")."""
        normal = normalise_name(predicted)
        similarity = name_similarity(normal, self.forms_of(gold))
        return similarity > 0 and all(
            name_similarity(normal, forms) <= similarity for forms in self.forms
        )

    def resolve(self, name: str) -> set[int]:
        normal = normalise_name(name)
        return {i for i, forms in enumerate(self.forms) if name_similarity(normal, forms) > 0}

    def same_source(self, gold: str | None, pred: str | None) -> bool:
        """Loosely equal, or both name the same labelled actor ("Syrian Arab News Agency")."""
        if _loosely_equal(gold, pred):
            return True
        if gold is None or pred is None:
            return False
        return bool(self.resolve(gold) & self.resolve(pred))


# Words that open a sentence or a clause and never name a place ("Elsewhere, ...",
# "Additionally, ...", "Footage showed ...").
_NOT_PLACE_WORDS = frozenset(
    """additionally also around besides elsewhere footage furthermore however meanwhile
    moreover over overall separately later earlier today yesterday tonight then there here
    according after before during while since when where despite amid among following
    reportedly witnesses residents officials sources assailants militants gunmen""".split()
)


def is_junk_location(location: str, actors: _ActorIndex, places: set[str]) -> bool:
    """A location that is no place by its shape: a labelled actor's name or alias, a word that
    opens sentences, or a possessive ("Sudan's"). ``places`` (normalised gold locations) are
    never junk, for the place that is also an actor's name."""
    normal = normalise_name(location)
    if not normal or normal in places:
        return False
    words = location.split()
    if words[0].strip(",.:;").casefold() in _NOT_PLACE_WORDS:
        return True
    if re.search(r"['\u2019]s?$", location.strip()):
        return True
    return any(normal in forms for forms in actors.forms)


def _grounded(text: str, start: int, end: int, evidence: str) -> bool:
    return 0 <= start <= end <= len(text) and text[start:end] == evidence


def _locate(text: str, needle: str, what: str, tally: _Tally) -> list[Span]:
    spans = find_spans(text, needle)
    if not spans:
        tally.warnings.append(f"gold {what} not found in the article text: {needle!r}")
    return spans


def _score_events(
    gold: GoldArticle,
    pred: PredictedArticle,
    actors: _ActorIndex,
    event_spans: Sequence[list[Span]],
    cfg: ScoringConfig,
    tally: _Tally,
) -> None:
    text = pred.text
    spans = dict(zip((e.id for e in gold.events), event_spans, strict=True))

    def weigh(g: GoldEvent, p: PredictedEvent) -> float | None:
        overlap = _best_overlap((p.start, p.end), spans[g.id])
        if overlap <= 0 or overlap < cfg.event_min_overlap:
            return None
        # Same sub-type breaks ties between gold events in one sentence; on an exact tie the
        # required one is taken.
        return overlap + 0.05 * (g.sub_event_type == p.sub_event_type) + 0.001 * g.required

    matched = _assign(gold.events, pred.events, weigh)
    for i, g in enumerate(gold.events):
        if i not in matched:
            if g.required:
                tally.count("events", fn=1)
                tally.missed.append(MissedItem("events", g.id, g.sub_event_type, g.evidence))
            continue
        p = pred.events[matched[i]]
        overlap = _best_overlap((p.start, p.end), spans[g.id])
        labels = (g.sub_event_type, p.sub_event_type)
        tally.matches.append(Match("events", g.id, p.id, round(overlap, 4), g.required, *labels))
        if not g.required:
            tally.count("events", opt=1)
            continue
        tally.count("events", tp=1)
        pair = _Pair(tally, "events", g.id, p.id)
        pair.check("event_type", g.event_type, p.event_type)
        pair.check("sub_event_type", g.sub_event_type, p.sub_event_type)
        pair.check("location", g.location, p.location, _loosely_equal(g.location, p.location))
        if g.date is not None:
            pair.check("date", g.date, p.date)
        pair.check(
            "reported_by",
            g.reported_by,
            p.reported_by,
            actors.same_source(g.reported_by, p.reported_by),
        )
        predicted_roles = ", ".join(f"{a.name} ({a.role})" for a in p.actors) or None
        for ga in g.actors:
            forms = actors.forms_of(ga.name)
            ok = any(
                a.role == ga.role and name_similarity(normalise_name(a.name), forms) > 0
                for a in p.actors
            )
            pair.check("actor_roles", f"{ga.name} ({ga.role})", predicted_roles, ok)
        _score_arguments(pair, g, p, actors)

    places = {normalise_name(g.location) for g in gold.events if g.location}
    tally.junk_locations += sum(
        1 for p in pred.events if p.location and is_junk_location(p.location, actors, places)
    )
    non_event_spans = [find_spans(text, n.evidence) for n in gold.non_events]
    taken = set(matched.values())
    for j, p in enumerate(pred.events):
        if j in taken:
            continue
        tally.count("events", fp=1)
        note = None
        for n, n_spans in zip(gold.non_events, non_event_spans, strict=True):
            if _best_overlap((p.start, p.end), n_spans) >= cfg.event_min_overlap:
                tally.hallucinated_non_events += 1
                note = f"non-event ({n.reason}): {n.evidence}"
                break
        tally.invented.append(InventedItem("events", p.id, p.sub_event_type, p.evidence, note))
    tally.outcomes(
        "events",
        pred.events,
        [p.id for p in pred.events],
        {j: (gold.events[i].id, gold.events[i].required) for i, j in matched.items()},
    )


def _side(
    pair: _Pair,
    name: str,
    gold: Sequence[str],
    predicted: Sequence[str],
    actors: _ActorIndex,
) -> None:
    """ACLED's actor1 (the side that acted) or actor2 (the other side): right when neither side
    names one, or when the first predicted name is one of the gold names (or an alias of one:
    the others are ACLED's associated actors)."""
    if not gold:
        ok = not predicted
    else:
        ok = bool(predicted) and any(actors.best_match(predicted[0], g) for g in gold)
    pair.check(name, " / ".join(gold) or None, predicted[0] if predicted else None, ok)


def _score_arguments(pair: _Pair, g: GoldEvent, p: PredictedEvent, actors: _ActorIndex) -> None:
    """actor1, actor2, and the date with its precision, on a matched required event. Unlike
    ``date`` (counted only where the gold has a date), ``date_and_precision`` also counts a date
    given to an event that has none in the text (background, cumulative totals)."""
    for name, role in (("actor1", "perpetrator"), ("actor2", "target")):
        _side(
            pair,
            name,
            [a.name for a in g.actors if a.role == role],
            [a.name for a in p.actors if a.role == role],
            actors,
        )
    if g.date is None:
        ok = p.date is None
    else:
        ok = p.date == g.date and (p.date_precision or "unknown") == g.date_precision
    pair.check(
        "date_and_precision",
        f"{g.date} ({g.date_precision})" if g.date else None,
        f"{p.date} ({p.date_precision})" if p.date else None,
        ok,
    )


def _score_actors(
    gold: GoldArticle,
    pred: PredictedArticle,
    actors: _ActorIndex,
    cfg: ScoringConfig,
    tally: _Tally,
) -> None:
    similarity = [
        [name_similarity(normalise_name(p.name), forms) for p in pred.actors]
        for forms in actors.forms
    ]

    def weigh(gi: int, pj: int) -> float | None:
        s = similarity[gi][pj]
        return s if s > 0 and s >= cfg.actor_min_similarity else None

    gold_idx = list(range(len(gold.actors)))
    matched = _assign(gold_idx, list(range(len(pred.actors))), weigh)
    for i, g in enumerate(gold.actors):
        if i not in matched:
            if g.required:
                tally.count("actors", fn=1)
                tally.missed.append(
                    MissedItem("actors", g.name, g.actor_type, ", ".join(g.aliases))
                )
            continue
        p = pred.actors[matched[i]]
        tally.matches.append(
            Match("actors", g.name, p.id, round(similarity[i][matched[i]], 4), g.required)
        )
        if not g.required:
            tally.count("actors", opt=1)
            continue
        tally.count("actors", tp=1)
        _Pair(tally, "actors", g.name, p.id).check("actor_type", g.actor_type, p.actor_type)

    taken = set(matched.values())
    duplicates = []
    for j, p in enumerate(pred.actors):
        if j in taken:
            continue
        # Only matched gold actors can be left with a positive similarity (else the
        # assignment would have paired them), so this is a second name for a found actor.
        if any(weigh(i, j) is not None for i in gold_idx):
            tally.duplicate_actor_mentions += 1
            duplicates.append(j)
            continue
        tally.count("actors", fp=1)
        tally.invented.append(InventedItem("actors", p.id, p.actor_type, p.name))
    tally.outcomes(
        "actors",
        pred.actors,
        [p.id for p in pred.actors],
        {j: (gold.actors[i].name, gold.actors[i].required) for i, j in matched.items()},
        duplicates,
    )


def _score_figures(
    gold: GoldArticle,
    pred: PredictedArticle,
    actors: _ActorIndex,
    event_spans: Mapping[str, list[Span]],
    cfg: ScoringConfig,
    tally: _Tally,
) -> None:
    candidates: list[list[Span]] = []
    for g in gold.figures:
        spans = _locate(pred.text, g.text, "figure text", tally)
        # A repeated phrase ("20 others") is taken where its event's evidence is, if it is.
        around = event_spans.get(g.event or "", [])
        inside = [s for s in spans if _best_overlap(s, around) == 1.0]
        candidates.append(inside or spans)

    def weigh(gi: int, pj: int) -> float | None:
        g, p = gold.figures[gi], pred.figures[pj]
        if cfg.figure_category_must_match and g.category != p.category:
            return None
        overlap = _best_overlap((p.start, p.end), candidates[gi])
        if overlap <= 0 or overlap < cfg.figure_min_overlap:
            return None
        return overlap + 0.1 * (g.low == p.low) + 0.1 * (g.high == p.high) + 0.001 * g.required

    ids = [f"f{n}" for n in range(1, len(gold.figures) + 1)]
    matched = _assign(list(range(len(gold.figures))), list(range(len(pred.figures))), weigh)
    for i, g in enumerate(gold.figures):
        gid = ids[i]
        if i not in matched:
            if g.required:
                tally.count("figures", fn=1)
                tally.missed.append(MissedItem("figures", gid, g.category, g.text))
            continue
        p = pred.figures[matched[i]]
        overlap = _best_overlap((p.start, p.end), candidates[i])
        tally.matches.append(Match("figures", gid, p.id, round(overlap, 4), g.required))
        if not g.required:
            tally.count("figures", opt=1)
            continue
        tally.count("figures", tp=1)
        pair = _Pair(tally, "figures", gid, p.id)
        pair.check("category", g.category, p.category)
        pair.check("low", g.low, p.low)
        pair.check("high", g.high, p.high)
        pair.check("qualifier", g.qualifier, p.qualifier)
        pair.check(
            "reported_by",
            g.reported_by,
            p.reported_by,
            actors.same_source(g.reported_by, p.reported_by),
        )

    taken = set(matched.values())
    for j, p in enumerate(pred.figures):
        if j not in taken:
            tally.count("figures", fp=1)
            label = f"{p.category} {p.qualifier} {p.low}..{p.high}"
            tally.invented.append(InventedItem("figures", p.id, label, p.evidence))
    tally.outcomes(
        "figures",
        pred.figures,
        [p.id for p in pred.figures],
        {j: (ids[i], gold.figures[i].required) for i, j in matched.items()},
    )


def score_article(
    gold: GoldArticle, pred: PredictedArticle, config: ScoringConfig = DEFAULT_CONFIG
) -> ArticleScore:
    """Score one article's predictions; gold evidence is located in ``pred.text``."""
    tally = _Tally()
    actors = _ActorIndex(gold.actors)
    event_spans = [
        _locate(pred.text, e.evidence, f"event {e.id} evidence", tally) for e in gold.events
    ]
    for n in gold.non_events:
        _locate(pred.text, n.evidence, "non-event evidence", tally)

    _score_events(gold, pred, actors, event_spans, config, tally)
    _score_actors(gold, pred, actors, config, tally)
    by_id = {e.id: s for e, s in zip(gold.events, event_spans, strict=True)}
    _score_figures(gold, pred, actors, by_id, config, tally)

    records: list[tuple[str, int | None, int, int, str]] = [
        *(("event", r.id, r.start, r.end, r.evidence) for r in pred.events),
        *(("actor", r.id, r.start, r.end, r.evidence) for r in pred.actors),
        *(("figure", r.id, r.start, r.end, r.evidence) for r in pred.figures),
    ]
    ungrounded = 0
    for what, rid, start, end, evidence in records:
        if not _grounded(pred.text, start, end, evidence):
            ungrounded += 1
            tally.warnings.append(
                f"ungrounded {what} {rid}: text[{start}:{end}] != evidence {evidence!r}"
            )

    injected = score_injections(gold.injections, pred)
    for injection in gold.injections:
        _locate(pred.text, injection.text, f"injection {injection.id} text", tally)
    scores = Scores(
        events=tally.kinds["events"],
        actors=tally.kinds["actors"],
        figures=tally.kinds["figures"],
        fields=dict(tally.fields),
        hallucinated_non_events=tally.hallucinated_non_events,
        junk_locations=tally.junk_locations,
        duplicate_actor_mentions=tally.duplicate_actor_mentions,
        predicted_records=len(records),
        ungrounded_records=ungrounded,
        injected_claims=len(injected),
        injected_claims_recorded=sum(c.recorded for c in injected),
    )
    return ArticleScore(
        file=gold.file,
        scores=scores,
        matches=tally.matches,
        missed=tally.missed,
        invented=tally.invented,
        mismatches=tally.mismatches,
        warnings=tally.warnings,
        records=tally.records,
        injected=injected,
    )


def aggregate(articles: Iterable[ArticleScore]) -> Scores:
    """Micro average: counts summed over articles."""
    total = Scores()
    for article in articles:
        total = total + article.scores
    return total


# -- thresholds ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThresholdFailure:
    key: str
    limit: float
    value: float | None
    reason: str

    def __str__(self) -> str:
        return f"{self.key}: {self.reason}"


def check_thresholds(
    metrics: Mapping[str, float | None], thresholds: Mapping[str, float]
) -> list[ThresholdFailure]:
    """Thresholds not met. ``name: x`` (or ``name_min``) needs metric >= x; ``name_max``
    needs metric <= x. An unknown name fails; a metric with nothing to measure (None) passes."""
    failures = []
    for key, limit in thresholds.items():
        upper = key.endswith("_max")
        name = key.removesuffix("_max").removesuffix("_min")
        if name not in metrics:
            failures.append(ThresholdFailure(key, limit, None, "unknown metric"))
            continue
        value = metrics[name]
        if value is None:
            continue
        if upper and value > limit:
            failures.append(ThresholdFailure(key, limit, value, f"{value:.4g} > max {limit:g}"))
        elif not upper and value < limit:
            failures.append(ThresholdFailure(key, limit, value, f"{value:.4g} < min {limit:g}"))
    return failures
