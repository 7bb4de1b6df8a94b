"""Versioned prompt files (``prompts/<task>.v<N>.yaml``) rendered by code.

Message order puts what never changes first (system), then what is constant for an article,
then the sentence: consecutive calls share the longest possible prompt prefix, which
llama.cpp and hosted endpoints reuse instead of recomputing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template

import yaml

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"


def _listed(items: list[str]) -> str:
    return " ".join(f'({n}) "{item}"' for n, item in enumerate(items, start=1)) or "none"


@dataclass(frozen=True, slots=True)
class ExtractionPrompt:
    name: str
    version: int
    system: str
    article: Template
    sentence: Template
    # "labels" (v1): actors are {name, type} picks; "numbers" (v2): bare name numbers, with
    # the ``actor`` question asked for each actor that code cannot type; "rows" (v4): bare
    # numbers, each event a row with a short type label, and the ``actor`` question asked as a
    # follow-up of the sentence's own conversation.
    answer: str = "labels"
    actor: Template | None = None
    # 1: sentences and candidates from patterns (sentences.py, mentions.py), records as the
    # model labels them. 2 (extract.v5): sentences and candidates from spaCy (nlp.py), no
    # headline or dateline questions, figure categories from the words next to the number
    # where they decide it, one event per occurrence.
    pipeline: int = 1

    @property
    def id(self) -> str:
        return f"{self.name}.v{self.version}"

    def _article(self, title: str | None, published: dt.date | None) -> str:
        return self.article.substitute(
            title=title or "(none)",
            published=published.isoformat() if published else "unknown",
        ).strip()

    def sentence_messages(
        self,
        sentence: str,
        names: list[str],
        places: list[str],
        counts: list[str],
        title: str | None,
        published: dt.date | None,
    ) -> list[dict[str, str]]:
        ask = self.sentence.substitute(
            sentence=sentence,
            names=_listed(names),
            places=_listed(places),
            counts=_listed(counts),
        )
        return [
            {"role": "system", "content": self.system.strip()},
            {"role": "user", "content": self._article(title, published)},
            {"role": "user", "content": ask.strip()},
        ]

    def actor_messages(
        self, sentence: str, name: str, title: str | None, published: dt.date | None
    ) -> list[dict[str, str]]:
        if self.actor is None:
            raise ValueError(f"prompt {self.id} has no actor question")
        ask = self.actor.substitute(sentence=sentence, name=name)
        return [
            {"role": "system", "content": self.system.strip()},
            {"role": "user", "content": self._article(title, published)},
            {"role": "user", "content": ask.strip()},
        ]

    def actor_followup(
        self, conversation: list[dict[str, str]], answer: str, name: str
    ) -> list[dict[str, str]]:
        """The actor question as the next turn after a sentence's answer: the server has the
        whole conversation cached, so only the question itself is new prompt text."""
        if self.actor is None:
            raise ValueError(f"prompt {self.id} has no actor question")
        ask = self.actor.substitute(name=name)
        return [
            *conversation,
            {"role": "assistant", "content": answer},
            {"role": "user", "content": ask.strip()},
        ]


class PromptNotFoundError(LookupError):
    pass


@cache
def load_prompt(prompt_id: str, directory: Path = PROMPTS_DIR) -> ExtractionPrompt:
    """Load ``<name>.v<N>`` from ``directory``; raise PromptNotFoundError naming what exists."""
    path = directory / f"{prompt_id}.yaml"
    if not path.is_file():
        available = sorted(p.stem for p in directory.glob("*.v*.yaml"))
        raise PromptNotFoundError(f"no prompt {prompt_id!r} in {directory}; have {available}")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    prompt = ExtractionPrompt(
        name=str(data["name"]),
        version=int(data["version"]),
        system=str(data["system"]),
        article=Template(str(data["article"])),
        sentence=Template(str(data["sentence"])),
        answer=str(data.get("answer", "labels")),
        actor=Template(str(data["actor"])) if "actor" in data else None,
        pipeline=int(data.get("pipeline", 1)),
    )
    if prompt.id != prompt_id:
        raise PromptNotFoundError(f"{path} declares {prompt.id!r}, not {prompt_id!r}")
    return prompt
