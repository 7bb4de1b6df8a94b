"""SQLModel table models. Only the store touches them; the API returns read models."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, Integer, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

# Ids are 64-bit, as the API allows (1..2**63-1); SQLite's INTEGER already is, and only an
# INTEGER primary key is its auto-numbered rowid.
ID = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC one (SQLite hands back naive UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class RunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class FailureReason(StrEnum):
    """Why a run failed, or why it went back to the queue. Transient ones are retried
    automatically (with backoff) until the run has had ``run_max_attempts`` attempts."""

    LLM_UNAVAILABLE = "llm_unavailable"  # transient: endpoint down, timeout, 5xx
    LLM_UNUSABLE = "llm_unusable"  # most calls answered output that could not be used
    DATABASE_BUSY = "database_busy"  # transient: locked or unwritable database
    INTERRUPTED = "interrupted"  # transient: the service stopped while the run was running
    INTERNAL = "internal"  # a bug, or records that cannot be stored
    POISONED = "poisoned"  # failed ``run_max_attempts`` times: parked until retried by hand
    SUPERSEDED = "superseded"  # a second queued run of one article and prompt version (0007)


class ArticleBase(SQLModel):
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published_date: dt.date | None = None


class Article(ArticleBase, table=True):
    id: int | None = Field(sa_type=ID, default=None, primary_key=True)
    content_hash: str = Field(index=True, unique=True, max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))
    received_at: dt.datetime = Field(default_factory=utcnow)


class ExtractionRunBase(SQLModel):
    status: RunStatus = Field(default=RunStatus.PENDING)
    attempts: int = 0
    error: str | None = None
    # A FailureReason value; stored as text so that a new reason needs no schema change.
    reason: str | None = Field(default=None, sa_type=String(32))
    llm_calls_unusable: int = 0
    next_attempt_at: dt.datetime | None = None
    model: str
    prompt_version: str
    schema_version: str
    prompt_tokens: int = 0
    prompt_tokens_cached: int = Field(
        default=0, description="Prompt tokens the LLM server reused from its prefix cache"
    )
    completion_tokens: int = 0
    llm_calls: int = 0
    retries: int = 0
    dropped: int = 0
    llm_seconds: float = 0.0
    wall_seconds: float = 0.0
    created_at: dt.datetime = Field(default_factory=utcnow)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    # The worker holding a running run, and until when: a run whose lease has run out is taken
    # over by another worker (its worker died), see service/store/runs.py.
    claimed_by: str | None = Field(default=None, sa_type=String(128))
    lease_until: dt.datetime | None = None
    request_id: str | None = Field(
        default=None,
        sa_type=String(128),
        description="X-Request-ID of the request that queued the run",
    )


# Statuses are stored by name (the enum's SQL type), as written here.
QUEUED_SQL = "status IN ('PENDING', 'RUNNING')"


class ExtractionRun(ExtractionRunBase, table=True):
    __table_args__ = (
        Index("ix_run_status_id", "status", "id"),
        Index("ix_run_status_lease", "status", "lease_until"),
        # Is a run its article's latest succeeded one (service/store/queries.py, _scope)?
        Index("ix_run_article_status_id", "article_id", "status", "id"),
        # At most one queued (pending or running) run per article and prompt version.
        Index(
            "ux_run_queued",
            "article_id",
            "prompt_version",
            unique=True,
            sqlite_where=text(QUEUED_SQL),
            postgresql_where=text(QUEUED_SQL),
        ),
    )

    id: int | None = Field(sa_type=ID, default=None, primary_key=True)
    article_id: int = Field(sa_type=ID, foreign_key="article.id", index=True)
    dropped_detail: str | None = Field(default=None, sa_column=Column(Text))


class GroundedBase(SQLModel):
    evidence: str
    start: int
    end: int


class Scored(SQLModel):
    """How sure the model was (service/extraction/confidence.py); null without logprobs."""

    confidence: float | None = Field(
        default=None, index=True, description="Calibrated probability that the record is right"
    )
    model_probability: float | None = Field(
        default=None, description="The model's own token probability for the record"
    )


class ActorBase(GroundedBase, Scored):
    name: str = Field(index=True)
    actor_type: str


class Actor(ActorBase, table=True):
    id: int | None = Field(sa_type=ID, default=None, primary_key=True)
    run_id: int = Field(sa_type=ID, foreign_key="extractionrun.id", index=True)
    article_id: int = Field(sa_type=ID, foreign_key="article.id", index=True)


class EventBase(GroundedBase, Scored):
    event_type: str = Field(index=True)
    sub_event_type: str = Field(index=True)
    summary: str
    location: str | None = Field(default=None, index=True)
    location_inferred: bool = Field(
        default=False,
        description="The model placed the event nowhere and code chose its location "
        "(extract.v16): its sentence's most place-like name, else the place of the event told "
        "before it, else the dateline's. Such events are not clustered across articles by "
        "place.",
    )
    date: dt.date | None = Field(default=None, index=True)
    date_precision: str
    date_text: str | None = None
    reported_by: str | None = None
    sentence: int


class Event(EventBase, table=True):
    id: int | None = Field(sa_type=ID, default=None, primary_key=True)
    run_id: int = Field(sa_type=ID, foreign_key="extractionrun.id", index=True)
    article_id: int = Field(sa_type=ID, foreign_key="article.id", index=True)
    stable_id: int = Field(sa_type=ID, foreign_key="stablerecord.id", index=True)


class EventActor(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("event_id", "actor_id", "role"),)

    id: int | None = Field(sa_type=ID, default=None, primary_key=True)
    event_id: int = Field(sa_type=ID, foreign_key="event.id", index=True)
    actor_id: int = Field(sa_type=ID, foreign_key="actor.id", index=True)
    role: str
    confidence: float | None = None
    model_probability: float | None = None


class FigureBase(GroundedBase, Scored):
    category: str = Field(index=True)
    population: str | None = None
    low: int | None = None
    high: int | None = None
    qualifier: str
    reported_by: str | None = None


class Figure(FigureBase, table=True):
    # An event's figures of one category (?fatalities_min=: its "killed" ones, per event).
    __table_args__ = (Index("ix_figure_event_category", "event_id", "category"),)

    id: int | None = Field(sa_type=ID, default=None, primary_key=True)
    run_id: int = Field(sa_type=ID, foreign_key="extractionrun.id", index=True)
    article_id: int = Field(sa_type=ID, foreign_key="article.id", index=True)
    event_id: int | None = Field(sa_type=ID, default=None, foreign_key="event.id", index=True)
    stable_id: int = Field(sa_type=ID, foreign_key="stablerecord.id", index=True)


# -- stable ids and review (service/store/identity.py, service/store/review.py) -----------------


class RecordKind(StrEnum):
    EVENT = "event"
    FIGURE = "figure"


class DeletedReason(StrEnum):
    RERUN = "not_found_by_rerun"  # a newer run of the article did not extract it again
    ARTICLE_DELETED = "article_deleted"


class Verdict(StrEnum):
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class StableRecord(SQLModel, table=True):
    """One occurrence (event) or reported figure as it lives across re-extractions: each run's
    row of it (``Event``/``Figure.stable_id``) points here. Rows are never reused: a record that
    disappears (a re-run did not find it again, its article was deleted) keeps its row with
    ``deleted_at`` and ``deleted_reason`` (GET /deleted)."""

    __tablename__ = "stablerecord"
    # AUTOINCREMENT: SQLite would otherwise hand the id of a deleted last row out again.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(sa_type=ID, default=None, primary_key=True)
    kind: str = Field(sa_type=String(16))
    # No foreign key: the row outlives its article as the record of its deletion.
    article_id: int = Field(sa_type=ID, index=True)
    origin_id: int = Field(sa_type=ID, description="The event or figure row that first had it")
    country_iso3: str | None = Field(default=None, sa_type=String(3))
    verdict: str | None = Field(default=None, sa_type=String(16), index=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow, index=True)
    deleted_at: dt.datetime | None = Field(default=None, index=True)
    deleted_reason: str | None = Field(default=None, sa_type=String(32))


class ReviewEntry(SQLModel, table=True):
    """One reviewer action on a stable record: a field correction (``old`` and ``new`` as JSON,
    the model's own value stays on the run's row) or a verdict (field ``verdict``)."""

    __tablename__ = "reviewentry"

    id: int | None = Field(sa_type=ID, default=None, primary_key=True)
    stable_id: int = Field(sa_type=ID, foreign_key="stablerecord.id", index=True)
    field: str = Field(sa_type=String(32))
    subject: str | None = Field(default=None, sa_column=Column(Text))  # an actor's name
    old: str | None = Field(default=None, sa_column=Column(Text))
    new: str | None = Field(default=None, sa_column=Column(Text))
    note: str | None = Field(default=None, sa_column=Column(Text))
    who: str = Field(sa_type=String(200))
    at: dt.datetime = Field(default_factory=utcnow)


class EventPlaceBase(SQLModel):
    """Where an event happened: the gazetteer entry its location resolves to in the article's
    context (service/geo/geocoder.py)."""

    name: str = Field(description="Gazetteer name of the place, admin1 region or country")
    country_iso2: str = Field(max_length=2, index=True)
    country_iso3: str = Field(max_length=3)
    iso: int = Field(description="ISO 3166-1 numeric country code, as ACLED's iso column")
    country: str
    admin1: str | None = Field(default=None, index=True)
    admin2: str | None = None
    latitude: float = Field(index=True)
    longitude: float
    geonameid: int | None = Field(default=None, sa_type=ID)
    geo_precision: int = Field(
        description="ACLED geo-precision: 1 the town, 2 part of a region or near a town, "
        "3 a region or the country"
    )
    candidate: str = Field(description="The gazetteer name the place was resolved from")
    reason: str = Field(sa_type=Text, description="Why this entry and this precision")
    gazetteer: str = Field(max_length=128)


class EventPlace(EventPlaceBase, table=True):
    __tablename__ = "eventplace"

    event_id: int = Field(sa_type=ID, foreign_key="event.id", primary_key=True)
    article_id: int = Field(sa_type=ID, foreign_key="article.id", index=True)


class ArticlePlace(SQLModel, table=True):
    """The country an article is about, as of its latest geocoded run."""

    __tablename__ = "articleplace"

    article_id: int = Field(sa_type=ID, foreign_key="article.id", primary_key=True)
    run_id: int = Field(sa_type=ID, foreign_key="extractionrun.id")
    country_iso2: str | None = Field(default=None, max_length=2)
    gazetteer: str = Field(max_length=128)


class CanonicalActorBase(SQLModel):
    """One real actor across articles (see service/resolution/actors.py)."""

    name: str = Field(index=True)
    actor_type: str
    curated: bool = False
    article_id: int | None = Field(
        sa_type=ID, default=None, foreign_key="article.id", index=True
    )  # set for a generic description ("rebels") kept to the article that used it


class CanonicalActor(CanonicalActorBase, table=True):
    id: int | None = Field(sa_type=ID, default=None, primary_key=True)
    created_at: dt.datetime = Field(default_factory=utcnow)


class ActorLink(SQLModel, table=True):
    """Which canonical actor an actor mention is, and by which rule it was linked."""

    actor_id: int = Field(sa_type=ID, foreign_key="actor.id", primary_key=True)
    canonical_id: int = Field(sa_type=ID, foreign_key="canonicalactor.id", index=True)
    method: str


# -- cross-article views, maintained by service/store/views.py --------------------------------
# Rows for the events and figures of each article's latest successful run only.


class EventView(SQLModel, table=True):
    """A current event, its clustering block (sub-event type and normalised place) and the
    occurrence (event cluster) it is in."""

    __table_args__ = (Index("ix_eventview_block", "sub_event_type", "place"),)

    event_id: int = Field(sa_type=ID, foreign_key="event.id", primary_key=True)
    article_id: int = Field(sa_type=ID, index=True)
    sub_event_type: str
    place: str | None = Field(default=None, index=True)
    cluster_id: int = Field(sa_type=ID, index=True)


class EventClusterRow(SQLModel, table=True):
    """One occurrence: its id is its first event's id."""

    __tablename__ = "eventcluster"

    id: int = Field(sa_type=ID, primary_key=True)
    event_type: str = Field(index=True)
    sub_event_type: str = Field(index=True)
    place: str | None = Field(default=None, index=True)
    article_count: int
    campaign_id: int | None = Field(
        sa_type=ID, default=None, index=True
    )  # violent occurrences only


