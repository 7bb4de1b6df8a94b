"""extract.v10's ``sides_are_actors`` rule: an event's sides are actors taking part in it.

The model points at the sentence's names as the side that acted (``by``) and the side that was
hit (``against``), and a small model often points at a name that is no actor, or swaps the
two. Code checks each pick against what the sentence's words and parse say:

- a dateline's place ("KABUL, Afghanistan (AP) -") is where the reporter filed from;
- a place is where it happened ("attacked a village in north-east Nigeria"): a town, or a
  country written after "in", "near", "across" (a country that acts, "Russia launched", stays);
- civilians are the side that was hit, never the side that acted: kept as a target (ACLED's
  actor2 "Civilians", inter code 7, civilian targeting), dropped as a perpetrator;
- a person with a title is not an armed group ("North Darfur Governor Al-Hafiz Bakhit" said
  it, "UN spokesman Stephane Dujarric");
- a possessive names what follows it: "Sudan's" with "army" after it is "Sudan's army", and
  "Suspected Islamist" before "militants" is "Suspected Islamist militants"; a possessive that
  names nothing is dropped;
- the grammar says who acted: the object of "by" after a passive verb or an attack noun
  ("ambushed by gunmen", "an assault by the Rapid Support Forces") acted, and the subject of a
  passive verb ("police officers were killed") was hit. When it contradicts the model's
  sides and nothing supports them, the two sides are swapped;
- one name is on one side: the side the parse says, else the side that acted.

Dropping leaves a side empty rather than guessing another.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from service.extraction import nlp
from service.extraction.mentions import Mention
from service.extraction.places import in_gazetteer, is_country, labels_of
from service.extraction.rules import dateline_end
from service.extraction.taxonomy import ActorType

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

# Civilians ("five civilians", "the displaced"): hit, never the side that acted.
_VICTIMS = re.compile(
    r"^(?:(?:the|some|many|local|unarmed|innocent|displaced|\w+ese|\w+ian|\w+i)\s+)?"
    r"(?:civilians?|residents|people|villagers|passengers|children|women|students|worshippers"
    r"|families|patients|refugees|idps?|displaced(?: people| persons)?|internally displaced"
    r"(?: people| persons)?|shoppers|farmers|herders|pilgrims|mourners|bystanders)$",
    re.IGNORECASE,
)
# The kind of force a name or possessive stands before ("Sudan's army", "Islamist militants").
_FORCE_AFTER = re.compile(
    r"^(?P<possessive>['\u2019]s?)?(?:\s+(?!(?:and|or|of|the|in|on|at|by|with|to|from|against"
    r"|as|for|nor|but)\b)[a-z][\w\-]*)?\s+(?:army|military|forces|troops"
    r"|soldiers|police|militants|fighters|rebels|gunmen|insurgents|jihadists|militias?"
    r"|government|authorities|navy|air force|paramilitaries|guards|security forces)\b"
)
_POSSESSIVE = re.compile(r"['\u2019]s?$")
# A title before a person's name: the person speaks or commands, the group acts.
_TITLE = (
    r"\b(?:governor|minister|president|prime minister|spokes(?:man|woman|person)|mayor"
    r"|commander|general|gen\.|colonel|col\.|lieutenant|major|captain|chief|official|envoy"
    r"|ambassador|senator|deputy|sheikh|imam|bishop|dr\.|mr\.|mrs\.|ms\.)"
)
_TITLED_PERSON = re.compile(
    rf"{_TITLE}\s+[A-Z][\w\-'\u2019]+(?:\s+[A-Z][\w\-'\u2019]+)*$", re.IGNORECASE
)
_TITLE_BEFORE = re.compile(rf"{_TITLE}\s+$", re.IGNORECASE)
_FORCE_WORD = re.compile(
    r"\b(?:forces|army|military|troops|soldiers|police|militants|fighters|rebels|gunmen"
    r"|group|front|brigades?|militias?|movement|party|government|ministry|council|guards?"
    r"|command|coalition|alliance|state|organi[sz]ation|authorities)\b",
    re.IGNORECASE,
)
# Where it happened: "in X", "near the town of X", "in north-east X", "across northern X".
_PLACE_BEFORE = re.compile(
    r"\b(?:in|on|at|near|from|into|towards?|outside|around|across|inside|throughout|of)\s+"
    r"(?:the\s+)?(?:(?:north|south|east|west|central|north-?east|north-?west|south-?east"
    r"|south-?west)(?:ern)?\s+|(?:town|city|village|district|province|region|area|camp"
    r"|capital|suburb|state|county)\s+of\s+)?$",
    re.IGNORECASE,
)
_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
_NOT_PLACE_LABELS = frozenset({"ORG", "NORP", "PERSON"})
# Nouns of attacks whose "by" phrase names the attacker ("an assault by the RSF").
_ATTACK_NOUNS = frozenset(
    """assault attack attacks strike strikes airstrike airstrikes raid raids offensive shelling
    bombardment bombing ambush killing killings incursion advance offensive shooting
    abduction kidnapping massacre""".split()
)

# Verbs of violence: the passive of one says who was hit ("were ambushed by gunmen"), the
# passive of another does not ("were locked in clashes with", "held by Jaysh al-Islam").
_VIOLENT = re.compile(
    r"^(?:kill|wound|injur|attack|ambush|target|struck|strik|hit|shell|bomb|captur|abduct"
    r"|kidnap|arrest|besieg|shot|shoot|raid|overr|repel|repuls|massacr|execut|behead|seiz"
    r"|detain|fired|pound|assault|storm|slain|slaughter|murder|rap|beat|tortur|burn|loot"
    r"|overrun|push|drive|driven|rout|defeat|destroy|damag|blown|explod|gun)",
)

Grammar = Literal["acted", "hit"]


def violent_verb(word: str) -> bool:
    """Whether a lower-case word is a form of a verb of violence ("attacked", "killed")."""
    return _VIOLENT.match(word) is not None


@dataclass(frozen=True, slots=True)
class Side:
    """One pick of the model for a side: the name, the type it gave, its probability."""

    mention: Mention
    actor_type: ActorType | None
    probability: float | None


_COUNTED = re.compile(
    r"^(?:\d[\d,]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|another"
    r"|several|dozens\s+of|scores\s+of|hundreds\s+of|thousands\s+of)\s+",
    re.IGNORECASE,
)


def victims(name: str) -> bool:
    """Whether a name is of civilians ("Four civilians", "the displaced")."""
    return _VICTIMS.match(_COUNTED.sub("", name.strip())) is not None


def settle_sides(
    sentence: str, by: Sequence[Side], against: Sequence[Side]
) -> tuple[list[Side], list[Side]]:
    """The sides of one event after the rule: names that are no actors dropped, names
    completed, and the two sides swapped when the grammar says the model swapped them."""
    if not by and not against:
        return [], []
    doc = nlp.parse(sentence)
    filed_from = dateline_end(sentence) or 0
    acted = _actors(sentence, doc, by, filed_from)
    hit = _actors(sentence, doc, against, filed_from)
    said_acted = [_grammar(doc, s.mention) for s in acted]
    said_hit = [_grammar(doc, s.mention) for s in hit]
    contradicted = "hit" in said_acted or "acted" in said_hit
    supported = "acted" in said_acted or "hit" in said_hit
    if contradicted and not supported:
        acted, hit = hit, acted
    # one name on both sides is on one: the side the parse says, else the side that acted
    both = {s.mention.text.casefold() for s in acted} & {s.mention.text.casefold() for s in hit}
    for name in both:
        side = next(s for s in acted if s.mention.text.casefold() == name)
        if _grammar(doc, side.mention) == "hit":
            acted = [s for s in acted if s.mention.text.casefold() != name]
        else:
            hit = [s for s in hit if s.mention.text.casefold() != name]
    # civilians are hit, never the side that acted (ACLED's actor2 "Civilians", inter code 7)
    return [s for s in acted if not _VICTIMS.match(s.mention.text.strip())], hit


def _actors(sentence: str, doc: Doc, sides: Sequence[Side], filed_from: int) -> list[Side]:
    kept: list[Side] = []
    seen: set[str] = set()
    for side in sides:
        mention = _completed(sentence, side.mention, labels_of(doc, side.mention))
        if mention is None or not _is_actor(sentence, doc, mention, filed_from):
            continue
        key = mention.text.casefold()
        if key not in seen:
            seen.add(key)
            kept.append(replace(side, mention=mention))
    return kept


def _completed(sentence: str, mention: Mention, labels: set[str]) -> Mention | None:
    """A possessive or a nationality with the force it qualifies ("Sudan's army", "Suspected
    Islamist militants"); a group's own name stays whole ("Jaysh al-Islam fighters" are Jaysh
    al-Islam). None for a possessive that qualifies nothing."""
    after = _FORCE_AFTER.match(sentence[mention.end :])
    possessive = after is not None and bool(
        after.group("possessive") or _POSSESSIVE.search(mention.text)
    )
    qualifies = after is not None and (possessive or "NORP" in labels)
    complete = mention.text[:1].isupper() and not _FORCE_WORD.search(mention.text)
    if after is not None and qualifies and complete:
        end = mention.end + after.end()
        return Mention(mention.start, end, sentence[mention.start : end])
    if _POSSESSIVE.search(mention.text):
        return None
    return mention


def _is_actor(sentence: str, doc: Doc, mention: Mention, filed_from: int) -> bool:
    text = mention.text.strip()
    if mention.start < filed_from:
        return False
    titled = _TITLED_PERSON.search(text) or _TITLE_BEFORE.search(sentence[: mention.start])
    if titled and not _FORCE_WORD.search(text):
        return False  # spaCy's PERSON alone is no sign: it calls many armed groups people
    return not _is_place(sentence, mention, labels_of(doc, mention))


def _is_place(sentence: str, mention: Mention, labels: set[str]) -> bool:
    text = mention.text.strip()
    if _FORCE_WORD.search(text) or labels & _NOT_PLACE_LABELS:
        return False
    where = bool(_PLACE_BEFORE.search(sentence[: mention.start]))
    if is_country(text):
        return where  # "in Nigeria" is where; "Russia launched" is who
    return (where or bool(labels & _PLACE_LABELS)) and in_gazetteer(text)


def _grammar(doc: Doc, mention: Mention) -> Grammar | None:
    """What the parse says this name did: acted (the agent), was hit (a passive's subject)."""
    span: Span | None = doc.char_span(mention.start, mention.end, alignment_mode="expand")
    if span is None:
        return None
    token: Token = span.root
    while token.dep_ in ("compound", "conj", "appos") and token.head is not token:
        token = token.head
    if token.dep_ == "nsubjpass":
        return "hit" if _VIOLENT.match(token.head.lower_) else None
    if token.dep_ == "pobj" and token.head.lower_ == "by":
        by = token.head
        if by.dep_ == "agent":
            return "acted" if _VIOLENT.match(by.head.lower_) else None
        if by.head.pos_ == "NOUN" and by.head.lower_ in _ATTACK_NOUNS:
            return "acted"
    return None
