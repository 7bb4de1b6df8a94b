import pytest

from service.extraction.quantities import Quantity, find_quantities, parse_quantity

# (phrase, low, high, qualifier, number_text); None for low/high/qualifier means "no quantity".
CASES: list[tuple[str, int | None, int | None, str | None, str | None]] = [
    # exact: digits, separators, decimals with scale words, number words
    ("48 people", 48, 48, "exact", "48"),
    ("killing 48 people", 48, 48, "exact", "48"),
    ("25 people", 25, 25, "exact", "25"),
    ("a total of 2,963 militants", 2963, 2963, "exact", "2,963"),
    ("A total of 2,963 militants", 2963, 2963, "exact", "2,963"),
    ("1.5 million refugees", 1_500_000, 1_500_000, "exact", "1.5 million"),
    ("3 million people", 3_000_000, 3_000_000, "exact", "3 million"),
    ("Four civilians", 4, 4, "exact", "Four"),
    ("another eight civilians", 8, 8, "exact", "eight"),
    ("Another eight civilians were killed", 8, 8, "exact", "eight"),
    ("twenty-five fighters", 25, 25, "exact", "twenty-five"),
    ("Ninety Nine balloons", 99, 99, "exact", "Ninety Nine"),
    ("nineteen dead", 19, 19, "exact", "nineteen"),
    ("a hundred families", 100, 100, "exact", "a hundred"),
    ("one hundred families", 100, 100, "exact", "one hundred"),
    ("one hundred and fifty men", 150, 150, "exact", "one hundred and fifty"),
    ("a thousand families", 1000, 1000, "exact", "a thousand"),
    ("two thousand troops", 2000, 2000, "exact", "two thousand"),
    ("two thousand five hundred troops", 2500, 2500, "exact", "two thousand five hundred"),
    ("three million people", 3_000_000, 3_000_000, "exact", "three million"),
    ("fifteen hundred people", 1500, 1500, "exact", "fifteen hundred"),
    ("a dozen rockets", 12, 12, "exact", "a dozen"),
    ("two dozen rockets", 24, 24, "exact", "two dozen"),
    ("zero casualties", 0, 0, "exact", "zero"),
    ("one person", 1, 1, "exact", "one"),
    ("One soldier died", 1, 1, "exact", "One"),
    # at_least
    ("at least 40", 40, None, "at_least", "at least 40"),
    ("At least 40 civilians", 40, None, "at_least", "At least 40"),
    ("at least eight civilians", 8, None, "at_least", "at least eight"),
    ("no fewer than 40", 40, None, "at_least", "no fewer than 40"),
    ("a minimum of 40", 40, None, "at_least", "a minimum of 40"),
    ("killing at least one person", 1, None, "at_least", "at least one"),
    # more_than: low = n + 1
    ("more than 46,000 rebels and civilians", 46_001, None, "more_than", "more than 46,000"),
    ("More than 42,000 rebels and civilians", 42_001, None, "more_than", "More than 42,000"),
    ("more than 1,600 civilians", 1601, None, "more_than", "more than 1,600"),
    ("more than 30 others", 31, None, "more_than", "more than 30"),
    ("more than 100 missiles", 101, None, "more_than", "more than 100"),
    ("over 100", 101, None, "more_than", "over 100"),
    ("in excess of 100", 101, None, "more_than", "in excess of 100"),
    ("more than a dozen", 13, None, "more_than", "more than a dozen"),
    # approximately
    ("nearly 4,000", 4000, 4000, "approximately", "nearly 4,000"),
    ("almost 4,000", 4000, 4000, "approximately", "almost 4,000"),
    ("around 4,000 fighters and relatives", 4000, 4000, "approximately", "around 4,000"),
    ("about 4,000", 4000, 4000, "approximately", "about 4,000"),
    ("approximately 4,000", 4000, 4000, "approximately", "approximately 4,000"),
    ("roughly 4,000", 4000, 4000, "approximately", "roughly 4,000"),
    ("some 4,000", 4000, 4000, "approximately", "some 4,000"),
    ("an estimated 4,000", 4000, 4000, "approximately", "an estimated 4,000"),
    ("close to 4,000", 4000, 4000, "approximately", "close to 4,000"),
    ("Close  to\nfour thousand", 4000, 4000, "approximately", "Close  to\nfour thousand"),
    # up_to
    ("up to 20", None, 20, "up_to", "up to 20"),
    ("as many as 20", None, 20, "up_to", "as many as 20"),
    ("no more than 20", None, 20, "up_to", "no more than 20"),
    ("fewer than 20", None, 19, "up_to", "fewer than 20"),
    ("less than 20", None, 19, "up_to", "less than 20"),
    # range
    ("between 20 and 30", 20, 30, "range", "between 20 and 30"),
    ("20 to 30", 20, 30, "range", "20 to 30"),
    ("20-30", 20, 30, "range", "20-30"),
    ("20\u201330 people", 20, 30, "range", "20\u201330"),
    ("six to 10", 6, 10, "range", "six to 10"),
    ("six to 10 months", 6, 10, "range", "six to 10"),
    ("until after six to 10 months", 6, 10, "range", "six to 10"),
    ("two or three shells", 2, 3, "range", "two or three"),
    # vague
    ("dozens of people", 12, None, "vague", "dozens"),
    ("scores of people", 20, None, "vague", "scores"),
    ("hundreds", 100, None, "vague", "hundreds"),
    ("Hundreds of air raids", 100, None, "vague", "Hundreds"),
    ("Hundreds of IS militants", 100, None, "vague", "Hundreds"),
    ("thousands", 1000, None, "vague", "thousands"),
    ("Thousands of homes", 1000, None, "vague", "Thousands"),
    ("tens of thousands of people", 10_000, None, "vague", "tens of thousands"),
    ("Tens of thousands of people", 10_000, None, "vague", "Tens of thousands"),
    ("hundreds of thousands", 100_000, None, "vague", "hundreds of thousands"),
    ("millions", 1_000_000, None, "vague", "millions"),
    ("several", 3, None, "vague", "several"),
    ("several rebel groups", 3, None, "vague", "several"),
    ("a few", 2, None, "vague", "a few"),
    ("a number of", 2, None, "vague", "a number of"),
    ("several hundred", 300, None, "vague", "several hundred"),
    ("several thousand", 3000, None, "vague", "several thousand"),
    ("a few dozen", 24, None, "vague", "a few dozen"),
    # not counts
    ("95 percent of the enclave", None, None, None, None),
    ("95% of the enclave", None, None, None, None),
    ("2018", None, None, None, None),
    ("since 2012", None, None, None, None),
    ("April 14", None, None, None, None),
    ("on February 18", None, None, None, None),
    ("14 April", None, None, None, None),
    ("December 2016", None, None, None, None),
    ("April 07, 2018", None, None, None, None),
    ("2018-04-07", None, None, None, None),
    ("2011-2012", None, None, None, None),
    ("the fourth division", None, None, None, None),
    ("first", None, None, None, None),
    ("the 4th division", None, None, None, None),
    ("the five-year-old siege", None, None, None, None),
    ("the seven-year Syrian conflict", None, None, None, None),
    ("a 24-hour truce", None, None, None, None),
    ("One group holding out", None, None, None, None),
    ("the one-time opposition stronghold", None, None, None, None),
    ("one of the fighters", None, None, None, None),
    ("Su-24 jets", None, None, None, None),
    ("at 10:30", None, None, None, None),
    ("a 2.5 percent rise", None, None, None, None),
    ("2.5 kilometres", None, None, None, None),
    ("hundred people", None, None, None, None),
    ("none of the fighters have left", None, None, None, None),
    ("often", None, None, None, None),
    ("20 may be missing", 20, 20, "exact", "20"),
    ("over the past four days", 4, 4, "exact", "four"),
    ("$5 million in aid", None, None, None, None),
    ("at 5 pm", None, None, None, None),
    ("", None, None, None, None),
]


