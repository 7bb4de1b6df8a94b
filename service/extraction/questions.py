"""Which sentences of an article are asked about, with their numbered candidates.

A sentence is asked about when it may report something: not boilerplate, a fragment, a
repeated line (headline) or a teaser, and holding a count or a word of violence, force or
negotiation. Its candidates: the names that may act or be hit, the places where it may
happen, and its counts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from service.extraction import nlp
from service.extraction.counts import Count, find_counts
from service.extraction.mentions import Mention, find_mentions
from service.extraction.rules import caption_line, dateline, headline_end, model_addressed_lines
from service.extraction.sentences import Sentence, split_sentences
from service.extraction.subtypes import rule_fires

_BOILERPLATE = re.compile(
    r"^(read more:|like this:?$|latest news$|image\b|advertisement$|published\b)", re.I
)
_MIN_WORDS = 4
# extract.v5: scraped link lists and teasers ("- Five killed in ...", "Related: ...").
_TEASER = re.compile(r"^(?:[-\u2013\u2022*>]\s|related\b|also read\b|see also\b|watch:)", re.I)
# extract.v12: a line of a scraped list of other stories ("- Gaza explosion leaves four soldiers
# dead"): a dash or bullet, then a headline (no final full stop). A bullet that is a sentence
# ("- On July 31 a tank-backed assault killed ...") is reportage and stays.
_TEASER_LINE = re.compile(r"^[-\u2013\u2022*>]\s[^\n]*[^.!?\"\u201d\s]\s*$")
# Victims are counted by figures, not listed as actors (the labelling guide).
_VICTIMS = re.compile(
    r"^(?:\w+\s+)?(?:civilians|residents|people|villagers|passengers|children|women|students"
    r"|worshippers|families|patients|refugees)$",
    re.IGNORECASE,
)
# A sentence with no count and none of these words reports no event: it is not sent to the model.
_EVENT_WORDS = re.compile(
    r"\b(kill|attack|strike|struck|shell|bomb|clash|fight|assault|offensive|raid|mortar|rocket"
    r"|missile|fire|fired|firing|gun|shot|shoot|wound|injur|dead|death|die|massacre|evacuat"
    r"|deal|agree|ceasefire|truce|withdr|surrender|captur|seiz|control|advanc|push"
    r"|retak|recaptur|liberat|enter|kidnap|abduct|hostage|detain|arrest|protest|demonstrat"
    r"|riot|siege|besieg|destr|explo|blast|warplane|helicopter|drone|artillery|troops"
    r"|terror|chemical|gas|loot|burn|leaflet|bus|relocat)",
    re.IGNORECASE,
)
# extract.v5 also asks about what ACLED's other sub-types are made of.
_MORE_EVENT_WORDS = re.compile(
    r"\b(grenade|rape|sexual|lynch|mob|ambush|behead|execut|torch|set fire|storm|overran"
    r"|occup|displac|fled|flee|hostage|missing|clash|stab|beat|tear gas|crackdown|disperse"
    r"|curfew|mutiny|defect|coup|truce|negotiat)",
    re.IGNORECASE,
)

# "No casualties were reported", "neither fatalities nor injuries": that nobody was harmed is
# a detail of an event told elsewhere, not an event (extract.v11's rule_sentences).
_NO_HARM = re.compile(
    r"\b(?:no|neither|nor|without|zero)\s+(?:\w+\s+){0,2}?(?:casualt\w*|fatalit\w*|injur\w*"
    r"|deaths?|victims|losses|damage)(?:\s*,?\s*(?:or|nor|and)\s+(?:\w+\s+)?(?:casualt\w*"
    r"|fatalit\w*|injur\w*|deaths?|damage))*(?:\s+(?:was|were|has been|have been))?"
    r"(?:\s+(?:immediately\s+)?(?:reported|recorded|known))?"
    r"|\b(?:nobody|no one|no-one)\s+(?:was|were)\s+(?:\w+\s+)?(?:killed|hurt|injured|harmed"
    r"|wounded)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Question:
    sentence: Sentence
    names: list[Mention]  # who may act or be hit
    places: list[Mention]  # where it may happen
    counts: list[Count]

    @classmethod
    def about(cls, sentence: Sentence) -> Question:
        mentions = find_mentions(sentence.text)
        return cls(
            sentence,
            [m for m in mentions if not m.only_place],
            [m for m in mentions if m.may_be_place],
            find_counts(sentence.text),
        )


def questions_for(
    text: str, pipeline: int = 1, rules: frozenset[str] = frozenset()
) -> list[Question]:
    """One question per sentence that may report something: not boilerplate, a fragment or a
    repeated line (headline), and holding a count or a word of violence, force or negotiation.
    With the ``model_addressed`` rule (extract.v9), not in a line that addresses the model
    (rules.addresses_model: a prompt injection is no reportage). With ``rule_sentences``
    (extract.v11), also every sentence a sub-type rule would type (subtypes.rule_fires:
    "airstrikes targeted", "handed over the town"), and not a sentence whose only such words
    say that nobody was harmed ("No casualties were reported."). With ``teaser_lines``
    (extract.v12), not a line of a scraped list of other stories. With ``site_chrome``
    (extract.v15), not a photo's caption (rules.caption_line), and on pipeline 2 the site's
    chrome is no headline (rules.headline_end)."""
    typed = "rule_sentences" in rules
    chrome = "site_chrome" in rules
    questions = _questions_v2(text, chrome) if pipeline >= 2 else _questions_v1(text, typed)
    if chrome:
        questions = _outside(questions, _lines_where(text, caption_line))
    if "teaser_lines" in rules:
        teasers = _lines_where(text, lambda line: _TEASER_LINE.match(line.strip()) is not None)
        questions = _outside(questions, teasers)
    if "model_addressed" in rules:
        questions = _outside(questions, model_addressed_lines(text))
    return questions


def _lines_where(text: str, holds: Callable[[str], bool]) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text) if holds(m.group())]


def _outside(questions: list[Question], spans: list[tuple[int, int]]) -> list[Question]:
    """The questions whose sentence starts in none of ``spans`` (lines left out)."""
    return [q for q in questions if not any(s <= q.sentence.start < e for s, e in spans)]


def _questions_v1(text: str, typed: bool = False) -> list[Question]:
    seen: set[str] = set()
    questions = []
    for sentence in split_sentences(text):
        key = " ".join(sentence.text.split()).casefold()
        if key in seen or len(key.split()) < _MIN_WORDS or _BOILERPLATE.match(key):
            continue
        seen.add(key)
        question = Question.about(sentence)
        words = _NO_HARM.sub(" ", sentence.text) if typed else sentence.text
        if question.counts or _EVENT_WORDS.search(words) or (typed and rule_fires(words)):
            questions.append(question)
    return questions


def _questions_v2(text: str, chrome: bool = False) -> list[Question]:
    """extract.v5: sentences and candidates from spaCy; the headline (a restatement of the
    body) is not asked about; a dateline's place ("MOGADISHU (Mareeg) -") is no candidate."""
    seen: set[str] = set()
    skip_until = headline_end(text, chrome) or 0
    datelines: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        found = dateline(line.group())
        if found is not None:
            datelines.append((line.start() + found[0], line.start() + found[1]))
    questions = []
    for parsed in nlp.split_sentences(text):
        sentence = parsed.sentence
        key = " ".join(sentence.text.split()).casefold()
        if sentence.end <= skip_until:
            seen.add(key)
            continue
        if key in seen or len(key.split()) < _MIN_WORDS or _BOILERPLATE.match(key):
            continue
        if _TEASER.match(key):
            continue
        seen.add(key)
        # Where the reporter filed from, not who acted or where: left out of the candidates.
        local = [(s - sentence.start, e - sentence.start) for s, e in datelines]
        mentions = [
            m
            for m in nlp.find_mentions(parsed, exclude=local)
            if not _VICTIMS.match(m.text) and not m.person
        ]
        question = Question(
            sentence,
            [m for m in mentions if not m.only_place],
            [m for m in mentions if m.may_be_place],
            find_counts(sentence.text),
        )
        words = _EVENT_WORDS.search(sentence.text) or _MORE_EVENT_WORDS.search(sentence.text)
        if question.counts or words:
            questions.append(question)
    return questions
