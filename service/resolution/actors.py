"""Conservative actor resolution: one canonical actor per real actor, across articles.

A mention joins a canonical actor when, in this order:
1. its normalised name is a form of an entry of the curated alias table (aliases.v1.yaml);
2. it is a generic reference ("the monitor", "the group") and an earlier mention of the same
   article names an actor it can refer to (same type family);
3. its normalised name equals one already seen;
4. it is a near-identical spelling (rapidfuzz, high cutoff) of a multi-word name already seen,
   and the pair is not declared distinct.
Anything else starts a new actor. Merging is conservative: a wrong split costs a duplicate row,
a wrong merge corrupts every row that uses it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from rapidfuzz import fuzz

ALIASES_FILE = Path(__file__).with_name("aliases.v1.yaml")
FUZZY_CUTOFF = 92.0

_TRANSLITERATIONS = (
    (re.compile(r"\bjaysh\b"), "jaish"),
    (re.compile(r"\bjeish\b"), "jaish"),
    (re.compile(r"\bqaida\b"), "qaeda"),
    (re.compile(r"\bal[\s-]+"), "al-"),
)
_LEADING = re.compile(r"^(?:the|a|an)\s+")
_BASED = re.compile(r"^[\w-]+-based\s+")
_TRAILING_KIND = re.compile(
    r"\s+(?:rebels|terrorists|militants|fighters|faction|group|members|islamist(?: faction)?)$"
)
_GENERIC_REFERENCES = {
    "group": "rebel group",
    "faction": "rebel group",
    "rebel group": "rebel group",
    "monitor": "monitor/media",
    "war monitor": "monitor/media",
    "observatory": "monitor/media",
    "agency": "monitor/media",
    "news agency": "monitor/media",
}


def normalise(name: str) -> str:
    """Case-, accent-, article- and transliteration-insensitive key of an actor name."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-").casefold()
    text = re.sub(r"[^\w\s'-]", " ", text)
    text = " ".join(text.split())
    text = _LEADING.sub("", text)
    for pattern, replacement in _TRANSLITERATIONS:
        text = pattern.sub(replacement, text)
    return text


def _core(key: str) -> str:
    """The name without a leading '<place>-based' or a trailing kind word ('... rebels')."""
    core = _BASED.sub("", key)
    stripped = _TRAILING_KIND.sub("", core)
    return stripped if stripped else core


@dataclass(frozen=True, slots=True)
class AliasEntry:
    name: str
    actor_type: str
    forms: frozenset[str]


@dataclass(frozen=True, slots=True)
class AliasTable:
    entries: tuple[AliasEntry, ...]
    distinct: frozenset[frozenset[str]]

    @classmethod
    def load(cls, path: Path = ALIASES_FILE) -> AliasTable:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        entries = tuple(
            AliasEntry(
                name=item["name"],
                actor_type=item["type"],
                forms=frozenset(normalise(f) for f in [item["name"], *item.get("aliases", [])]),
            )
            for item in data["actors"]
        )
        distinct = frozenset(
            frozenset(normalise(name) for name in pair) for pair in data.get("distinct", [])
        )
        return cls(entries, distinct)

    def entry_for(self, key: str) -> AliasEntry | None:
        for candidate in (key, _core(key)):
            for entry in self.entries:
                if candidate in entry.forms:
                    return entry
        return None

    def never_merge(self, a: str, b: str) -> bool:
        return frozenset((a, b)) in self.distinct


@cache
def default_table() -> AliasTable:
    return AliasTable.load()


@dataclass(frozen=True, slots=True)
class Mention:
    """An actor as one article names it; ``position`` orders mentions within the article."""

    id: int
    article_id: int
    name: str
    actor_type: str
    position: int = 0


@dataclass(slots=True)
class CanonicalActor:
    name: str
    actor_type: str
    aliases: set[str] = field(default_factory=set)
    mention_ids: list[int] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    curated: bool = False


class ActorResolver:
    def __init__(self, table: AliasTable | None = None) -> None:
        self.table = table or default_table()

    def resolve(self, mentions: Iterable[Mention]) -> list[CanonicalActor]:
        actors: list[CanonicalActor] = []
        by_key: dict[str, CanonicalActor] = {}
        by_entry: dict[str, CanonicalActor] = {}
        recent: dict[int, list[CanonicalActor]] = {}

        def attach(actor: CanonicalActor, mention: Mention, key: str) -> None:
            actor.aliases.add(mention.name)
            actor.mention_ids.append(mention.id)
            actor.keys.add(key)
            by_key.setdefault(key, actor)
            recent.setdefault(mention.article_id, []).append(actor)

        ordered = sorted(mentions, key=lambda m: (m.article_id, m.position, m.id))
        for mention in ordered:
            key = normalise(mention.name)
            entry = self.table.entry_for(key)
            if entry is not None:
                actor = by_entry.get(entry.name)
                if actor is None:
                    actor = CanonicalActor(entry.name, entry.actor_type, curated=True)
                    by_entry[entry.name] = actor
                    actors.append(actor)
                attach(actor, mention, key)
                continue
            referent = self._referent(key, recent.get(mention.article_id, []))
            if referent is not None:
                attach(referent, mention, key)
                continue
            actor = by_key.get(key) or by_key.get(_core(key)) or self._near(key, actors)
            if actor is None:
                actor = CanonicalActor(mention.name, mention.actor_type)
                actors.append(actor)
            attach(actor, mention, key)
        return actors

    def _referent(self, key: str, earlier: list[CanonicalActor]) -> CanonicalActor | None:
        """The actor a generic reference ('the monitor') points back to in its article."""
        family = _GENERIC_REFERENCES.get(key)
        if family is None:
            return None
        for actor in reversed(earlier):
            if actor.actor_type == family and actor.name.casefold() != key:
                return actor
        return None

    def _near(self, key: str, actors: list[CanonicalActor]) -> CanonicalActor | None:
        if len(key.split()) < 2:
            return None
        best: tuple[float, CanonicalActor] | None = None
        for actor in actors:
            for other in actor.keys:
                if len(other.split()) < 2 or self.table.never_merge(key, other):
                    continue
                score = fuzz.ratio(key, other)
                if score >= FUZZY_CUTOFF and (best is None or score > best[0]):
                    best = (score, actor)
        return best[1] if best else None
