"""What the API returns. Handlers never return table models."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from service.store.tables import (
    ActorBase,
    ApiKeyBase,
    ArticleBase,
    CanonicalActorBase,
    DeletedReason,
    EventBase,
    EventPlaceBase,
    ExtractionRunBase,
    FailureReason,
    FigureBase,
    RecordKind,
    Verdict,
)


class ReviewState(StrEnum):
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    UNREVIEWED = "unreviewed"


class Provenance(BaseModel):
    run_id: int
    model: str
    prompt_version: str
    schema_version: str


class RunRead(ExtractionRunBase):
    id: int
    reason: FailureReason | None = Field(
        default=None, description="Why the run failed, or why it went back to the queue"
    )
    article_id: int
    dropped_detail: list[dict[str, object]] = Field(default_factory=list)
    status_url: str


class ActorRead(ActorBase):
    """One mention of an actor in one article; ``canonical_id`` is the real actor it names."""

    id: int
    article_id: int
    canonical_id: int | None = Field(default=None, description="GET /actors/{canonical_id}")
    provenance: Provenance


class CorrectionRead(BaseModel):
    """A reviewer's correction of one field; the model's value stays in ``model_values``."""

    field: str = Field(
        description="The corrected field (actor_role: the role of ``actor``; actors: the "
        "event's sides, lists of {actor_id, name, role})"
    )
    actor: str | None = Field(default=None, description="For actor_role: the actor's name")
    old: Any = Field(description="The value before this correction")
    new: Any = Field(description="The value after it")
    who: str = Field(description="The API key (name and id) that made it, or anonymous")
    at: dt.datetime


class VerdictRead(BaseModel):
    verdict: Verdict
    note: str | None
    who: str
    at: dt.datetime


STABLE_ID = (
    "Kept when a re-run extracts the same record again; GET /deleted lists it once it is gone"
)
UPDATED_AT = "Last time a run re-extracted it or a reviewer changed it (?updated_since=)"


class EventActorRead(BaseModel):
    actor_id: int = Field(description="The mention (GET /actor-mentions)")
    name: str = Field(description="As this article names it")
    actor_type: str
    role: str
    confidence: float | None = Field(
        default=None, description="Calibrated probability that this side is right"
    )
    model_probability: float | None = None
    canonical_id: int | None = Field(default=None, description="The real actor (GET /actors/{id})")
    canonical_name: str | None = None
    model_role: str | None = Field(
        default=None, description="The model's role, when a reviewer corrected ``role``"
    )


class CanonicalActorRead(CanonicalActorBase):
    """One real actor across articles, with every name the articles use for it. Counts cover
    each article's latest successful run."""

    id: int
    generic: bool = Field(
        description="A description of a kind ('rebels'), kept to the one article that used it"
    )
    aliases: list[str] = Field(description="Surface forms, most mentioned first")
    mention_count: int
    article_count: int


class PlaceRead(EventPlaceBase):
    """The gazetteer entry of an event's location (null: not geocoded, or no place)."""


class EventRead(EventBase):
    """An event as extracted, with reviewers' corrections applied: the corrected fields show
    the reviewer's value, ``model_values`` the model's."""

    id: int
    article_id: int
    stable_id: int = Field(description=STABLE_ID)
    updated_at: dt.datetime = Field(description=UPDATED_AT)
    actors: list[EventActorRead]
    provenance: Provenance
    event_id_cnty: str = Field(description="ACLED-style id: ISO3 of the country + stable id")
    review: ReviewState = Field(description="The latest verdict, or unreviewed")
    verdict: VerdictRead | None = None
    model_values: dict[str, Any] = Field(
        default_factory=dict, description="The model's value of each corrected field"
    )
    corrections: list[CorrectionRead] = Field(default_factory=list, description="Oldest first")
    place: PlaceRead | None = None


class CanonicalActorDetail(CanonicalActorRead):
    mentions: list[ActorRead]
    events: list[EventRead]


class FigureRead(FigureBase):
    id: int
    stable_id: int = Field(description=STABLE_ID)
    updated_at: dt.datetime = Field(description=UPDATED_AT)
    article_id: int
    event_id: int | None
    provenance: Provenance
    review: ReviewState = Field(
        default=ReviewState.UNREVIEWED, description="The latest verdict, or unreviewed"
    )
    verdict: VerdictRead | None = None
    model_values: dict[str, Any] = Field(
        default_factory=dict, description="The model's value of each corrected field"
    )
    corrections: list[CorrectionRead] = Field(default_factory=list, description="Oldest first")


class ArticleSummary(ArticleBase):
    id: int
    content_hash: str
    received_at: dt.datetime
    chars: int
    latest_run: RunRead | None


class ArticleRead(ArticleSummary):
    text: str
    runs: list[RunRead]
    events: list[EventRead]
    actors: list[ActorRead]
    figures: list[FigureRead]


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= to get the next page; null on the last page."
    )


class EventFieldsPage(BaseModel):
    """A page of events narrowed by ?fields=: each item has only the fields named."""

    items: list[dict[str, Any]] = Field(description="Each event's fields named in ?fields=")
    next_cursor: str | None = Field(
        description="Pass as ?cursor= to get the next page; null on the last page."
    )


class FieldConflict(BaseModel):
    """A metadata field a re-post sent with another value than the stored one."""

    field: str
    stored: str | None
    sent: str | None


