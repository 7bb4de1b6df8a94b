"""Find what the model wrote in the article text: case-, quote- and whitespace-insensitive."""

from __future__ import annotations

import re

_TRANSLATE = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)
_SPACE = re.compile(r"\s+")


def _fold(text: str) -> str:
    return text.translate(_TRANSLATE).casefold()


def find_span(
    haystack: str, needle: str, start: int = 0, end: int | None = None
) -> tuple[int, int] | None:
    """Return ``[start, end)`` of ``needle`` inside ``haystack[start:end]``, or None.

    The match ignores case, typographic quotes and runs of whitespace, and never changes the
    length mapping: offsets always index the original ``haystack``.
    """
    needle = needle.strip()
    if not needle:
        return None
    end = len(haystack) if end is None else end
    words = [re.escape(_fold(word)) for word in _SPACE.split(needle)]
    pattern = re.compile(r"\s+".join(words))
    # casefold can change lengths for a few characters (e.g. 'ß'); fall back to exact search then.
    folded = _fold(haystack)
    if len(folded) != len(haystack):
        index = haystack.find(needle, start, end)
        return None if index < 0 else (index, index + len(needle))
    match = pattern.search(folded, start, end)
    if match is None:
        return None
    return match.start(), match.end()


def appears_in(haystack: str, needle: str) -> bool:
    return find_span(haystack, needle) is not None
