import datetime
from pathlib import Path

import pytest

from service.extraction.dates import (
    Precision,
    ResolvedDate,
    find_date_expressions,
    find_published_date,
    resolve_date,
)

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SUN_APR_08 = datetime.date(2018, 4, 8)
MON_APR_23 = datetime.date(2018, 4, 23)


def d(year: int, month: int, day: int) -> datetime.date:
    return datetime.date(year, month, day)


RESOLVE_CASES: list[tuple[str | None, datetime.date | None, datetime.date | None, Precision]] = [
    # weekdays: the most recent such day on or before publication
    ("Friday", SUN_APR_08, d(2018, 4, 6), "day"),
    ("on Friday", SUN_APR_08, d(2018, 4, 6), "day"),
    ("earlier Friday", SUN_APR_08, d(2018, 4, 6), "day"),
    ("late Friday", SUN_APR_08, d(2018, 4, 6), "day"),
    ("On Friday night", SUN_APR_08, d(2018, 4, 6), "day"),
    ("Saturday", SUN_APR_08, d(2018, 4, 7), "day"),
    ("Sunday", SUN_APR_08, d(2018, 4, 8), "day"),
    ("on Monday", SUN_APR_08, d(2018, 4, 2), "day"),
    ("last Sunday", SUN_APR_08, d(2018, 4, 1), "day"),
    ("Monday", MON_APR_23, d(2018, 4, 23), "day"),
    ("on Saturday", MON_APR_23, d(2018, 4, 21), "day"),
    ("on Friday", MON_APR_23, d(2018, 4, 20), "day"),
    ("FRIDAY", MON_APR_23, d(2018, 4, 20), "day"),
    ("on Friday", None, None, "unknown"),
    # today / yesterday
    ("today", SUN_APR_08, SUN_APR_08, "day"),
    ("this morning", SUN_APR_08, SUN_APR_08, "day"),
    ("tonight", MON_APR_23, MON_APR_23, "day"),
    ("earlier today", MON_APR_23, MON_APR_23, "day"),
    ("yesterday", SUN_APR_08, d(2018, 4, 7), "day"),
    ("last night", MON_APR_23, d(2018, 4, 22), "day"),
    ("yesterday", None, None, "unknown"),
    # weeks (Monday) and months (1st)
    ("last week", SUN_APR_08, d(2018, 3, 26), "week"),
    ("this week", SUN_APR_08, d(2018, 4, 2), "week"),
    ("last week", MON_APR_23, d(2018, 4, 16), "week"),
    ("earlier this week", MON_APR_23, d(2018, 4, 23), "week"),
    ("last month", SUN_APR_08, d(2018, 3, 1), "month"),
    ("this month", MON_APR_23, d(2018, 4, 1), "month"),
    ("last month", d(2018, 1, 15), d(2017, 12, 1), "month"),
    ("last week", None, None, "unknown"),
    # absolute days
    ("April 07, 2018", None, d(2018, 4, 7), "day"),
    ("on April 07, 2018", MON_APR_23, d(2018, 4, 7), "day"),
    ("April 7, 2018", None, d(2018, 4, 7), "day"),
    ("7 April 2018", None, d(2018, 4, 7), "day"),
    ("the 7th of April, 2018", None, d(2018, 4, 7), "day"),
    ("January 8, 2018", SUN_APR_08, d(2018, 1, 8), "day"),
    ("Jan. 8, 2018", None, d(2018, 1, 8), "day"),
    ("2018-04-07", None, d(2018, 4, 7), "day"),
    ("Sun, April 08, 2018", None, d(2018, 4, 8), "day"),
    ("February 30, 2018", None, None, "unknown"),
    # month + day without a year
    ("April 14", MON_APR_23, d(2018, 4, 14), "day"),
    ("the early hours of April 14", MON_APR_23, d(2018, 4, 14), "day"),
    ("on February 18", SUN_APR_08, d(2018, 2, 18), "day"),
    ("18 February", SUN_APR_08, d(2018, 2, 18), "day"),
    ("April 30", SUN_APR_08, d(2018, 4, 30), "day"),
    ("June 20", SUN_APR_08, d(2017, 6, 20), "day"),
    ("December 28", d(2018, 1, 5), d(2017, 12, 28), "day"),
    ("April 14", None, None, "unknown"),
    # months
    ("February 2018", None, d(2018, 2, 1), "month"),
    ("December 2016", SUN_APR_08, d(2016, 12, 1), "month"),
    ("since December 2016", SUN_APR_08, d(2016, 12, 1), "month"),
    ("in February", SUN_APR_08, d(2018, 2, 1), "month"),
    ("February and March", SUN_APR_08, d(2018, 2, 1), "month"),
    ("in February and March", MON_APR_23, d(2018, 2, 1), "month"),
    ("April", SUN_APR_08, d(2018, 4, 1), "month"),
    ("in December", SUN_APR_08, d(2017, 12, 1), "month"),
    ("in May", SUN_APR_08, d(2017, 5, 1), "month"),
    ("in February", None, None, "unknown"),
    # years
    ("2016", None, d(2016, 1, 1), "year"),
    ("since 2012", SUN_APR_08, d(2012, 1, 1), "year"),
    ("in 2016", MON_APR_23, d(2016, 1, 1), "year"),
    # not resolvable
    (None, SUN_APR_08, None, "unknown"),
    ("", SUN_APR_08, None, "unknown"),
    ("a day earlier", SUN_APR_08, None, "unknown"),
    ("recent months", SUN_APR_08, None, "unknown"),
    ("the past four days", MON_APR_23, None, "unknown"),
    ("in recent weeks", MON_APR_23, None, "unknown"),
    ("it may have happened", MON_APR_23, None, "unknown"),
]


