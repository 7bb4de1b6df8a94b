"""Versioned prompt files (``prompts/<task>.v<N>.yaml``) rendered by code.

Message order puts what never changes first (system), then what is constant for an article,
then the sentence: consecutive calls share the longest possible prompt prefix, which
llama.cpp and hosted endpoints reuse instead of recomputing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from string import Template
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from service.extraction.formats import FORMATS, AnswerFormat
from service.extraction.taxonomy import EVENT_TYPE_OF, EventType, SubEventType

# The repository's prompts/; an installed wheel carries them as service/prompts (pyproject's
# force-include), since a prompt is data the code cannot run without.
_PACKAGED = Path(__file__).resolve().parents[1] / "prompts"
PROMPTS_DIR = _PACKAGED if _PACKAGED.is_dir() else Path(__file__).resolve().parents[2] / "prompts"


def _listed(items: list[str]) -> str:
    return " ".join(f'({n}) "{item}"' for n, item in enumerate(items, start=1)) or "none"


class TypingOption(BaseModel):
    """An option of the typing question: the words the model reads and answers with
    (``label``) and what they mean (``definition``)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    label: str = Field(min_length=1)
    definition: str = Field(min_length=1)


class TypingQuestion(BaseModel):
    """extract.v13's "definition_types": the sub-type of an event the words leave open is the
    model's choice among ACLED's definitions, answered with an option's label and read from the
    model's probability of each label's first token (one answer token).

    ``event_types`` (optional) makes it two questions: the event type first, then the
    sub-type among that type's. ``system`` holds ``$options`` (one line per option, "- label:
    definition") and ``$kind`` ("ACLED event type", "Riots sub-event type", "ACLED sub-event
    type"); ``question`` holds ``$sentence``. The labels of one question start with different
    letters, so that whatever the tokenizer, an answer's first token is the start of at most
    one label (a 1.5B model answers a label far better than an option letter)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    system: str = Field(min_length=1)
    question: str = Field(min_length=1)
    event_types: dict[str, TypingOption] | None = None
    sub_types: dict[str, TypingOption]

    @model_validator(mode="after")
    def _known_names_distinct_labels(self) -> TypingQuestion:
        for name in self.event_types or {}:
            EventType(name)
        for name in self.sub_types:
            SubEventType(name)
        questions = [self.options()]
        if self.event_types is not None:
            questions += [self.options(EventType(name)) for name in self.event_types]
        for options in questions:
            if not options:
                raise ValueError("a typing question without options")
            initials = [option.label[0].lower() for _, option in options]
            if len(set(initials)) != len(initials):
                labels = [option.label for _, option in options]
                raise ValueError(f"labels of one question must start differently: {labels}")
        return self

    def options(self, event_type: EventType | None = None) -> list[tuple[str, TypingOption]]:
        """(name, option) in file order: the event types (``event_type`` None and event
        types defined), else the sub-types (of ``event_type`` when given)."""
        if event_type is None and self.event_types is not None:
            return list(self.event_types.items())
        return [
            (name, option)
            for name, option in self.sub_types.items()
            if event_type is None or EVENT_TYPE_OF[SubEventType(name)] is event_type
        ]

    def messages(self, sentence: str, event_type: EventType | None = None) -> list[dict[str, str]]:
        """The question over ``options(event_type)``: definitions first (the same for every
        sentence, so the server keeps them cached), the sentence last."""
        lines = "\n".join(
            f"- {option.label}: {option.definition}" for _, option in self.options(event_type)
        )
        if event_type is not None:
            kind = f"{event_type.value} sub-event type"
        elif self.event_types is not None:
            kind = "ACLED event type"
        else:
            kind = "ACLED sub-event type"
        system = Template(self.system).substitute(options=lines, kind=kind)
        question = Template(self.question).substitute(sentence=sentence)
        return [
            {"role": "system", "content": system.strip()},
            {"role": "user", "content": question.strip()},
        ]

    def labels(self, event_type: EventType | None = None) -> list[str]:
        return [option.label for _, option in self.options(event_type)]


@dataclass(frozen=True, slots=True)
class ExtractionPrompt:
    name: str
    version: int
    system: str
    article: Template
    sentence: Template
    answer: AnswerFormat = field(default_factory=lambda: FORMATS["labels"])
    actor: Template | None = None
    # 1: sentences and candidates from patterns (sentences.py, mentions.py), records as the
    # model labels them. 2 (extract.v5): sentences and candidates from spaCy (nlp.py), no
    # headline or dateline questions, figure categories from the words next to the number
    # where they decide it, one event per occurrence.
    pipeline: int = 1
    # Rules on the model's answer, by name (extract.v6): "quoted_statements" (a quotation whose
    # frame reports nothing happening is a statement, not an event), "one_event_per_sentence"
    # (a sentence's rows for one place are one event), "subtype_rules" (the sub-type where the
    # words decide it, service/extraction/subtypes.py); extract.v7 adds "detail_sentences" (a
    # sentence adding detail to the event just told is that event); extract.v8 adds
    # "places_are_places" (an event's location is a place: service/extraction/places.py).
    # extract.v9 adds "model_addressed" (a line that addresses the model, a prompt injection,
    # is not asked about: rules.addresses_model). extract.v10 adds "sides_are_actors" (an
    # event's sides are actors taking part in it: service/extraction/sides.py). extract.v11
    # adds "rule_sentences" (every sentence a sub-type rule would type is asked about; one
    # saying only that nobody was harmed is not: questions.py),
    # "territory_sides" (a place taken in a battle: its taker's actor type says whether the
    # government regained it or a non-state actor overtook it: subtypes.territory_by_taker) and
    # "rules_over_clash" (the model's Battles label does not stop a remote-violence or
    # territory rule: subtypes.rule_over_battles). extract.v14 adds "words_over_model" (the
    # model's answer does not stop a rule whose words exclude it; civilians killed with no
    # engagement are an Attack: subtypes.rule_over_proposal) and "protest_outcomes" (what the
    # next sentences tell of a peaceful protest types it: subtypes.protest_outcome).
    # extract.v15 adds rules for rows a data team would keep (nonevents.py, nonactors.py):
    # "unreal_events", "calls_for_protest", "earlier_periods", "present_states" (no event),
    # "any_definite", "placeless_details", "informative_evidence", "site_chrome" (one event per
    # occurrence, told by its most informative report), "actors_are_organisations" and
    # "generic_sides" (no person, place, victims or unnamed forces as an actor). extract.v16
    # adds rules for an event's arguments (arguments.py): "reporters_not_sides",
    # "named_perpetrators", "place_shapes", "every_event_placed", "civilians_in_figures",
    # "active_subjects", "datelines_not_sides", "glued_names".
    rules: frozenset[str] = frozenset()
    typing: TypingQuestion | None = None

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


class PromptFile(BaseModel):
    """What a prompt file may hold: a misspelt or unknown key is an error, not a default."""

    model_config = ConfigDict(extra="forbid", strict=True)
    name: str = Field(min_length=1)
    version: int = Field(ge=1)
    description: str = ""
    system: str = Field(min_length=1)
    article: str
    sentence: str
    answer: Literal["labels", "numbers", "rows"] = "labels"
    actor: str | None = None
    pipeline: Literal[1, 2] = 1
    rules: list[
        Literal[
            "quoted_statements",
            "one_event_per_sentence",
            "subtype_rules",
            "detail_sentences",
            "places_are_places",
            "model_addressed",
            "sides_are_actors",
            "most_specific_place",
            "article_aliases",
            "rule_sentences",
            "territory_sides",
            "rules_over_clash",
            "teaser_lines",
            "headline_restates",
            "names_are_names",
            "background_totals",
            "reactions",
            "definite_reports",
            "bare_details",
            "definition_types",
            "words_over_model",
            "protest_outcomes",
            "unreal_events",
            "calls_for_protest",
            "earlier_periods",
            "any_definite",
            "site_chrome",
            "actors_are_organisations",
            "placeless_details",
            "informative_evidence",
            "present_states",
            "generic_sides",
            "reporters_not_sides",
            "named_perpetrators",
            "place_shapes",
            "every_event_placed",
            "civilians_in_figures",
            "active_subjects",
            "datelines_not_sides",
            "glued_names",
        ]
    ] = []
    typing: TypingQuestion | None = None

    @model_validator(mode="after")
    def _typing_with_its_rule(self) -> PromptFile:
        if ("definition_types" in self.rules) != (self.typing is not None):
            raise ValueError("the rule definition_types and a typing: section go together")
        return self


@cache
def load_prompt(prompt_id: str, directory: Path = PROMPTS_DIR) -> ExtractionPrompt:
    """Load ``<name>.v<N>`` from ``directory``; raise PromptNotFoundError naming what exists."""
    path = directory / f"{prompt_id}.yaml"
    if not path.is_file():
        available = sorted(p.stem for p in directory.glob("*.v*.yaml"))
        raise PromptNotFoundError(f"no prompt {prompt_id!r} in {directory}; have {available}")
    try:
        data = PromptFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (ValidationError, yaml.YAMLError) as exc:
        raise PromptNotFoundError(f"{path} is not a valid prompt file: {exc}") from exc
    prompt = ExtractionPrompt(
        name=data.name,
        version=data.version,
        system=data.system,
        article=Template(data.article),
        sentence=Template(data.sentence),
        answer=FORMATS[data.answer],
        actor=Template(data.actor) if data.actor is not None else None,
        pipeline=data.pipeline,
        rules=frozenset(data.rules),
        typing=data.typing,
    )
    if prompt.id != prompt_id:
        raise PromptNotFoundError(f"{path} declares {prompt.id!r}, not {prompt_id!r}")
    return prompt
