"""The LLM seam: an OpenAI-compatible client wrapped by instructor, configured by settings only."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx
import instructor
import openai
from instructor.core import InstructorRetryException
from instructor.core.exceptions import IncompleteOutputException
from instructor.core.hooks import HookName, Hooks
from pydantic import ValidationError

from service.errors import LLMOutputError, LLMUnavailableError
from service.extraction.confidence import Token
from service.ops.metrics import observe_llm_call
from service.settings import InstructorMode, Settings

T = TypeVar("T")
MAX_TOKENS_PER_CALL = 10_000_000

_MODES = {
    InstructorMode.TOOLS: instructor.Mode.TOOLS,
    InstructorMode.JSON_SCHEMA: instructor.Mode.JSON_SCHEMA,
    InstructorMode.JSON: instructor.Mode.JSON,
    InstructorMode.GRAMMAR: instructor.Mode.JSON_SCHEMA,
}


@dataclass(slots=True)
class CallStats:
    calls: int = 0
    unusable: int = 0  # calls whose answer could not be used at all
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Prompt tokens the server did not have to compute again (its prefix cache).
    cached_prompt_tokens: int = 0
    seconds: float = 0.0

    def add(self, other: CallStats) -> None:
        self.calls += other.calls
        self.unusable += other.unusable
        self.retries += other.retries
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cached_prompt_tokens += other.cached_prompt_tokens
        self.seconds += other.seconds


@dataclass(slots=True)
class Outcome(Generic[T]):
    value: T
    stats: CallStats
    dropped: list[str] = field(default_factory=list)
    # The model's last answer as it wrote it: a follow-up question that repeats it verbatim
    # shares the whole conversation as a prompt prefix the server has cached.
    raw: str | None = None
    # The tokens of ``raw`` with their log-probabilities, where the endpoint returned them.
    tokens: list[Token] | None = None


Salvage = Callable[[dict[str, Any]], tuple[T, list[str]]]

# OpenAI's API returns at most 20 alternatives per token.
MAX_TOP_LOGPROBS = 20


@dataclass(frozen=True, slots=True)
class Choice:
    """The answer to a question whose answer is one of several labels: the chosen option
    (0-based; None when the model's answer starts no label) and, where the endpoint returned
    log-probabilities, each option's probability, normalised over the options (an option
    outside the endpoint's alternatives gets 0)."""

    index: int | None
    probabilities: tuple[float, ...] | None = None


def build_openai_client(
    settings: Settings, base_url: str, http_client: httpx.AsyncClient | None = None
) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=base_url,
        api_key=settings.llm_api_key.get_secret_value(),
        timeout=settings.llm_timeout_s,
        max_retries=settings.llm_http_retries,
        http_client=http_client,
    )


