"""extract.v5's rules where the words decide: datelines and headlines are not asked about, a
count's category comes from the verb next to it, and one occurrence is one event."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from service.extraction.taxonomy import FigureCategory

# "MOGADISHU (Mareeg) - ", "KABUL, Afghanistan (AP) — ", "BAGHDAD: ": a place in capitals that
# opens a line, an optional region and outlet, then a dash or colon.
_DATELINE = re.compile(
    r"(?P<place>[A-Z][A-Z'\.\-]+(?: [A-Z][A-Z'\.\-]+)*)(?:, [A-Z][\w\.]*(?: [A-Z][\w\.]*)*)?"
    r"(?: ?\([^()\n]{1,40}\))? ?[-\u2013\u2014:] "
)
_HEADLINE_MAX_WORDS = 20


def _dateline(line: str) -> re.Match[str] | None:
    match = _DATELINE.match(line)
    return match if match is not None and len(match.group("place")) >= 3 else None


def dateline(line: str) -> tuple[int, int] | None:
    """The span of a dateline's place at the start of ``line``, if the line opens with one."""
    match = _dateline(line)
    return match.span("place") if match is not None else None


def dateline_end(line: str) -> int | None:
    """Where a dateline ("JOLO, Philippines (AP) -") that opens ``line`` ends, if one does."""
    match = _dateline(line)
    return match.end() if match is not None else None


_HEADLINE_MIN_WORDS = 4
# A photo's caption or credit line ("... / Photo: AP Archive. / AP", "[File Photo: AFP]"):
# it describes a picture, often of another occurrence, and the guide makes those optional.
_CAPTION = re.compile(
    r"\bphoto(?:graph)?\s*:|\[file photo|\bphoto credit\b|\bimage\s*:|\bgetty images\b"
    r"|\b(?:ap|afp|reuters) photo\b|\bphoto by\b",
    re.IGNORECASE,
)


def caption_line(line: str) -> bool:
    return _CAPTION.search(line) is not None


def headline_end(text: str, chrome: bool = False) -> int | None:
    """Where the article's headline ends: its first line (after a "Published:" line), when
    that line reads like a headline (short, no final full stop) and more text follows it.
    With ``chrome`` (extract.v15's site_chrome), lines of fewer than four words before it are
    the site's chrome ("Left Menu", "TODAY |"), not the headline, and the headline-like lines
    right after it are headlines too (a scraped page's other headline, a subtitle: "DRC: 15
    soldiers killed in an attack by Mobondo militiamen" over "DRC: 7 civilians killed by ADF
    rebels")."""
    end: int | None = None
    for line in re.finditer(r"[^\n]+", text):
        words = line.group().strip()
        if not words or (end is None and words.lower().startswith("published")):
            continue
        if chrome and end is None and len(words.split()) < _HEADLINE_MIN_WORDS:
            continue
        if not text[line.end() :].strip() or not _headline_like(words):
            return end
        end = line.end()
        if not chrome:
            return end
    return end


def _headline_like(words: str) -> bool:
    return len(words.split()) <= _HEADLINE_MAX_WORDS and not words.endswith(
        (".", "!", "?", '"', "\u201d")
    )


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


# extract.v6 ------------------------------------------------------------------------------

# Words that say something happened: those the question filter looks for (questions.py) and
# those of the other sub-types.
_HAPPENING = re.compile(
    r"\b(kill|attack|strike|struck|shell|bomb|clash|fight|assault|offensive|raid|mortar|rocket"
    r"|missile|fire|fired|firing|gun|shot|shoot|wound|injur|dead|death|die|massacre|evacuat"
    r"|deal|agree|ceasefire|truce|withdr|surrender|captur|seiz|control|advanc|push|retak"
    r"|recaptur|liberat|enter|kidnap|abduct|hostage|detain|arrest|protest|demonstrat|riot"
    r"|siege|besieg|destr|explo|blast|warplane|helicopter|drone|artillery|terror|chemical|gas"
    r"|loot|burn|grenade|rape|sexual|lynch|ambush|behead|execut|torch|set fire|storm|overran"
    r"|occup|displac|fled|flee|missing|stab|beat|tear gas|crackdown|disperse|lost their lives)",
    re.IGNORECASE,
)


_QUOTATION_MIN_WORDS = 4


def _quoted_spans(sentence: str) -> list[tuple[int, int]]:
    """Spans of ``sentence`` inside quotation marks. Curly marks say which way they face; an
    odd straight mark closes a quotation that began in an earlier sentence unless the
    sentence opens with it (then it opens one that runs on)."""
    spans: list[tuple[int, int]] = []
    opened: int | None = None
    for match in re.finditer("[\u201c\u201d]", sentence):
        if match.group() == "\u201c":
            opened = match.start() if opened is None else opened
        else:
            spans.append((opened if opened is not None else 0, match.end()))
            opened = None
    if opened is not None:
        spans.append((opened, len(sentence)))
    marks = [m.start() for m in re.finditer('"', sentence)]
    if len(marks) % 2 == 1:
        if sentence.lstrip().startswith('"'):
            spans.append((marks.pop(), len(sentence)))
        else:
            spans.append((0, marks.pop(0) + 1))
    spans.extend((a, b + 1) for a, b in zip(marks[::2], marks[1::2], strict=True))
    return spans


