"""extract.v15's rules for sentences that report no new occurrence, where the words decide.

The labelling guide (evals/README.md) names what is not an event: hypothetical and future
events ("would likely see a large military operation", "inspectors will collect samples"),
calls and statements, and earlier occurrences given as context. A 1.5B model answers
"happened" for most of them; the sentence's grammar says otherwise:

- ``unreal``: the main verb (or what a reporting verb reports) is under a modal ("We must
  join forces to fight them.", "British aircraft could help enforce a no-fly zone") or an
  expectation ("is likely to resort to bomb attacks", "ends its mission next year").
- ``a_call``: a call for a protest is no protest ("called for anti-war campaigners to
  protest outside the Russian embassy").
- ``long_before``: a day, month or year more than a year before the article's publication
  ("in 2003", "in March 2011") is an earlier period's occurrence, given as context.
- ``no_occurrence``: a statement, habitual activity or a state told in the present ("It is a
  structure made up of seven fronts", "bombs that often kill civilians").
- ``DEFINITE``: an occurrence the article has already told, named again ("the overnight
  attack", "Monday's clash", "the firefight", "the bomb"); ``GENERIC`` the nouns that do not
  say the kind of violence, so the model's type of their sentence says nothing either;
  ``SAME_TOLL`` another account of one ("gave the same death toll").
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from service.extraction import nlp

if TYPE_CHECKING:
    from spacy.tokens import Token

_MODALS = frozenset({"will", "would", "could", "may", "might", "must", "should", "shall", "'ll"})
# The pipeline has no lemmatizer: the forms of the verbs that report what someone said.
_REPORTING = re.compile(
    r"^(?:sa(?:y|ys|id|ying)|t(?:ell|ells|old)|add(?:s|ed)?|stated?|report(?:s|ed)?"
    r"|claim(?:s|ed)?|announc(?:e|es|ed)|believ(?:e|es|ed)|fear(?:s|ed)?|warn(?:s|ed)?)$"
)
_EXPECTED = re.compile(
    r"\b(?:(?:is|are|was|were) (?:likely|expected|set|due|poised|about|going) to"
    r"|(?:plans?|planned|planning|intends?|intended|threaten(?:s|ed)?|vow(?:s|ed)?) to"
    r"|next (?:week|month|year))\b",
    re.IGNORECASE,
)


def unreal(sentence: str) -> bool:
    """Whether the sentence tells what may, must or will happen rather than what did: its
    main verb is under a modal, or the main verb reports ("said") a clause under one, or the
    sentence says it is expected, planned or threatened."""
    if _EXPECTED.search(sentence) is not None:
        return True
    doc = nlp.parse(sentence)
    roots = [token for token in doc if token.dep_ == "ROOT"]
    if not roots:
        return False
    root = roots[0]
    if _modal(root):
        return True
    if _REPORTING.match(root.lower_) is None:
        return False
    reported = [child for child in root.children if child.dep_ in ("ccomp", "xcomp")]
    return bool(reported) and all(_modal(verb) for verb in reported)


def _modal(verb: Token) -> bool:
    return any(child.dep_ == "aux" and child.lower_ in _MODALS for child in verb.children)


_CALL = re.compile(
    r"\b(?:call(?:s|ed|ing)?|urg(?:e|es|ed|ing)|appeal(?:s|ed|ing)?)\s+(?:on\s+)?(?:for\s+)?"
    r"(?:[\w-]+\s+){0,6}?(?:to\s+)?(?:protest|demonstrat|rall(?:y|ies)|march|picket)",
    re.IGNORECASE,
)


def a_call(sentence: str) -> bool:
    """Whether the sentence's protest is one someone calls for, not one that was held."""
    return _CALL.search(sentence) is not None


# More than a year before publication: what ACLED coded in its own time, told again as context.
_LONG_BEFORE = dt.timedelta(days=366)


# A total since a start ("944 civilians have been killed in North Kivu and Ituri since the state
# of siege was declared") or over a whole war ("over 29,683 lives have been lost in the
# conflict"), and activity "in recent weeks".
_PERIOD_TOTAL = re.compile(
    r"\b(?:have|has)\s+(?:been\s+)?[\w-]+\b.*\b(?:since|in the (?:conflict|war|fighting))\b"
    r"|\bin recent weeks\b",
    re.IGNORECASE,
)


def period_total(sentence: str) -> bool:
    return _PERIOD_TOTAL.search(sentence) is not None


def long_before(date: dt.date | None, published: dt.date | None) -> bool:
    return date is not None and published is not None and published - date > _LONG_BEFORE


