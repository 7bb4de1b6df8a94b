"""The application factory. Nothing connects or reads the environment at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import anyio.to_thread
import httpx
import structlog
from litestar import Litestar, Router
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware

from service.access import AccessControl
from service.api.access import PUBLIC, authorize, declare_security
from service.api.article_view import ArticleViewController
from service.api.articles import ArticleBatchController, ArticleController
from service.api.clusters import (
    CampaignController,
    EventClusterController,
    FigureGroupController,
)
from service.api.docs import docs_assets, openapi_config
from service.api.errors import EXCEPTION_HANDLERS
from service.api.exports import ExportController
from service.api.health import HealthController
from service.api.keys import ApiKeyController
from service.api.map import MapController
from service.api.metrics import MetricsController
from service.api.params import strict_integers
from service.api.records import (
    ActorController,
    ActorMentionController,
    DeletedController,
    EventController,
    FigureController,
)
from service.api.runs import RunController
from service.api.security import BodyReadTimeoutMiddleware, SecurityHeadersMiddleware, docs_csp
from service.articles import ArticleService
from service.cross_article import CrossArticleViews
from service.errors import DatabaseUnavailableError
from service.extraction.confidence import load_calibrations
from service.extraction.pipeline import ExtractionPipeline
from service.extraction.prompts import PROMPTS_DIR, load_prompt
from service.llm import StructuredLLM, build_openai_client
from service.ops.logs import configure_logging
from service.ops.metrics import http_metrics
from service.ops.request_id import request_id_middleware
from service.settings import Settings
from service.store.actor_links import link_unlinked
from service.store.database import create_db_engine
from service.store.repository import Store
from service.store.views import ensure_views
from service.worker import ExtractionWorkers

log = structlog.get_logger(__name__)

# Request bodies other than articles (PATCH, keys, empty POSTs) stay small.
SMALL_BODY = 65_536


@dataclass(slots=True)
class Runtime:
    store: Store
    articles: ArticleService
    workers: ExtractionWorkers
    llm_base_url: str
    llm_http: httpx.AsyncClient
    access: AccessControl


def _runtime(state: State) -> Runtime:
    value: Runtime = state.runtime
    return value


def _store(state: State) -> Store:
    return _runtime(state).store


def _views(state: State) -> CrossArticleViews:
    return CrossArticleViews(_runtime(state).store)


def _articles(state: State) -> ArticleService:
    return _runtime(state).articles


def _workers(state: State) -> ExtractionWorkers:
    return _runtime(state).workers


def _llm_base_url(state: State) -> str:
    return _runtime(state).llm_base_url


def _llm_http(state: State) -> httpx.AsyncClient:
    return _runtime(state).llm_http


async def _start_local_model(settings: Settings, stack: AsyncExitStack) -> str:
    """Assemble and start the embedded model; return its OpenAI-compatible base URL."""
    from service.local_model.runtime import start_local_model

    return await start_local_model(settings, stack)


@asynccontextmanager
async def open_runtime(
    settings: Settings, llm_http_client: httpx.AsyncClient | None = None, *, workers: bool = True
) -> AsyncIterator[Runtime]:
    """The store, and (``workers``) the LLM client and running extraction workers. Without
    workers (an API-only process) no LLM is started: worker processes serve the queue."""
    async with AsyncExitStack() as stack:
        engine = create_db_engine(settings.database_url, settings.database_busy_timeout_ms)
        stack.callback(engine.dispose)
        store = Store(engine)
        # Records stored before actor resolution existed get their canonical actors now, and
        # the cross-article views are built if this version's rules did not build them.
        linked = await anyio.to_thread.run_sync(link_unlinked, engine, store.resolver)
        try:
            await anyio.to_thread.run_sync(ensure_views, engine, linked > 0)
        except DatabaseUnavailableError as exc:  # e.g. read-only: serve what is there
            log.warning("cross-article views not rebuilt", error=str(exc))
        load_prompt(settings.prompt_version)  # fail at start-up on a missing prompt file
        if workers:
            base_url = settings.llm_base_url or await _start_local_model(settings, stack)
        else:
            base_url = settings.llm_base_url or ""
        http = llm_http_client or httpx.AsyncClient(timeout=settings.llm_timeout_s)
        if llm_http_client is None:
            stack.push_async_callback(http.aclose)
        llm = StructuredLLM(
            build_openai_client(settings, base_url or "http://unused", http), settings
        )

        calibrations = load_calibrations(PROMPTS_DIR / "calibration.yaml")

        # One pipeline per prompt version for the runtime's life: extract.v13's typing
        # question asks its calibration prior once, not once per article.
        pipelines: dict[str, ExtractionPipeline] = {}

        def pipeline_for(prompt_version: str) -> ExtractionPipeline:
            if prompt_version not in pipelines:
                pipelines[prompt_version] = ExtractionPipeline(
                    llm.ask,
                    load_prompt(prompt_version),
                    settings.llm_concurrency,
                    calibrations.find(prompt_version, settings.llm_model),
                    llm.choose,
                )
            return pipelines[prompt_version]

        pool = ExtractionWorkers(store, pipeline_for, settings, None if workers else 0)
        await pool.start()
        stack.push_async_callback(pool.stop)
        yield Runtime(
            store=store,
            articles=ArticleService(
                store, pool, settings.llm_model, settings.prompt_version, settings.max_queue_depth
            ),
            workers=pool,
            llm_base_url=base_url,
            llm_http=http,
            access=AccessControl(settings, store.find_key),
        )


async def serve_workers(settings: Settings, stop: anyio.Event) -> None:
    """Extraction workers without the HTTP API, until ``stop`` is set."""
    configure_logging(settings)
    async with open_runtime(settings) as runtime:
        log.info("extraction workers started", workers=len(runtime.workers.states()))
        await stop.wait()


def article_body_limit(settings: Settings) -> int:
    """Bytes one article's request may have: its text JSON-escaped (up to 6 bytes a
    character, \\uXXXX) and its metadata."""
    return settings.max_article_chars * 6 + SMALL_BODY


def create_app(
    settings: Settings | None = None,
    *,
    llm_http_client: httpx.AsyncClient | None = None,
    workers: bool = True,
) -> Litestar:
    """Build the service; ``workers=False`` serves the API only (runs are left to worker
    processes). ``llm_http_client`` is the test seam (e.g. an httpx.MockTransport)."""
    settings = settings or Settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with open_runtime(settings, llm_http_client, workers=workers) as runtime:
            app.state.runtime = runtime
            declare_security(app, runtime.access)
            yield

    single = article_body_limit(settings)
    return Litestar(
        before_request=strict_integers,
        guards=[authorize],
        middleware=[
            request_id_middleware,
            SecurityHeadersMiddleware,
            http_metrics().middleware,
            DefineMiddleware(BodyReadTimeoutMiddleware, timeout_s=settings.body_read_timeout_s),
        ],
        allowed_hosts=AllowedHostsConfig(allowed_hosts=settings.host_allowlist),
        route_handlers=[
            # Body limits sized to the route: an article, a batch of them, else SMALL_BODY.
            Router("/", route_handlers=[ArticleController], request_max_body_size=single),
            Router(
                "/",
                route_handlers=[ArticleBatchController],
                request_max_body_size=single * settings.max_batch_articles,
            ),
            ApiKeyController,
            ArticleViewController,
            MapController,
            RunController,
            EventController,
            ActorController,
            ActorMentionController,
            FigureController,
            DeletedController,
            EventClusterController,
            CampaignController,
            FigureGroupController,
            ExportController,
            HealthController,
            MetricsController,
            docs_assets(PUBLIC),
        ],
        dependencies={
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "store": Provide(_store, sync_to_thread=False),
            "views": Provide(_views, sync_to_thread=False),
            "articles": Provide(_articles, sync_to_thread=False),
            "workers": Provide(_workers, sync_to_thread=False),
            "llm_base_url": Provide(_llm_base_url, sync_to_thread=False),
            "llm_http": Provide(_llm_http, sync_to_thread=False),
        },
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        logging_config=None,  # the one log stream (service/ops/logs.py), not Litestar's own
        request_max_body_size=SMALL_BODY,
        openapi_config=openapi_config(
            Router(
                "/schema",
                route_handlers=[],
                include_in_schema=False,
                opt=PUBLIC,
                after_request=docs_csp,
            )
        ),
        debug=False,
    )
