from __future__ import annotations

import datetime as dt
import hashlib

import pytest

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
