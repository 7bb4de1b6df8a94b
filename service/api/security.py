"""Response headers that keep browsers from misusing the service's answers: every response
says not to sniff types, not to be framed and not to send a referrer; every HTML page carries a
Content-Security-Policy that allows no inline script or style but the ones it was hashed for.
And a deadline on reading a request's body, so a slow sender cannot hold a connection."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import anyio
from litestar import Response
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_408_REQUEST_TIMEOUT
from litestar.types import ASGIApp, Message, Receive, Scope, Send

STRICT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
ALWAYS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
}
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
_INLINE_STYLE = re.compile(rb"<style[^>]*>(.*?)</style>", re.S | re.I)
_EXTERNAL = re.compile(rb"""<(script|link)\b[^>]*\b(?:src|href)=["'](https://[^/"']+)""", re.I)


def csp_hash(source: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source).digest()).decode() + "'"


def page_csp(html: bytes) -> str:
    """A policy for a page this service renders: its inline scripts and styles by hash, the
    script and style hosts it loads from, nothing else (no framing, no forms, no base)."""
    scripts = [csp_hash(s) for s in _INLINE_SCRIPT.findall(html)]
    styles = [csp_hash(s) for s in _INLINE_STYLE.findall(html)]
    hosts: dict[str, set[str]] = {"script": set(), "link": set()}
    for tag, origin in _EXTERNAL.findall(html):
        hosts[tag.decode().lower()].add(origin.decode())
    # 'self': the docs' scripts and styles are served by this service (service/api/docs.py).
    script_src = " ".join(["'self'", *sorted(hosts["script"]), *scripts])
    style_src = " ".join(["'self'", *sorted(hosts["link"]), *styles])
    return (
        f"default-src 'none'; script-src {script_src}; style-src {style_src}; "
        "img-src 'self' data: https:; font-src https: data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def docs_csp(response: Response[Any]) -> Response[Any]:
    """after_request of the OpenAPI pages (Swagger UI, ReDoc, ...): their own policy."""
    content = response.content
    if isinstance(content, str):
        content = content.encode()
    if isinstance(content, bytes) and str(response.media_type).startswith("text/html"):
        response.headers["Content-Security-Policy"] = page_csp(content)
    return response


class SecurityHeadersMiddleware:
    """Adds the headers above to every response, errors included; an HTML response that set no
    policy gets the strict one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in ALWAYS.items() if k not in present]
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                if (
                    content_type.lower().startswith(b"text/html")
                    and b"content-security-policy" not in present
                ):
                    headers.append((b"content-security-policy", STRICT_CSP.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyReadTimeoutMiddleware:
    """A request's body must have arrived whole within ``timeout_s`` of its headers
    (``CONFLICT_BODY_READ_TIMEOUT_S``). A client that sends it slowly or stops half-way gets
    408 with ``Connection: close``, which makes the server close the connection, instead of
    holding a connection and a task for as long as it likes. Reads after the body (a streamed
    response waiting for the client to disconnect) have no deadline."""

    def __init__(self, app: ASGIApp, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        deadline = anyio.current_time() + self.timeout_s
        body_done = False

        async def receive_in_time() -> Any:
            nonlocal body_done
            if body_done:
                return await receive()
            with anyio.move_on_after(deadline - anyio.current_time()):
                message = await receive()
                body_done = message["type"] != "http.request" or not message.get("more_body")
                return message
            raise HTTPException(
                status_code=HTTP_408_REQUEST_TIMEOUT,
                detail=f"the request body did not arrive within {self.timeout_s:g} s "
                "(CONFLICT_BODY_READ_TIMEOUT_S)",
                headers={"Connection": "close"},
            )

        await self.app(scope, receive_in_time, send)
