from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from service.extraction.formats import AnswerFormat, Labels, Numbers, Rows
from service.extraction.prompts import PROMPTS_DIR, PromptNotFoundError, load_prompt


def test_every_call_of_an_article_shares_its_prefix() -> None:
    prompt = load_prompt("extract.v1")
    calls = [
        prompt.sentence_messages(s, names, [], [], "Title", dt.date(2018, 4, 8))
        for s, names in (("First one here.", ["A"]), ("Second one here.", ["B", "C"]))
    ]
    assert calls[0][:2] == calls[1][:2]
    assert calls[0][1]["content"] == "Article: Title (published 2018-04-08)"
    assert calls[1][2]["content"] == (
        'Sentence: Second one here.\nNames: (1) "B" (2) "C"\nPlaces: none\nCounts: none'
    )


def test_unknown_prompt_names_what_exists() -> None:
    with pytest.raises(PromptNotFoundError, match=r"extract\.v1"):
        load_prompt("extract.v99")


def test_released_prompts_are_never_edited() -> None:
    """prompts/RELEASED pins each released file's sha256: add a v<N+1> file instead."""
    lines = (PROMPTS_DIR / "RELEASED").read_text().split("\n")
    pinned = dict(line.split() for line in lines if line and not line.startswith("#"))
    assert "extract.v1.yaml" in pinned
    for name, digest in pinned.items():
        actual = hashlib.sha256((PROMPTS_DIR / name).read_bytes()).hexdigest()
        assert actual == digest, f"{name} was edited after release; add a new version instead"


def _answers(text: str) -> list[str]:
    """The example answers of a prompt file, each joined onto one line."""
    answers, current = [], ""
    for line in text.split("\n"):
        line = line.strip()
        if line.startswith("Answer: "):
            current = line.removeprefix("Answer: ")
        elif current:
            current += " " + line
        if current and current.count("{") == current.count("}"):
            answers.append(current)
            current = ""
    return answers


def test_extract_v3_is_v2_with_compact_answers() -> None:
    """extract.v3 only drops the spaces of v2's example answers (fewer answer tokens)."""
    v2 = (PROMPTS_DIR / "extract.v2.yaml").read_text()
    v3 = (PROMPTS_DIR / "extract.v3.yaml").read_text()
    old, new = _answers(v2), _answers(v3)
    assert len(old) == len(new) == 4
    for before, after in zip(old, new, strict=True):
        assert json.loads(before) == json.loads(after.replace(", ", ","))
        assert ": " not in after.replace(", ", ",")
    rules_v2 = load_prompt("extract.v2").system.split("Example.")[0]
    assert load_prompt("extract.v3").system.split("Example.")[0] == rules_v2


def test_a_prompt_file_with_an_unknown_or_misspelt_key_is_refused(tmp_path: Path) -> None:
    source = (PROMPTS_DIR / "extract.v4.yaml").read_text(encoding="utf-8")
    (tmp_path / "extract.v4.yaml").write_text(source.replace("answer:", "answr:"), "utf-8")
    with pytest.raises(PromptNotFoundError, match="answr"):
        load_prompt("extract.v4", tmp_path)
    (tmp_path / "extract.v4.yaml").write_text(
        source.replace("answer: rows", "answer: row"), "utf-8"
    )
    load_prompt.cache_clear()
    with pytest.raises(PromptNotFoundError, match="answer"):
        load_prompt("extract.v4", tmp_path)


@pytest.mark.parametrize(
    ("prompt_id", "answer", "asks_types", "follows_up"),
    [
        ("extract.v1", Labels, False, False),
        ("extract.v2", Numbers, True, False),
        ("extract.v4", Rows, True, True),
        ("extract.v5", Rows, True, True),
    ],
)
def test_each_prompt_names_its_answer_format(
    prompt_id: str, answer: type[AnswerFormat], asks_types: bool, follows_up: bool
) -> None:
    prompt = load_prompt(prompt_id)
    assert type(prompt.answer) is answer
    assert prompt.answer.asks_actor_types is asks_types
    assert prompt.answer.follows_up is follows_up