def _outside_quotes(sentence: str) -> str | None:
    """The words of ``sentence`` outside quotation marks; None when nothing is quoted."""
    spans = _quoted_spans(sentence)
    if not spans:
        return None
    inside = [False] * len(sentence)
    for start, end in spans:
        inside[start:end] = [True] * (end - start)
    return "".join(" " if inside[i] else char for i, char in enumerate(sentence))


def quoted_statement(sentence: str) -> bool:
    """A quotation whose frame reports nothing happening ('"There must be safe passage for the
    wounded", he said.'): what is said in it is a statement, claim or opinion, not the
    reporter's account of an event. A sentence whose own words outside the quotation say
    something happened ("Fighting resumed, he said: ...") is not one."""
    outside = _outside_quotes(sentence)
    if outside is None or _HAPPENING.search(outside) is not None:
        return False
    # a scare-quoted term ('declared a "state of siege"') is no quotation of what someone said
    return len(sentence.split()) - len(outside.split()) >= _QUOTATION_MIN_WORDS


# extract.v9 ------------------------------------------------------------------------------

# Text that addresses the model is no reportage. An article may carry a message written to
# whatever machine reads it (a prompt injection): an instruction to ignore what came before
# and report something else, a turn of a conversation ("system:", "assistant:", chat template
# tokens), an answer in the model's own format, markup hidden from human readers. Its names,
# places and counts are not the reporter's account of anything, so its line (the paragraph
# that carries it: the rest of the message goes with it) is not asked about.

# A conversation turn or instruction header at the start of a line: "system: ...",
# "### Instruction", "[INST]".
_TURN = re.compile(
    r"^\W{0,3}(?:system|assistant|user|human|developer)\s*:|^#{1,6}\s*(?:instructions?|response"
    r"|system|input|output)\b|^\[/?inst\]"
)
# Chat template tokens and hidden markup anywhere in a line.
_MARKUP = re.compile(r"<\|[a-z_]{2,20}\|>|\[/?inst\]|<<sys>>|<!--|-->")
# The prompt's own format and the answer's shape: numbered candidate lists, an answer line,
# a line that is a JSON object or array with quoted keys.
_ANSWER_FORMAT = re.compile(
    r"^(?:names|places|counts)\s*:\s*(?:\(\d+\)|none\b)|^answer\s*:\s*[\[{]|^[\[{]\s*\"[^\"]+\"\s*:"
)
_PROMPT_SENTENCE = re.compile(r"^sentence\s*:")
# The reader addressed as a machine, or told what to report: "ignore previous instructions",
# "Note to any automated summariser:", "you are a data extraction assistant", "you must state
# that". Imperatives only where a sentence starts: "would report only confirmed deaths" is
# reportage.
_MACHINE = (
    r"(?:ai|a\.i\.|artificial intelligence|(?:ai |large )?language models?|llms?|chatbots?"
    r"|assistants?|crawlers?|bots?|automated (?:systems?|tools?|readers?|agents?|summari[sz]ers?)"
    r"|summari[sz]ers?)"
)
_START = r"(?:^|[.!?:;]\s+|[\"\u201c]\s*)"
_ADDRESSING = re.compile(
    r"\b(?:ignore|disregard|forget|override)\s+(?:[\w-]+\s+){0,3}?(?:instructions|prompts?"
    r"|the (?:article|text|above)|everything (?:above|before|you)|what you were told)\b"
    rf"|\b(?:note|instructions?|message|notice)\s+(?:to|for)\s+(?:any\s+|all\s+)?(?:ai\s+)?{_MACHINE}\b"
    rf"|^\W{{0,3}}(?:(?:any|all|ai|dear)\s+)?{_MACHINE}(?:\s+and\s+{_MACHINE})?\s*:"
    rf"|\byou are an?\s+(?:[\w-]+\s+){{0,4}}(?:models?|{_MACHINE})\b"
    r"|\byou must (?:report|state|record|say|write|output) that\b|\binstruction overrides\b"
    r"|\b(?:when|while) summari[sz]ing this (?:page|article|text)\b"
    rf"|{_START}(?:report|record|output|list|extract) (?:only|instead|exactly)\b"
    rf"|{_START}do not (?:list|record|report|mention|extract|output) (?:any|this|it)\b"
)


def _plain(line: str) -> str:
    """Compatibility forms folded (full-width letters), format characters (zero-width spaces)
    dropped, casefolded: the same words however they are dressed."""
    line = unicodedata.normalize("NFKC", line)
    return "".join(c for c in line if unicodedata.category(c) != "Cf").casefold().strip()


def addresses_model(line: str, next_line: str = "") -> bool:
    """Whether a line (paragraph) is a message to the model rather than reportage: a
    conversation turn, chat template tokens or hidden markup, the prompt's or the answer's
    format, or words that address a machine or tell the reader what to report. A "Sentence:"
    line counts when the next line lists the prompt's numbered names."""
    plain = _plain(line)
    if _PROMPT_SENTENCE.match(plain):
        return _ANSWER_FORMAT.match(_plain(next_line)) is not None
    return any(
        pattern.search(plain) is not None
        for pattern in (_TURN, _MARKUP, _ANSWER_FORMAT, _ADDRESSING)
    )


def model_addressed_lines(text: str) -> list[tuple[int, int]]:
    """Spans of the lines of ``text`` that address the model (``addresses_model``)."""
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\r\n]+", text) if m.group().strip()]
    found = []
    for n, (start, end) in enumerate(lines):
        following = text[slice(*lines[n + 1])] if n + 1 < len(lines) else ""
        if addresses_model(text[start:end], following):
            found.append((start, end))
    return found
