from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, HttpMethod, Request, Response, get, post, route
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

from service.api.article_input import ArticleIn, BatchIn, parse_article, parse_batch
from service.api.errors import error_responses
from service.api.filters import Cursor, Limit
from service.api.openapi import openapi_schema_of
from service.api.pages import decode_cursor, page
from service.api.params import PathId
from service.articles import ArticleService
from service.settings import Settings
from service.store.read_models import Accepted, ArticleRead, ArticleSummary, BatchAccepted, Page
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

    @route("/", http_method=HttpMethod.OPTIONS, include_in_schema=False)
    async def allow(self) -> Response[None]:
        # Declared so that Litestar 2 makes none: its own is built when the path's first handler
        # registers and lists that method only (litestar#4169, fixed in v3). Handlers register
        # in name order, so this one, "allow", comes first.
        return Response(
            None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": "GET, OPTIONS, POST"}
        )

    @post(
        "/",
        operation_id="createArticle",
        summary="Store an article and queue its extraction",
        description="Stores the article before any LLM call and answers 202 with its id and "
        "run. Re-posting the same text returns the stored article (200). With ?wait=N the "
        "answer carries the finished extraction when it completes within N seconds.",
        operation_class=_ArticleBody,
        status_code=HTTP_202_ACCEPTED,
        responses={
            HTTP_200_OK: ResponseSpec(Accepted, description=_DONE),
            **error_responses(400, 413, 415, 503),
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

    @post(
        "/batch",
        operation_id="createArticles",
        summary="Store many articles and queue their extraction",
        operation_class=_BatchBody,
        status_code=HTTP_202_ACCEPTED,
        responses={
            HTTP_200_OK: ResponseSpec(BatchAccepted, description=_DONE),
            **error_responses(400, 413, 415, 503),
        },
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
        description="Older runs stay queryable with ?run_id=. A run already queued or running "
        "for the article is returned instead of a second one.",
        status_code=HTTP_202_ACCEPTED,
        responses={
            HTTP_200_OK: ResponseSpec(Accepted, description="The run finished within ?wait=."),
            **error_responses(400, 404, 503),
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
