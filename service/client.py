"""A typed Python client of the service, sync (``Client``) and async (``AsyncClient``), over httpx.

    from service.client import Client, NotFound

    with Client("http://127.0.0.1:8000") as api:
        accepted = api.post_article("At least 40 civilians were killed ...", title="Douma")
        run = api.wait_for_run(accepted.run.id)           # or post_article(..., wait=120)
        for event in api.list_events(location="douma"):   # every page, fetched lazily
            print(event.sub_event_type, event.location, event.date)
        with open("events.csv", "w", newline="") as out:
            out.writelines(api.export_lines("events", "csv", date_from="2018-04-01"))

Answers are the service's own read models (``service/store/read_models.py``): ``Accepted``,
``ArticleRead``, ``RunRead``, ``EventRead``, ``ActorRead``, ``CanonicalActorRead``,
``FigureRead``, ... List methods return iterators over **all** matching records, following the
cursor one page (``page_size``) at a time; exports stream the body line by line.

Every failure of a call is one of::

    ClientError                     any failure of a call
    ├── TransportError              the service could not be reached (refused, timeout, DNS)
    └── APIError                    the service answered an error: status_code, message (the
        │                           server's "error"), detail, request_id
        ├── BadRequest              400  malformed body, bad filter value or cursor
        │   ├── PayloadTooLarge     413  article text or batch over its limit
        │   └── UnsupportedMedia    415
        ├── Unauthorized            401  missing or wrong API key
        ├── Forbidden               403
        ├── NotFound                404  unknown id
        ├── RetryLater              retry after ``retry_after`` seconds (Retry-After header)
        │   ├── RateLimited         429
        │   └── Unavailable         503  database locked or read-only
        └── ServerError             500 and any other 5xx

(Not to be confused with ``service.errors``, the server's own error tree.) With ``retries=N``
a call answered 429 or 503 is sent again up to N times after ``Retry-After`` seconds.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import json
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, Literal, Self, TypedDict, TypeVar, Unpack

import anyio
import httpx
from pydantic import BaseModel

from service.api.article_input import ArticleIn
from service.store.read_models import (
    Accepted,
    ActorRead,
    ArticleRead,
    ArticleSummary,
    BatchAccepted,
    CampaignRead,
    CanonicalActorDetail,
    CanonicalActorRead,
    EventClusterDetail,
    EventClusterRead,
    EventRead,
    FigureGroupRead,
    FigureRead,
    Health,
    Page,
    Readiness,
    RetriedRuns,
    RunRead,
)

__all__ = [
    "APIError",
    "AsyncClient",
    "BadRequest",
    "Client",
    "ClientError",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "RetryLater",
    "ServerError",
    "TransportError",
    "Unauthorized",
    "Unavailable",
    "UnsupportedMedia",
]

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
FINISHED = frozenset({"succeeded", "failed"})
T = TypeVar("T", bound=BaseModel)

ExportKind = Literal["events", "actors", "actor-mentions", "figures"]
ExportFormat = Literal["csv", "jsonl"]
EXPORTS: dict[ExportKind, tuple[ExportFormat, ...]] = {
    "events": ("csv", "jsonl"),
    "actors": ("jsonl",),
    "actor-mentions": ("jsonl",),
    "figures": ("jsonl",),
}


# -- errors ------------------------------------------------------------------------------------


class ClientError(Exception):
    """Any failure of a call of ``Client`` or ``AsyncClient``."""


class TransportError(ClientError):
    """The service could not be reached, or the connection broke (``__cause__`` says how)."""


class APIError(ClientError):
    """The service answered an error status; ``message`` is its ``error`` text."""

    def __init__(
        self,
        status_code: int,
        message: str,
        detail: dict[str, Any] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(f"HTTP {status_code}: {message}")
        self.status_code = status_code
        self.message = message
        self.detail = detail
        self.request_id = request_id


class BadRequest(APIError):
    """400: the request must change; ``message`` says what to fix."""


class PayloadTooLarge(BadRequest):
    """413: article text, batch or body over its size limit."""


class UnsupportedMedia(BadRequest):
    """415: body neither JSON nor plain text."""


class Unauthorized(APIError):
    """401: missing or wrong API key."""


class Forbidden(APIError):
    """403: the key may not do this."""


class NotFound(APIError):
    """404: no record with this id."""


class RetryLater(APIError):
    """Not now: try again after ``retry_after`` seconds (None when the server did not say)."""

    def __init__(
        self,
        status_code: int,
        message: str,
        detail: dict[str, Any] | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status_code, message, detail, request_id)
        self.retry_after = retry_after


class RateLimited(RetryLater):
    """429: too many requests."""


class Unavailable(RetryLater):
    """503: database locked or read-only, or a proxy in front has no service to send to."""


class ServerError(APIError):
    """500 or another 5xx."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    413: PayloadTooLarge,
    415: UnsupportedMedia,
}


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: not sent by this service


