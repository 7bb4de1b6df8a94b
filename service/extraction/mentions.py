"""Candidate names in a sentence, found by code, so the model can point at them by number."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CAP = r"(?:[A-Z][\w'\u2019\-]*|al-[A-Z][\w\-]*)"
_JOIN = r"(?:of|for|the|al|de|du|el|bin)"
_NAME = re.compile(rf"{_CAP}(?:\s+(?:{_JOIN}\s+)*{_CAP})*")
_FORCES = re.compile(
    r"\b(?:[A-Z][a-z]+(?:-[a-z]+)?\s+)?(?:(?:government|regime|pro-government|security|"
    r"opposition|rebel|state|armed|foreign)\s+)?(?:forces|troops|soldiers|army|military|militias?|rebels|militants|jihadists|"
    r"insurgents|terrorists|fighters|civilians|residents|protesters|demonstrators|rioters|"
    r"police|warplanes|jets|helicopters|gunmen|factions?|groups?|government|regime|authorities)\b"
)
# Capitalised words that do not name anyone when they open a sentence or stand alone.
_NOT_NAMES = frozenset(
    """a an the this that these those it its in on at by for from of to and but or as if
    after before during while when meanwhile according another other some all both each
    top four five six seven eight nine ten two three one more most many several hundreds
    thousands tens dozens latest read like image monday tuesday wednesday thursday friday
    saturday sunday january february march april may june july august september october
    november december president earlier later since there they he she we i you his her
    their our what who why how then still also even only under should would could state""".split()
)


_PLACE_BEFORE = re.compile(
    r"\b(?:in|on|at|near|from|to|into|towards?|outside|around|across|inside|of)\s+(?:the\s+)?"
    r"(?:(?:town|city|village|district|province|region|area|camp|capital|suburb)\s+of\s+)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Mention:
    start: int  # offsets in the sentence
    end: int
    text: str
    may_be_place: bool = False  # a capitalised name that is not a force, group or acronym
    only_place: bool = False  # written where only a place stands ("in Douma", "on Damascus")
    person: bool = False  # a person's name (spaCy, extract.v5): people are not actors


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    words = text[start:end].split()
    while words and words[0].lower() in _NOT_NAMES:
        start = text.index(words[0], start) + len(words[0])
        while start < end and text[start].isspace():
            start += 1
        words = words[1:]
    return start, end


def find_mentions(sentence: str) -> list[Mention]:
    """Proper names and named kinds of armed or civilian actors, in order, without overlaps."""
    spans: list[tuple[int, int]] = []
    for match in _NAME.finditer(sentence):
        start, end = _trim(sentence, match.start(), match.end())
        if end > start:
            spans.append((start, end))
    for match in _FORCES.finditer(sentence):
        spans.append((match.start(), match.end()))
    spans.sort(key=lambda span: (span[0], -span[1]))
    mentions: list[Mention] = []
    seen: set[str] = set()
    last_end = -1
    for start, end in spans:
        if start < last_end:
            continue
        text = sentence[start:end]
        last_end = end
        key = text.casefold()
        if key in seen:
            continue
        seen.add(key)
        may_be_place = text[0].isupper() and not text.isupper() and not _FORCES.search(text)
        only_place = may_be_place and bool(_PLACE_BEFORE.search(sentence[:start]))
        mentions.append(Mention(start, end, text, may_be_place, only_place))
    return mentions
