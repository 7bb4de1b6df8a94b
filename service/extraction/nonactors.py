"""extract.v15's ``actors_are_organisations``: the labelling guide's actors are organisations.

"A person is not an actor" (evals/README.md). Places are not actors either, except the
metonyms the guide keeps (a country, "Damascus" or "Moscow" for a government). spaCy's small
pipeline misses many people and places, so the article's own words decide:

- a person is named with a title ("Governor Andriy Raikovych"), or the article names them in
  full once and then by surname alone ("Rupert Colville ... Colville said"), a habit of news
  writing that organisations do not share;
- a place is a name the article uses as one ("in Bulongo", "the village of Huyum", "Barangay
  Maligay"), that is no country and no capital and has no word of an organisation in it.

``generic`` names unnamed forces ("soldiers", "Three militants"): extract.v15's
``generic_sides`` makes them the article's one named actor of their type.
"""

from __future__ import annotations

import re
from functools import cache

from service.extraction.actor_types import rule_type
from service.extraction.mentions import _FORCES
from service.extraction.places import in_gazetteer, is_country
from service.geo.gazetteer import gazetteer, normalise

_TITLES = (
    r"(?:president|presdent|prime minister|vice[- ]president|governor|gov\.|captain|capt\."
    r"|gen\.|general|brig\.|brigadier|col\.|colonel|lt\.|lieutenant|maj\.|major|minister"
    r"|sheikh|dr\.|mr\.|mrs\.|ms\.|senator|sen\.|rep\.|commander|mayor|spokesman"
    r"|spokeswoman|spokesperson|king|queen|prince|pope|ambassador|official|resident|witness"
    r"|lawmaker|member of parliament|mp|activist|director|chairman|leader|chief|head"
    r"|\d+-year-old)"
)
_TITLE = re.compile(rf"\b{_TITLES}\s+(?-i:[A-Z])", re.IGNORECASE)
# ", a former international development minister", ", chief of Kilya locality"
_ROLE_AFTER = (
    r",\s+(?:(?:a|an|the)\s+)?(?:[\w-]+\s+){0,4}?(?:spokes(?:man|woman|person)|chief|head"
    r"|leader|commander|governor|minister|official|resident|witness|director|president"
    r"|chairman|mayor|member|lawmaker|senator|activist|analyst|researcher|doctor|farmer"
    r"|teacher|survivor|father|mother)\b"
)
_ORGANISATION = re.compile(
    r"\b(?:army|forces?|troops|military|police|government|ministry|council|agency|office"
    r"|command|front|movement|group|brigades?|battalions?|division|party|union"
    r"|committee|network|observatory|monitor|coalition|alliance|corps|guards?|militias?"
    r"|organi[sz]ation|nations|authority|authorities|administration|tracker|news|radio"
    r"|television|tv|channel|press|times|post|service|institute|society"
    r"|islam|islamic|jihad|al-|haram|shabaab|taliban|qaeda|daesh|isis|isil|hezbollah|hamas)",
    re.IGNORECASE,
)
# What a person named by surname alone does in a news report: speaks, or is described.
_SPEAKS = (
    r"(?:\s+(?:said|says|told|added|stated|confirmed|noted|explained|warned|urged|claimed"
    r"|denied|insisted|wrote|continued|called|accused|blamed|announced)\b"
    r"|,\s+who\b|['\u2019]s\s+[a-z])"
)
_COUNTS = frozenset(
    "the a an one two three four five six seven eight nine ten dozens hundreds some several".split()
)
_CAPITALISED = re.compile(r"^[A-Z][\w'\u2019.-]*$")
_PLACE_WORDS = (
    r"(?:\b(?:in|at|near|outside|around|across|inside)\s+(?:the\s+)?(?:[a-z][\w-]*\s+)?"
    r"|\b(?:villages?|towns?|city|cities|districts?|provinces?|regions?|communes?|localit(?:y|ies)"
    r"|municipalit(?:y|ies)|county|suburbs?|neighbou?rhoods?)\s+of\s+|\b(?:barangay|sitio)\s+"
    r"|\bcapital,?\s+)(?:[A-Z][\w'\u2019-]*(?:,\s+|\s+and\s+))*"
)
# "Sequihondita sector", "Pulwama district": a name the next word makes a place.
_PLACE_AFTER = (
    r"\s+(?:district|province|region|county|governorate|municipality|sector|area|village"
    r"|town|locality|commune)\b"
)


