"""extract.v12's ``names_are_names`` rule: a capitalised word is not a name because it is
capitalised.

Candidates come from capitalisation (``mentions.py``), so the word that opens a sentence is a
candidate: "Preliminary reports say ...", "Days prior the attack ...", "Not a single home was
spared". The model then points at it as a side or the place. A one-word candidate is no name
when the parse of its sentence says it is a common word (an adjective, adverb, verb, particle,
common noun...) or part of a date or time ("Days", "GMT"), and nothing says it is a name: no
name entity label (place, organisation, nationality, person), not in the gazetteer, not a word
for a kind of actor ("Police", "Army", "Gunmen", "Assailants").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from service.extraction.actor_types import rule_type
from service.extraction.mentions import _FORCES, Mention
from service.extraction.places import in_gazetteer, labels_of

if TYPE_CHECKING:
    from spacy.tokens import Doc

# Words for a kind of actor are actors however they are written ("Gunmen abducted ...").
_KINDS = re.compile(
    rf"^(?:{_FORCES.pattern}|(?:assailants|attackers|extremists|bandits|raiders|kidnappers"
    r"|gangs?|mobs?|crowds?|villagers|farmers|herders|students|workers|journalists)$)",
    re.IGNORECASE,
)
_NAME_LABELS = frozenset(
    {"GPE", "LOC", "FAC", "ORG", "NORP", "PERSON", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"}
)


def not_a_name(doc: Doc, mention: Mention) -> bool:
    """Whether a one-word candidate is a common word that only looks like a name."""
    text = mention.text.strip()
    if " " in text or not text[:1].isupper() or _KINDS.match(text):
        return False
    span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
    if span is None:
        return False
    labels = labels_of(doc, mention)
    if labels & _NAME_LABELS:
        return False
    # only a date, time or number label ("Days", "GMT"), or a common word's part of speech
    common = bool(labels) or all(token.pos_ not in ("PROPN", "X") for token in span)
    return common and rule_type(text, None) is None and not in_gazetteer(text)
