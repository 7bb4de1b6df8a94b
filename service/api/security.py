"""Response headers that keep browsers from misusing the service's answers: every response
says not to sniff types, not to be framed and not to send a referrer; every HTML page carries a
Content-Security-Policy that allows no inline script or style but the ones it was hashed for."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from litestar import Response
from litestar.enums import ScopeType
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
