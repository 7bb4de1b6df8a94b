from pathlib import Path

import pytest

from service.extraction.sentences import Sentence, split_sentences

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_seed_articles_exist() -> None:
    assert SEEDS


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_invariants_on_seed_articles(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    sentences = split_sentences(source)
    assert sentences
    previous_end = 0
    for number, sentence in enumerate(sentences, start=1):
        assert sentence.index == number
        assert source[sentence.start : sentence.end] == sentence.text
        assert sentence.text == sentence.text.strip() != ""
        assert "\n" not in sentence.text
        assert sentence.start >= previous_end
        previous_end = sentence.end
    # Every non-whitespace character belongs to exactly one sentence.
    covered = "".join(s.text for s in sentences)
    assert "".join(covered.split()) == "".join(source.split())


def test_seed_article_sentences() -> None:
    source = next(p for p in SEEDS if p.name.startswith("003_")).read_text(encoding="utf-8")
    found = texts(source)
    assert "Evacuations on hold" in found
    assert "mm/bw (AFP, AP, dpa, Reuters)" in found
    assert (
        "Hundreds of air raids took place, according to the Britain-based Syrian Observatory for"
        " Human Rights, whose director Rami Abdel Rahman described the barrage as"
        ' "hysterical.”'
    ) in found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("   \n\n \t \n", []),
        ("One sentence.", ["One sentence."]),
        (
            "First one. Second one! Third one? Fourth",
            ["First one.", "Second one!", "Third one?", "Fourth"],
        ),
        ("Line one\nLine two", ["Line one", "Line two"]),
        ("No final stop\n\n  Indented line.  ", ["No final stop", "Indented line."]),
        (
            'the fighting "is of great concern to us". Next one.',
            ['the fighting "is of great concern to us".', "Next one."],
        ),
        (
            'described the barrage as "hysterical.” Next one.',
            ['described the barrage as "hysterical.”', "Next one."],
        ),
        ("He said: 'Leave now.' Then he left.", ["He said: 'Leave now.'", "Then he left."]),
        ('It ended. "We are safe," he said.', ["It ended.", '"We are safe," he said.']),
        ("It ended (finally.) Then more.", ["It ended (finally.)", "Then more."]),
        ("They left. (AFP) Reported.", ["They left.", "(AFP) Reported."]),
        ("They left. (sic) more", ["They left. (sic) more"]),
        (
            "The U.S., France and the United Kingdom struck.",
            ["The U.S., France and the United Kingdom struck."],
        ),
        (
            "The U.S. Army and U.N. Security Council met.",
            ["The U.S. Army and U.N. Security Council met."],
        ),
        (
            "Maj.-Gen. Yuri Yevtushenko said so. Next.",
            ["Maj.-Gen. Yuri Yevtushenko said so.", "Next."],
        ),
        (
            "Lt. Col. Smith and Dr. Jones met Mr. Brown.",
            ["Lt. Col. Smith and Dr. Jones met Mr. Brown."],
        ),
        ("J. Smith wrote it. Then.", ["J. Smith wrote it.", "Then."]),
        (
            "Syria on April 07, 2018. Nearly half of them.",
            ["Syria on April 07, 2018.", "Nearly half of them."],
        ),
        (
            "It grew 2.5 times to 1,600. 25 people died.",
            ["It grew 2.5 times to 1,600.", "25 people died."],
        ),
        (
            "Held since Jan. 8 and Sept. 9 in St. Louis.",
            ["Held since Jan. 8 and Sept. 9 in St. Louis."],
        ),
        ("Acme Inc. Ltd. and Co. Rebels.", ["Acme Inc. Ltd. and Co. Rebels."]),
        ("Resolution No. 2401 passed.", ["Resolution No. 2401 passed."]),
        ("Towns, e.g. Douma, i.e. Ghouta.", ["Towns, e.g. Douma, i.e. Ghouta."]),
        ("Shells, mortars, etc. were fired.", ["Shells, mortars, etc. were fired."]),
        ("Shells, mortars, etc. Then calm.", ["Shells, mortars, etc.", "Then calm."]),
        ("it ended. then it resumed.", ["it ended. then it resumed."]),
        ("Wait... What happened?! Nobody knows.", ["Wait...", "What happened?!", "Nobody knows."]),
        ("Hello.World stays.", ["Hello.World stays."]),
    ],
)
def test_split(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


def test_offsets_point_into_original_text() -> None:
    source = "  First.   Second here.\r\n\r\n\tThird  "
    sentences = split_sentences(source)
    assert sentences == [
        Sentence(index=1, start=2, end=8, text="First."),
        Sentence(index=2, start=11, end=23, text="Second here."),
        Sentence(index=3, start=28, end=33, text="Third"),
    ]
    for sentence in sentences:
        assert source[sentence.start : sentence.end] == sentence.text


def test_sentence_is_immutable() -> None:
    sentence = split_sentences("Hi.")[0]
    with pytest.raises(AttributeError):
        sentence.index = 2  # type: ignore[misc]
