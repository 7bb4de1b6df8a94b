"""A fake OpenAI-compatible endpoint, served through ``httpx.MockTransport``.

Scripts answer in names ("by": [("Jaysh al-Islam", "rebel group")], "location": "Douma"); the
fake turns them into the numbers of the lists in the prompt, as a model would. A name that is
not listed becomes number 99, which the service must reject. It answers the schema asked for:
extract.v1's ``SentenceLabels`` ({name, type} picks), extract.v2's ``SentenceAnswer`` (bare
numbers), extract.v4's rows (``[status, short type, by, against, location]``) and
``ActorTypeAnswer`` (the type the script gave that name, else "other"), whether asked alone
(v2) or as the follow-up turn of a sentence's conversation (v4).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from service.extraction.prompts import load_prompt
from service.extraction.taxonomy import EVENT_TYPE_OF, SUB_EVENT_LABELS, SubEventType

Answer = dict[str, Any]
Script = Callable[[str, int], Answer]

_LINE = re.compile(r"^(Sentence|Names|Places|Counts): (.*)$", re.MULTILINE)
_ACTOR = re.compile(r'^Actor type of "(.*)"\?$', re.MULTILINE)
_ITEM = re.compile(r'\((\d+)\) "([^"]*)"')
_OPTION = re.compile(r"^- ([^:]+):", re.MULTILINE)
UNLISTED = 99


class OutputCut(Exception):
    """Raised by a script: the fake answers as a model stopped by max_tokens."""


def facts(
    *,
    source: str | None = None,
    events: list[Answer] | None = None,
    figures: list[str] | None = None,
) -> Answer:
    return {"source": source, "events": events or [], "figures": figures or []}


def event(
    type_: str,
    by: list[tuple[str, str]] | None = None,
    against: list[tuple[str, str]] | None = None,
    location: str | None = None,
    status: str = "happened",
) -> Answer:
    return {
        "status": status,
        "type": type_,
        "by": by or [],
        "against": against or [],
        "location": location,
    }


def _number(items: list[str], name: str | None) -> int | None:
    if name is None:
        return None
    return items.index(name) + 1 if name in items else UNLISTED


def _as_numbers(
    answer: Answer, names: list[str], places: list[str], typed: bool = True, rows: bool = False
) -> Answer:
    def picks(items: list[tuple[str, str]]) -> list[Any]:
        if typed:
            return [{"name": _number(names, n), "type": t} for n, t in items]
        return [_number(names, n) for n, _ in items]

    events = [
        {
            **e,
            "by": picks(e["by"]),
            "against": picks(e["against"]),
            "location": _number(places, e["location"]),
        }
        for e in answer["events"]
    ]
    return {
        "source": _number(names, answer["source"]),
        "events": [_row(e) for e in events] if rows else events,
        "figures": answer["figures"],
    }


_SHORT = {full.value: short for short, full in SUB_EVENT_LABELS.items()}


def _row(event: Answer) -> list[Any]:
    """extract.v4's row: [status, short type label, by, against, location]."""
    short = _SHORT[event["type"]]
    return [event["status"], short, event["by"], event["against"], event["location"]]


def _asked_for(body: dict[str, Any]) -> str:
    """The response model's name: the tool's, or the title of the (grammar) schema."""
    if body.get("tools"):
        return str(body["tools"][0]["function"]["name"])
    response_format = body.get("response_format") or {}
    schema = response_format.get("schema") or response_format.get("json_schema", {}).get(
        "schema", {}
    )
    properties = schema.get("properties", {})
    if set(properties) == {"type"}:
        return "ActorTypeAnswer"
    if "prefixItems" in properties.get("events", {}).get("items", {}):
        return "SentenceRows"
    return "SentenceLabels" if "ActorPick" in schema.get("$defs", {}) else "SentenceAnswer"


