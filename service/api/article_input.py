"""Parsing POSTed articles by hand, so every mistake gets a 4xx that says what to fix."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from service.errors import BadRequestError, PayloadTooLargeError, UnsupportedMediaError
from service.extraction.dates import find_published_date
from service.store.runs import ArticleInput

T = TypeVar("T", bound=BaseModel)

MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
# Control characters other than tab, newline and carriage return; lone surrogates, which UTF-8
# (the database, the LLM request) cannot encode.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _iso_date(value: object) -> object:
    """Only an ISO date string: pydantic alone would read 0 as 1970-01-01."""
    if value is None or isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("must be an ISO date string like 2018-04-08")


class ArticleIn(BaseModel):
    """An article to extract from. Only ``text`` is required."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "At least 40 civilians were killed on Friday as airstrikes pounded "
                    "Douma, the Syrian Observatory for Human Rights said.",
                    "title": "Airstrikes pound Douma",
                    "url": "https://example.org/news/douma",
                    "source": "Example News",
                    "published_date": "2018-04-07",
                }
            ]
        },
    )

    text: str = Field(description="The article text, as plain text.")
    title: str | None = Field(default=None, max_length=500)
    url: str | None = Field(default=None, max_length=2000)
    source: str | None = Field(default=None, max_length=200, description="Publisher.")
    published_date: Annotated[dt.date | None, BeforeValidator(_iso_date)] = Field(
        default=None,
        description="ISO date; resolves 'on Friday'. Read from a 'Published:' line if absent.",
    )


