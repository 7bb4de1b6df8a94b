"""Deterministic parsing of the number inside a verbatim figure phrase.

The model only copies phrases such as "more than 46,000 rebels"; all interpretation of the
number (word numbers, thousands separators, "more than" = n + 1, ...) happens here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

__all__ = ["Qualifier", "Quantity", "find_quantities", "parse_quantity"]

Qualifier = Literal["exact", "at_least", "more_than", "approximately", "up_to", "range", "vague"]


@dataclass(frozen=True, slots=True)
class Quantity:
    low: int | None
    high: int | None
    qualifier: Qualifier
    start: int
    end: int
    number_text: str


_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9,
}  # fmt: skip
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_NUMBER_WORDS = [*_UNITS, *_TEENS, *_TENS, "hundred", *_SCALES, "dozen"]

_VAGUE_BASE = {
    "several": 3, "a few": 2, "a number of": 2, "dozens": 12, "scores": 20, "tens": 10,
    "hundreds": 100, "thousands": 1_000, "millions": 1_000_000,
}  # fmt: skip
_VAGUE_SCALE = {"dozen": 12, "hundred": 100, "thousand": 1_000, "million": 1_000_000}

# Case-sensitive: "20 may be" is not a date.
_MONTHS = (
    r"(?-i:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)


def _alternation(words: list[str]) -> str:
    # Longest first so that e.g. "eighteen" is not read as "eight".
    return "|".join(sorted(words, key=len, reverse=True))


_NUMBER_WORD = rf"(?:{_alternation(_NUMBER_WORDS)})\b"
_CORE = re.compile(
    rf"""
    (?P<vague>
        \b(?:
        (?:tens|hundreds|dozens)\s+of\s+(?:thousands|millions)\b
      | (?:several|a\s+few)\s+(?:dozen|hundred|thousand|million)\b
      | (?:several|dozens|hundreds|thousands|millions)\b
      | (?:a\s+few|a\s+number\s+of)\b
      | (?:scores|tens)(?=\s+of\b)
        )
    )
  | (?P<digits>
        (?<![\w.,])
        (?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?
        (?!\w)(?![.,]\d)
        (?:\s+(?P<digit_scale>hundred|thousand|million|billion)\b)?
    )
  | (?P<words>
        \b(?:a\s+(?=(?:hundred|thousand|million|billion|dozen)\b))?
        {_NUMBER_WORD}(?:(?:\s+and\s+|\s+|-){_NUMBER_WORD})*
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)
_WORD_TOKEN = re.compile(r"(\s+and\s+|\s+|-)?([a-z]+)", re.IGNORECASE)

_QUALIFIERS: dict[str, Qualifier] = {
    "at least": "at_least",
    "no fewer than": "at_least",
    "no less than": "at_least",
    "not less than": "at_least",
    "a minimum of": "at_least",
    "minimum of": "at_least",
    "more than": "more_than",
    "over": "more_than",
    "in excess of": "more_than",
    "upwards of": "more_than",
    "nearly": "approximately",
    "almost": "approximately",
    "around": "approximately",
    "about": "approximately",
    "approximately": "approximately",
    "roughly": "approximately",
    "some": "approximately",
    "an estimated": "approximately",
    "estimated": "approximately",
    "close to": "approximately",
    "up to": "up_to",
    "as many as": "up_to",
    "no more than": "up_to",
    "not more than": "up_to",
    "at most": "up_to",
    "a maximum of": "up_to",
    "maximum of": "up_to",
    # Exclusive upper bounds: high = n - 1.
    "fewer than": "up_to",
    "less than": "up_to",
}
_EXCLUSIVE_UPPER = frozenset({"fewer than", "less than"})
# Searched backwards from a number; the leftmost match is the longest ("no more than" beats
# "more than").
_QUALIFIER_ALTERNATION = _alternation([q.replace(" ", r"\s+") for q in _QUALIFIERS])
_QUALIFIER_BEFORE = re.compile(
    rf"(?<!\w)(?P<q>{_QUALIFIER_ALTERNATION})\s+\Z",
    re.IGNORECASE,
)
_QUALIFIER_WINDOW = 40

_ONE_NOUNS = frozenset(
    {"person", "civilian", "child", "soldier", "man", "woman", "fighter", "member"}
)
_NEXT_WORD = re.compile(r"\s+([a-z]+)", re.IGNORECASE)

_RANGE_GAP = re.compile(r"\s*[-\u2013\u2014]\s*|\s+(?:to|or)\s+", re.IGNORECASE)
_BETWEEN_GAP = re.compile(r"\s+and\s+", re.IGNORECASE)
_BETWEEN_BEFORE = re.compile(r"(?<!\w)between\s+\Z", re.IGNORECASE)
_FROM_BEFORE = re.compile(r"(?<!\w)from\s+\Z", re.IGNORECASE)

_SKIP_BEFORE = re.compile(
    rf"""(?:
        (?<!\w){_MONTHS}\s+      # "April 14"
      | [A-Za-z]-                # model names: "Su-24", "S-300"
      | \d[:/.]                  # times, slash dates: "10:30", "4/7"
      | [$€£]\s*                 # money
    )\Z""",
    re.IGNORECASE | re.VERBOSE,
)
_SKIP_AFTER = re.compile(
    rf"""(?:
        \s+(?:of\s+)?{_MONTHS}(?!\w)  # "14 April", "14 of April"
      | \s*(?:%|percent\b|per\s+cent\b|percentage\b)
      | -[^\W\d_]                      # adjectives: "five-year-old", "24-hour"
      | [:/]\d                         # times, slash dates
      | \s*[ap]\.?m\b\.?               # "5 pm", "5 a.m."
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_YEAR = re.compile(r"(?:19|20)\d\d")


@dataclass(frozen=True, slots=True)
class _Core:
    start: int
    end: int
    value: int | None  # None when the number cannot be a count (e.g. "2.5")
    vague: bool
    text: str
    scaled: bool  # digits followed by a scale word ("1.5 million")


def _parse_words(run: str) -> tuple[int, int] | None:
    """Value and length of the longest well-formed number-word prefix of ``run``."""
    total = 0
    current = 0
    last = ""  # kind of the previous token: a, unit, teen, tens, hundred, scale
    biggest_scale = 0
    result: tuple[int, int] | None = None
    for token in _WORD_TOKEN.finditer(run):
        separator = (token.group(1) or " ").strip().lower() or " "
        word = token.group(2).lower()
        if word == "a":
            last = "a"
            continue
        if separator == "and" and last not in ("hundred", "scale"):
            break
        if word == "zero":
            return (0, token.end()) if not last else result
        if word in _UNITS:
            if not (last == "tens" or (last in ("", "hundred", "scale") and separator != "-")):
                break
            current += _UNITS[word]
            last = "unit"
        elif word in _TEENS or word in _TENS:
            if last not in ("", "hundred", "scale") or separator == "-":
                break
            current += _TEENS.get(word) or _TENS[word]
            last = "teen" if word in _TEENS else "tens"
        elif separator != " ":
            break
        elif word == "hundred":
            # "fifteen hundred" and "twenty-five hundred" are idiomatic; "hundred" alone is not.
            if last not in ("a", "unit", "teen", "tens") or current >= 100:
                break
            current = (current or 1) * 100
            last = "hundred"
        elif word == "dozen":
            if last not in ("a", "unit", "teen", "tens") or total or current >= 100:
                break
            return (current or 1) * 12, token.end()
        else:
            scale = _SCALES[word]
            if last not in ("a", "unit", "teen", "tens", "hundred") or (
                biggest_scale and scale >= biggest_scale
            ):
                break
            total += (current or 1) * scale
            current = 0
            biggest_scale = scale
            last = "scale"
        result = (total + current, token.end())
    return result


def _vague_value(phrase: str) -> int:
    words = " ".join(phrase.lower().split()).split(" ")
    if len(words) == 3 and words[1] == "of" and words[2] in _VAGUE_BASE:
        return _VAGUE_BASE[words[0]] * _VAGUE_BASE[words[2]]
    if words[-1] in _VAGUE_SCALE:
        return _VAGUE_BASE[" ".join(words[:-1])] * _VAGUE_SCALE[words[-1]]
    return _VAGUE_BASE[" ".join(words)]


def _cores(text: str) -> list[_Core]:
    cores: list[_Core] = []
    pos = 0
    while (match := _CORE.search(text, pos)) is not None:
        start, end = match.span()
        if match.group("vague") is not None:
            cores.append(_Core(start, end, _vague_value(match.group()), True, match.group(), False))
        elif match.group("digits") is not None:
            number = Decimal(match.group("digits").split()[0].replace(",", ""))
            scale_word = (match.group("digit_scale") or "").lower()
            if scale_word:
                number *= 100 if scale_word == "hundred" else _SCALES[scale_word]
            value = int(number) if number == number.to_integral_value() else None
            cores.append(_Core(start, end, value, False, match.group(), bool(scale_word)))
        else:
            parsed = _parse_words(match.group())
            if parsed is None:
                pos = start + 1
                continue
            value, length = parsed
            end = start + length
            cores.append(_Core(start, end, value, False, text[start:end], False))
        pos = end
    return cores


def _is_year(core: _Core) -> bool:
    return not core.scaled and _YEAR.fullmatch(core.text) is not None


def _skipped_before(text: str, start: int) -> bool:
    return _SKIP_BEFORE.search(text, max(0, start - 15), start) is not None


def _skipped_after(text: str, end: int) -> bool:
    return _SKIP_AFTER.match(text, end) is not None


def _qualifier_before(text: str, start: int) -> re.Match[str] | None:
    return _QUALIFIER_BEFORE.search(text, max(0, start - _QUALIFIER_WINDOW), start)


def _single(text: str, core: _Core) -> Quantity | None:
    if core.value is None or _skipped_before(text, core.start) or _skipped_after(text, core.end):
        return None
    if core.vague:
        return Quantity(core.value, None, "vague", core.start, core.end, core.text)
    qualifier_match = _qualifier_before(text, core.start)
    if _is_year(core) and qualifier_match is None:
        return None
    if core.text.lower() == "one":
        next_word = _NEXT_WORD.match(text, core.end)
        if next_word is None or next_word.group(1).lower() not in _ONE_NOUNS:
            return None
    n = core.value
    if qualifier_match is None:
        return Quantity(n, n, "exact", core.start, core.end, core.text)
    phrase = " ".join(qualifier_match.group("q").lower().split())
    qualifier = _QUALIFIERS[phrase]
    start = qualifier_match.start()
    low: int | None
    high: int | None
    if qualifier == "at_least":
        low, high = n, None
    elif qualifier == "more_than":
        low, high = n + 1, None
    elif qualifier == "approximately":
        low, high = n, n
    else:
        low, high = None, n - 1 if phrase in _EXCLUSIVE_UPPER else n
    return Quantity(low, high, qualifier, start, core.end, text[start : core.end])


def _range(text: str, first: _Core, second: _Core) -> Quantity | None:
    """The range formed by two adjacent numbers ("20 to 30", "between 20 and 30"), if any."""
    if first.vague or second.vague or first.value is None or second.value is None:
        return None
    if first.value >= second.value or (_is_year(first) and _is_year(second)):
        return None
    start = first.start
    if _BETWEEN_GAP.fullmatch(text, first.end, second.start):
        between = _BETWEEN_BEFORE.search(text, max(0, start - 12), start)
        if between is None:
            return None
        start = between.start()
    elif not _RANGE_GAP.fullmatch(text, first.end, second.start):
        return None
    elif _FROM_BEFORE.search(text, max(0, start - 12), start):
        # "rose from 20 to 30" describes a change, not an uncertain figure.
        return None
    if _skipped_before(text, first.start) or _skipped_after(text, second.end):
        return None
    return Quantity(first.value, second.value, "range", start, second.end, text[start : second.end])


def find_quantities(text: str) -> list[Quantity]:
    """All quantities in ``text``, in order and non-overlapping."""
    iso_dates = [m.span() for m in _ISO_DATE.finditer(text)]
    cores = [c for c in _cores(text) if not any(s <= c.start < e for s, e in iso_dates)]
    quantities: list[Quantity] = []
    i = 0
    while i < len(cores):
        if i + 1 < len(cores):
            ranged = _range(text, cores[i], cores[i + 1])
            if ranged is not None:
                quantities.append(ranged)
                i += 2
                continue
        single = _single(text, cores[i])
        if single is not None:
            quantities.append(single)
        i += 1
    return quantities


def parse_quantity(text: str) -> Quantity | None:
    """The first quantity in ``text``, or None."""
    quantities = find_quantities(text)
    return quantities[0] if quantities else None
