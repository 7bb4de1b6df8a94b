"""Bounds of id parameters, declared once: SQLite stores integers as signed 64-bit, so a larger
id would overflow in the query instead of being a 400."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Annotated, Any, get_args

from litestar import Request
from litestar.params import ParameterKwarg, PathParameter, QueryParameter
from litestar.typing import FieldDefinition

from service.errors import BadRequestError

MAX_ID = 2**63 - 1


def query_id(description: str | None = None) -> ParameterKwarg:
    return QueryParameter(ge=1, le=MAX_ID, description=description)


# Litestar writes the bounds of a path parameter into the OpenAPI document as floats, which
# round MAX_ID up to 2**63; schema_extra restates them as the integers they are.
PathId = Annotated[
    int, PathParameter(ge=1, le=MAX_ID, schema_extra={"minimum": 1, "maximum": MAX_ID})
]
QueryId = Annotated[int | None, query_id()]

ISO_TIME = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$"


def query_time(description: str) -> ParameterKwarg:
    """A time as a string with a pattern, not a date-time: Litestar would also take "0.5" as a
    Unix time. ``parse_time`` reads it."""
    return QueryParameter(pattern=ISO_TIME, max_length=40, description=description)


def parse_time(name: str, value: str | None) -> dt.datetime | None:
    """An ISO 8601 time as an aware UTC one (UTC when it has no offset); a 400 naming ``name``."""
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            return moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC)
    except (ValueError, OverflowError) as exc:
        raise BadRequestError(f"{name}: {value!r} is not an ISO 8601 time") from exc


_INTEGER = re.compile(r"-?[0-9]+")


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    args = [a for a in get_args(annotation) if a is not type(None)]
    return len(args) == 1 and (args[0] is int or _is_int(args[0]))


def route_parameters(request: Request[Any, Any, Any]) -> Iterator[tuple[str, FieldDefinition]]:
    """Every parameter of the request's handler and of the dependencies it resolves."""
    handler = request.route_handler
    signatures = [handler.parsed_fn_signature]
    signatures += [d.parsed_fn_signature for d in handler.resolve_dependencies().values()]
    for signature in signatures:
        yield from signature.parameters.items()


def strict_integers(request: Request[Any, Any, Any]) -> None:
    """Query values are checked before any handler runs: no NUL character, and integer
    parameters written as integers (Litestar's lax parsing would read "1.0" or "1e0" as 1,
    which the OpenAPI document does not allow)."""
    for name, value in request.query_params.multi_items():
        if "\x00" in value:  # PostgreSQL text cannot hold it; no filter needs it
            raise BadRequestError(f"{name}: a NUL character (U+0000) is not allowed")
    for name, field in route_parameters(request):
        if name not in request.query_params or not _is_int(field.annotation):
            continue
        for value in request.query_params.getall(name):
            if not _INTEGER.fullmatch(value):
                raise BadRequestError(f"{name}: {value!r} is not an integer")
