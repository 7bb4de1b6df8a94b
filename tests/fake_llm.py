"""A fake OpenAI-compatible endpoint, served through ``httpx.MockTransport``.

Answers each chat completion from a script: a function of the sentence under analysis (parsed
from the last message) and of the attempt number for that sentence (re-asks count up).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

Answer = dict[str, Any]
Script = Callable[[str, int], Answer]

_SENTENCE = re.compile(r"Sentence \[(\d+)\]: (.*)\n")
EMPTY: Answer = {"source": None, "events": [], "figures": [], "actors": []}


@dataclass
class FakeLLM:
    script: Script = field(default=lambda sentence, attempt: EMPTY)
    down: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)

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
        asked = [
            m for m in body["messages"] if m["role"] == "user" and "Sentence [" in m["content"]
        ]
        match = _SENTENCE.search(asked[-1]["content"]) if asked else None
        sentence = match.group(2) if match else ""
        attempt = self.attempts[sentence]
        self.attempts[sentence] += 1
        answer = json.dumps(self.script(sentence, attempt))
        message: dict[str, Any] = {"role": "assistant", "content": None}
        if body.get("tools"):
            name = body["tools"][0]["function"]["name"]
            message["tool_calls"] = [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": name, "arguments": answer},
                }
            ]
        else:
            message["content"] = answer
        return httpx.Response(
            200,
            json={
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "fake"),
                "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
            },
        )


def facts(
    *,
    source: str | None = None,
    actors: list[tuple[str, str]] = (),  # type: ignore[assignment]
    events: list[Answer] = (),  # type: ignore[assignment]
    figures: list[Answer] = (),  # type: ignore[assignment]
) -> Answer:
    return {
        "source": source,
        "events": list(events),
        "figures": list(figures),
        "actors": [{"name": n, "type": t} for n, t in actors],
    }


def event(
    summary: str,
    type_: str,
    by: list[tuple[str, str]] | None = None,
    against: list[tuple[str, str]] | None = None,
    location: str | None = None,
    status: str = "happened",
) -> Answer:
    return {
        "summary": summary,
        "status": status,
        "type": type_,
        "by": [{"name": n, "type": t} for n, t in by or []],
        "against": [{"name": n, "type": t} for n, t in against or []],
        "location": location,
    }


def figure(text: str, category: str, event: int | None = None) -> Answer:
    return {"text": text, "category": category, "event": event}