def error_for(response: httpx.Response) -> APIError:
    """The exception for an error answer (the service's ``{"error": ...}`` body, or its text)."""
    status = response.status_code
    message, detail = response.reason_phrase or "error", None
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict):
        message = str(body.get("error") or body.get("detail") or message)
        detail = body.get("detail") if isinstance(body.get("detail"), dict) else None
    elif response.content:
        message = response.text.strip()[:500] or message
    request_id = response.headers.get("x-request-id")
    if status in (429, 503):
        kind: type[RetryLater] = RateLimited if status == 429 else Unavailable
        return kind(status, message, detail, request_id, _retry_after(response))
    if status >= 500:
        return ServerError(status, message, detail, request_id)
    return _BY_STATUS.get(status, APIError)(status, message, detail, request_id)


# -- filters (None: not filtered) ------------------------------------------------------------


class EventFilters(TypedDict, total=False):
    article_id: int | None
    run_id: int | None
    event_type: str | None
    sub_event_type: str | None
    actor: str | None
    actor_id: int | None
    location: str | None
    reported_by: str | None
    date_from: dt.date | str | None
    date_to: dt.date | str | None
    min_confidence: float | None
    country: str | None  # of the event's place, by name
    iso: str | None  # ISO 3166-1 alpha-2, alpha-3 or numeric
    admin1: str | None
    bbox: str | None  # "min_lon,min_lat,max_lon,max_lat"
    fatalities_min: int | None
    inter: int | None  # ACLED inter code 1-8 on either side


class ActorFilters(TypedDict, total=False):
    """GET /actors (canonical actors)."""

    name: str | None
    actor_type: str | None
    article_id: int | None
    generic: bool | None


class ActorMentionFilters(TypedDict, total=False):
    article_id: int | None
    run_id: int | None
    name: str | None
    actor_type: str | None
    min_confidence: float | None


class FigureFilters(TypedDict, total=False):
    article_id: int | None
    run_id: int | None
    event_id: int | None
    category: str | None
    qualifier: str | None
    reported_by: str | None
    min_confidence: float | None


class ClusterFilters(TypedDict, total=False):
    event_type: str | None
    sub_event_type: str | None
    location: str | None
    actor_id: int | None
    article_id: int | None
    min_articles: int | None


class CampaignFilters(TypedDict, total=False):
    location: str | None
    min_articles: int | None


class FigureGroupFilters(TypedDict, total=False):
    category: str | None
    cluster_id: int | None
    min_articles: int | None


class RunFilters(TypedDict, total=False):
    status: str | None
    article_id: int | None
    since: dt.datetime | str | None
    reason: str | None


class RetryFilters(TypedDict, total=False):
    article_id: int | None
    since: dt.datetime | str | None
    reason: str | None


