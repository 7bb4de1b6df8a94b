"""Credentials kept out of what is logged or returned: the user and password a URL may carry
(``http://user:secret@host/v1``), API key tokens past their public prefix, and any other secret
the caller names (the LLM endpoint's key)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from service.store.keys import PREFIX_CHARS, TOKEN_PREFIX

_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@?#]+@")
# A token's first PREFIX_CHARS characters are its public prefix (shown by `keys list`).
_TOKEN = re.compile(
    rf"\b(?P<prefix>{TOKEN_PREFIX}[A-Za-z0-9_-]{{{PREFIX_CHARS - len(TOKEN_PREFIX)}}})"
    r"[A-Za-z0-9_-]+"
)
MASK = "***"


def redact_url(url: str) -> str:
    """``url`` without the user and password it may carry."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{MASK}@{host}", parts.path, parts.query, parts.fragment))


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with URL credentials, API key tokens and each of ``secrets`` masked."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    text = _USERINFO.sub(rf"\g<scheme>{MASK}@", text)
    return _TOKEN.sub(rf"\g<prefix>{MASK}", text)