class StructuredLLM:
    """Asks the model for a response model, re-asking with validation errors; what still fails
    after the re-asks is salvaged item by item and the rest is reported as dropped."""

    def __init__(self, client: openai.AsyncOpenAI, settings: Settings) -> None:
        mode = settings.instructor_mode
        self._client = instructor.from_openai(client, mode=_MODES[mode])
        self._openai = client
        self._grammar = mode is InstructorMode.GRAMMAR
        self.model = settings.llm_model
        self._max_retries = settings.llm_max_retries
        self._max_tokens = settings.llm_max_tokens
        self._temperature = settings.llm_temperature
        self._deadline = settings.llm_deadline_s
        self._logprobs = settings.llm_logprobs

    async def ask(
        self,
        response_model: type[T],
        messages: list[dict[str, str]],
        context: dict[str, Any],
        salvage: Salvage[T],
        schema: dict[str, Any] | None = None,
    ) -> Outcome[T]:
        """``schema``: a narrower JSON schema than ``response_model``'s for this call; in grammar
        mode it (or else the model's schema) constrains decoding."""
        stats = CallStats()
        extra: dict[str, Any] = {}
        if self._grammar:
            if schema is None:
                schema = response_model.model_json_schema()  # type: ignore[attr-defined]
            # Overrides instructor's response_format: llama.cpp's server turns the schema into a
            # grammar; the prompt does not carry it.
            extra["extra_body"] = {"response_format": {"type": "json_object", "schema": schema}}
        if self._logprobs:
            extra["logprobs"] = True
        hooks = Hooks()

        raw: list[str] = []
        tokens: list[list[Token] | None] = [None]

        def on_response(response: Any) -> None:
            stats.calls += 1
            answer = _answer_text(response)
            if answer is not None:
                raw[:] = [answer]
            tokens[0] = _logprobs(response)
            usage = getattr(response, "usage", None)
            if usage is not None:
                stats.prompt_tokens += _tokens(getattr(usage, "prompt_tokens", 0))
                stats.completion_tokens += _tokens(getattr(usage, "completion_tokens", 0))
            stats.cached_prompt_tokens += _cached(response, usage)

        def on_parse_error(*_: Any, **__: Any) -> None:
            stats.retries += 1

        hooks.on(HookName.COMPLETION_RESPONSE, on_response)
        hooks.on(HookName.PARSE_ERROR, on_parse_error)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._deadline):
                value = await self._client.create(
                    model=self.model,
                    response_model=response_model,
                    messages=messages,  # type: ignore[arg-type]
                    context=context,
                    max_retries=self._max_retries,
                    hooks=hooks,
                    max_tokens=self._max_tokens,
                    temperature=self._temperature,
                    **extra,
                )
            return Outcome(value=value, stats=stats, raw=raw[-1] if raw else None, tokens=tokens[0])
        except TimeoutError as exc:
            raise self._past_deadline() from exc
        except InstructorRetryException as exc:
            cause = exc.__cause__
            if isinstance(cause, openai.APIError):
                raise _unavailable(cause) from exc
            # The last failed answer is not a re-ask: count re-asks, not failures.
            stats.retries = max(stats.retries - 1, 0)
            raw_answer = _arguments_of(exc.last_completion)
            if raw_answer is None:
                raise LLMOutputError(_unusable(exc)) from exc
            value, dropped = salvage(raw_answer)
            return Outcome(value=value, stats=stats, dropped=dropped)
        except IncompleteOutputException as exc:
            raise LLMOutputError(
                f"model output was cut at max_tokens={self._max_tokens}; raise "
                "CONFLICT_LLM_MAX_TOKENS"
            ) from exc
        except openai.APIError as exc:
            raise _unavailable(exc) from exc
        finally:
            stats.seconds = time.perf_counter() - started
            observe_llm_call(self.model, stats.seconds)

    def _past_deadline(self) -> LLMUnavailableError:
        return LLMUnavailableError(
            f"LLM endpoint gave no complete answer within {self._deadline:g} s "
            "(CONFLICT_LLM_DEADLINE_S)"
        )

    async def choose(self, messages: list[dict[str, str]], labels: list[str]) -> Outcome[Choice]:
        """Ask a question answered with one of ``labels`` (which start with different letters):
        one forward pass over the prompt and one answer token. With log-probabilities an
        option's probability is that of the first tokens that start its label, and the most
        probable option is chosen; without them, the option whose label the answer starts."""
        initials = [label[:1].lower() for label in labels]
        if not labels or "" in initials or len(set(initials)) != len(initials):
            raise ValueError(f"labels must be non-empty and start differently: {labels}")
        stats = CallStats(calls=1)
        extra: dict[str, Any] = {}
        if self._logprobs:
            extra = {"logprobs": True, "top_logprobs": MAX_TOP_LOGPROBS}
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._deadline):
                response = await self._openai.chat.completions.create(
                    model=self.model,
                    messages=messages,  # type: ignore[arg-type]
                    max_tokens=1,
                    temperature=0,
                    **extra,
                )
        except TimeoutError as exc:
            raise self._past_deadline() from exc
        except openai.APIError as exc:
            raise _unavailable(exc) from exc
        finally:
            stats.seconds = time.perf_counter() - started
            observe_llm_call(self.model, stats.seconds)
        usage = getattr(response, "usage", None)
        if usage is not None:
            stats.prompt_tokens = _tokens(getattr(usage, "prompt_tokens", 0))
            stats.completion_tokens = _tokens(getattr(usage, "completion_tokens", 0))
        stats.cached_prompt_tokens = _cached(response, usage)
        probabilities = _option_probabilities(response, labels)
        if probabilities is not None:
            best = max(range(len(labels)), key=lambda i: probabilities[i])
            return Outcome(value=Choice(best, probabilities), stats=stats)
        text = _answer_text(response) or ""
        index = _started(text, labels)
        if index is None:
            stats.unusable = 1
        return Outcome(value=Choice(index), stats=stats, raw=text or None)