def _param(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def query(params: Mapping[str, object]) -> dict[str, str]:
    """Query parameters without the unset ones, as the service spells values."""
    return {key: _param(value) for key, value in params.items() if value is not None}


ArticleLike = ArticleIn | Mapping[str, Any] | str


def article_body(item: ArticleLike) -> dict[str, Any]:
    """One article as the JSON the service takes; a bare string is the text."""
    if isinstance(item, str):
        item = ArticleIn(text=item)
    elif not isinstance(item, ArticleIn):
        item = ArticleIn.model_validate(item)
    return item.model_dump(mode="json", exclude_none=True)


def export_path(kind: ExportKind, format: ExportFormat) -> str:
    if format not in EXPORTS.get(kind, ()):
        formats = ", ".join(EXPORTS.get(kind, ())) or "none"
        raise ValueError(f"no {format} export of {kind} (formats: {formats})")
    return f"/{kind}.{format}"


class LineSplitter:
    """Text chunks in, whole lines out, each with its ``\\n`` (so joined they are the body).
    Split on ``\\n`` only: a CSV's ``\\r\\n`` stays together, other separators in a field stay."""

    def __init__(self) -> None:
        self._rest = ""

    def feed(self, chunk: str) -> list[str]:
        text = self._rest + chunk
        end = text.rfind("\n") + 1
        self._rest = text[end:]
        return text[:end].splitlines(keepends=True) if end else []

    def end(self) -> list[str]:
        rest, self._rest = self._rest, ""
        return [rest] if rest else []


def _headers(api_key: str | None, headers: Mapping[str, str] | None) -> dict[str, str]:
    values = {"user-agent": "conflict-extract-client", "accept": "application/json"}
    if api_key:
        values["authorization"] = f"Bearer {api_key}"
    values.update(headers or {})
    return values


def _parse(model: type[T], response: httpx.Response) -> T:
    return model.model_validate_json(response.content)


def _retry_delay(error: RetryLater) -> float:
    return min(error.retry_after if error.retry_after is not None else 1.0, 60.0)


# -- sync --------------------------------------------------------------------------------------


class Client:
    """The service over HTTP, blocking. Thread-safe (one httpx.Client and its pool); use it
    as a context manager or call ``close()``."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        retries: int = 0,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=_headers(api_key, headers),
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(
        self, method: str, path: str, *, ok: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        for attempt in range(self.retries + 1):
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                raise TransportError(f"{method} {self.base_url}{path}: {exc}") from exc
            if response.is_success or response.status_code in ok:
                return response
            error = error_for(response)
            if isinstance(error, RetryLater) and attempt < self.retries:
                time.sleep(_retry_delay(error))
                continue
            raise error
        raise AssertionError("unreachable")

    def _pages(self, path: str, model: type[T], params: Mapping[str, object]) -> Iterator[T]:
        cursor: str | None = None
        page_type = Page[model]  # type: ignore[valid-type]
        while True:
            answer = self._request("GET", path, params=query({**params, "cursor": cursor}))
            page = page_type.model_validate_json(answer.content)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    # articles and runs

    def post_article(
        self,
        text: str,
        *,
        title: str | None = None,
        url: str | None = None,
        source: str | None = None,
        published_date: dt.date | str | None = None,
        wait: float = 0,
    ) -> Accepted:
        """Store an article and queue its extraction; with ``wait`` (seconds) the answer
        carries the finished extraction when it completes in time (``accepted.article``)."""
        body = article_body(
            {
                "text": text,
                "title": title,
                "url": url,
                "source": source,
                "published_date": published_date,
            }
        )
        answer = self._request("POST", "/articles", json=body, params=query({"wait": wait or None}))
        return _parse(Accepted, answer)

    def post_articles(self, batch: Iterable[ArticleLike], *, wait: float = 0) -> list[Accepted]:
        """Many articles in one request: all stored or none (CONFLICT_MAX_BATCH_ARTICLES)."""
        body = {"articles": [article_body(item) for item in batch]}
        answer = self._request(
            "POST", "/articles/batch", json=body, params=query({"wait": wait or None})
        )
        return _parse(BatchAccepted, answer).items

    def get_article(self, article_id: int) -> ArticleRead:
        return _parse(ArticleRead, self._request("GET", f"/articles/{article_id}"))

    def list_articles(self, *, page_size: int = 100) -> Iterator[ArticleSummary]:
        return self._pages("/articles", ArticleSummary, {"limit": page_size})

    def rerun(self, article_id: int, *, wait: float = 0) -> Accepted:
        """Queue a new extraction run of a stored article (or get the one already queued)."""
        answer = self._request(
            "POST", f"/articles/{article_id}/extract", params=query({"wait": wait or None})
        )
        return _parse(Accepted, answer)

    def get_run(self, run_id: int) -> RunRead:
        return _parse(RunRead, self._request("GET", f"/runs/{run_id}"))

    def wait_for_run(
        self, run_id: int, *, timeout: float | None = None, poll: float = 0.5
    ) -> RunRead:
        """The run once succeeded or failed; ``TimeoutError`` after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while (run := self.get_run(run_id)).status not in FINISHED:
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"run {run_id} still {run.status} after {timeout} s")
            time.sleep(poll)
        return run

    def list_runs(
        self, *, page_size: int = 100, **filters: Unpack[RunFilters]
    ) -> Iterator[RunRead]:
        return self._pages("/runs", RunRead, {**filters, "limit": page_size})

    def retry_runs(self, **filters: Unpack[RetryFilters]) -> RetriedRuns:
        """Put failed runs matching the filters back in the queue."""
        return _parse(RetriedRuns, self._request("POST", "/runs/retry", params=query(filters)))

    # records

    def list_events(
        self, *, page_size: int = 100, **filters: Unpack[EventFilters]
    ) -> Iterator[EventRead]:
        return self._pages("/events", EventRead, {**filters, "limit": page_size})

    def list_actors(
        self, *, page_size: int = 100, **filters: Unpack[ActorFilters]
    ) -> Iterator[CanonicalActorRead]:
        return self._pages("/actors", CanonicalActorRead, {**filters, "limit": page_size})

    def get_actor(self, actor_id: int) -> CanonicalActorDetail:
        return _parse(CanonicalActorDetail, self._request("GET", f"/actors/{actor_id}"))

    def list_actor_mentions(
        self, *, page_size: int = 100, **filters: Unpack[ActorMentionFilters]
    ) -> Iterator[ActorRead]:
        return self._pages("/actor-mentions", ActorRead, {**filters, "limit": page_size})

    def list_figures(
        self, *, page_size: int = 100, **filters: Unpack[FigureFilters]
    ) -> Iterator[FigureRead]:
        return self._pages("/figures", FigureRead, {**filters, "limit": page_size})

    def list_event_clusters(
        self, *, page_size: int = 100, **filters: Unpack[ClusterFilters]
    ) -> Iterator[EventClusterRead]:
        return self._pages("/event-clusters", EventClusterRead, {**filters, "limit": page_size})

    def get_event_cluster(self, cluster_id: int) -> EventClusterDetail:
        return _parse(EventClusterDetail, self._request("GET", f"/event-clusters/{cluster_id}"))

    def list_campaigns(
        self, *, page_size: int = 100, **filters: Unpack[CampaignFilters]
    ) -> Iterator[CampaignRead]:
        return self._pages("/campaigns", CampaignRead, {**filters, "limit": page_size})

    def list_figure_groups(
        self, *, page_size: int = 100, **filters: Unpack[FigureGroupFilters]
    ) -> Iterator[FigureGroupRead]:
        return self._pages("/figure-groups", FigureGroupRead, {**filters, "limit": page_size})

    # exports

    def export_lines(
        self, kind: ExportKind, format: ExportFormat = "jsonl", **filters: object
    ) -> Iterator[str]:
        """The export's lines as they stream, each with its line end (joined: the body).
        ``filters`` are those of the kind's list endpoint. Closing the iterator early closes
        the connection."""
        path = export_path(kind, format)
        for attempt in range(self.retries + 1):
            try:
                with self._http.stream("GET", path, params=query(filters)) as response:
                    if response.is_success:
                        splitter = LineSplitter()
                        for chunk in response.iter_text():
                            yield from splitter.feed(chunk)
                        yield from splitter.end()
                        return
                    response.read()
                    error = error_for(response)
            except httpx.HTTPError as exc:
                raise TransportError(f"GET {self.base_url}{path}: {exc}") from exc
            if not (isinstance(error, RetryLater) and attempt < self.retries):
                raise error
            time.sleep(_retry_delay(error))

    def export_rows(
        self, kind: ExportKind, format: ExportFormat = "jsonl", **filters: object
    ) -> Iterator[dict[str, Any]]:
        """The export parsed as it streams: CSV rows as dicts of strings, JSON Lines as dicts."""
        lines = self.export_lines(kind, format, **filters)
        if format == "csv":
            yield from csv.DictReader(lines)
        else:
            yield from (json.loads(line) for line in lines if line.strip())

    # health

    def health(self) -> Health:
        return _parse(Health, self._request("GET", "/health"))

    def ready(self) -> Readiness:
        """Readiness, also when not ready (503): see ``status`` and each part."""
        return _parse(Readiness, self._request("GET", "/ready", ok=(503,)))


