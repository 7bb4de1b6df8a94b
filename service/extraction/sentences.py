"""Rule-based sentence splitting that keeps exact offsets into the source text."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Sentence", "split_sentences"]


@dataclass(frozen=True, slots=True)
class Sentence:
    index: int
    start: int
    end: int
    text: str


# Lower-cased, without the final period. "e.g" / "i.e" never end a sentence; "etc" may, so it
# is deliberately absent (we only ever split before an uppercase letter, digit or quote).
_ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "gen", "maj", "lt", "col", "capt", "sgt", "cpl", "pvt",
        "adm", "brig", "cmdr", "gov", "sen", "rep", "st", "jr", "sr", "inc", "co", "corp", "ltd",
        "vs", "e.g", "i.e", "no", "jan", "feb", "apr", "aug", "sep", "sept", "oct", "nov", "dec",
    }
)  # fmt: skip

_LINE = re.compile(r"[^\r\n]+")
# Terminal punctuation, then any closing quotes/brackets, then whitespace and a plausible
# sentence opener. The lookahead keeps the whitespace out of the match.
_CLOSING_QUOTES = "\"'\u201d\u2019\u00bb"
_OPENING_QUOTES = "\"'\u201c\u2018\u00ab"
_BOUNDARY = re.compile(rf"[.!?]+[{_CLOSING_QUOTES})\]]*(?=\s+[{_OPENING_QUOTES}(\[]?[^\W_])")
_INITIALS = re.compile(r"(?:[A-Z]\.)*[A-Z]")
_TOKEN_BEFORE = re.compile(r"[A-Za-z.]*[A-Za-z]\Z")


def _is_boundary(line: str, match: re.Match[str]) -> bool:
    rest = line[match.end() :].lstrip()
    opener = rest[1] if rest[0] in "([" else rest[0]
    if rest[0] not in _OPENING_QUOTES and not (opener.isupper() or opener.isdigit()):
        return False
    punct = match.group()
    if not punct.startswith(".") or punct.startswith(".."):
        return True
    token_match = _TOKEN_BEFORE.search(line, 0, match.start())
    if token_match is None:
        return True
    token = token_match.group()
    if token.lower() in _ABBREVIATIONS:
        return False
    return _INITIALS.fullmatch(token) is None


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    segment = text[start:end]
    stripped_left = segment.lstrip()
    start += len(segment) - len(stripped_left)
    end = start + len(stripped_left.rstrip())
    return start, end


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences; lines (paragraphs) never share a sentence."""
    spans: list[tuple[int, int]] = []
    for line_match in _LINE.finditer(text):
        line = line_match.group()
        offset = line_match.start()
        cursor = 0
        for boundary in _BOUNDARY.finditer(line):
            if _is_boundary(line, boundary):
                spans.append(_strip_span(text, offset + cursor, offset + boundary.end()))
                cursor = boundary.end()
        spans.append(_strip_span(text, offset + cursor, offset + len(line)))
    return [
        Sentence(index=i, start=start, end=end, text=text[start:end])
        for i, (start, end) in enumerate(((s, e) for s, e in spans if e > s), start=1)
    ]
