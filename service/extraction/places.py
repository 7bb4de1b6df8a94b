"""extract.v8's ``places_are_places`` rule: an event's location is a place.

The model points at one of the sentence's capitalised names as the location, and a small
model often points at the wrong one: an armed group ("Rapid Support Forces"), a nationality
("Russian"), a word opening the sentence ("Additionally", "Around"), a possessive ("Sudan's"),
or the country when the sentence names the town. Code judges how much each candidate looks
like a place, from three independent signals:

- the words before it ("in", "near", "the village of": ``Mention.only_place``);
- spaCy's entity label (GPE, LOC, FAC are places; ORG, NORP, PERSON are not);
- the GeoNames gazetteer (``service/geo/gazetteer.py``: places of 500 people or more with
  their alternate names, and countries), an indexed file every process opens read-only.

The model's pick stays when it looks like a place, unless it is a country and the sentence
names a place inside one (ACLED codes the most specific place). Otherwise the best-looking
candidate of the sentence takes its place; with none, the location is left empty rather than
guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

from service.extraction import nlp
from service.extraction.mentions import Mention
from service.geo.gazetteer import gazetteer, name_keys, normalise

if TYPE_CHECKING:
    from spacy.tokens import Doc

_PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
_NOT_PLACE_LABELS = frozenset({"ORG", "NORP", "PERSON"})
# Words that open sentences or name people, never a place on their own, though some are
# also the names of tiny places somewhere ("Over", "Besides").
_NOT_PLACE_WORDS = frozenset(
    """additionally also around besides elsewhere footage furthermore however meanwhile
    moreover over overall separately later earlier today yesterday tonight then there here
    according after before during while since when where despite amid among following
    reportedly witnesses residents officials sources assailants militants gunmen fighters
    troops forces police soldiers rebels jihadists insurgents security army military
    government regime authorities ministry state jan feb mar apr jun jul aug sep sept oct nov
    dec monday tuesday wednesday thursday friday saturday sunday""".split()
)
# A force or an institution, however it is capitalised ("Rapid Support Forces", "Islamic
# State group", "Syrian Observatory").
_INSTITUTION = re.compile(
    r"\b(?:forces|army|armed|front|movement|brigades?|battalions?|militias?|group|party"
    r"|council|ministry|observatory|agency|network|committee|coalition|alliance|command"
    r"|police|guards?|doctors|organi[sz]ation|union|news|television|radio|governor|minister"
    r"|president|spokes(?:man|woman|person)|commander|general|gen|colonel|lieutenant)\b",
    re.IGNORECASE,
)
_POSSESSIVE = re.compile(r"['\u2019]s?$")


# extract.v10's ``most_specific_place``: the word next to a place says how large it is ("Ondukori
# village", "Mugwo county", "Yei River state", "the town of X"); ACLED codes the most specific.
_SIZE_AFTER = re.compile(
    r"^\s+(?P<word>village|town|city|neighbou?rhood|camp|settlement|hamlet|suburb|quarter"
    r"|district|county|municipality|sub-?district|commune|province|state|region|governorate"
    r"|prefecture|oblast|department)\b",
    re.IGNORECASE,
)
_SIZE_BEFORE = re.compile(
    r"\b(?P<word>village|town|city|neighbou?rhood|camp|settlement|suburb|district|county"
    r"|province|state|region|governorate|prefecture)\s+of\s+(?:the\s+)?$",
    re.IGNORECASE,
)


class Size(IntEnum):
    """How specific a place is by the word next to it (larger value: more specific)."""

    REGION = 1  # province, state, region, governorate
    DISTRICT = 2  # district, county, municipality
    UNSAID = 3  # a name alone: most are towns
    TOWN = 4  # village, town, city, neighbourhood, camp


_SIZES = {
    **dict.fromkeys(
        "village town city neighborhood neighbourhood camp settlement hamlet suburb"
        " quarter".split(),
        Size.TOWN,
    ),
    **dict.fromkeys(
        "district county municipality sub-district subdistrict commune".split(), Size.DISTRICT
    ),
    **dict.fromkeys(
        "province state region governorate prefecture oblast department".split(), Size.REGION
    ),
}


def size(sentence: str, mention: Mention) -> Size:
    after = _SIZE_AFTER.match(sentence[mention.end :])
    before = _SIZE_BEFORE.search(sentence[: mention.start])
    word = after or before
    return _SIZES[word.group("word").casefold()] if word is not None else Size.UNSAID


class Placeness(IntEnum):
    """How much a candidate looks like a place."""

    NOT_A_PLACE = 0  # a force, a nationality, an opening word, a possessive
    UNKNOWN = 1  # a name with no sign either way
    LIKELY = 2  # one sign: the gazetteer, spaCy's label, or the words before it
    CERTAIN = 3  # the words before it and the gazetteer or spaCy's label


def is_country(name: str) -> bool:
    return normalise(name) in gazetteer().country_by_name


def in_gazetteer(name: str) -> bool:
    places = gazetteer()
    return is_country(name) or any(places.lookup(key) for key in name_keys(name))


@dataclass(frozen=True, slots=True)
class Candidate:
    mention: Mention
    placeness: Placeness
    country: bool


def judge(
    sentence: str, places: Sequence[Mention], sized: bool = False, shapes: bool = False
) -> list[Candidate]:
    """Each place candidate of ``sentence`` with how much it looks like a place. ``sized``
    (extract.v10): a name with the word for a place next to it ("Bazi village", "the town of
    Ariha") is a place whatever spaCy's label. ``shapes`` (extract.v16's place_shapes): a place
    the gazetteer knows is one whatever spaCy's label, unless it reads as a nationality ("west
    Aleppo" is no people); a scraped possessive that lost its apostrophe names the place after
    it ("Syrias Aleppo" is Aleppo)."""
    if not places:
        return []
    doc = nlp.parse(sentence)
    judged = []
    for mention in places:
        if shapes:
            mention = _possessed(mention)
        labels = labels_of(doc, mention)
        country = is_country(mention.text)
        if shapes and labels & _NOT_PLACE_LABELS and _known_place(mention.text):
            labels = (labels - _NOT_PLACE_LABELS) | {"GPE"}
        placeness = _placeness(mention, labels, country)
        if (
            sized
            and placeness < Placeness.LIKELY
            and size(sentence, mention) != Size.UNSAID
            and ("NORP" not in labels or mention.only_place)  # "the Syrian city of Douma"
            and _placeness(mention, set(), country) is not Placeness.NOT_A_PLACE
        ):
            placeness = Placeness.LIKELY
        judged.append(Candidate(mention, placeness, country))
    return judged


_DEMONYM = re.compile(r"(?:ian|ean|ese|ish|an|i)$", re.IGNORECASE)


def _known_place(name: str) -> bool:
    last = name.split()[-1] if name.split() else ""
    return not _DEMONYM.search(last) and in_gazetteer(name)


def _possessed(mention: Mention) -> Mention:
    """ "Syrias Aleppo" -> "Aleppo": a country's name with an "s" before a name."""
    first, _, rest = mention.text.partition(" ")
    if rest and first.endswith("s") and is_country(first[:-1]):
        start = mention.start + len(first) + 1
        return Mention(start, mention.end, rest, mention.may_be_place, mention.only_place)
    return mention


def labels_of(doc: Doc, mention: Mention) -> set[str]:
    """spaCy's entity labels over the mention's characters."""
    return {e.label_ for e in doc.ents if e.start_char < mention.end and mention.start < e.end_char}


def _placeness(mention: Mention, labels: set[str], country: bool) -> Placeness:
    text = mention.text.strip()
    words = text.split()
    if not words or words[0].casefold().strip(",.:;") in _NOT_PLACE_WORDS:
        return Placeness.NOT_A_PLACE
    if _POSSESSIVE.search(text) or _INSTITUTION.search(text):
        return Placeness.NOT_A_PLACE
    known = country or any(gazetteer().lookup(key) for key in name_keys(text))
    if "NORP" in labels and not country:
        return Placeness.NOT_A_PLACE  # "Russian", "Saudi-led", "Malian"
    if "PERSON" in labels and len(words) > 1 and not known:
        return Placeness.NOT_A_PLACE  # "Ko Zaw Tun"
    labelled = bool(labels & _PLACE_LABELS)
    if mention.only_place and (known or labelled):
        return Placeness.CERTAIN
    if known or labelled:
        return Placeness.LIKELY
    if labels & _NOT_PLACE_LABELS:
        # spaCy's small model calls many foreign villages people ("Zamzam", "Mulala"): after
        # "in" or "near" such a name is still a likely place; an organisation is not.
        if mention.only_place and "ORG" not in labels:
            return Placeness.LIKELY
        return Placeness.NOT_A_PLACE
    return Placeness.LIKELY if mention.only_place else Placeness.UNKNOWN


def choose_place(
    picked: Mention | None,
    candidates: Sequence[Candidate],
    sentence: str | None = None,
) -> Mention | None:
    """The event's location: the model's pick when it is a place, or the sentence's most
    place-like candidate instead (the first of the best); a town before its country; none when
    the model gave none. With ``sentence`` (extract.v10's ``most_specific_place``), a village
    or town the sentence names before the district, county or province the model picked."""
    if picked is None:
        return None  # the model saw no place: none is guessed
    pick = next((c for c in candidates if c.mention is picked), None)
    specific = [c for c in candidates if not c.country and c.placeness >= Placeness.LIKELY]
    if pick is not None and pick.placeness >= Placeness.LIKELY:
        if pick.country and specific:
            return _best(specific).mention
        picked_size = size(sentence, pick.mention) if sentence is not None else Size.UNSAID
        if sentence is not None and not pick.country and picked_size < Size.UNSAID:
            sized = [(size(sentence, c.mention), c) for c in specific]
            smaller = [c for s, c in sized if s > picked_size]
            if smaller:
                return _best(smaller).mention
        return pick.mention
    if specific:
        return _best(specific).mention
    if pick is not None and pick.placeness is Placeness.UNKNOWN:
        return pick.mention
    countries = [c for c in candidates if c.country and c.placeness >= Placeness.LIKELY]
    if countries:
        return countries[0].mention  # the model saw a place; the sentence names only a country
    return None


def _best(candidates: Sequence[Candidate]) -> Candidate:
    top = max(c.placeness for c in candidates)
    return next(c for c in candidates if c.placeness == top)
