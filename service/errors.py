"""Every error the service raises on purpose, and its HTTP meaning.

    ServiceError
    ├── ClientError                 4xx: the request must change
    │   ├── BadRequestError         400  malformed body, bad filter, empty text
    │   ├── NotFoundError           404  unknown id
    │   ├── PayloadTooLargeError    413  article text over the size limit
    │   └── UnsupportedMediaError   415  neither JSON nor text/plain
    ├── DatabaseUnavailableError    503  locked, read-only or unreachable database (Retry-After);
    │                                    a worker retries the step with backoff, then requeues
    └── ExtractionError             recorded on the run (status failed), never sent as a 5xx
        ├── LLMUnavailableError     endpoint down, timeout, 5xx, refused request
        ├── LLMOutputError          output that no re-ask could make valid
        └── LocalModelError         embedded model: server build, assembly or start failed

Only ``ClientError`` and ``DatabaseUnavailableError`` reach clients as error responses.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_500_INTERNAL_SERVER_ERROR,
)


class ServiceError(Exception):
    """Base of every error this service raises on purpose."""


class ClientError(ServiceError):
    status_code = HTTP_400_BAD_REQUEST

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class BadRequestError(ClientError):
    status_code = HTTP_400_BAD_REQUEST


class NotFoundError(ClientError):
    status_code = HTTP_404_NOT_FOUND


class PayloadTooLargeError(ClientError):
    status_code = HTTP_413_REQUEST_ENTITY_TOO_LARGE


class UnsupportedMediaError(ClientError):
    status_code = HTTP_415_UNSUPPORTED_MEDIA_TYPE


class DatabaseUnavailableError(ServiceError):
    """The database cannot take the request now (raised by the engine's error hook in place of
    the driver's error); retrying later may succeed."""

    status_code = 503
    retry_after_s = 5


class ExtractionError(ServiceError):
    """A failed extraction; its message is stored on the run."""


class LLMUnavailableError(ExtractionError):
    pass


class LLMOutputError(ExtractionError):
    pass


class LocalModelError(ExtractionError):
    pass


def _body(status: int, message: str, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status_code": status, "error": message}
    if detail:
        body["detail"] = detail
    return body


def client_error_handler(_: Request[Any, Any, Any], exc: ClientError) -> Response[Any]:
    return Response(_body(exc.status_code, exc.message, exc.detail), status_code=exc.status_code)


def unavailable_handler(_: Request[Any, Any, Any], exc: DatabaseUnavailableError) -> Response[Any]:
    return Response(
        _body(exc.status_code, str(exc)),
        status_code=exc.status_code,
        headers={"Retry-After": str(exc.retry_after_s)},
    )


def validation_error_handler(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """Litestar's own parameter validation (bad query/path values) as a 400 naming the field."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    problems = [
        f"{item.get('key', '?')}: {item.get('message', 'invalid')}"
        for item in extra
        if isinstance(item, dict)
    ]
    message = "; ".join(problems) or exc.detail
    return Response(_body(HTTP_400_BAD_REQUEST, message), status_code=HTTP_400_BAD_REQUEST)


def http_error_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    return Response(_body(exc.status_code, exc.detail), status_code=exc.status_code)


def unexpected_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    request.logger.exception("unhandled error", exc_info=exc)
    return Response(
        _body(HTTP_500_INTERNAL_SERVER_ERROR, "internal error; it has been logged"),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )


EXCEPTION_HANDLERS = {
    ClientError: client_error_handler,
    DatabaseUnavailableError: unavailable_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    Exception: unexpected_error_handler,
}
