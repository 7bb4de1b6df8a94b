from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, HttpMethod, Request, Response, delete, get, patch, post, route
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    RequestBody,
    Schema,
)
from litestar.params import QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from service.api.access import ADMIN, PUBLIC, WRITE
from service.api.article_input import (
    ArticleIn,
    ArticlePatch,
    BatchIn,
    parse_article,
    parse_batch,
    parse_patch,
)
from service.api.errors import error_responses
from service.api.filters import Cursor, Limit
from service.api.openapi import openapi_schema_of
from service.api.pages import decode_cursor, page
from service.api.params import PathId
from service.articles import ArticleService
from service.settings import Settings
from service.store.read_models import (
    Accepted,
    ArticleRead,
    ArticleSummary,
    ArticleUpdated,
    BatchAccepted,
    Page,
)
from service.store.repository import Store

Wait = Annotated[
    float,
    QueryParameter(
        ge=0,
        le=3600,
        description="Seconds to wait for the extraction to finish (0: answer at once).",
    ),
]


@dataclass
class _ArticleBody(Operation):
    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description="JSON article, or the bare article text as text/plain.",
            content={
                "application/json": OpenAPIMediaType(schema=openapi_schema_of(ArticleIn)),
                "text/plain": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING),
                    example="At least 40 civilians were killed on Friday in Douma.",
                ),
            },
        )


@dataclass
class _PatchBody(Operation):
    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            content={"application/json": OpenAPIMediaType(schema=openapi_schema_of(ArticlePatch))},
        )


@dataclass
class _BatchBody(Operation):
    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            content={"application/json": OpenAPIMediaType(schema=openapi_schema_of(BatchIn))},
        )


_DONE = "Every article was stored before (re-post) or its run finished within ?wait=."


def _status(accepted: list[Accepted], service: ArticleService) -> int:
    if all(not a.created or service.finished(a) for a in accepted):
        return HTTP_200_OK
    return HTTP_202_ACCEPTED