class ArticlePatch(BaseModel):
    """Metadata corrections: only the fields sent change (null clears one)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"title": "Airstrikes pound Douma"}]},
    )

    title: str | None = Field(default=None, max_length=500)
    url: str | None = Field(default=None, max_length=2000)
    source: str | None = Field(default=None, max_length=200, description="Publisher.")
    published_date: Annotated[dt.date | None, BeforeValidator(_iso_date)] = Field(
        default=None,
        description="ISO date; a change queues a re-run (relative dates are resolved against it).",
    )


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    articles: list[ArticleIn] = Field(min_length=1)


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _problems(error: ValidationError, prefix: str = "") -> str:
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"]) or "body"
        parts.append(f"{prefix}{where}: {item['msg']}")
    return "; ".join(parts)


def _check_depth(raw: bytes) -> None:
    """A 400 for nesting deeper than MAX_JSON_DEPTH, found before json.loads recurses into it:
    the brackets outside strings, counted."""
    depth = 0
    for byte in _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", raw)):
        depth += 1 if byte in b"[{" else -1
        if depth > MAX_JSON_DEPTH:
            raise BadRequestError(f"body is nested deeper than {MAX_JSON_DEPTH} levels")


def check_text(field: str, value: str) -> None:
    """A 400 naming the field, character and offset of a control character or lone surrogate."""
    if bad := _FORBIDDEN.search(value):
        character = f"U+{ord(bad.group()):04X}"
        raise BadRequestError(
            f"{field}: character {character} at offset {bad.start()} is not allowed "
            "(control character or lone surrogate); send plain UTF-8 text",
            field=field,
            character=character,
            offset=bad.start(),
        )


def _check_strings(body: object) -> None:
    """Every string of a parsed body, keys included, through ``check_text``."""
    stack: list[tuple[str, object]] = [("", body)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, str):
            check_text(where or "body", node)
        elif isinstance(node, dict):
            for key, item in node.items():
                check_text(f"a key of {where or 'the body'}", key)
                stack.append((f"{where}.{key}" if where else key, item))
        elif isinstance(node, list):
            stack.extend((f"{where}.{n}", item) for n, item in enumerate(node))


def _json_object(raw: bytes, model: type[T], example: str) -> T:
    """The body as ``model``, or a 400 that says what is wrong with it."""
    _check_depth(raw)
    try:
        body = json.loads(raw)
    except UnicodeDecodeError as exc:
        raise BadRequestError("body is not UTF-8 encoded") from exc
    except json.JSONDecodeError as exc:
        raise BadRequestError(
            f"body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except ValueError as exc:  # an integer over Python's int max str digits
        raise BadRequestError(
            f"body has a number with more than {sys.get_int_max_str_digits()} digits"
        ) from exc
    if not isinstance(body, dict):
        raise BadRequestError(f"body must be a JSON object like {example}")
    _check_strings(body)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise BadRequestError(_problems(exc)) from exc


def _checked(item: ArticleIn, max_chars: int, where: str = "") -> ArticleInput:
    text = item.text.strip()
    if not text:
        raise BadRequestError(f"{where}text is empty; send the article's text")
    if len(text) > max_chars:
        raise PayloadTooLargeError(
            f"{where}text has {len(text)} characters; the limit is {max_chars} "
            "(CONFLICT_MAX_ARTICLE_CHARS)"
        )
    published = item.published_date or find_published_date(text)
    derived = set()
    if not item.title:
        derived.add("title")
    if item.published_date is None:
        derived.add("published_date")
    return ArticleInput(
        text=item.text,
        title=item.title or _headline(text),
        url=item.url,
        source=item.source,
        published_date=published,
        derived=frozenset(derived),
    )


def _headline(text: str) -> str | None:
    """A first line that reads like a headline (short, no final full stop)."""
    lines = [line.strip() for line in text.split("\n") if line.strip()][:3]
    for line in lines:
        if line.lower().startswith("published"):
            continue
        if len(line.split()) <= 20 and not line.endswith((".", "!", "?", '"', "\u201d")):
            return line
        return None
    return None


def parse_article(content_type: str | None, raw: bytes, max_chars: int) -> ArticleInput:
    media = _media_type(content_type)
    if media == "application/json":
        return _checked(_json_object(raw, ArticleIn, '{"text": "..."}'), max_chars)
    if media == "text/plain":
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequestError("body is not UTF-8 encoded text") from exc
        check_text("text", text)
        return _checked(ArticleIn(text=text), max_chars)
    raise UnsupportedMediaError(
        f"content type {media or '(none)'!r} is not supported; send application/json "
        '({"text": "..."}) or text/plain'
    )


def parse_batch(
    content_type: str | None, raw: bytes, max_chars: int, max_items: int
) -> list[ArticleInput]:
    media = _media_type(content_type)
    if media != "application/json":
        raise UnsupportedMediaError(
            f"content type {media or '(none)'!r} is not supported; send application/json "
            '({"articles": [{"text": "..."}, ...]})'
        )
    batch = _json_object(raw, BatchIn, '{"articles": [{"text": "..."}]}')
    if len(batch.articles) > max_items:
        raise PayloadTooLargeError(
            f"{len(batch.articles)} articles in one batch; the limit is {max_items} "
            "(CONFLICT_MAX_BATCH_ARTICLES)"
        )
    return [
        _checked(item, max_chars, where=f"articles.{n}.") for n, item in enumerate(batch.articles)
    ]


def json_object(content_type: str | None, raw: bytes, model: type[T], example: str) -> T:
    """A JSON body as ``model``: a 415 for another body type, a 400 saying what is wrong."""
    media = _media_type(content_type)
    if media != "application/json":
        raise UnsupportedMediaError(
            f"content type {media or '(none)'!r} is not supported; send application/json "
            f"({example})"
        )
    return _json_object(raw, model, example)


def parse_patch(content_type: str | None, raw: bytes) -> dict[str, object]:
    """The fields a PATCH sets, by name; a 400 for an empty or unknown one."""
    media = _media_type(content_type)
    if media != "application/json":
        raise UnsupportedMediaError(
            f"content type {media or '(none)'!r} is not supported; send application/json "
            '({"title": "..."})'
        )
    patch = _json_object(raw, ArticlePatch, '{"title": "..."}')
    if not patch.model_fields_set:
        raise BadRequestError(
            "nothing to change: send one or more of title, url, source, published_date"
        )
    return {name: getattr(patch, name) for name in sorted(patch.model_fields_set)}