def _words(name: str) -> list[str]:
    return re.sub(r"^(?:the|The)\s+", "", name).split()


def is_person(name: str, text: str) -> bool:
    """Whether ``name`` names a person in an article whose text is ``text``."""
    if _ORGANISATION.search(name) or _FORCES.search(name):
        return False
    if _TITLE.search(name):
        return True
    words = _words(name)
    if words and all(_CAPITALISED.match(word) for word in words):
        named = re.escape(" ".join(words))
        described = rf"\b(?i:{_TITLES})\s+{named}\b|\b{named}{_ROLE_AFTER}"
        if re.search(described, text) is not None:
            return True
    if not words or not all(_CAPITALISED.match(word) for word in words) or len(words) > 4:
        return False
    if len(words) >= 2:
        # named in full, then by surname alone: "Rupert Colville ... Colville said"
        alone = re.compile(
            rf"(?<![\w-])(?<!{re.escape(words[-2])}\s){re.escape(words[-1])}{_SPEAKS}"
        )
        return alone.search(text) is not None
    # a surname alone that speaks, named in full elsewhere: "Colville said" beside "Rupert
    # Colville"
    surname = re.escape(words[0])
    if name.isupper() or re.search(rf"(?<![\w-]){surname}{_SPEAKS}", text) is None:
        return False
    full = re.compile(rf"\b[A-Z][\w'\u2019.-]+\s+{surname}\b")
    return any(not _ORGANISATION.search(m.group()) for m in full.finditer(text))


@cache
def _capitals() -> frozenset[str]:
    return frozenset(normalise(country.capital) for country in gazetteer().countries.values())


def is_place(name: str, text: str, al_places: bool = False) -> bool:
    """Whether ``name`` is a place of the article, not a country or a capital (a metonym for a
    government), with no word of an organisation in it. ``al_places`` (extract.v16's
    place_shapes): "al-" opens Arabic place names too ("the town of al-Safra")."""
    words = _words(name)
    organisation = _ORGANISATION.search(name)
    if al_places and organisation is not None and organisation.group().casefold() == "al-":
        organisation = _ORGANISATION.search(name, organisation.end())
    if not words or organisation or _FORCES.search(name):
        return False
    bare = " ".join(words)
    key = normalise(bare)
    if key in gazetteer().country_by_name or key in _capitals():
        return False
    if re.match(r"(?:barangay|sitio)\s", bare, re.IGNORECASE):
        return True
    name = re.escape(bare)
    used = re.compile(rf"{_PLACE_WORDS}{name}(?![\w-])(?!['\u2019]s\b)|\b{name}{_PLACE_AFTER}")
    return used.search(text) is not None


def place_named(name: str) -> bool:
    """Whether the gazetteer knows the name as a country or a place, and nothing says it is
    an actor's ("SANA" is a news agency before it is a place; "UN" an acronym)."""
    bare = " ".join(_words(name))
    if is_country(bare):
        return True
    acronym = bare.isupper() and len(bare) <= 5
    return not acronym and rule_type(bare, None) is None and in_gazetteer(bare)


# Unnamed forces: "soldiers", "The troops", "Three militants", "police". The guide makes
# generic collectives optional at best; the figures count them.
_GENERIC = re.compile(
    r"^(?:the\s+|a\s+|an\s+)?(?:[\w-]+\s+)?(?:soldiers|troops|army|military|militants|police"
    r"|policemen|assailants|attackers|gunmen|fighters|officials|authorities|security forces"
    r"|insurgents|jihadists|rebels|terrorists)$",
    re.IGNORECASE,
)


def generic(name: str) -> bool:
    words = _words(name)
    # a name, not a kind: "Mali army", "Syrian forces"
    named = len(words) > 1 and words[0][:1].isupper() and words[0].lower() not in _COUNTS
    return _GENERIC.match(name) is not None and not named