@pytest.mark.parametrize(("expression", "published", "value", "precision"), RESOLVE_CASES)
def test_resolve_date(
    expression: str | None,
    published: datetime.date | None,
    value: datetime.date | None,
    precision: Precision,
) -> None:
    assert resolve_date(expression, published) == ResolvedDate(value, precision)


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [("000_", None), ("001_", d(2018, 4, 8)), ("004_", d(2018, 4, 23))],
)
def test_find_published_date_on_seeds(prefix: str, expected: datetime.date | None) -> None:
    (path,) = SEEDS.glob(f"{prefix}*.txt")
    assert find_published_date(path.read_text(encoding="utf-8")) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Published 2018-04-08\n\nTitle", d(2018, 4, 8)),
        ("\n\n  Published: Mon, April 23, 2018\nBody", d(2018, 4, 23)),
        ("Title\nBy someone\n\nPublished on 7 April 2018", d(2018, 4, 7)),
        ("Title\nPublished: yesterday", None),
        ("1\n2\n3\n4\n5\nPublished: Sun, April 08, 2018", None),
        ("The report was published on April 8, 2018.", None),
        ("", None),
    ],
)
def test_find_published_date(text: str, expected: datetime.date | None) -> None:
    assert find_published_date(text) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "The government launched a fierce assault on Douma, the last rebel-held town in "
            "eastern Ghouta, on Friday, killing 48 people in the last 24 hours alone.",
            ["on Friday"],
        ),
        (
            "Before the fighting resumed, helicopters earlier Friday dropped leaflets on Douma.",
            ["earlier Friday"],
        ),
        (
            "Jaysh al-Islam characterized Friday's ground and air operations as a massacre.",
            ["Friday"],
        ),
        (
            "a Russia-backed government offensive in February and March that killed hundreds",
            ["in February", "March"],
        ),
        (
            "Regime forces have captured almost all of Ghouta with bombing raids, which started "
            "on February 18, and negotiated withdrawals.",
            ["on February 18"],
        ),
        ("near the Grand mosque in Aleppo, Syria on April 07, 2018.", ["on April 07, 2018"]),
        ("the harshest blow to the rebels since December 2016, when", ["since December 2016"]),
        ("had remained out of Assad's grip since 2012.", ["since 2012"]),
        ("in the early hours of April 14 in response", ["April 14"]),
        ("two rebel-held pockets were evacuated last month", ["last month"]),
        (
            "Alloush yesterday blamed supporters; late Saturday talks resumed",
            ["yesterday", "late Saturday"],
        ),
        ("Talks held 7 April 2018 and on 2018-04-09 failed.", ["7 April 2018", "on 2018-04-09"]),
        ("Fighters may 20 times have tried; a protest march began.", []),
        ("May God protect them, a day earlier, in recent months.", []),
        ("None of the fighters have left in the past four days.", []),
    ],
)
def test_find_date_expressions(sentence: str, expected: list[str]) -> None:
    spans = find_date_expressions(sentence)
    assert [expression for _, _, expression in spans] == expected
    previous_end = 0
    for start, end, expression in spans:
        assert sentence[start:end] == expression
        assert start >= previous_end
        previous_end = end
        assert resolve_date(expression, MON_APR_23).precision != "unknown"


def test_resolved_date_is_immutable() -> None:
    resolved = resolve_date("2016", None)
    with pytest.raises(AttributeError):
        resolved.precision = "day"  # type: ignore[misc]
