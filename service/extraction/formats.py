"""The answer formats a prompt can ask for: what the model writes for one sentence, the
grammar that holds it to the numbered candidates, how a failed answer is salvaged, and how an
actor's type is asked when code cannot tell it.

- ``labels`` (extract.v1): actors are ``{name, type}`` picks in the answer itself.
- ``numbers`` (extract.v2, v3): bare name numbers; code types what its rules know and asks one
  short question per other actor.
- ``rows`` (extract.v4, v5): bare numbers, each event a row ``[status, type, by, against,
  location]`` with a short type label; the actor question is asked as a follow-up turn of the
  sentence's own conversation (a prefix the server has cached).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from service.extraction.drafts import (
    SentenceAnswer,
    SentenceLabels,
    answer_schema,
    salvage_answer,
    salvage_labels,
)

Answer = SentenceLabels | SentenceAnswer


class AnswerFormat(ABC):
    name: ClassVar[str]
    response_model: ClassVar[type[SentenceLabels] | type[SentenceAnswer]]
    # Code asks the type of actors the answer leaves untyped (after the sentences).
    asks_actor_types: ClassVar[bool] = False
    # ... as the next turn of the sentence's conversation, right after its answer.
    follows_up: ClassVar[bool] = False

    @abstractmethod
    def schema(self, names: int, places: int, counts: int) -> dict[str, Any] | None:
        """The decoding grammar for a sentence with this many candidates; None: the response
        model's own schema."""

    @abstractmethod
    def salvage(self, raw: dict[str, Any], context: dict[str, Any]) -> tuple[Answer, list[str]]:
        """The parts of a failed answer that validate on their own, and what was dropped."""

    def empty(self) -> Answer:
        return self.response_model()


class Labels(AnswerFormat):
    name = "labels"
    response_model = SentenceLabels

    def schema(self, names: int, places: int, counts: int) -> dict[str, Any] | None:
        return None

    def salvage(self, raw: dict[str, Any], context: dict[str, Any]) -> tuple[Answer, list[str]]:
        return salvage_labels(raw, context)


class Numbers(AnswerFormat):
    name = "numbers"
    response_model = SentenceAnswer
    asks_actor_types = True

    def schema(self, names: int, places: int, counts: int) -> dict[str, Any] | None:
        return answer_schema(names, places, counts)

    def salvage(self, raw: dict[str, Any], context: dict[str, Any]) -> tuple[Answer, list[str]]:
        return salvage_answer(raw, context)


class Rows(Numbers):
    name = "rows"
    follows_up = True

    def schema(self, names: int, places: int, counts: int) -> dict[str, Any] | None:
        return answer_schema(names, places, counts, rows=True)


FORMATS: dict[str, AnswerFormat] = {f.name: f for f in (Labels(), Numbers(), Rows())}
