"""Conservative actor resolution: one canonical actor per real actor, across articles.

A mention joins a canonical actor when, in this order:
1. its normalised name is a form of an entry of the curated alias table (aliases.v2.yaml);
2. it is a generic reference ("the monitor", "the group", "regime forces") and an earlier
   mention of the same article names a curated actor it can refer to (same type family), or,
   with none earlier, the article names exactly one curated actor of that kind;
3. it is any other generic description ("rebels", "civilians", an unresolved "the group"): it
   stays an actor of its own article, since two articles' "rebels" need not be the same people;
4. its normalised name equals one already seen;
5. it is a near-identical spelling (rapidfuzz, high cutoff) of a multi-word name already seen,
   and the pair is not declared distinct.
Anything else starts a new actor. Merging is conservative: a wrong split costs a duplicate row,
a wrong merge corrupts every row that uses it.

Resolution is incremental: ``resolve`` takes the canonical actors known so far (with their
stored ids) and the new mentions, so ids stay stable as articles arrive.
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

ALIASES_FILE = Path(__file__).with_name("aliases.v2.yaml")
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
# A singular definite description points back to the last named actor of its kind.
_GENERIC_REFERENCES = {
    "group": "rebel group",
    "faction": "rebel group",
    "rebel group": "rebel group",
    "armed group": "rebel group",
    "monitor": "monitor/media",
    "war monitor": "monitor/media",
    "observatory": "monitor/media",
    "agency": "monitor/media",
    "news agency": "monitor/media",
    "army": "state forces",
    "military": "state forces",
    "government forces": "state forces",
    "regime forces": "state forces",
    "pro-government forces": "state forces",
    "government troops": "state forces",
    "troops": "state forces",
    "soldiers": "state forces",
}
# Descriptions of a kind of people, not of one actor: never merged across articles.
_GENERIC_KINDS = frozenset(
    {
        "rebels", "militants", "insurgents", "fighters", "gunmen", "jihadists", "terrorists",
        "opposition", "opposition fighters", "armed groups", "forces",
        "security forces", "police", "officials", "authorities", "civilians", "residents",
        "people", "protesters", "demonstrators", "activists", "witnesses", "sources",
        "children", "women", "men", "families", "locals", "villagers", "displaced",
        "state", "state media", "media", "units",
        # "the government" of a Syrian article is Syria's, but the one government it names may
        # be Russia's: never resolved
        "government", "regime",
        # a nationality alone names no one actor
        "syrian", "russian", "iranian", "turkish", "israeli", "palestinian", "iraqi",
        "lebanese", "american", "british", "french", "western", "kurdish", "arab", "syrian arab",
        "syrian state",
    }
)  # fmt: skip


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


class Method:
    """How a mention was linked to its canonical actor (kept with the link, for audit)."""

    ALIAS_TABLE = "alias table"
    COREFERENCE = "coreference"
    ARTICLE_GENERIC = "generic, this article only"
    SAME_NAME = "same name"
    FUZZY = "near-identical spelling"
    NEW = "new actor"


def is_generic(name: str) -> bool:
    key = normalise(name)
    return key in _GENERIC_REFERENCES or key in _GENERIC_KINDS


@dataclass(slots=True)
class ResolvedActor:
    name: str
    actor_type: str
    aliases: set[str] = field(default_factory=set)
    mention_ids: list[int] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    curated: bool = False
    id: int | None = None  # the stored id of an actor known before this resolution
    article_id: int | None = None  # set for a generic actor kept to one article
    methods: dict[int, str] = field(default_factory=dict)  # mention id -> Method

    @property
    def generic(self) -> bool:
        return self.article_id is not None


class ActorResolver:
    def __init__(self, table: AliasTable | None = None) -> None:
        self.table = table or default_table()

    def resolve(
        self, mentions: Iterable[Mention], known: Iterable[ResolvedActor] = ()
    ) -> list[ResolvedActor]:
        """Link each mention to a canonical actor: one of ``known`` (updated in place) or a new
        one. Returns known and new actors, known first."""
        actors: list[ResolvedActor] = list(known)
        by_key: dict[str, ResolvedActor] = {}
        by_entry: dict[str, ResolvedActor] = {}
        generic: dict[tuple[int, str], ResolvedActor] = {}
        for actor in actors:
            if actor.curated:
                by_entry[actor.name] = actor
            for key in actor.keys:
                if actor.article_id is not None:
                    generic[(actor.article_id, key)] = actor
                else:
                    by_key.setdefault(key, actor)
        recent: dict[int, list[ResolvedActor]] = {}

        def attach(actor: ResolvedActor, mention: Mention, key: str, method: str) -> None:
            actor.aliases.add(mention.name)
            actor.mention_ids.append(mention.id)
            actor.methods[mention.id] = method
            actor.keys.add(key)
            if actor.article_id is None:
                by_key.setdefault(key, actor)
            recent.setdefault(mention.article_id, []).append(actor)

        def new(mention: Mention, article_id: int | None = None) -> ResolvedActor:
            actor = ResolvedActor(mention.name, mention.actor_type, article_id=article_id)
            actors.append(actor)
            return actor

        ordered = sorted(mentions, key=lambda m: (m.article_id, m.position, m.id))
        # Curated actors each article names, by kind: a reference that comes before the name
        # ("regime forces" in a headline) may point forward, if only one actor of its kind is
        # named in the article.
        named: dict[tuple[int, str], set[AliasEntry]] = {}
        for mention in ordered:
            if (found := self.table.entry_for(normalise(mention.name))) is not None:
                named.setdefault((mention.article_id, found.actor_type), set()).add(found)

        def curated(entry: AliasEntry) -> ResolvedActor:
            if entry.name not in by_entry:
                by_entry[entry.name] = ResolvedActor(entry.name, entry.actor_type, curated=True)
                actors.append(by_entry[entry.name])
            return by_entry[entry.name]

        for mention in ordered:
            key = normalise(mention.name)
            entry = self.table.entry_for(key)
            if entry is not None:
                attach(curated(entry), mention, key, Method.ALIAS_TABLE)
                continue
            referent = self._referent(key, recent.get(mention.article_id, []))
            family = _GENERIC_REFERENCES.get(key)
            if referent is None and family is not None:
                candidates = named.get((mention.article_id, family), set())
                if len(candidates) == 1:
                    referent = curated(next(iter(candidates)))
            if referent is not None:
                attach(referent, mention, key, Method.COREFERENCE)
                continue
            if key in _GENERIC_REFERENCES or key in _GENERIC_KINDS:
                scope = (mention.article_id, key)
                if scope not in generic:
                    generic[scope] = new(mention, mention.article_id)
                attach(generic[scope], mention, key, Method.ARTICLE_GENERIC)
                continue
            core = _core(key)
            same = by_key.get(key) or (by_key.get(core) if len(core.split()) > 1 else None)
            if same is not None:
                attach(same, mention, key, Method.SAME_NAME)
                continue
            near = self._near(key, actors)
            if near is not None:
                attach(near, mention, key, Method.FUZZY)
                continue
            attach(new(mention), mention, key, Method.NEW)
        return actors

    def _referent(self, key: str, earlier: list[ResolvedActor]) -> ResolvedActor | None:
        """The actor a generic reference ('the monitor') points back to in its article: the
        last curated actor of its kind (a model-typed actor is too weak a referent)."""
        family = _GENERIC_REFERENCES.get(key)
        if family is None:
            return None
        for actor in reversed(earlier):
            if actor.actor_type == family and actor.curated:
                return actor
        return None

    def _near(self, key: str, actors: list[ResolvedActor]) -> ResolvedActor | None:
        if len(key.split()) < 2:
            return None
        best: tuple[float, ResolvedActor] | None = None
        for actor in actors:
            if actor.generic:
                continue
            for other in actor.keys:
                if len(other.split()) < 2 or self.table.never_merge(key, other):
                    continue
                score = fuzz.ratio(key, other)
                if score >= FUZZY_CUTOFF and (best is None or score > best[0]):
                    best = (score, actor)
        return best[1] if best else None