@pytest.mark.parametrize(("phrase", "low", "high", "qualifier", "number_text"), CASES)
def test_parse_quantity(
    phrase: str,
    low: int | None,
    high: int | None,
    qualifier: str | None,
    number_text: str | None,
) -> None:
    quantity = parse_quantity(phrase)
    if qualifier is None:
        assert quantity is None
        return
    assert quantity is not None
    assert (quantity.low, quantity.high, quantity.qualifier) == (low, high, qualifier)
    assert quantity.number_text == number_text
    assert phrase[quantity.start : quantity.end] == quantity.number_text


def summary(text: str) -> list[tuple[int | None, int | None, str, str]]:
    return [(q.low, q.high, q.qualifier, q.number_text) for q in find_quantities(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "two people were killed and 20 others wounded",
            [(2, 2, "exact", "two"), (20, 20, "exact", "20")],
        ),
        (
            "killing at least four people and wounding 20 others",
            [(4, None, "at_least", "at least four"), (20, 20, "exact", "20")],
        ),
        (
            "killing at least one person and injuring six others",
            [(1, None, "at_least", "at least one"), (6, 6, "exact", "six")],
        ),
        (
            "The government launched a fierce air and ground assault on Douma on Friday, "
            "killing 48 people in the last 24 hours alone.",
            [(48, 48, "exact", "48"), (24, 24, "exact", "24")],
        ),
        (
            "launched more than 100 missiles on three suspected chemical weapons facilities in "
            "Syria in the early hours of April 14",
            [(101, None, "more_than", "more than 100"), (3, 3, "exact", "three")],
        ),
        (
            "the harshest blow to the rebels since December 2016, when al-Assad's forces",
            [],
        ),
        (
            "in a rebel-held area of Idlib on January 8, 2018. Nearly half of them",
            [],
        ),
        (
            "the death toll rose from 20 to 30",
            [(20, 20, "exact", "20"), (30, 30, "exact", "30")],
        ),
        ("between 30 and 20 people", [(30, 30, "exact", "30"), (20, 20, "exact", "20")]),
        (
            "tens of thousands and hundreds",
            [(10_000, None, "vague", "tens of thousands"), (100, None, "vague", "hundreds")],
        ),
    ],
)
def test_find_quantities(
    text: str, expected: list[tuple[int | None, int | None, str, str]]
) -> None:
    assert summary(text) == expected


def test_find_quantities_offsets_are_ordered_and_exact() -> None:
    text = (
        "More than 42,000 rebels and civilians left, about 300 stayed, between 5 and 7 buses "
        "waited and dozens of people and a dozen medics watched 2 to 3 convoys."
    )
    quantities = find_quantities(text)
    assert [q.number_text for q in quantities] == [
        "More than 42,000",
        "about 300",
        "between 5 and 7",
        "dozens",
        "a dozen",
        "2 to 3",
    ]
    previous_end = 0
    for quantity in quantities:
        assert text[quantity.start : quantity.end] == quantity.number_text
        assert quantity.start >= previous_end
        previous_end = quantity.end


def test_parse_quantity_returns_first() -> None:
    assert parse_quantity("Four civilians lost their lives and more than 30 others") == Quantity(
        low=4, high=4, qualifier="exact", start=0, end=4, number_text="Four"
    )