def _started(token: str, labels: list[str]) -> int | None:
    """The option whose label ``token`` starts (case and surrounding space aside), if one."""
    token = token.strip().lower()
    if not token:
        return None
    found = [i for i, label in enumerate(labels) if label.lower().startswith(token)]
    return found[0] if len(found) == 1 else None


def _option_probabilities(response: Any, labels: list[str]) -> tuple[float, ...] | None:
    """Each option's probability as the answer's first token (the alternatives that start its
    label), normalised over the options; None when the endpoint sent no alternatives or none
    of them starts a label."""
    try:
        alternatives = response.choices[0].logprobs.content[0].top_logprobs
    except (AttributeError, IndexError, TypeError):
        return None
    mass = [0.0] * len(labels)
    for item in alternatives or []:
        text, logprob = getattr(item, "token", None), getattr(item, "logprob", None)
        if not isinstance(text, str) or not isinstance(logprob, int | float):
            continue
        index = _started(text, labels)
        if index is not None and not math.isnan(logprob):
            mass[index] += math.exp(min(float(logprob), 0.0))
    total = sum(mass)
    if total <= 0.0:
        return None
    return tuple(m / total for m in mass)


def _tokens(value: Any) -> int:
    """A token count as the endpoint reported it, bounded: it is stored in an integer column."""
    try:
        return min(max(int(value or 0), 0), MAX_TOKENS_PER_CALL)
    except (TypeError, ValueError, OverflowError):
        return 0


def _cached(response: Any, usage: Any) -> int:
    """Prompt tokens served from the server's cache: llama-server's ``timings.cache_n``, or
    OpenAI's ``usage.prompt_tokens_details.cached_tokens``; 0 where neither is given."""
    timings = getattr(response, "timings", None)
    if isinstance(timings, dict) and "cache_n" in timings:
        return _tokens(timings.get("cache_n"))
    details = getattr(usage, "prompt_tokens_details", None) if usage is not None else None
    return _tokens(getattr(details, "cached_tokens", 0)) if details is not None else 0


def _logprobs(response: Any) -> list[Token] | None:
    """The answer's tokens with their log-probabilities; None when the endpoint sent none."""
    try:
        content = response.choices[0].logprobs.content
    except (AttributeError, IndexError, TypeError):
        return None
    if not content:
        return None
    found = []
    for item in content:
        text, logprob = getattr(item, "token", None), getattr(item, "logprob", None)
        if not isinstance(text, str) or not isinstance(logprob, int | float):
            return None
        if math.isnan(logprob):
            return None
        found.append(Token(text, min(float(logprob), 0.0)))
    return found


def _unavailable(exc: openai.APIError) -> LLMUnavailableError:
    # The upstream body is not kept: it may be long, and it is not ours to publish.
    status = getattr(exc, "status_code", None)
    where = f"HTTP {status}" if status else type(exc).__name__
    return LLMUnavailableError(f"LLM endpoint failed ({where})")


def _unusable(exc: InstructorRetryException) -> str:
    """A short reason for an answer nothing could be made of (the answer itself is not kept)."""
    completion = exc.last_completion
    if isinstance(completion, str) or "Expecting value" in str(exc):
        return "unusable answer: the endpoint returned non-JSON (HTML or text)"
    if getattr(completion, "choices", None) == []:
        return "unusable answer: the endpoint returned no choices"
    if not _answer_texts(completion):
        return "unusable answer: the endpoint returned an empty message"
    return "unusable answer: model output could not be parsed"


def _answer_texts(completion: Any) -> list[str]:
    """What the model wrote: its tool calls' arguments, then the message content."""
    try:
        message = completion.choices[0].message
    except (AttributeError, IndexError, TypeError):
        return []
    texts = [str(call.function.arguments) for call in getattr(message, "tool_calls", None) or []]
    content = getattr(message, "content", None)
    if isinstance(content, str) and content:
        texts.append(content)
    return texts


def _answer_text(completion: Any) -> str | None:
    texts = _answer_texts(completion)
    return texts[0] if texts else None


def _arguments_of(completion: Any) -> dict[str, Any] | None:
    """The JSON object a failed completion carried, from a tool call or the message content."""
    for candidate in _answer_texts(completion):
        try:
            value = json.loads(candidate)
        except (json.JSONDecodeError, TypeError, ValidationError):
            continue
        if isinstance(value, dict):
            return value
    return None
