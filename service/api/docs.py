"""API docs that work offline: Swagger UI 5 (which reads OpenAPI 3.1) from the ``swagger-ui-py``
package's static files (Apache-2.0), served by this service instead of a CDN. The docs are
at ``/schema``; the machine-readable spec at ``/schema/openapi.json`` and ``.yaml``."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

ASSETS = "/schema/assets"
# Only the package's files are used, not its code (it renders pages for other frameworks).
SWAGGER_UI = str(files("swagger_ui") / "static")


def openapi_config(router: Router | None = None) -> OpenAPIConfig:
    """``router``: where the docs are mounted (its guards and hooks apply to them)."""
    swagger = SwaggerRenderPlugin(
        js_url=f"{ASSETS}/swagger-ui-bundle.js",
        css_url=f"{ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
        path=["/", "/swagger"],
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS}/favicon-32x32.png'>",
    )
    return OpenAPIConfig(
        title="Conflict news extraction",
        version="0.1.0",
        description="Events, actors and figures extracted from conflict news, grounded "
        "in the article text by character offsets.",
        path="/schema",
        render_plugins=[swagger],
        openapi_router=router,
    )


def docs_assets(opt: dict[str, Any] | None = None) -> Router:
    return create_static_files_router(
        path=ASSETS,
        directories=[SWAGGER_UI],
        include_in_schema=False,
        name="docs-assets",
        opt=opt,
    )
