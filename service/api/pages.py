"""Cursors: opaque to clients, the last id of the previous page inside."""

from __future__ import annotations

import base64
from typing import TypeVar

from service.api.params import MAX_ID
from service.errors import BadRequestError
from service.store.filters import Window
from service.store.read_models import Page

T = TypeVar("T")


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The id after which the page starts (0 for the first page)."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, value = raw.split(":", 1)
        if prefix != "id" or not value.isdigit() or len(value) > 19 or int(value) > MAX_ID:
            raise ValueError(raw)
        return int(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequestError(
            "cursor: not a cursor this API issued; pass next_cursor from a previous page unchanged"
        ) from exc


def page(rows: Window[T]) -> Page[T]:  # type: ignore[type-var]
    last = rows.last_id
    return Page(
        items=rows.items,
        next_cursor=encode_cursor(last) if rows.more and last is not None else None,
    )
