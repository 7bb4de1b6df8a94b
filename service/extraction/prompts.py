"""Versioned prompt files (``prompts/<task>.v<N>.yaml``) rendered by code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template

import yaml

from service.extraction.sentences import Sentence

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"


@dataclass(frozen=True, slots=True)
class ExtractionPrompt:
    name: str
    version: int
    system: str
    article: Template
    sentence: Template

    @property
    def id(self) -> str:
        return f"{self.name}.v{self.version}"

    def messages_for(
        self,
        sentences: list[Sentence],
        target: Sentence,
        title: str | None,
        published: dt.date | None,
    ) -> list[dict[str, str]]:
        """System and article first (shared by every call of the article), the target last."""
        article = self.article.substitute(
            title_line=f" title: {title}" if title else "",
            published_line=f" (published {published.isoformat()})" if published else "",
            numbered_sentences="\n".join(f"[{s.index}] {s.text}" for s in sentences),
        )
        ask = self.sentence.substitute(index=target.index, sentence=target.text)
        return [
            {"role": "system", "content": self.system.strip()},
            {"role": "user", "content": article.strip()},
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
    )
    if prompt.id != prompt_id:
        raise PromptNotFoundError(f"{path} declares {prompt.id!r}, not {prompt_id!r}")
    return prompt
