"""Who may do what: API key scopes, the write quota per key, the cross-site write rule and the
refusal to serve an open API on a public address. Plain Python: the HTTP edge
(service/api/access.py) hands in headers and gets a ``Caller`` or a domain error.

Scopes are ordered: ``admin`` implies ``write`` implies ``read``. With ``CONFLICT_AUTH`` off
(the embedded localhost default) every caller may do everything, except a browser writing from
another site's page (see ``check_cross_site``).
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

import anyio.to_thread
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from service.errors import (
    ConfigurationError,
    CrossSiteWriteError,
    ForbiddenError,
    RateLimitedError,
    UnauthorizedError,
)
from service.settings import Settings
from service.store.read_models import ApiKeyRead


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    def grants(self, needed: Scope) -> bool:
        return _RANK[self] >= _RANK[needed]

    def implied(self) -> list[Scope]:
        return [s for s in Scope if self.grants(s)]


_RANK = {Scope.READ: 0, Scope.WRITE: 1, Scope.ADMIN: 2}
# Content types a browser may send cross-site without asking first (no CORS preflight).
SIMPLE_MEDIA = {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: a key, or (``key`` None) an anonymous caller identified by address."""

    key: ApiKeyRead | None
    address: str

    @property
    def identity(self) -> str:
        return f"key:{self.key.id}" if self.key is not None else f"addr:{self.address}"

    @property
    def reviewer(self) -> str:
        """Who a review entry names: the key, or anonymous (keys off)."""
        return f"{self.key.name} (key {self.key.id})" if self.key is not None else "anonymous"


def credentials(authorization: str | None, api_key: str | None) -> str | None:
    """The token from ``Authorization: Bearer <token>`` or ``X-API-Key: <token>``."""
    if api_key and api_key.strip():
        return api_key.strip()
    if authorization:
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return token.strip()
    return None


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings) -> None:
    """Refuse to serve without keys on an address other machines can reach."""
    if settings.auth or settings.allow_open or is_loopback(settings.host):
        return
    raise ConfigurationError(
        f"refusing to start: CONFLICT_HOST={settings.host} is reachable from other machines "
        "and CONFLICT_AUTH is off, so anyone could post, re-run and delete. Turn keys on "
        "(CONFLICT_AUTH=true, then `python -m service keys create --name NAME --scope admin`), "
        "bind to 127.0.0.1, or set CONFLICT_ALLOW_OPEN=true to serve it open on purpose."
    )


def check_cross_site(
    method: str, media_type: str, origin: str | None, host: str | None, has_key: bool
) -> None:
    """A write a browser sends from another site's page without a key is refused unless it is
    JSON: JSON (and a key header) cannot be sent cross-site without a CORS preflight, which
    this service never grants, but text/plain and form bodies can (the classic CSRF on a
    localhost service). Callers without an Origin header (curl, scripts) are not browsers."""
    if has_key or method.upper() not in UNSAFE_METHODS or origin is None:
        return
    if media_type == "application/json":
        return
    if origin != "null" and host is not None and urlsplit(origin).netloc.lower() == host.lower():
        return
    kind = media_type or "no body type"
    raise CrossSiteWriteError(
        f"a {method.upper()} from another site ({origin}) without an API key must be JSON, "
        f"not {kind}; send application/json or an API key",
        origin=origin,
    )


class AccessControl:
    """Authentication, scopes and the write quota, as the settings say."""

    def __init__(self, settings: Settings, find_key: Callable[[str], ApiKeyRead | None]) -> None:
        self.enabled = settings.auth
        self.public_reads = settings.public_reads
        self._find_key = find_key
        self._quota: RateLimitItem | None = (
            parse(settings.write_rate_limit) if settings.write_rate_limit else None
        )
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def required(self, needed: Scope | None) -> Scope | None:
        """The scope an operation needs under these settings (None: public)."""
        if not self.enabled or needed is None:
            return None
        if needed is Scope.READ and self.public_reads:
            return None
        return needed

    async def authorize(self, token: str | None, needed: Scope | None, address: str) -> Caller:
        """The caller, or ``UnauthorizedError`` (no, unknown or revoked key where one is
        needed, or any unknown key) or ``ForbiddenError`` (the key lacks the scope)."""
        key = None
        if token is not None and self.enabled:
            key = await anyio.to_thread.run_sync(self._find_key, token)
            if key is None:
                raise UnauthorizedError("the API key is unknown or revoked")
        required = self.required(needed)
        if required is None:
            return Caller(key, address)
        if key is None:
            raise UnauthorizedError(
                f"this operation needs an API key with scope {required.value}: send "
                "'Authorization: Bearer <token>' or 'X-API-Key: <token>'",
                needed=required.value,
            )
        if not Scope(key.scope).grants(required):
            raise ForbiddenError(
                f"API key {key.id} ({key.name}) has scope {key.scope}; this operation needs "
                f"scope {required.value}",
                needed=required.value,
                scope=key.scope,
            )
        return Caller(key, address)

    async def charge_write(self, caller: Caller) -> None:
        """One write against the key's quota (``CONFLICT_WRITE_RATE_LIMIT``); 429 with the
        seconds until the window has room again when it is spent. Callers without a key are
        not counted: with auth on they cannot write, with it off they are the local operator
        (bulk loads, benchmarks) and the queue bound still holds."""
        if self._quota is None or caller.key is None:
            return
        if await self._limiter.hit(self._quota, caller.identity):
            return
        stats = await self._limiter.get_window_stats(self._quota, caller.identity)
        raise RateLimitedError(
            f"write quota of {self._quota} spent for API key {caller.key.id}; retry later "
            "(CONFLICT_WRITE_RATE_LIMIT)",
            retry_after=math.ceil(stats.reset_time - time.time()),
        )