class CampaignRow(SQLModel, table=True):
    """Violent occurrences at one place over overlapping dates: its id is its first
    cluster's id."""

    __tablename__ = "campaign"

    id: int = Field(sa_type=ID, primary_key=True)
    place: str | None = Field(default=None, index=True)
    article_count: int


class FigureGroupRow(SQLModel, table=True):
    """Figures of one category and population about one occurrence: its id is its first
    figure's id."""

    __tablename__ = "figuregroup"

    id: int = Field(sa_type=ID, primary_key=True)
    cluster_id: int = Field(sa_type=ID, index=True)
    category: str = Field(index=True)
    population: str
    article_count: int


class FigureView(SQLModel, table=True):
    figure_id: int = Field(sa_type=ID, foreign_key="figure.id", primary_key=True)
    article_id: int = Field(sa_type=ID, index=True)
    group_id: int = Field(sa_type=ID, index=True)


class ActorMentionView(SQLModel, table=True):
    """How often one article's latest successful run names a canonical actor by one name."""

    __tablename__ = "actormention"

    canonical_id: int = Field(sa_type=ID, primary_key=True)
    article_id: int = Field(sa_type=ID, primary_key=True, index=True)
    name: str = Field(primary_key=True)
    mention_count: int


class ActorAlias(SQLModel, table=True):
    """How often current runs name a canonical actor by one name."""

    __tablename__ = "actoralias"

    canonical_id: int = Field(sa_type=ID, primary_key=True)
    name: str = Field(primary_key=True)
    mention_count: int


class ActorView(SQLModel, table=True):
    """A canonical actor named in a current run, with its counts over current runs."""

    __tablename__ = "actorview"

    canonical_id: int = Field(sa_type=ID, primary_key=True)
    mention_count: int
    article_count: int


class ViewState(SQLModel, table=True):
    """Which version of the clustering rules built the view tables: another version rebuilds
    them at start-up."""

    name: str = Field(primary_key=True, max_length=64)
    version: str = Field(max_length=64)


# -- access ------------------------------------------------------------------------------------


class ApiKeyBase(SQLModel):
    name: str = Field(max_length=100)
    scope: str = Field(
        max_length=16, description="read, write or admin; admin implies write implies read"
    )
    prefix: str = Field(
        max_length=16, description="The token's first characters, to tell keys apart"
    )
    created_at: dt.datetime = Field(default_factory=utcnow)
    revoked_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None


class ApiKey(ApiKeyBase, table=True):
    """An API key; only the sha256 of its token is stored."""

    __tablename__ = "apikey"

    id: int | None = Field(sa_type=ID, default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
