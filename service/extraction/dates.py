"""Resolution of date expressions as written in news articles ("on Friday", "April 14", ...)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Precision",
    "ResolvedDate",
    "find_date_expressions",
    "find_published_date",
    "resolve_date",
]

Precision = Literal["day", "week", "month", "year", "unknown"]


@dataclass(frozen=True, slots=True)
class ResolvedDate:
    value: datetime.date | None
    precision: Precision


_UNKNOWN = ResolvedDate(None, "unknown")

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_PREFIXES = (
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
)
_FULL_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
_ANY_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?"
)
_WEEKDAY = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_WEEKDAY_ABBREVIATION = r"(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)\b\.?"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_KINDS = (
    "full_mdy", "full_dmy", "iso", "month_day", "day_month", "month_year", "in_month",
    "bare_month", "year", "relative_day", "relative_period", "weekday",
)  # fmt: skip


def _build_pattern(*, strict: bool) -> re.Pattern[str]:
    # In running text month names must be capitalised ("20 may be", "the march on") and a bare
    # "May" is never taken as a month. A short expression given to resolve_date is trusted
    # more, except that a bare lower-case "may" is still the verb.
    def month(alternatives: str) -> str:
        return f"(?-i:{alternatives})" if strict else f"(?:{alternatives})"

    any_month = month(_ANY_MONTH)
    without_may = _FULL_MONTHS.replace("May|", "")
    bare_month = month(without_may) if strict else f"(?:(?-i:May)|{without_may})"
    weekday_prefix = rf"(?:\b(?:{_WEEKDAY}|{_WEEKDAY_ABBREVIATION}),?\s+)?"
    return re.compile(
        rf"""
        (?P<full_mdy>(?:\bon\s+)?{weekday_prefix}
            \b(?P<m1>{any_month})\s+(?P<d1>{_DAY}),?\s+(?P<y1>\d{{4}})\b)
      | (?P<full_dmy>(?:\bon\s+)?{weekday_prefix}
            \b(?P<d2>{_DAY})\s+(?:of\s+)?(?P<m2>{any_month}),?\s+(?P<y2>\d{{4}})\b)
      | (?P<iso>(?:\bon\s+)?\b(?P<y3>\d{{4}})-(?P<m3>0[1-9]|1[0-2])-(?P<d3>0[1-9]|[12]\d|3[01])\b)
      | (?P<month_day>(?:\bon\s+)?\b(?P<m4>{any_month})\s+(?P<d4>{_DAY})\b)
      | (?P<day_month>(?:\bon\s+)?\b(?P<d5>{_DAY})\s+(?:of\s+)?(?P<m5>{any_month})(?!\w))
      | (?P<month_year>(?:\b(?:in|since)\s+)?\b(?P<m6>{any_month}),?\s+(?P<y6>\d{{4}})\b)
      | (?P<in_month>\b(?:in|since|during|until|by|early|late|mid)[-\s]+
            (?P<m7>{month(_FULL_MONTHS)})\b)
      | (?P<bare_month>\b(?P<m8>{bare_month})\b)
      | (?P<year>(?:\b(?:in|since)\s+)?\b(?P<y9>(?:19|20)\d\d)\b)
      | (?P<relative_day>\b(?:(?:earlier|later|late|early)\s+)?
            (?P<rd>today|tonight|yesterday|this\s+(?:morning|afternoon|evening)|last\s+night)
            \b(?:\s+(?:morning|afternoon|evening)\b)?)
      | (?P<relative_period>\b(?:(?:earlier|later)\s+)?
            (?P<rp_which>last|this)\s+(?P<rp_unit>week|month|year)\b)
      | (?P<weekday>\b(?:(?P<wd_modifier>earlier|late|early|last|this)\s+)?(?:on\s+)?
            (?P<wd>{_WEEKDAY})\b(?:\s+(?:morning|afternoon|evening|night)\b)?)
        """,
        re.IGNORECASE | re.VERBOSE,
    )


_STRICT = _build_pattern(strict=True)
_LENIENT = _build_pattern(strict=False)
_PUBLISHED = re.compile(r"\s*published\b[:\s]*(?P<rest>.*)", re.IGNORECASE)


def _month_number(name: str) -> int:
    return _MONTH_PREFIXES.index(name.lower()[:3]) + 1


def _day_number(text: str) -> int:
    return int(text[:2] if text[:2].isdigit() else text[:1])


def _monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _day(year: int, month: int, day: int) -> ResolvedDate:
    try:
        return ResolvedDate(datetime.date(year, month, day), "day")
    except ValueError:  # "February 30"
        return _UNKNOWN


def _day_without_year(month: int, day: int, published: datetime.date | None) -> ResolvedDate:
    if published is None:
        return _UNKNOWN
    # An article may mention a date a few weeks ahead ("talks on April 30"); anything further
    # in the future is more likely last year's.
    for year in (published.year, published.year - 1):
        resolved = _day(year, month, day)
        if resolved.value is not None and resolved.value <= published + datetime.timedelta(31):
            return resolved
    return _UNKNOWN


def _relative(match: re.Match[str], kind: str, published: datetime.date) -> ResolvedDate:
    if kind == "relative_day":
        phrase = match.group("rd").lower()
        if phrase.startswith(("yesterday", "last")):
            return ResolvedDate(published - datetime.timedelta(days=1), "day")
        return ResolvedDate(published, "day")
    if kind == "relative_period":
        last = match.group("rp_which").lower() == "last"
        unit = match.group("rp_unit").lower()
        if unit == "week":
            anchor = published - datetime.timedelta(days=7) if last else published
            return ResolvedDate(_monday(anchor), "week")
        if unit == "month":
            first = published.replace(day=1)
            if last:
                first = (first - datetime.timedelta(days=1)).replace(day=1)
            return ResolvedDate(first, "month")
        return ResolvedDate(datetime.date(published.year - (1 if last else 0), 1, 1), "year")
    if kind in ("in_month", "bare_month"):
        month = _month_number(match.group("m7") or match.group("m8"))
        year = published.year - (1 if month > published.month else 0)
        return ResolvedDate(datetime.date(year, month, 1), "month")
    # Weekday: the most recent such day on or before publication ("last Friday": before).
    days_back = (published.weekday() - _WEEKDAYS.index(match.group("wd").lower())) % 7
    if days_back == 0 and (match.group("wd_modifier") or "").lower() == "last":
        days_back = 7
    return ResolvedDate(published - datetime.timedelta(days=days_back), "day")


def _resolve(match: re.Match[str], published: datetime.date | None) -> ResolvedDate:
    kind = next(k for k in _KINDS if match.group(k) is not None)
    if kind == "full_mdy":
        return _day(int(match["y1"]), _month_number(match["m1"]), _day_number(match["d1"]))
    if kind == "full_dmy":
        return _day(int(match["y2"]), _month_number(match["m2"]), _day_number(match["d2"]))
    if kind == "iso":
        return _day(int(match["y3"]), int(match["m3"]), int(match["d3"]))
    if kind == "month_day":
        return _day_without_year(_month_number(match["m4"]), _day_number(match["d4"]), published)
    if kind == "day_month":
        return _day_without_year(_month_number(match["m5"]), _day_number(match["d5"]), published)
    if kind == "month_year":
        return ResolvedDate(datetime.date(int(match["y6"]), _month_number(match["m6"]), 1), "month")
    if kind == "year":
        return ResolvedDate(datetime.date(int(match["y9"]), 1, 1), "year")
    if published is None:
        return _UNKNOWN
    return _relative(match, kind, published)


def resolve_date(expression: str | None, published: datetime.date | None) -> ResolvedDate:
    """Resolve the first date expression in ``expression`` relative to ``published``.

    Text around the expression is ignored ("since 2012" is the year 2012, "February and March"
    is February); an expression without a recognisable date resolves to precision "unknown".
    """
    if not expression:
        return _UNKNOWN
    match = _LENIENT.search(expression)
    return _UNKNOWN if match is None else _resolve(match, published)


def find_published_date(text: str) -> datetime.date | None:
    """The date on a "Published: ..." header among the first five non-empty lines, if any."""
    lines = [line for line in text.splitlines() if line.strip()][:5]
    for line in lines:
        header = _PUBLISHED.match(line)
        if header is None:
            continue
        for match in _LENIENT.finditer(header.group("rest")):
            resolved = _resolve(match, None)
            if resolved.precision == "day":
                return resolved.value
    return None


def find_date_expressions(text: str) -> list[tuple[int, int, str]]:
    """Spans ``(start, end, text[start:end])`` of the date expressions resolve_date handles."""
    return [(m.start(), m.end(), m.group()) for m in _STRICT.finditer(text)]
