"""extract.v5's rules where the words decide: datelines and headlines are not asked about, a
count's category comes from the verb next to it, and one occurrence is one event."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from service.extraction.taxonomy import FigureCategory

# "MOGADISHU (Mareeg) - ", "KABUL, Afghanistan (AP) — ", "BAGHDAD: ": a place in capitals that
# opens a line, an optional region and outlet, then a dash or colon.
_DATELINE = re.compile(
    r"(?P<place>[A-Z][A-Z'\.\-]+(?: [A-Z][A-Z'\.\-]+)*)(?:, [A-Z][\w\.]*(?: [A-Z][\w\.]*)*)?"
    r"(?: ?\([^()\n]{1,40}\))? ?[-\u2013\u2014:] "
)
_HEADLINE_MAX_WORDS = 20


def dateline(line: str) -> tuple[int, int] | None:
    """The span of a dateline's place at the start of ``line``, if the line opens with one."""
    match = _DATELINE.match(line)
    if match is None or len(match.group("place")) < 3:
        return None
    return match.span("place")


def headline_end(text: str) -> int | None:
    """Where the article's headline ends: its first line (after a "Published:" line), when
    that line reads like a headline (short, no final full stop) and more text follows it."""
    for line in re.finditer(r"[^\n]+", text):
        words = line.group().strip()
        if not words or words.lower().startswith("published"):
            continue
        if not text[line.end() :].strip():
            return None
        if len(words.split()) > _HEADLINE_MAX_WORDS or words.endswith(
            (".", "!", "?", '"', "\u201d")
        ):
            return None
        return line.end()
    return None


# Verbs and nouns that say what a count counts, strongest first where two could apply.
_CATEGORY_WORDS: list[tuple[FigureCategory, re.Pattern[str]]] = [
    (
        FigureCategory.KILLED_OR_WOUNDED,
        re.compile(r"\b(?:killed or (?:wounded|injured)|dead or (?:wounded|injured)|casualties)\b"),
    ),
    (
        FigureCategory.KILLED,
        re.compile(
            r"\b(?:kill(?:ed|ing|s)?|dead|died|dies|deaths?|death toll|bodies|lost their lives"
            r"|massacred|executed|slain|perished|beheaded|shot dead)\b"
        ),
    ),
    (FigureCategory.WOUNDED, re.compile(r"\b(?:wound(?:ed|ing|s)?|injur(?:ed|ing|ies|y)|hurt)\b")),
    (FigureCategory.ABDUCTED, re.compile(r"\b(?:kidnapp(?:ed|ing)|abduct(?:ed|ing)|hostages?)\b")),
    (FigureCategory.ARRESTED, re.compile(r"\b(?:arrest(?:ed|ing)?|detain(?:ed|ing)|detention)\b")),
    (FigureCategory.MISSING, re.compile(r"\b(?:missing|unaccounted)\b")),
    (FigureCategory.EVACUATED, re.compile(r"\b(?:evacuat(?:ed|ing|ion)|bussed)\b")),
    (
        FigureCategory.DISPLACED,
        re.compile(r"\b(?:displac(?:ed|ing|ement)|fled|fleeing|homeless)\b"),
    ),
]
_BEFORE = 30  # characters before the count where "killing 4 people" puts the verb
_AFTER = 40  # and after it: "4 people were killed"
_CLAUSE_END = re.compile(r"[;:]|,\s+(?:and|but|while|as|including)\b|\band\s+\d")


def figure_category(sentence: str, start: int, end: int) -> FigureCategory | None:
    """The category the words next to a count give it ("15 soldiers were killed", "wounding
    20"), the nearest one winning; None when no such word is near (the model decides)."""
    before = sentence[max(0, start - _BEFORE) : start]
    cut = list(_CLAUSE_END.finditer(before))
    if cut:
        before = before[cut[-1].end() :]
    after = sentence[end : end + _AFTER]
    stop = _CLAUSE_END.search(after)
    if stop:
        after = after[: stop.start()]
    inside = sentence[start:end].lower()  # "60 casualties", "15 dead"
    found: list[tuple[int, int, FigureCategory]] = []  # (distance, rank, category)
    for rank, (category, pattern) in enumerate(_CATEGORY_WORDS):
        if pattern.search(inside):
            found.append((0, rank, category))
        found += [(len(before) - m.end(), rank, category) for m in pattern.finditer(before.lower())]
        found += [(m.start(), rank, category) for m in pattern.finditer(after.lower())]
    best = min(found, default=None)
    return best[2] if best is not None else None


@dataclass(frozen=True, slots=True)
class OccurrenceKey:
    sub_event_type: str
    location: str | None
    date: dt.date | None
    precision: str = "day"  # of ``date``: day, week, month, year


def _period(date: dt.date, precision: str) -> tuple[int, ...]:
    if precision == "year":
        return (date.year,)
    if precision == "month":
        return (date.year, date.month)
    if precision == "week":
        return date.isocalendar()[:2]
    return (date.year, date.month, date.day)


def _same_time(first: OccurrenceKey, second: OccurrenceKey) -> bool:
    """Dates that can be the same day: one missing, or equal at the coarser precision."""
    if first.date is None or second.date is None:
        return True
    order = ["day", "week", "month", "year"]
    coarser = max(first.precision, second.precision, key=order.index)
    return _period(first.date, coarser) == _period(second.date, coarser)


def same_occurrence(first: OccurrenceKey, second: OccurrenceKey) -> bool:
    """ACLED codes one event per type, place and day: two reports of the same sub-type whose
    place and day do not differ (one may lack them) are one occurrence."""
    if first.sub_event_type != second.sub_event_type:
        return False
    places = (first.location or "").casefold(), (second.location or "").casefold()
    if all(places) and places[0] != places[1]:
        return False
    return _same_time(first, second)