class Accepted(BaseModel):
    """Answer to a POST of an article: where it is stored and where its extraction stands."""

    article_id: int
    created: bool
    run: RunRead | None
    article_url: str
    article: ArticleRead | None = Field(
        default=None, description="The finished extraction, when ?wait= saw it finish."
    )
    conflicts: list[FieldConflict] = Field(
        default_factory=list,
        description="A re-post of a stored text (created: false) whose metadata differs from "
        "the stored article's: the stored values are kept; PATCH /articles/{id} corrects them.",
    )


class BatchAccepted(BaseModel):
    items: list[Accepted]


class Health(BaseModel):
    status: str


class QueueStats(BaseModel):
    pending: int
    running: int
    failed: int
    oldest_pending_age_s: float | None = Field(
        description="Seconds the oldest pending run has waited; null when none is pending"
    )


class WorkerState(BaseModel):
    name: str
    alive: bool
    restarts: int = Field(description="Times the supervisor restarted this worker after a crash")
    run_id: int | None = Field(description="The run it is extracting now")
    idle_s: float = Field(description="Seconds since the worker last went round its loop")


class Workers(BaseModel):
    applicable: bool = Field(
        default=True,
        description="false in an API-only process (python -m service api): runs are served "
        "by worker processes, and alive/expected are 0",
    )
    alive: int
    expected: int
    lease_lost: int = Field(
        default=0, description="Outcomes not written: the run's lease had passed to another worker"
    )
    workers: list[WorkerState]


class Readiness(BaseModel):
    status: str = Field(description="ok, or unavailable when any part below is not ok")
    database: str = Field(description="ok when a write transaction can be opened")
    workers: Workers
    queue: QueueStats
    llm: str = Field(description="ok, error: ..., or not applicable (API-only process)")
    llm_base_url: str = Field(description="Credentials in the URL are redacted")
    model: str


class RetriedRuns(BaseModel):
    retried: int
    run_ids: list[int]


class ArticleRef(BaseModel):
    article_id: int
    title: str | None
    source: str | None
    url: str | None
    published_date: dt.date | None


class ClusterReport(ArticleRef):
    """One article's report of a clustered occurrence."""

    event_id: int
    reported_by: str | None
    location: str | None
    date: dt.date | None
    date_precision: str
    evidence: str


class ClusterActor(BaseModel):
    canonical_id: int | None
    name: str
    actor_type: str
    roles: list[str]


class FigureReport(BaseModel):
    figure_id: int
    article_id: int
    event_id: int
    evidence: str
    population: str | None
    low: int | None
    high: int | None
    qualifier: str
    reported_by: str | None = Field(description="Whom the article credits, else its source")
    conservative: bool = Field(description="The lowest credible figure of its group (ACLED)")


class FigureGroupRead(BaseModel):
    """Figures of one category and population about one occurrence, from every article."""

    id: int = Field(description="The group's first figure id")
    cluster_id: int = Field(description="GET /event-clusters/{cluster_id}")
    category: str
    population: str
    sub_event_type: str
    location: str | None
    conservative_low: int | None
    conservative_figure_id: int | None
    article_count: int
    reports: list[FigureReport]


class EventClusterRead(BaseModel):
    """One occurrence as every article reported it (ACLED-style deduplicated event)."""

    id: int = Field(description="The cluster's first event id")
    event_type: str
    sub_event_type: str
    location: str | None
    date_from: dt.date | None
    date_to: dt.date | None
    actors: list[ClusterActor]
    article_count: int
    sources: list[str]
    fatalities: int | None = Field(description="Conservative count of the killed")
    reports: list[ClusterReport]


class EventClusterDetail(EventClusterRead):
    events: list[EventRead]
    figure_groups: list[FigureGroupRead]


class CampaignRead(BaseModel):
    """The violent occurrences reported at one place over overlapping dates (an offensive),
    with every article that reported any of them. Looser than an event cluster."""

    id: int = Field(description="Its first event cluster's id")
    location: str | None
    date_from: dt.date | None
    date_to: dt.date | None
    cluster_ids: list[int] = Field(description="GET /event-clusters/{id}")
    sub_event_types: dict[str, int] = Field(description="Clusters per sub-event type")
    actors: list[ClusterActor] = Field(description="Named actors (not generic descriptions)")
    article_count: int
    articles: list[ArticleRef]


class ApiKeyRead(ApiKeyBase):
    """An API key as listed: never its token."""

    id: int
    scopes: list[str] = Field(description="What the key may do: its scope and those it implies")


class ApiKeyCreated(ApiKeyRead):
    token: str = Field(
        description="The key's secret: shown this once, only its sha256 is stored. Send it as "
        "'Authorization: Bearer <token>' or 'X-API-Key: <token>'."
    )


class ArticleUpdated(BaseModel):
    """Answer to PATCH /articles/{id}."""

    article: ArticleSummary
    changed: list[str] = Field(description="The fields whose value changed")
    run: RunRead | None = Field(
        description="The re-run queued because published_date changed (or the run already "
        "queued for the article), else null"
    )


class DeletedRecord(BaseModel):
    """A record that disappeared: drop it from a copy kept in sync."""

    kind: RecordKind
    stable_id: int
    event_id_cnty: str | None = Field(description="Events only")
    article_id: int
    deleted_at: dt.datetime
    reason: DeletedReason = Field(
        description="not_found_by_rerun: a newer run of its article did not extract it again; "
        "article_deleted: DELETE /articles/{id}"
    )

    @property
    def id(self) -> int:
        return self.stable_id
