"""One log stream: the service's structlog loggers and every standard-library logger
(uvicorn, httpx, openai, instructor, alembic) rendered by one structlog formatter, as JSON
lines when ``CONFLICT_LOG_JSON`` is set and as console text otherwise. Values bound with
``structlog.contextvars`` (the request id) appear on every line of that context.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from service.redaction import redact_text
from service.settings import Settings

_SHARED: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
# Libraries whose INFO lines are one per request or call: kept at WARNING unless DEBUG is asked.
_CHATTY = ("httpx", "httpcore", "openai", "instructor", "alembic")


def _redactor(settings: Settings) -> structlog.typing.Processor:
    """Masks credentials in every rendered value, tracebacks included: httpx logs request URLs
    (user and password too) at DEBUG, and an error's text may quote a URL or a token."""
    key = settings.llm_api_key.get_secret_value()
    secrets = [key] if len(key) >= 8 and key != "not-needed" else []

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return redact_text(value, secrets)
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        return value

    def redact(_: Any, __: str, event: structlog.typing.EventDict) -> structlog.typing.EventDict:
        return {name: clean(value) for name, value in event.items()}

    return redact


def configure_logging(settings: Settings) -> None:
    level = logging.getLevelNamesMapping()[settings.log_level.upper()]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            *_SHARED,
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_SHARED, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _redactor(settings),
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(level if level <= logging.DEBUG else logging.WARNING)
    # uvicorn installs its own handlers unless told not to (log_config=None); any that are
    # there already would print a second, differently formatted line.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
