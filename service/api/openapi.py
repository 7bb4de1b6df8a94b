"""A Pydantic model's JSON schema as a Litestar OpenAPI ``Schema`` (for hand-parsed bodies), and
an operation whose answer is either of two page models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.openapi.spec import OpenAPIResponse, OpenAPIType, Operation, Schema
from pydantic import BaseModel

_SIMPLE = {
    "title": "title",
    "description": "description",
    "format": "format",
    "maxLength": "max_length",
    "minLength": "min_length",
    "minItems": "min_items",
    "maxItems": "max_items",
    "examples": "examples",
    "default": "default",
    "enum": "enum",
}


def _convert(node: dict[str, Any], defs: dict[str, Any]) -> Schema:
    if "$ref" in node:
        return _convert(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    kwargs: dict[str, Any] = {_SIMPLE[k]: v for k, v in node.items() if k in _SIMPLE}
    if "type" in node:
        kwargs["type"] = OpenAPIType(node["type"])
    if "properties" in node:
        kwargs["properties"] = {k: _convert(v, defs) for k, v in node["properties"].items()}
    if "required" in node:
        kwargs["required"] = list(node["required"])
    if "items" in node:
        kwargs["items"] = _convert(node["items"], defs)
    if "anyOf" in node:
        kwargs["one_of"] = [_convert(option, defs) for option in node["anyOf"]]
    if node.get("additionalProperties") is False:
        kwargs["additional_properties"] = False
    return Schema(**kwargs)


def openapi_schema_of(model: type[BaseModel]) -> Schema:
    tree = model.model_json_schema()
    return _convert(tree, tree.get("$defs", {}))


@dataclass
class EitherPage(Operation):
    """An operation whose answer is one of two page models that a full page satisfies both of
    (``Page[EventRead] | EventFieldsPage``): Litestar documents a union as ``oneOf``, which such
    an answer fails; ``anyOf`` is what it is."""

    def __post_init__(self) -> None:
        for response in (self.responses or {}).values():
            if not isinstance(response, OpenAPIResponse):
                continue
            for media in (response.content or {}).values():
                schema = media.schema
                if isinstance(schema, Schema) and schema.one_of:
                    schema.any_of, schema.one_of = schema.one_of, None
