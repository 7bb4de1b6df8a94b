"""Errors at the HTTP edge: one body shape (``ErrorBody``), the exception handlers that produce
it, and the OpenAPI responses that document it."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import KwargDefinition
from pydantic import BaseModel, Field

from service.api.params import route_parameters
from service.errors import ClientError, ServiceUnavailableError, UnauthorizedError

log = structlog.get_logger(__name__)

# Sent with every 401: the schemes this service takes (README "Security").
WWW_AUTHENTICATE = 'Bearer realm="conflict-extract", ApiKey header="X-API-Key"'


class ErrorBody(BaseModel):
    """Every error response of the service."""

    status_code: int = Field(description="The HTTP status code, repeated.")
    error: str = Field(description="What is wrong and what to change.")
    detail: dict[str, Any] | None = Field(
        default=None, description="Machine-readable particulars (field, offset, ...), if any."
    )


MEANING = {
    400: "Malformed body, or a parameter outside its type or range; `error` names it.",
    401: "No API key, or an unknown or revoked one (see WWW-Authenticate).",
    403: "The API key lacks the scope this operation needs (`detail.needed`), or a "
    "cross-site write without a key.",
    404: "No record with this id.",
    408: "The request body did not arrive within CONFLICT_BODY_READ_TIMEOUT_S; the "
    "connection is closed.",
    413: "Article text, batch or body over its size limit.",
    415: "Body neither application/json nor text/plain.",
    429: "The key's write quota is spent; retry after the Retry-After header's seconds.",
    503: "Database locked or read-only, or the queue is full; retry after the Retry-After "
    "header's seconds.",
}


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI responses for the given error statuses, all with ``ErrorBody``."""
    return {
        status: ResponseSpec(
            data_container=ErrorBody, description=MEANING[status], generate_examples=False
        )
        for status in statuses
    }


def error_response(
    status: int,
    message: str,
    detail: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    body = ErrorBody(status_code=status, error=message, detail=detail or None)
    return Response(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def client_error_handler(_: Request[Any, Any, Any], exc: ClientError) -> Response[Any]:
    headers = {}
    if isinstance(exc, UnauthorizedError):
        headers["WWW-Authenticate"] = WWW_AUTHENTICATE
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(exc.status_code, exc.message, exc.detail, headers or None)


def unavailable_handler(_: Request[Any, Any, Any], exc: ServiceUnavailableError) -> Response[Any]:
    return error_response(
        exc.status_code, exc.message, headers={"Retry-After": str(exc.retry_after)}
    )


def _allowed(request: Request[Any, Any, Any], key: str) -> str:
    """' (allowed: A to B)' for a bounded parameter of the route or its dependencies, else ''."""
    for name, field in route_parameters(request):
        bounds = field.kwarg_definition if name == key else None
        if isinstance(bounds, KwargDefinition) and None not in (bounds.ge, bounds.le):
            return f" (allowed: {bounds.ge} to {bounds.le})"
    return ""


def validation_error_handler(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[Any]:
    """Litestar's own parameter validation (bad query/path values) as a 400 naming the field."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    problems = [
        f"{item.get('key', '?')}: {item.get('message', 'invalid')}"
        + _allowed(request, str(item.get("key")))
        for item in extra
        if isinstance(item, dict)
    ]
    return error_response(400, "; ".join(problems) or exc.detail)


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    """Litestar's own errors (404, 405 with its Allow header, 413 over the body limit)."""
    return error_response(exc.status_code, exc.detail, headers=exc.headers)


def unexpected_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error("unhandled error", path=request.url.path, exc_info=exc)
    return error_response(500, "internal error; it has been logged")


EXCEPTION_HANDLERS = {
    ClientError: client_error_handler,
    ServiceUnavailableError: unavailable_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    Exception: unexpected_error_handler,
}