_DAY = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today"
    r"|last night)(?:'s|\u2019s)"
)
_NOUNS = (
    r"attacks?|assaults?|strikes?|airstrikes?|air raids?|raids?|blasts?|explosions?|bombings?"
    r"|bombs?|ambush(?:es)?|clash(?:es)?|incidents?|killings?|shelling|bombardment|massacre"
    r"|shooting|firefights?|gunfights?|gun battles?|fighting|encounter|violence"
)
# Between the article and the noun, words that describe the occurrence, not a verb ("the
# troops launched attacks" is a new report): a few adjectives or a name ("the ADF attack"). Not
# a day: "The Tuesday raids killed at least 27 people" is that day's own report.
_MODIFIER = (
    r"(?:same|latest|deadly|suicide|twin|car|drone|air|missile|rocket|overnight|first|initial"
    r"|fatal|bloody|brazen|coordinated|early|morning|night|weekend|double|triple|mortar"
    r"|(?!(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b)(?-i:[A-Z][\w-]*))\s+"
)
DEFINITE = re.compile(
    rf"\b(?:the|this|that|these|those|{_DAY})\s+(?:{_MODIFIER}){{0,2}}(?:{_NOUNS})\b",
    re.IGNORECASE,
)
# Nouns that name violence without its kind: "the attack" after an air strike is the strike.
GENERIC = re.compile(
    rf"\b(?:the|this|that|these|those|{_DAY})\s+(?:{_MODIFIER}){{0,2}}"
    r"(?:attacks?|assaults?|incidents?|violence|killings?)\b",
    re.IGNORECASE,
)


# A statement about an occurrence, not one: "President Hamid Karzai issued a statement Sunday
# condemning the deaths".
_STATEMENT = re.compile(r"\bissued an? (?:\w+ )?statement\b", re.IGNORECASE)
# Habitual activity and what a war has done: background, not an occurrence ("improvised bombs
# that often kill civilians", "The war has brought Yemen to the brink of collapse").
_HABITUAL = re.compile(
    r"\b(?:often|frequently|regularly|routinely|usually|habitually)\b"
    r"|\bthe (?:war|conflict|crisis|insurgency|violence) (?:has|have)\b",
    re.IGNORECASE,
)
# "gave the same death toll", "giving the same toll as Zira": another account of an occurrence
# told already.
SAME_TOLL = re.compile(r"\b(?:the )?same (?:death |casualty )?(?:toll|figures?)\b", re.IGNORECASE)
_PRESENT = frozenset({"VBZ", "VBP"})


def no_occurrence(sentence: str) -> bool:
    """Whether the sentence states something other than an occurrence: a statement, habitual
    activity, or a present state ("It is a structure made up of seven fronts", "This attack is
    part of a series of violence", "Russia's assistance continues to draw the ire of Europe"):
    news tells its occurrences in the past tense. Not a present that reports ("says")."""
    if _STATEMENT.search(sentence) or _HABITUAL.search(sentence):
        return True
    roots = [token for token in nlp.parse(sentence) if token.dep_ == "ROOT"]
    if not roots:
        return False
    root = roots[0]
    if root.tag_ not in _PRESENT or _REPORTING.match(root.lower_) is not None:
        return False
    children = list(root.children)
    # "have been killed": a present perfect tells what happened
    if any(child.dep_ in ("aux", "auxpass") for child in children):
        return False
    if root.lower_ in ("is", "are"):
        # "Three people are dead after an explosion": an outcome told in the present
        return not any(_OUTCOME.match(child.lower_) for child in children)
    # a timeline's present ("Unidentified gunmen abduct two refugees") tells occurrences: only
    # a verb of state says there is none
    if _STATIVE.match(root.lower_) is None:
        return False
    # "Fighting continues in the north", "rebels continue to battle": violence going on
    return not any(
        (child.dep_ in ("nsubj", "nsubjpass") and _VIOLENCE.match(child.lower_))
        or (child.dep_ == "xcomp" and _VIOLENT_VERB.match(child.lower_))
        for child in children
    )


_STATIVE = re.compile(
    r"^(?:continues?|comes?|remains?|faces?|draws?|needs?|appears?|seems?|belongs?|includes?"
    r"|consists?|represents?|means?|wants?|hopes?|lies?|stands?|has|have|exists?|knows?"
    r"|depends?|contains?|looks?|holds?|controls?)$"
)
_VIOLENT_VERB = re.compile(
    r"^(?:battle|fight|attack|clash|shell|bomb|strike|protest|demonstrate|march|advance|push"
    r"|kill|raid|storm|besiege|fire|shoot)$"
)


_OUTCOME = re.compile(r"^(?:dead|injured|wounded|missing|killed|hurt|displaced|homeless)$")
_VIOLENCE = re.compile(
    r"^(?:fighting|clash(?:es)?|battles?|shelling|strikes?|airstrikes?|bombardment|violence"
    r"|attacks?|protests?|demonstrations?|riots?|unrest|offensive|siege)$"
)
