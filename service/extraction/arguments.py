"""extract.v16's rules for an event's arguments: who did it, to whom, and where.

What the small model gets wrong on articles it never saw, and what the words say instead:

- ``reporters_not_sides``: the name credited with the report is no side of it ("Rebel-
  controlled SABA news agency reported that planes bombed a house", "UNRWA spokesman Chris
  Gunness said", "according to the Sudanese Doctors Network"), unless what it reports is what
  it did itself ("The army said it killed ...").
- ``named_perpetrators``: the words name who acted when the model named no one: "an ambush
  carried out by al Shabaab", "an attack claimed by Islamic State", "a Saudi-led coalition
  airstrike", "a second RSF strike".
- ``place_shapes``: "Britain-based" describes an actor, not where it happened; a name that
  speaks ("Sobejana said") or that the article uses as a side ("Daesh") is no place; Arabic
  place names keep their article ("al-Safra" is a town after "the town of").
- ``every_event_placed``: an ACLED row always has a location. An event whose sentence gave the
  model no place takes its sentence's best place candidate, else the place of the event told
  before it in the article (a later sentence about "the town" or "a second airstrike" is about
  the place just told), else the article's dateline.
- ``active_subjects``: the subject of an active verb of violence acted ("Taliban insurgents
  attacked two checkpoints"), whichever side the model put it on; it is the first side that
  acted.
- ``datelines_not_sides``: the dateline's place ("ZAMBOANGA CITY --") is where the reporter
  filed from: no side and no source.
- ``glued_names``: scraped text glues a headline to the first sentence ("Boko HaramFifteen
  people were killed"); a name glued that way is no name.
- ``civilians_in_figures``: civilians are the people an event hit; the guide counts them in the
  figures and lists no actor for them. The ACLED export still names them as actor2
  ("Civilians (Country)", inter code 7) on violence against civilians with no named target.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from service.extraction import nlp
from service.extraction.mentions import Mention
from service.extraction.sides import violent_verb

if TYPE_CHECKING:
    from spacy.tokens import Token

# The parser here has no lemmas: the forms of the verbs a report is credited with.
_REPORTING = re.compile(
    r"^(?:sa(?:y|ys|id)|t(?:ell|ells|old)|reports?(?:ed)?|announc(?:e|es|ed)|adds?(?:ed)?"
    r"|stat(?:e|es|ed)|confirm(?:s|ed)?|quot(?:e|es|ed)|cit(?:e|es|ed)|claim(?:s|ed)?"
    r"|publish(?:es|ed)?|wr(?:ite|ites|ote)|document(?:s|ed)?|record(?:s|ed)?|warn(?:s|ed)?"
    r"|not(?:e|es|ed))$"
)
# Words after a name that make it an outlet ("SABA news agency", "Al Jazeera TV").
_OUTLET_AFTER = re.compile(
    r"^\s+(?:news\s+agency|news\s+channel|agency|television|tv|radio|newspaper|daily"
    r"|broadcaster|website|news\s+site|monitor(?:ing\s+group)?)\b",
    re.IGNORECASE,
)
# The reported clause tells what the reporter itself did: "The army said it killed ...".
_OWN_DEED = frozenset({"it", "its", "they", "their", "we", "our"})


# A force that reports its own operations ("The army said troops killed 20 militants") did
# them: ACLED codes it as the side that acted.
_FORCE = re.compile(
    r"\b(?:army|military|forces|troops|soldiers|police|militants|fighters|rebels|militias?"
    r"|brigades?|guards?|navy|air\s+force)\b",
    re.IGNORECASE,
)


def reports_only(sentence: str, mention: Mention) -> bool:
    """Whether the sentence credits ``mention`` with the report rather than the deed: the
    subject of a reporting verb, the object of "according to", an outlet by the word after
    it. A force is never only a reporter."""
    if _OUTLET_AFTER.match(sentence[mention.end :]):
        return True
    if _FORCE.search(mention.text):
        return False
    doc = nlp.parse(sentence)
    span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
    if span is None:
        return False
    token: Token = span.root
    while token.dep_ in ("compound", "appos", "amod", "conj", "nmod") and token.head is not token:
        token = token.head
    if token.dep_ == "pobj" and token.head.lower_ == "to" and token.head.head.lower_ == "according":
        return True
    verb = token.head
    if token.dep_ != "nsubj" or not _REPORTING.match(verb.lower_):
        return False
    if verb.lower_.startswith("claim") and any(
        child.lower_ == "responsibility" for child in verb.children
    ):
        return False  # "claimed responsibility for the explosion": the deed's author
    reported = [child for child in verb.children if child.dep_ in ("ccomp", "xcomp", "dobj")]
    return not any(word.lower_ in _OWN_DEED for clause in reported for word in clause.subtree)


_BY_BEFORE = re.compile(
    r"\b(?:carried\s+out|claimed|perpetrated|launched|conducted|staged|committed|mounted"
    r"|attacks?|strikes?|airstrikes?|air\s+strikes?|raids?|assault|ambush|shelling|bombing"
    r"|bombardment|offensive)\s+by\s+(?:the\s+)?(?:[a-z][\w-]*\s+)?$",
    re.IGNORECASE,
)
_DEED_AFTER = re.compile(
    r"^(?:['\u2019]s?)?\s+(?:[a-z][\w-]*\s+)?(?:air\s*strikes?|airstrikes?|drone\s+strikes?"
    r"|strikes?|raids?|attacks?|shelling|bombardment|bombing|assault|offensive|ambush"
    r"|fire|missiles?|rockets?)\b",
    re.IGNORECASE,
)


# "Saudi-led" names the coalition it leads.
_LED = re.compile(r"^\s+(?:military\s+)?(?:coalition|alliance|forces|troops)\b", re.IGNORECASE)


def named_by_the_words(sentence: str, names: Sequence[Mention]) -> list[Mention]:
    """The names the sentence's words make the side that acted: "carried out by al Shabaab",
    "a Saudi-led coalition airstrike" (the coalition)."""
    acted = []
    for mention in names:
        if _BY_BEFORE.search(sentence[: mention.start]) or _DEED_AFTER.match(
            sentence[mention.end :]
        ):
            acted.append(led_completed(sentence, mention))
    return acted


# "Britain-based", "Iran-backed Houthi": words that describe an actor; "rebel-held Douma" and
# "government-controlled Aleppo" are still places.
_DESCRIBES = re.compile(
    r"\w-(?:based|led|backed|allied|linked|sponsored|funded|supported|aligned)\b", re.IGNORECASE
)


def describes_an_actor(name: str) -> bool:
    """Whether a name is words that describe an actor ("Britain-based"), not a place."""
    return _DESCRIBES.search(name) is not None


def led_completed(sentence: str, mention: Mention) -> Mention:
    """A name ending "-led" names what it leads: "Saudi-led coalition"."""
    led = _LED.match(sentence[mention.end :]) if mention.text.endswith("-led") else None
    if led is None:
        return mention
    end = mention.end + led.end()
    return Mention(mention.start, end, sentence[mention.start : end])


def acted_as_subject(sentence: str, mention: Mention) -> bool:
    """Whether the name is the subject of an active verb of violence ("Taliban insurgents
    attacked two checkpoints", "Boko Haram fighters have killed 15 people")."""
    doc = nlp.parse(sentence)
    span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
    if span is None:
        return False
    token: Token = span.root
    while token.dep_ in ("compound", "conj", "appos") and token.head is not token:
        token = token.head
    return token.dep_ == "nsubj" and violent_verb(token.head.lower_)


# "ZAMBOANGA CITY -- ", "KABUL, Afghanistan (AP) — ", "MOGADISHU (Mareeg) - ".
_DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z'.\-]+(?: [A-Z][A-Z'.\-]+)*(?:, [A-Z][\w.]*(?: [A-Z][\w.]*)*)?)"
    r"(?: ?\([^()\n]{1,40}\))? ?(?:--|[-\u2013\u2014:]) "
)


def filed_from(sentence: str) -> int:
    """Where the place of a dateline that opens the sentence ends (0: none); the outlet after
    it ("(AP)") is the report's source."""
    match = _DATELINE.match(sentence)
    return match.end("place") if match is not None else 0


_GLUED = re.compile(r"[a-z]{3,}[A-Z][a-z]")


def glued(name: str) -> bool:
    """Whether a name runs two words together as scraped text does ("Boko HaramFifteen")."""
    return _GLUED.search(name) is not None


_SPEECH = re.compile(
    r"^\s+(?:said|says|told|added|stated|confirmed|noted|explained|warned|claimed|denied)\b"
)


def speaks(sentence: str, mention: Mention) -> bool:
    """Whether the sentence has the name speak ("Sobejana said"): a person or a government,
    not where anything happened."""
    return _SPEECH.match(sentence[mention.end :]) is not None