@dataclass
class FakeLLM:
    script: Script = field(default=lambda sentence, attempt: facts())
    down: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)
    types: dict[str, str] = field(default_factory=dict)  # actor types the scripts gave
    token_logprob: float = -0.01
    cache_n: int = 60
    # extract.v13's typing question (one answer token): the sub-type to choose (or a raw
    # answer token), by sentence; else the scripted event's type (content-free input: its
    # script's). ``top_logprobs`` False: the
    # endpoint sends no alternatives.
    typing: dict[str, str] = field(default_factory=dict)
    top_logprobs: bool = True

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path.endswith("/models"):
            return httpx.Response(200, json={"object": "list", "data": [{"id": "fake"}]})
        if not request.url.path.endswith("/chat/completions"):
            return httpx.Response(404, json={"error": {"message": "not found"}})
        body = json.loads(request.content)
        self.requests.append(body)
        asked = next(
            m["content"] for m in reversed(body["messages"]) if "Sentence: " in str(m["content"])
        )
        lines = {key: value for key, value in _LINE.findall(asked)}
        sentence = lines["Sentence"]
        if body.get("max_tokens") == 1:
            return self._choose(body, sentence)
        model = _asked_for(body)
        finish_reason = "stop"
        if model == "ActorTypeAnswer":
            # extract.v4 asks it as a follow-up turn: the question is the last message
            name = _ACTOR.findall(str(body["messages"][-1]["content"]))[0]
            answer = json.dumps({"type": self.types.get(name, "other")})
            return self._respond(body, model, answer, finish_reason)
        names = [text for _, text in _ITEM.findall(lines["Names"])]
        places = [text for _, text in _ITEM.findall(lines["Places"])]
        attempt = self.attempts[sentence]
        self.attempts[sentence] += 1
        try:
            scripted = self.script(sentence, attempt)
            for e in scripted["events"]:
                self.types.update(dict(e["by"]) | dict(e["against"]))
            typed, rows = model == "SentenceLabels", model == "SentenceRows"
            answer = json.dumps(_as_numbers(scripted, names, places, typed, rows))
        except OutputCut:
            answer, finish_reason = '{"source": null, "events": [{"status": "happ', "length"
        return self._respond(body, model, answer, finish_reason)

    def _choose(self, body: dict[str, Any], sentence: str) -> httpx.Response:
        """The typing question: the first word of the option naming the sub-type to choose
        (or its event type); the other options' first words as much less likely alternatives."""
        typing = load_prompt("extract.v13").typing
        assert typing is not None
        labels = _OPTION.findall(str(body["messages"][0]["content"]))
        wanted = self.typing.get(sentence)
        if wanted is None:
            events = self.script(sentence, 0)["events"]
            wanted = events[0]["type"] if events else "Other"
        if wanted in SubEventType.__members__.values():
            named = {typing.sub_types[wanted].label}
            if typing.event_types is not None:
                named.add(typing.event_types[EVENT_TYPE_OF[SubEventType(wanted)].value].label)
            label = next((lb for lb in labels if lb in named), labels[0])
            answer = label.split()[0]
        else:
            answer = wanted  # a scripted raw answer token, e.g. "Zebra"
        choice: dict[str, Any] = {
            "index": 0,
            "finish_reason": "length",
            "message": {"role": "assistant", "content": answer},
        }
        if body.get("logprobs"):
            firsts = [lb.split()[0] for lb in labels]
            alternatives = [
                {"token": first, "logprob": -4.0, "bytes": None}
                for first in firsts
                if first != answer
            ]
            alternatives.insert(0, {"token": answer, "logprob": -0.05, "bytes": None})
            choice["logprobs"] = {
                "content": [
                    {
                        "token": answer,
                        "logprob": -0.05,
                        "bytes": None,
                        "top_logprobs": alternatives if self.top_logprobs else [],
                    }
                ]
            }
        usage = {"prompt_tokens": 100, "completion_tokens": 1, "total_tokens": 101}
        return _completion(body, choice, usage)

    def _respond(
        self, body: dict[str, Any], model: str, answer: str, finish_reason: str
    ) -> httpx.Response:
        message: dict[str, Any] = {"role": "assistant", "content": None}
        if body.get("tools"):
            call = {"name": model, "arguments": answer}
            message["tool_calls"] = [{"id": "call_1", "type": "function", "function": call}]
        else:
            message["content"] = answer
        choice: dict[str, Any] = {"index": 0, "finish_reason": finish_reason, "message": message}
        if body.get("logprobs") and message["content"]:
            # Three characters a token, each as likely as token_logprob says.
            text = message["content"]
            choice["logprobs"] = {
                "content": [
                    {"token": text[i : i + 3], "logprob": self.token_logprob, "bytes": None}
                    for i in range(0, len(text), 3)
                ]
            }
        usage = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
        # llama-server's extra: prompt tokens taken from its cache
        timings = {"cache_n": self.cache_n, "prompt_n": 100 - self.cache_n}
        return _completion(body, choice, usage, timings=timings)


def _completion(
    body: dict[str, Any], choice: dict[str, Any], usage: dict[str, int], **extra: Any
) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "fake"),
            "choices": [choice],
            "usage": usage,
            **extra,
        },
    )
