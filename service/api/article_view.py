from __future__ import annotations

from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency

from service.api.errors import error_responses
from service.api.params import PathId
from service.api.security import page_csp
from service.store.repository import Store
from service.view.annotate import page_template, render_article

# The page's own inline script and style, by hash: nothing else may run on it.
VIEW_CSP = page_csp(page_template().encode("utf-8"))


class ArticleViewController(Controller):
    path = "/articles"
    tags = ["articles"]

    @get(
        "/{article_id:int}/view",
        operation_id="viewArticle",
        summary="The article as an HTML page with its records highlighted at their offsets",
        description="Events, actors and figures of the latest successful run, colour-coded; "
        "hover a highlight for its record, click it for all its fields.",
        media_type=MediaType.HTML,
        sync_to_thread=True,
        responses=error_responses(400, 404, 503),
    )
    def view(self, store: NamedDependency[Store], article_id: PathId) -> Response[str]:
        return Response(
            render_article(store.get_article(article_id)),
            media_type=MediaType.HTML,
            headers={"Content-Security-Policy": VIEW_CSP},
        )