class ArticleController(Controller):
    path = "/articles"
    tags = ["articles"]

    @route("/", http_method=HttpMethod.OPTIONS, include_in_schema=False, opt=PUBLIC)
    async def allow(self) -> Response[None]:
        # Declared so that Litestar 2 makes none: its own is built when the path's first handler
        # registers and lists that method only (litestar#4169, fixed in v3). Handlers register
        # in name order, so this one, "allow", comes first.
        return Response(
            None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": "GET, OPTIONS, POST"}
        )

    @route("/{article_id:int}", http_method=HttpMethod.OPTIONS, include_in_schema=False, opt=PUBLIC)
    async def allow_one(self, article_id: PathId) -> Response[None]:
        # As ``allow``, for one article's path ("allow_one" registers before its other handlers).
        return Response(
            None,
            status_code=HTTP_204_NO_CONTENT,
            headers={"Allow": "DELETE, GET, OPTIONS, PATCH"},
        )

    @post(
        "/",
        operation_id="createArticle",
        summary="Store an article and queue its extraction",
        description="Stores the article before any LLM call and answers 202 with its id and "
        "run. Re-posting the same text returns the stored article (200, created: false; "
        "`conflicts` names metadata sent with other values than the stored ones, which are "
        "kept: correct them with PATCH). With ?wait=N the answer carries the finished "
        "extraction when it completes within N seconds. text/plain is taken from clients "
        "that are not browsers, same-origin pages and key holders; a browser page of another "
        "site must send JSON (403).",
        operation_class=_ArticleBody,
        status_code=HTTP_202_ACCEPTED,
        opt=WRITE,
        responses={
            HTTP_200_OK: ResponseSpec(Accepted, description=_DONE),
            **error_responses(400, 401, 403, 408, 413, 415, 429, 503),
        },
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        articles: NamedDependency[ArticleService],
        settings: NamedDependency[Settings],
        wait: Wait = 0.0,
    ) -> Response[Accepted]:
        item = parse_article(
            request.headers.get("content-type"), await request.body(), settings.max_article_chars
        )
        [accepted] = await articles.submit([item], min(wait, settings.max_wait_s))
        return Response(
            accepted,
            status_code=_status([accepted], articles),
            headers={"Location": accepted.article_url},
        )

    @get(
        "/",
        operation_id="listArticles",
        summary="List stored articles",
        sync_to_thread=True,
        responses=error_responses(400, 503),
    )
    def list_articles(
        self, store: NamedDependency[Store], cursor: Cursor = None, limit: Limit = 50
    ) -> Page[ArticleSummary]:
        return page(store.list_articles(decode_cursor(cursor), limit))

    @get(
        "/{article_id:int}",
        operation_id="getArticle",
        summary="An article with its runs and the records of its latest successful run",
        sync_to_thread=True,
        responses=error_responses(400, 404, 503),
    )
    def get_article(self, store: NamedDependency[Store], article_id: PathId) -> ArticleRead:
        return store.get_article(article_id)

    @post(
        "/{article_id:int}/extract",
        operation_id="extractArticle",
        summary="Queue a new extraction run (e.g. after a model or prompt change)",
        description="Older runs stay queryable with ?run_id=. A run of the same prompt version "
        "already queued or running for the article is returned instead of a second one.",
        status_code=HTTP_202_ACCEPTED,
        opt=WRITE,
        responses={
            HTTP_200_OK: ResponseSpec(Accepted, description="The run finished within ?wait=."),
            **error_responses(400, 401, 403, 404, 429, 503),
        },
    )
    async def extract(
        self,
        articles: NamedDependency[ArticleService],
        settings: NamedDependency[Settings],
        article_id: PathId,
        wait: Wait = 0.0,
    ) -> Response[Accepted]:
        accepted, _ = await articles.rerun(article_id, min(wait, settings.max_wait_s))
        status = HTTP_200_OK if articles.finished(accepted) else HTTP_202_ACCEPTED
        return Response(accepted, status_code=status)

    @patch(
        "/{article_id:int}",
        operation_id="updateArticle",
        summary="Correct an article's title, url, source or published date",
        description="Only the fields sent change (null clears one). A changed published_date "
        "queues a re-run (returned as `run`): record dates resolved against the old date are "
        "not rewritten in place; the new run resolves them again. The text cannot change (it "
        "is the article's identity): post the new text as a new article.",
        operation_class=_PatchBody,
        opt=WRITE,
        request_max_body_size=16_384,
        responses=error_responses(400, 401, 403, 404, 408, 413, 415, 429, 503),
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        articles: NamedDependency[ArticleService],
        article_id: PathId,
    ) -> ArticleUpdated:
        changes = parse_patch(request.headers.get("content-type"), await request.body())
        return await articles.correct(article_id, changes)

    @delete(
        "/{article_id:int}",
        operation_id="deleteArticle",
        summary="Delete an article with its runs, records and its share of cross-article views",
        description="One transaction: the article, every run and record of it, its actor links "
        "and the event clusters, campaigns and figure groups it was part of (re-clustered "
        "without it).",
        opt=ADMIN,
        responses=error_responses(400, 401, 403, 404, 429, 503),
    )
    async def remove(self, articles: NamedDependency[ArticleService], article_id: PathId) -> None:
        await articles.remove(article_id)


class ArticleBatchController(Controller):
    """Batches on a router of their own: their body limit is a batch's, not an article's."""

    path = "/articles"
    tags = ["articles"]

    @post(
        "/batch",
        operation_id="createArticles",
        summary="Store many articles and queue their extraction",
        operation_class=_BatchBody,
        status_code=HTTP_202_ACCEPTED,
        responses={
            HTTP_200_OK: ResponseSpec(BatchAccepted, description=_DONE),
            **error_responses(400, 401, 403, 408, 413, 415, 429, 503),
        },
        opt=WRITE,
    )
    async def create_batch(
        self,
        request: Request[Any, Any, Any],
        articles: NamedDependency[ArticleService],
        settings: NamedDependency[Settings],
        wait: Wait = 0.0,
    ) -> Response[BatchAccepted]:
        items = parse_batch(
            request.headers.get("content-type"),
            await request.body(),
            settings.max_article_chars,
            settings.max_batch_articles,
        )
        accepted = await articles.submit(items, min(wait, settings.max_wait_s))
        return Response(BatchAccepted(items=accepted), status_code=_status(accepted, articles))
