"""The HTTP edge of access control: each operation declares the scope it needs in its ``opt``
(``requires``), one guard checks it (``authorize``), and the OpenAPI document says so
(``declare_security``). The rules themselves are in service/access.py."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    Reference,
    SecurityScheme,
)

from service.access import UNSAFE_METHODS, AccessControl, Scope, check_cross_site, credentials
from service.api.errors import MEANING

SCOPE_KEY = "scope"
BEARER = "bearerAuth"
API_KEY = "apiKeyHeader"
# No key needed, ever: liveness, readiness, the OpenAPI document, CORS-less OPTIONS.
PUBLIC: dict[str, Any] = {SCOPE_KEY: None}
READ: dict[str, Any] = {SCOPE_KEY: Scope.READ}
WRITE: dict[str, Any] = {SCOPE_KEY: Scope.WRITE}
ADMIN: dict[str, Any] = {SCOPE_KEY: Scope.ADMIN}


def needed_scope(handler: BaseRouteHandler) -> Scope | None:
    """The scope a handler declared; ``read`` when it declared none (closed by default)."""
    scope: Scope | None = handler.opt.get(SCOPE_KEY, Scope.READ)
    return scope


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


async def authorize(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """The guard of every route: cross-site writes, key and scope, then the write quota."""
    access: AccessControl = connection.app.state.runtime.access
    headers = connection.headers
    token = credentials(headers.get("authorization"), headers.get("x-api-key"))
    method = str(connection.scope.get("method", "GET"))
    check_cross_site(
        method,
        _media_type(headers.get("content-type")),
        headers.get("origin"),
        headers.get("host"),
        token is not None,
    )
    address = connection.client.host if connection.client is not None else "unknown"
    caller = await access.authorize(token, needed_scope(handler), address)
    connection.scope["auth"] = caller
    if method.upper() in UNSAFE_METHODS:
        await access.charge_write(caller)


def declare_security(app: Litestar, access: AccessControl) -> None:
    """Write each operation's requirement into the OpenAPI document, as these settings make it:
    the two ways to send a key as security schemes, and per operation the scope it needs (an
    operation open to anyone declares none)."""
    openapi: OpenAPI = app.openapi_schema
    scopes: dict[str, Scope | None] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            operation_id = getattr(handler, "operation_id", None)
            if isinstance(operation_id, str):
                scopes[operation_id] = needed_scope(handler)
    if access.enabled:
        openapi.components = openapi.components or Components()
        openapi.components.security_schemes = {
            BEARER: SecurityScheme(
                type="http",
                scheme="bearer",
                description="Authorization: Bearer <token> (python -m service keys create)",
            ),
            API_KEY: SecurityScheme(
                type="apiKey",
                name="X-API-Key",
                security_scheme_in="header",
                description="X-API-Key: <token>",
            ),
        }
    for path_item in (openapi.paths or {}).values():
        for method in ("get", "put", "post", "delete", "options", "head", "patch", "trace"):
            operation = getattr(path_item, method, None)
            if operation is None:
                continue
            required = access.required(scopes.get(operation.operation_id or "", Scope.READ))
            if required is None:
                operation.security = None
                continue
            operation.security = [{BEARER: [required.value]}, {API_KEY: [required.value]}]
            operation.responses = operation.responses or {}
            for status in ("401", "403"):
                operation.responses.setdefault(status, _error_response(status))


def _error_response(status: str) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=MEANING[int(status)],
        content={
            "application/json": OpenAPIMediaType(
                schema=Reference(ref="#/components/schemas/ErrorBody")
            )
        },
    )
