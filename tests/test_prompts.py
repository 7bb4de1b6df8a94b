from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from service.extraction.prompts import PROMPTS_DIR, PromptNotFoundError, load_prompt
from service.extraction.sentences import split_sentences

TEXT = "First sentence here. Second one follows.\nThird line is here."


def test_every_call_of_an_article_shares_its_prefix() -> None:
    prompt = load_prompt("extract.v1")
    sentences = split_sentences(TEXT)
    calls = [prompt.messages_for(sentences, s, "Title", dt.date(2018, 4, 8)) for s in sentences]
    assert len({str(c[:2]) for c in calls}) == 1
    assert calls[0][1]["content"].startswith("Article title: Title (published 2018-04-08)")
    assert "[3] Third line is here." in calls[0][1]["content"]
    assert calls[1][2]["content"].startswith("Sentence [2]: Second one follows.")


def test_unknown_prompt_names_what_exists() -> None:
    with pytest.raises(PromptNotFoundError, match=r"extract\.v1"):
        load_prompt("extract.v99")


def test_released_prompts_are_never_edited() -> None:
    """prompts/RELEASED pins each released file's sha256: add a v<N+1> file instead."""
    lines = (PROMPTS_DIR / "RELEASED").read_text().split("\n")
    pinned = dict(line.split() for line in lines if line and not line.startswith("#"))
    assert "extract.v1.yaml" in pinned
    for name, digest in pinned.items():
        actual = hashlib.sha256(Path(PROMPTS_DIR / name).read_bytes()).hexdigest()
        assert actual == digest, f"{name} was edited after release; add a new version instead"
