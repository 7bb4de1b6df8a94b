"""Candidate figures found by code: a number and the words it counts, as written."""

from __future__ import annotations

import re
from dataclasses import dataclass

from service.extraction.quantities import Quantity, find_quantities

_WORD = re.compile(r"\s*([A-Za-z][A-Za-z'\-]*)")
_STOP = frozenset(
    """were was are is be been being have has had lost killed left in on at from to who that
    which by after as during over under for with bussed dead died injured wounded evacuated
    a an the this these those since each into said alone across near than when while per
    of their its his her our your them they it he she we you took still also fell remain
    remained stay stayed fled went came got hold holds control controls say says make
    made""".split()
)
_AFTER_AND = frozenset({"their", "its", "his", "her"})
# Numbers of these are measures, not counts of people or things.
_UNITS = frozenset(
    """hour hours day days week weeks month months year years minute minutes second seconds
    km kilometres kilometers kilometre kilometer mile miles metre metres meter meters percent
    per cent times""".split()
)
_MAX_WORDS = 5


@dataclass(frozen=True, slots=True)
class Count:
    quantity: Quantity
    start: int  # the whole phrase, number and counted words, in the given text
    end: int
    text: str
    population: str | None


def _is_stop(word: str) -> bool:
    return word.lower() in _STOP and not word.isupper()


def _verb_like(word: str) -> bool:
    return "-" not in word and word.lower().endswith(("ed", "ing"))


def _counted_words(text: str, position: int) -> tuple[int, list[str]]:
    """Words after a number that say what it counts: 'rebels and civilians', 'of people'."""
    words: list[str] = []
    end = position
    of_match = re.match(r"\s+of\b", text[position:])
    if of_match:
        following = _WORD.match(text, position + of_match.end())
        if following and not _is_stop(following.group(1)):
            position += of_match.end()
    while len(words) < _MAX_WORDS:
        match = _WORD.match(text, position)
        if match is None:
            break
        word = match.group(1)
        if word.lower() == "and":
            after = _WORD.match(text, match.end())
            if not words or after is None:
                break
            nxt = after.group(1)
            if nxt.lower() in _AFTER_AND:
                after = _WORD.match(text, after.end())
                if after is None:
                    break
                nxt = after.group(1)
            if _is_stop(nxt) or _verb_like(nxt):
                break
            words.extend([word, *text[match.end() : after.end()].split()])
            position = end = after.end()
            continue
        if _is_stop(word) or (words and _verb_like(word)):
            break
        words.append(word)
        position = end = match.end()
    return end, words


def find_counts(text: str) -> list[Count]:
    """Counts of people or things in a sentence, in order; measures and durations skipped."""
    counts = []
    for quantity in find_quantities(text):
        end, words = _counted_words(text, quantity.end)
        if words and words[0].lower() in _UNITS:
            continue
        if not words:
            end = quantity.end
        start = quantity.start
        population = " ".join(w for w in words if w.lower() != "of") or None
        counts.append(Count(quantity, start, end, text[start:end], population))
    return counts
