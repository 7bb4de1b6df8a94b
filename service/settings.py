"""Service configuration: one pydantic-settings object, read only when the app is created."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from limits import parse
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.cache import models_dir

ENV_PREFIX = "CONFLICT_"
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")


class InstructorMode(StrEnum):
    """The instructor modes that work against OpenAI-compatible chat endpoints."""

    TOOLS = "tools"
    JSON_SCHEMA = "json_schema"
    JSON = "json"
    # llama.cpp's server: the answer's JSON schema, narrowed per call to the listed numbers, is
    # sent as a decoding grammar (response_format json_object + schema) and is not put in the
    # prompt.
    GRAMMAR = "grammar"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    host: str = Field(default="127.0.0.1", description="Address the HTTP service binds.")
    port: int = Field(default=8000, ge=1, le=65535)

    database_url: str = Field(
        default="sqlite:///data/conflict.db",
        description="SQLAlchemy URL of the SQLite database.",
    )

    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible endpoint (e.g. https://api.openai.com/v1, "
        "http://localhost:11434/v1). Unset: the embedded local model is started.",
    )
    llm_model: str = Field(default="qwen2.5-coder-1.5b-instruct", description="Model name.")
    llm_api_key: SecretStr = Field(default=SecretStr("not-needed"), description="API key.")
    llm_mode: InstructorMode | None = Field(
        default=None,
        description="instructor mode: grammar (llama.cpp server), tools (llama.cpp server, "
        "OpenAI) or json_schema (OpenAI, vLLM, llama-server). Unset: grammar for the embedded "
        "model, tools for an endpoint set by llm_base_url.",
    )
    llm_timeout_s: float = Field(
        default=120.0, gt=0, description="Per-request timeout (connect, and each read)."
    )
    llm_deadline_s: float = Field(
        default=300.0,
        gt=0,
        description="Total time one LLM call may take, transport retries included: an endpoint "
        "that drips bytes cannot hold a worker longer.",
    )
    llm_max_retries: int = Field(
        default=1, ge=0, le=10, description="Re-asks after a validation error."
    )
    llm_http_retries: int = Field(
        default=2, ge=0, le=10, description="Transport retries of the openai client."
    )
    llm_max_tokens: int = Field(default=768, ge=16, description="Completion token cap per call.")
    llm_temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    llm_logprobs: bool = Field(
        default=True,
        description="Ask the endpoint for token log-probabilities (each record's confidence); "
        "turn off for an endpoint that rejects the parameter.",
    )
    llm_concurrency: int = Field(
        default=1, ge=1, le=64, description="LLM calls in flight per extraction run."
    )

    prompt_version: str = Field(default="extract.v16", description="Prompt file in prompts/.")

    workers: int = Field(default=1, ge=1, le=32, description="Extraction runs processed at once.")
    run_max_attempts: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Automatic attempts of a run (transient failures, restarts mid-run) before "
        "it is parked as failed with reason 'poisoned'.",
    )
    run_lease_s: float = Field(
        default=60.0,
        gt=0,
        description="How long a worker holds a claimed run without renewing it: a run whose "
        "worker died is taken over by another worker this long after its last renewal.",
    )
    run_heartbeat_s: float = Field(
        default=15.0,
        gt=0,
        description="How often a worker renews the lease of the run it is on (well below "
        "run_lease_s, so a slow database cannot cost the lease).",
    )
    run_retry_backoff_s: float = Field(
        default=10.0,
        ge=0,
        description="Delay before a run that failed transiently is tried again; doubles with "
        "each attempt.",
    )
    run_max_unusable_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="A run whose share of failed or unusable LLM calls is above this fails "
        "(reason 'llm_unusable') instead of succeeding with what little came back.",
    )
    database_busy_timeout_ms: int = Field(
        default=5000, ge=0, description="SQLite: how long a statement waits for a lock."
    )
    database_retry_s: float = Field(
        default=30.0,
        ge=0,
        description="How long a worker retries a queue or store step on a locked or "
        "unreachable database (with backoff) before it gives the step up.",
    )
    max_article_chars: int = Field(
        default=100_000, ge=100, description="Larger article texts are refused with 413."
    )
    max_batch_articles: int = Field(default=100, ge=1, description="Articles per batch request.")
    max_wait_s: float = Field(default=300.0, ge=0, description="Upper bound for ?wait=.")

    local_model_dir: Path = Field(
        default_factory=models_dir,
        description="Where the embedded model is assembled and llama.cpp's server is built "
        "(default: the user's cache folder, so every checkout on the machine shares one build).",
    )
    local_model_port: int = Field(default=8089, ge=1, le=65535)
    local_model_threads: int = Field(default=2, ge=1)
    local_model_ctx: int = Field(default=8192, ge=512)
    local_model_server: str | None = Field(
        default=None,
        description="llama.cpp llama-server binary (path or name on PATH) to run the model "
        "with. Unset: the pinned one, built once into <local_model_dir>/runtime/.",
    )

    auth: bool = Field(
        default=False,
        description="Require API keys (python -m service keys create): read, write or admin "
        "scope per operation. Off: anyone who can reach the service may do everything.",
    )
    allow_open: bool = Field(
        default=False,
        description="Start with auth off on an address other machines can reach (otherwise "
        "refused).",
    )
    public_reads: bool = Field(
        default=False,
        description="With auth on, serve the read operations (GET) without a key.",
    )
    write_rate_limit: str = Field(
        default="120/minute",
        description="Writes per API key in a moving window (callers without a key are not "
        "counted), in "
        "the limits library's notation ('120/minute', '10/second;1000/hour' takes the first); "
        "empty: unlimited.",
    )
    max_queue_depth: int = Field(
        default=10_000,
        ge=1,
        description="Pending runs the queue may hold; a post or re-run that would exceed it "
        "gets 503 with Retry-After (a batch is counted whole).",
    )
    body_read_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a request's body may take to arrive whole after its headers; a "
        "slower or stalled sender gets 408 and its connection is closed.",
    )
    allowed_hosts: str = Field(
        default="",
        description="Comma-separated Host header values served besides localhost, 127.0.0.1, "
        "::1 and CONFLICT_HOST ('*.example.org' allowed; '*' for any).",
    )

    log_level: LogLevel = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_json: bool = Field(default=False, description="Log JSON lines instead of console text.")

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_any_case(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("llm_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in DATABASE_SCHEMES:
            raise ValueError(
                f"must start with one of {', '.join(s + '://' for s in DATABASE_SCHEMES)}"
            )
        return value

    @model_validator(mode="after")
    def _heartbeat_within_lease(self) -> Settings:
        if self.run_heartbeat_s >= self.run_lease_s:
            raise ValueError("run_heartbeat_s must be shorter than run_lease_s")
        return self

    @model_validator(mode="after")
    def _rate_limit_parses(self) -> Settings:
        if self.write_rate_limit:
            try:
                parse(self.write_rate_limit)
            except ValueError as exc:
                raise ValueError(
                    f"write_rate_limit: {self.write_rate_limit!r} is not a rate like 120/minute"
                ) from exc
        return self

    @property
    def host_allowlist(self) -> list[str]:
        """Host header values the service answers to."""
        names = ["localhost", "127.0.0.1", "[::1]"]
        if self.host not in {"0.0.0.0", "::", ""}:
            names.append(f"[{self.host}]" if ":" in self.host else self.host)
        # Litestar compares the whole Host header, port included.
        hosts = [h for name in names for h in (name, f"{name}:{self.port}")]
        hosts += [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]
        return list(dict.fromkeys(hosts))

    @property
    def instructor_mode(self) -> InstructorMode:
        if self.llm_mode is not None:
            return self.llm_mode
        return InstructorMode.GRAMMAR if self.llm_base_url is None else InstructorMode.TOOLS


def explain(error: ValidationError) -> list[str]:
    """One line per invalid setting: the environment variable, the value given, what is
    allowed."""
    lines = []
    for item in error.errors(include_url=False):
        where = [str(part) for part in item["loc"]]
        name = f"{ENV_PREFIX}{where[0].upper()}" if where else "settings"
        given = item.get("input")
        shown = "" if isinstance(given, dict) or not where else f"={given!r}"
        message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"{name}{shown}: {message}")
    return lines