# -- async -------------------------------------------------------------------------------------


class AsyncClient:
    """``Client``'s methods as coroutines and async iterators, over one httpx.AsyncClient."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        retries: int = 0,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=_headers(api_key, headers),
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(
        self, method: str, path: str, *, ok: tuple[int, ...] = (), **kwargs: Any
    ) -> httpx.Response:
        for attempt in range(self.retries + 1):
            try:
                response = await self._http.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                raise TransportError(f"{method} {self.base_url}{path}: {exc}") from exc
            if response.is_success or response.status_code in ok:
                return response
            error = error_for(response)
            if isinstance(error, RetryLater) and attempt < self.retries:
                await anyio.sleep(_retry_delay(error))
                continue
            raise error
        raise AssertionError("unreachable")

    async def _pages(
        self, path: str, model: type[T], params: Mapping[str, object]
    ) -> AsyncIterator[T]:
        cursor: str | None = None
        page_type = Page[model]  # type: ignore[valid-type]
        while True:
            answer = await self._request("GET", path, params=query({**params, "cursor": cursor}))
            page = page_type.model_validate_json(answer.content)
            for item in page.items:
                yield item
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def post_article(
        self,
        text: str,
        *,
        title: str | None = None,
        url: str | None = None,
        source: str | None = None,
        published_date: dt.date | str | None = None,
        wait: float = 0,
    ) -> Accepted:
        body = article_body(
            {
                "text": text,
                "title": title,
                "url": url,
                "source": source,
                "published_date": published_date,
            }
        )
        answer = await self._request(
            "POST", "/articles", json=body, params=query({"wait": wait or None})
        )
        return _parse(Accepted, answer)

    async def post_articles(
        self, batch: Iterable[ArticleLike], *, wait: float = 0
    ) -> list[Accepted]:
        body = {"articles": [article_body(item) for item in batch]}
        answer = await self._request(
            "POST", "/articles/batch", json=body, params=query({"wait": wait or None})
        )
        return _parse(BatchAccepted, answer).items

    async def get_article(self, article_id: int) -> ArticleRead:
        return _parse(ArticleRead, await self._request("GET", f"/articles/{article_id}"))

    def list_articles(self, *, page_size: int = 100) -> AsyncIterator[ArticleSummary]:
        return self._pages("/articles", ArticleSummary, {"limit": page_size})

    async def rerun(self, article_id: int, *, wait: float = 0) -> Accepted:
        answer = await self._request(
            "POST", f"/articles/{article_id}/extract", params=query({"wait": wait or None})
        )
        return _parse(Accepted, answer)

    async def get_run(self, run_id: int) -> RunRead:
        return _parse(RunRead, await self._request("GET", f"/runs/{run_id}"))

    async def wait_for_run(self, run_id: int, *, poll: float = 0.5) -> RunRead:
        """The run once succeeded or failed (bound it with ``anyio.fail_after``)."""
        while True:  # polling the service: no event to wait on
            run = await self.get_run(run_id)
            if run.status in FINISHED:
                return run
            await anyio.sleep(poll)

    def list_runs(
        self, *, page_size: int = 100, **filters: Unpack[RunFilters]
    ) -> AsyncIterator[RunRead]:
        return self._pages("/runs", RunRead, {**filters, "limit": page_size})

    async def retry_runs(self, **filters: Unpack[RetryFilters]) -> RetriedRuns:
        answer = await self._request("POST", "/runs/retry", params=query(filters))
        return _parse(RetriedRuns, answer)

    def list_events(
        self, *, page_size: int = 100, **filters: Unpack[EventFilters]
    ) -> AsyncIterator[EventRead]:
        return self._pages("/events", EventRead, {**filters, "limit": page_size})

    def list_actors(
        self, *, page_size: int = 100, **filters: Unpack[ActorFilters]
    ) -> AsyncIterator[CanonicalActorRead]:
        return self._pages("/actors", CanonicalActorRead, {**filters, "limit": page_size})

    async def get_actor(self, actor_id: int) -> CanonicalActorDetail:
        return _parse(CanonicalActorDetail, await self._request("GET", f"/actors/{actor_id}"))

    def list_actor_mentions(
        self, *, page_size: int = 100, **filters: Unpack[ActorMentionFilters]
    ) -> AsyncIterator[ActorRead]:
        return self._pages("/actor-mentions", ActorRead, {**filters, "limit": page_size})

    def list_figures(
        self, *, page_size: int = 100, **filters: Unpack[FigureFilters]
    ) -> AsyncIterator[FigureRead]:
        return self._pages("/figures", FigureRead, {**filters, "limit": page_size})

    def list_event_clusters(
        self, *, page_size: int = 100, **filters: Unpack[ClusterFilters]
    ) -> AsyncIterator[EventClusterRead]:
        return self._pages("/event-clusters", EventClusterRead, {**filters, "limit": page_size})

    async def get_event_cluster(self, cluster_id: int) -> EventClusterDetail:
        answer = await self._request("GET", f"/event-clusters/{cluster_id}")
        return _parse(EventClusterDetail, answer)

    def list_campaigns(
        self, *, page_size: int = 100, **filters: Unpack[CampaignFilters]
    ) -> AsyncIterator[CampaignRead]:
        return self._pages("/campaigns", CampaignRead, {**filters, "limit": page_size})

    def list_figure_groups(
        self, *, page_size: int = 100, **filters: Unpack[FigureGroupFilters]
    ) -> AsyncIterator[FigureGroupRead]:
        return self._pages("/figure-groups", FigureGroupRead, {**filters, "limit": page_size})

    async def export_lines(
        self, kind: ExportKind, format: ExportFormat = "jsonl", **filters: object
    ) -> AsyncIterator[str]:
        path = export_path(kind, format)
        for attempt in range(self.retries + 1):
            try:
                async with self._http.stream("GET", path, params=query(filters)) as response:
                    if response.is_success:
                        splitter = LineSplitter()
                        async for chunk in response.aiter_text():
                            for line in splitter.feed(chunk):
                                yield line
                        for line in splitter.end():
                            yield line
                        return
                    await response.aread()
                    error = error_for(response)
            except httpx.HTTPError as exc:
                raise TransportError(f"GET {self.base_url}{path}: {exc}") from exc
            if not (isinstance(error, RetryLater) and attempt < self.retries):
                raise error
            await anyio.sleep(_retry_delay(error))

    async def export_rows(
        self, kind: ExportKind, format: ExportFormat = "jsonl", **filters: object
    ) -> AsyncIterator[dict[str, Any]]:
        """The export parsed as it streams: CSV rows as dicts of strings, JSON Lines as dicts."""
        if format == "csv":
            header: list[str] | None = None
            record = ""
            async for line in self.export_lines(kind, format, **filters):
                record += line
                if record.count('"') % 2:  # inside a quoted field that holds a line end
                    continue
                fields, record = next(csv.reader([record])), ""
                if header is None:
                    header = fields
                else:
                    yield dict(zip(header, fields, strict=False))
            return
        async for line in self.export_lines(kind, format, **filters):
            if line.strip():
                yield json.loads(line)

    async def health(self) -> Health:
        return _parse(Health, await self._request("GET", "/health"))

    async def ready(self) -> Readiness:
        return _parse(Readiness, await self._request("GET", "/ready", ok=(503,)))
