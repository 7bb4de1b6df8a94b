"""Bounds of id parameters, declared once: SQLite stores integers as signed 64-bit, so a larger
id would overflow in the query instead of being a 400."""

from __future__ import annotations

from typing import Annotated

from litestar.params import ParameterKwarg, PathParameter, QueryParameter

MAX_ID = 2**63 - 1


def query_id(description: str | None = None) -> ParameterKwarg:
    return QueryParameter(ge=1, le=MAX_ID, description=description)


# Litestar writes the bounds of a path parameter into the OpenAPI document as floats, which
# round MAX_ID up to 2**63; schema_extra restates them as the integers they are.
PathId = Annotated[
    int, PathParameter(ge=1, le=MAX_ID, schema_extra={"minimum": 1, "maximum": MAX_ID})
]
QueryId = Annotated[int | None, query_id()]
