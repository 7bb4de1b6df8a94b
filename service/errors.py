"""Every error the service raises on purpose, and its HTTP meaning.

    ServiceError
    ├── ClientError                 4xx: the request must change
    │   ├── BadRequestError         400  malformed body, bad filter, empty text
    │   ├── UnauthorizedError       401  no API key, or an unknown or revoked one
    │   ├── ForbiddenError          403  the key lacks the scope the operation needs
    │   │   └── CrossSiteWriteError      a write from a foreign browser origin, no key, not JSON
    │   ├── NotFoundError           404  unknown id
    │   ├── PayloadTooLargeError    413  article text over the size limit
    │   ├── UnsupportedMediaError   415  neither JSON nor text/plain
    │   └── RateLimitedError        429  the key's write quota is spent; retry after
    │                                    ``retry_after`` seconds
    ├── ServiceUnavailableError     503  retry after ``retry_after`` seconds
    │   ├── QueueFullError               the pending queue is at CONFLICT_MAX_QUEUE_DEPTH
    │   └── DatabaseUnavailableError     locked, read-only or unreachable database (raised by the
    │                                    engine's error hook in place of the driver's error); a
    │                                    worker retries the step with backoff, then requeues
    ├── ConfigurationError          settings that must not be run with (e.g. an open service on a
    │                               public address); the process refuses to start
    ├── LeaseLostError              a worker's lease on a run passed to another worker: its
    │                               outcome is not written (never reaches the HTTP edge)
    └── ExtractionError             recorded on the run (status failed), never sent as a 5xx
        ├── LLMUnavailableError     endpoint down, timeout, 5xx, refused request
        ├── LLMOutputError          output that no re-ask could make valid
        └── LocalModelError         embedded model: server build, assembly or start failed

Plain Python: the HTTP edge (service/api/errors.py) turns ``ClientError`` and
``ServiceUnavailableError`` into responses, in one place.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base of every error this service raises on purpose."""


class ClientError(ServiceError):
    status_code = 400

    # Seconds after which the same request may succeed (429), else None.
    retry_after: int | None = None

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class BadRequestError(ClientError):
    status_code = 400


class UnauthorizedError(ClientError):
    """No credentials, or credentials that name no active key."""

    status_code = 401


class ForbiddenError(ClientError):
    """A known key without the scope the operation needs (``detail`` names it)."""

    status_code = 403


class CrossSiteWriteError(ForbiddenError):
    """A write a browser sent from another site's page, without a key and not as JSON."""


class NotFoundError(ClientError):
    status_code = 404


class PayloadTooLargeError(ClientError):
    status_code = 413


class UnsupportedMediaError(ClientError):
    status_code = 415


class RateLimitedError(ClientError):
    status_code = 429

    def __init__(self, message: str, retry_after: int, **detail: Any) -> None:
        super().__init__(message, **detail)
        self.retry_after = max(1, retry_after)


class ServiceUnavailableError(ServiceError):
    status_code = 503

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class DatabaseUnavailableError(ServiceUnavailableError):
    pass


class QueueFullError(ServiceUnavailableError):
    """Accepting the request would put more runs in the queue than it may hold."""


class ConfigurationError(ServiceError):
    """Settings the service refuses to run with; the message says which and what to set."""


class LeaseLostError(ServiceError):
    """The run is no longer this worker's (its lease expired and another worker took it)."""


class ExtractionError(ServiceError):
    """A failed extraction; its message is stored on the run."""


class LLMUnavailableError(ExtractionError):
    pass


class LLMOutputError(ExtractionError):
    pass


class LocalModelError(ExtractionError):
    pass
