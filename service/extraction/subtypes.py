"""ACLED's sub-event type hierarchy as code: where the words of a sentence decide the sub-type.

Pure functions, no model. ``rule_sub_type(sentence, proposed)`` returns the sub-type the words
decide and the name of the rule that decided it, or None when the words do not decide (no rule
fires, or the words do not exclude what the model proposed). ``may_report(sentence)`` is True
for every sentence a rule or a sub-type definition could type: a sentence filter must never
drop such a sentence.

Source: the ACLED Codebook (acleddata.com/knowledge-base/codebook/; its section "Event types
and sub-event types" and the sub-event type sections quoted in tests/test_subtypes.py). "Both
event types and sub-event types are hierarchical to accommodate concurrent tactics within the
same event ... The event types and sub-event types noted in Table 2 above are presented in
hierarchical order."

Precedence (the first rule that fires wins; each rule is a word-boundary regex over the
sentence, case-insensitive):

0. ``chemical_agent`` (Chemical weapon, see 4): a chemical agent overrides the delivery
   method and what was found afterwards ("traces of mustard gas were found on mortars").
1. ``disrupted_weapons`` (Disrupted weapons use): a defusal, a weapons seizure or cache, an
   interception, a premature/accidental detonation (not a suicide bomber's). Before the
   explosions, because these words say the explosion did not happen as an attack ("an IED was
   defused" names an IED).
2. Demonstrations (a protest word: protest, demonstration, rally, march, sit-in), in this
   order, because the protest sub-types need participants who stay peaceful:
   ``violent_demonstration`` (rioters, stones, torching, barricades, vandalism, clashes),
   ``excessive_force`` (protesters killed, shot, wounded, beaten, seriously injured),
   ``protest_intervention`` (dispersed, tear gas, water cannon, arrests, police intervened),
   ``peaceful_protest`` (none of these). A grievance ("protested over the killing of ...") is
   what the protest is about, not what happened at it: it is left out before these checks.
3. ``mob_violence``: a mob, a lynching, or villagers/residents/a crowd attacking, without a
   protest word.
4. Explosions/Remote violence, in the codebook's order (Chemical weapon, Air/drone strike,
   Suicide bomb, Shelling/artillery/missile attack, Remote explosive/landmine/IED, Grenade):
   ``chemical_agent`` (checked first, see 0: chlorine, sarin, mustard gas, nerve agent,
   toxic/poison gas, chemical attack/weapon; tear gas is not one), ``air_strike`` (air strike,
   warplane, fighter jet, air force, drone strike, helicopter gunship; also when shelling is
   mentioned), ``suicide_bomb`` (suicide bomber/bombing/vest, SVBIED), ``shelling`` (shelling,
   artillery, mortar, rocket, missile, RPG, grenade launcher), ``explosive_device`` (IED,
   roadside bomb, landmine, car bomb, explosive device, a planted bomb), ``grenade`` (a
   grenade; not a stun grenade, a rocket-propelled grenade or a grenade launcher). None of them
   fires when the sentence describes another engagement (clashes, exchange of fire, fighting,
   an ambush): "When an Explosions/Remote violence event is reported in the context of an
   ongoing battle, it is merged and recorded as a single Battles event."
5. Violence against civilians: ``sexual_violence`` (rape, sexual assault/violence, stripped
   naked), ``abduction_killed`` (abducted and killed: Attack, "a civilian abducted and then
   killed would be recorded with the Attack sub-event type"), ``abduction`` (kidnapped,
   abducted, taken hostage, forced disappearance).
6. Strategic developments and territory: ``non_violent_transfer`` (handed over; or territory
   taken with no violence / no resistance reported), ``government_regains`` (government forces
   recaptured / retook / regained control), ``non_state_overtakes`` (militants or rebels
   captured / seized control / overran, with fighting named), ``agreement`` (ceasefire, truce,
   peace deal, an agreement signed or brokered, a surrender), ``headquarters`` (a base, camp or
   headquarters established / set up / opened), ``looting`` (looted, torched, set fire to,
   destroyed property; no one harmed), ``arrests`` (arrested / detained by police, soldiers or
   authorities; no protest, no violence).

``proposed``: each rule names the sub-types its words do not exclude (``defers_to``); when the
model proposed one of them, the rule returns None and the proposal stands. For example a
Battles proposal with an air strike in the sentence ("ground clashes between armed groups
supported by artillery fire or airstrikes" are Battles), or Abduction/forced disappearance
with "arrested" ("Arrests by non-state groups ... are considered 'Abduction/forced
disappearance'").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from service.extraction.taxonomy import ActorType, SubEventType

_S = SubEventType


def _words(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE)


# -- lexicon ---------------------------------------------------------------------------------

_BATTLES = frozenset(
    {_S.ARMED_CLASH, _S.GOVERNMENT_REGAINS_TERRITORY, _S.NON_STATE_ACTOR_OVERTAKES_TERRITORY}
)
_RIOTS = frozenset({_S.VIOLENT_DEMONSTRATION, _S.MOB_VIOLENCE})

# Another engagement: an explosion reported in it belongs to the battle.
ENGAGEMENT = _words(
    r"clash(?:es|ed|ing)?|exchang\w* (?:of )?(?:\w+ ){0,2}?(?:gun)?fire|gun ?battles?|gunfights?"
    r"|firefights?|fighting|fought|battles?|battled|ambush(?:ed|es)?|repell?ed|gunfire"
    r"|engaged (?:in )?(?:combat|fighting)|crossfire"
)
PROTEST = _words(
    r"protest(?:s|ed|ers?|ors?|ing)?|demonstrat(?:ion|ions|ors?|ed|ing)|rall(?:y|ies|ied)"
    r"|march(?:ed|es|ers)|a march|sit-ins?|picket(?:s|ed|ing)?|strikers"
)
# What a protest is about: "protested over the killing of a student".
_GRIEVANCE = re.compile(
    r"\b(?:against|over|denouncing|condemning|demanding|demand|for|about|following|after"
    r"|amid|in protest at|to protest)\s+(?:the\s+|a\s+|an\s+|his\s+|her\s+|their\s+)?"
    r"(?:[\w'-]+\s+){0,4}?(?:killings?|deaths?|murders?|arrests?|detentions?|abductions?"
    r"|kidnappings?|rapes?|shootings?|attacks?|assaults?|beatings?|release|jailed|detained"
    r"|arrested|killed|shot)\b(?:\s+of\s+(?:[\w'-]+\s+){0,4})?",
    re.IGNORECASE,
)
RIOTING = _words(
    r"riot(?:s|ed|ing|ers?)?|violent (?:protest|demonstration)s?|threw (?:stones|rocks)"
    r"|(?:hurled|hurling|pelted|pelting|throwing) (?:\w+ )?(?:stones|rocks|bricks)"
    r"|stone-?throwing|stoned|torch(?:ed|ing)|set (?:on )?fire|set ablaze|burn(?:ed|t|ing) "
    r"(?:tyres|tires)|burning (?:tyres|tires)|bonfires|barricad\w*|vandali[sz]\w*|smash(?:ed|ing)"
    r"|loot(?:ed|ing)|clash(?:es|ed)?|attacked (?:a |the )?police|petrol bombs?|molotov"
)
EXCESSIVE = _words(
    r"killed|killing|shot dead|shot and killed|shot|live (?:ammunition|bullets|rounds|fire)"
    r"|open(?:ed)? fire|open fired|fired (?:live|on|at|into)|wounded|injured|injuring"
    r"|serious(?:ly)? injur\w*|critically|hospitali[sz]ed|beat|beaten|beating|assaulted"
    r"|bayonet\w*"
)
INTERVENTION = _words(
    r"dispers(?:e|ed|ing|al)|tear ?gas|teargas|water ?cannons?|arrest(?:s|ed|ing)?|detain(?:ed|s)?"
    r"|intervened|intervention|rubber bullets|baton[- ]charg\w*|lathi[- ]?charg\w*|broke up"
    r"|cracked down|crackdown|stopped|prevented|blocked by police|forcibly removed"
)
MOB = _words(
    r"mobs?|lynch(?:ed|ing|ings)?|jungle justice|mob justice|vigilante mob|angry (?:crowd|mob"
    r"|villagers|residents|youths?|locals)|(?:villagers|residents|youths|locals|crowds?|groups"
    r" of villagers|groups)(?: \w+){0,4} (?:attacked|assaulted|beat|clashed|lynched|pelted"
    r"|stoned|torched|vandali[sz]ed|burnt|burned)(?! by)"
)
CHEMICAL = _words(
    r"chlorine|sarin|mustard gas|sulfur mustard|sulphur mustard|nerve (?:agent|gas)s?|toxic gas"
    r"|poison(?:ous)? gas|chemical (?:attack|weapon|agent|munition|exposure|substance|arm)s?"
    r"|gas attacks?|chloropicrin|VX"
)
AIR = _words(
    r"air ?strikes?|airstrikes?|air raids?|air-?strike|warplanes?|war planes|fighter jets?"
    r"|jets? (?:bombed|struck|pounded)|air forces?|aerial (?:bombardment|attack|strike|bombing)s?"
    r"|drone (?:strike|attack|bombing)s?|armed drones?|by (?:a |an )?drones?|drone-dropped"
    r"|kamikaze drones?|helicopter gunships?|gunships?|helicopters? (?:fired|dropped|struck"
    r"|attacked|bombed)|barrel bombs?|bombed from the air|air-to-ground"
)
SUICIDE = _words(
    r"suicide (?:bomber|bombers|bombing|bombings|bomb|bombs|attack|attacks|attacker|attackers"
    r"|vest|vests|belt|car bomb|truck bomb)|svbieds?|blew (?:himself|herself|themselves) up"
    r"|self-detonat\w*"
)
SHELLING = _words(
    r"shell(?:s|ed|ing)|artillery|mortars?|mortared|rockets?|rocket-propelled grenades?"
    r"|missiles?|rpgs?|grenade launchers?|howitzers?|(?<!water )cannons?|katyushas?|heavy weapons"
)
EXPLOSIVE = _words(
    r"ieds?|improvised explosive(?: devices?)?|roadside bombs?|land ?mines?|landmines?"
    r"|anti-(?:personnel|tank) mines?|mine (?:blast|explosion)s?|car bombs?|vehicle bombs?"
    r"|explosive devices?|booby[- ]trap\w*|magnetic bombs?|sticky bombs?|unexploded ordnances?"
    r"|uxos?|planted (?:a |the |an )?(?:bomb|explosive)s?|remotely detonated|remote-controlled"
    r" bombs?|bomb (?:planted|hidden)"
)
GRENADE = _words(r"grenades?|hand ?grenades?")
NOT_GRENADE = _words(
    r"stun grenades?|rocket-propelled grenades?|grenade launchers?|flash-?bang\w*|smoke grenades?"
)
SEXUAL = _words(
    r"rap(?:e|ed|es|ing)|gang-?rap\w*|rapists?|sexual(?:ly)? (?:assault\w*|violence|abuse\w*"
    r"|molest\w*|exploit\w*|harass\w*|tortur\w*)|sexually (?:assaulted|abused|molested)"
    r"|molested|stripped (?:\w+ ){0,3}?naked|forced stripping|genital mutilation|sexual slavery"
)
ABDUCTION = _words(
    r"kidnap(?:ped|ping|pings|s)?|abduct(?:ed|ion|ions|s|ing)?|abductees?|taken hostage"
    r"|took (?:\w+ ){0,4}hostages?|held hostage|hostage-taking|forced(?:ly)? disappear\w*"
    r"|forcibly disappeared|enforced disappearances?"
)
KILLED = _words(
    r"killed|killing|murdered|executed|beheaded|shot dead|found dead|bodies|body was found"
    r"|slain|died"
)
HARMED = _words(
    r"killed|killing|murdered|executed|beheaded|shot|wounded|injured|injuring|beat|beaten"
    r"|raped|abducted|kidnapped|stabbed|hacked|dead|died|casualt\w*"
)
DISRUPTED = _words(
    r"defus(?:e|ed|al|ing)|bomb disposal|disposal (?:squad|unit|team)|deactivated|dismantled"
    r"|(?:seiz|discover|recover|confiscat|found|find|uncover|foun|intercept)\w* (?:\w+ ){0,5}?"
    r"(?:weapons?|arms|ammunition|explosives?|ieds?|bombs?|cache|caches|rifles|guns|rockets"
    r"|mortars|grenades|explosive materials?)|(?:weapons?|arms|ammunition)(?: \w+){0,2} caches?"
    r"|caches? of (?:weapons|arms|ammunition|explosives)|(?:ieds?|bombs?|explosives?|mines?)"
    r"(?: \w+){0,2} (?:was|were) (?:found|discovered|recovered|seized|defused|removed)"
    r"|intercept(?:ed|s|ion)"
    r"|shot down (?:\w+ ){0,3}drones?|controlled (?:explosion|detonation)"
)
# The accidental detonation of an explosive by those who carried or planted it.
PREMATURE = _words(
    r"detonat\w* prematurely|prematurely detonat\w*|went off prematurely|exploded prematurely"
    r"|accidental(?:ly)? (?:detonat\w*|went off|explod\w*|explosion)"
)
GOVERNMENT = _words(
    r"army|armed forces|troops|soldiers|military|security forces|government forces|state forces"
    r"|regime forces|police|gendarmes?|gendarmerie|defen[cs]e forces|national forces|amisom"
    r"|atmis|fardc|sna|ana|iraqi forces|afghan forces|commandos?|marines|paratroopers"
)
NON_STATE = _words(
    r"militants?|rebels?|insurgents?|jihadists?|fighters|gunmen|militias?|militiamen|boko haram"
    r"|al[- ]?shabaa?b|taliban|islamic state|isis|isil|iswap|isgs|jnim|houthis?|separatists"
    r"|armed group|armed men|extremists"
)
RETAKE = _words(
    r"recaptur\w*|retook|retake[sn]?|retaking|regain(?:ed|s)? control|took back|taken back"
    r"|reclaim\w*|re-?took|re-?established control|liberat(?:ed|es|ion)|re-?captur\w*"
    r"|back under (?:government |state )?control|clear(?:ed|s)? (?:the )?(?:areas?|villages?"
    r"|towns?|localit(?:y|ies))|rout(?:ed|ing)? (?:\w+ ){0,3}from"
)
# Verbs that take a named place: no place noun needed ("Boko Haram overran Dalwa").
OVERRAN = _words(
    r"overran|overrun|overtook|overtakes?|overtaken|seiz(?:e|ed|es|ing) (?-i:[A-Z])"
    r"|stormed and (?:took|seized|captured)|fell to"
)
TAKE = _words(
    r"captur(?:e|ed|es|ing)|seiz(?:e|ed|es|ing) (?:\w+ ){0,2}(?:control|town|village|city"
    r"|district|base|area|locality|post|territory|camp|headquarters)|took (?:over )?control"
    r"|taken control|take (?:over )?control|took over|taking over|overran|overrun|overtook"
    r"|overtake|overtaken|stormed and (?:took|seized|captured)|fell to|under (?:their|the) control"
)
# "seized" alone takes weapons as often as places: only with a place (above) it is territory.

PLACE = _words(
    r"towns?|villages?|city|cities|district|base|bases|areas?|localit(?:y|ies)|posts?|territory"
    r"|camps?|headquarters|barracks|positions?|sites?|communit(?:y|ies)|region|province"
    r"|checkpoints?|outposts?|airport|port|island|hills?|front"
)
PEACEFUL_TRANSFER = _words(
    r"no (?:reported )?violence|without (?:a |any )?(?:fight|resistance|violence|clash\w*"
    r"|bloodshed|shots?|firing a shot)|no (?:resistance|fighting|clash\w*|casualties were"
    r" reported)|peacefully|unopposed|no violence (?:was |were )?reported|no reported violence"
    r"|by surprise"
)
HANDOVER = _words(
    r"handed over|hand(?:s|ed)? over control|handover|withdr(?:ew|awn) (?:\w+ ){0,6}"
    r"(?:handing|and handed)|vacated|pulled out and handed|transferred control"
)
AGREEMENT = _words(
    r"cease-?fire|truce|peace (?:deal|agreement|accord|pact|treaty)|memorandum of understanding"
    r"|mou|(?:sign|reach|broker|conclud|struck|accept|agree)\w* (?:\w+ ){0,4}?(?:an |a |the )?"
    r"(?:\w+ ){0,2}(?:agreement|accord|deal|pact|memorandum|framework)"
    r"|(?:agreement|accord|deal)(?: \w+){0,3} (?:was |were )?(?:signed|reached|brokered)"
    r"|surrender(?:ed|s)?(?: \w+){0,3} to|laid down (?:their )?(?:arms|weapons)"
    r"|prisoner (?:exchange|swap|release)s?"
)
AGREEMENT_BROKEN = _words(
    r"violat\w*|broke|breach\w*|collapsed|called for|calls for|urged|proposed|rejected"
)
CEASEFIRE_ONLY = _words(r"cease-?fire|truce")
AGREED = _words(
    r"sign\w*|agree\w*|reached|brokered|declared|announced|accepted|entered into force|holding"
    r"|observ\w*|in place|in effect"
)
HEADQUARTERS = _words(
    r"(?:establish\w*|set(?:ting)? up|opened|open(?:s|ing)? (?:a |an |its |their )?|built"
    r"|construct\w*|completed|set base|erected|install\w*) (?:\w+ ){0,6}?(?:bases?"
    r"|camps?|headquarters|hq|outposts?|observation posts?|garrisons?|training (?:camp|centre"
    r"|center))|set base|(?:base|camp|headquarters|outpost)s? (?:was |were |has been |have been )"
    r"?(?:established|set up|opened|built)"
)
NOT_A_BASE = _words(r"refugee camps?|idp camps?|displacement camps?|camps? for (?:the )?displaced")
LOOTING = _words(
    r"loot(?:ed|ing|s)?|pillag\w*|plunder\w*|ransack\w*|torch(?:ed|ing)|set (?:on )?fire to"
    r"|set ablaze|burn(?:ed|t) down|burn(?:ed|t) (?:\w+ ){0,2}(?:houses|homes|shops|huts"
    r"|buildings|vehicles|cars|crops|property|villages?)|destroy\w* (?:\w+ ){0,3}(?:houses"
    r"|homes|shops|huts|buildings|property|crops|markers|stalls)|demolish\w*|stole|stolen"
    r"|steal\w*|rustl\w*|(?:seiz|took|taken)\w* (?:\w+ ){0,3}(?:livestock|cattle|oxen|cows"
    r"|goats|food|goods|property|money)"
)
ARREST = _words(
    r"arrest(?:ed|s|ing)?|detain(?:ed|s|ing)?|rounded up|apprehended|taken into custody|in custody"
    r"|nabbed"
)
ARRESTERS = _words(
    r"police(?:men)?|soldiers|army|troops|security forces|security agents|gendarmes?|gendarmerie"
    r"|military|authorities|officers|agents|forces|dss|nia|intelligence"
)
VIOLENCE = _words(
    r"killed|killing|shot|wounded|injured|clash\w*|attack\w*|fired|fighting|exchange of fire"
    r"|dead|died"
)


# -- rules -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One codebook rule: its name, the sub-type it decides, whether the words decide it, and
    the proposals its words do not exclude (the rule then returns None)."""

    name: str
    sub_type: SubEventType
    fires: Callable[[str], bool]
    defers_to: frozenset[SubEventType] = frozenset()


def _protest(text: str) -> str | None:
    """The sentence without what the protest is about, if it reports a protest."""
    if PROTEST.search(text) is None:
        return None
    return _GRIEVANCE.sub(" ", text)


def _violent_demonstration(text: str) -> bool:
    rest = _protest(text)
    return rest is not None and RIOTING.search(rest) is not None


def _excessive_force(text: str) -> bool:
    rest = _protest(text)
    return rest is not None and EXCESSIVE.search(rest) is not None


def _protest_intervention(text: str) -> bool:
    rest = _protest(text)
    return rest is not None and INTERVENTION.search(rest) is not None


def _peaceful_protest(text: str) -> bool:
    return PROTEST.search(text) is not None


def _mob(text: str) -> bool:
    return MOB.search(text) is not None and PROTEST.search(text) is None


def _remote(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    """An Explosions/Remote violence rule: its words, and no other engagement."""

    def fires(text: str) -> bool:
        return pattern.search(text) is not None and ENGAGEMENT.search(text) is None

    return fires


def _grenade(text: str) -> bool:
    if ENGAGEMENT.search(text) is not None:
        return False
    return GRENADE.search(NOT_GRENADE.sub(" ", text)) is not None


def _abduction_killed(text: str) -> bool:
    return ABDUCTION.search(text) is not None and KILLED.search(text) is not None


def _abduction(text: str) -> bool:
    return ABDUCTION.search(text) is not None and KILLED.search(text) is None


def _sexual(text: str) -> bool:
    return SEXUAL.search(text) is not None


def _disrupted(text: str) -> bool:
    if ENGAGEMENT.search(text) is not None:
        return False
    if DISRUPTED.search(text) is not None:
        return True
    # A suicide bomber's own detonation is the attack, premature or not.
    return PREMATURE.search(text) is not None and SUICIDE.search(text) is None


def _taken(text: str) -> bool:
    if OVERRAN.search(text) is not None:
        return True
    took = TAKE.search(text) is not None or RETAKE.search(text) is not None
    return took and PLACE.search(text) is not None


def _non_violent_transfer(text: str) -> bool:
    if HANDOVER.search(text) is not None and VIOLENCE.search(text) is None:
        return True
    return _taken(text) and PEACEFUL_TRANSFER.search(text) is not None


def _government_regains(text: str) -> bool:
    retake = RETAKE.search(text)
    if retake is None or PEACEFUL_TRANSFER.search(text) is not None:
        return False
    before = text[: retake.start()]
    government, other = GOVERNMENT.search(before), NON_STATE.search(before)
    return government is not None and (other is None or government.start() < other.start())


def _non_state_overtakes(text: str) -> bool:
    take = OVERRAN.search(text)
    if take is None:
        take = TAKE.search(text) if PLACE.search(text) is not None else None
    if take is None or PEACEFUL_TRANSFER.search(text) is not None:
        return False
    before = text[: take.start()]
    fought = ENGAGEMENT.search(text) is not None or re.search(
        r"\b(?:attack\w*|overpower\w*|stormed|killing|killed)\b", text, re.I
    )
    return NON_STATE.search(before) is not None and bool(fought)


def _agreement(text: str) -> bool:
    if AGREEMENT.search(text) is None or AGREEMENT_BROKEN.search(text) is not None:
        return False
    if VIOLENCE.search(text) is not None:
        return False
    # A ceasefire or truce on its own is only talked about until it is agreed or holds.
    match = AGREEMENT.search(text)
    if match is not None and CEASEFIRE_ONLY.fullmatch(match.group()):
        return AGREED.search(text) is not None
    return True


def _headquarters(text: str) -> bool:
    return (
        HEADQUARTERS.search(text) is not None
        and NOT_A_BASE.search(text) is None
        and VIOLENCE.search(text) is None
    )


def _looting(text: str) -> bool:
    return LOOTING.search(text) is not None and HARMED.search(text) is None


def _arrests(text: str) -> bool:
    return (
        ARREST.search(text) is not None
        and ARRESTERS.search(text) is not None
        and PROTEST.search(text) is None
        and VIOLENCE.search(text) is None
        and ABDUCTION.search(text) is None
    )


_E_RV = frozenset(
    {
        _S.CHEMICAL_WEAPON,
        _S.AIR_DRONE_STRIKE,
        _S.SUICIDE_BOMB,
        _S.SHELLING_ARTILLERY_MISSILE,
        _S.REMOTE_EXPLOSIVE,
        _S.GRENADE,
    }
)
_PROTESTS = frozenset({_S.PEACEFUL_PROTEST, _S.PROTEST_WITH_INTERVENTION, _S.EXCESSIVE_FORCE})

# In precedence order (see the module docstring).
RULES: tuple[Rule, ...] = (
    Rule("chemical_agent", _S.CHEMICAL_WEAPON, _remote(CHEMICAL), _BATTLES),
    Rule("disrupted_weapons", _S.DISRUPTED_WEAPONS_USE, _disrupted),
    Rule("violent_demonstration", _S.VIOLENT_DEMONSTRATION, _violent_demonstration, _RIOTS),
    Rule(
        "excessive_force",
        _S.EXCESSIVE_FORCE,
        _excessive_force,
        frozenset({_S.VIOLENT_DEMONSTRATION}),
    ),
    Rule(
        "protest_intervention",
        _S.PROTEST_WITH_INTERVENTION,
        _protest_intervention,
        frozenset({_S.EXCESSIVE_FORCE, _S.VIOLENT_DEMONSTRATION}),
    ),
    Rule("peaceful_protest", _S.PEACEFUL_PROTEST, _peaceful_protest, _PROTESTS | _RIOTS),
    Rule("mob_violence", _S.MOB_VIOLENCE, _mob, frozenset({_S.VIOLENT_DEMONSTRATION, _S.ATTACK})),
    Rule("air_strike", _S.AIR_DRONE_STRIKE, _remote(AIR), _BATTLES | {_S.CHEMICAL_WEAPON}),
    Rule("suicide_bomb", _S.SUICIDE_BOMB, _remote(SUICIDE), _BATTLES),
    Rule(
        "shelling",
        _S.SHELLING_ARTILLERY_MISSILE,
        _remote(SHELLING),
        _BATTLES | {_S.CHEMICAL_WEAPON, _S.AIR_DRONE_STRIKE},
    ),
    Rule(
        "explosive_device",
        _S.REMOTE_EXPLOSIVE,
        _remote(EXPLOSIVE),
        _BATTLES | {_S.SUICIDE_BOMB, _S.DISRUPTED_WEAPONS_USE},
    ),
    Rule("grenade", _S.GRENADE, _grenade, _BATTLES | _E_RV),
    Rule("sexual_violence", _S.SEXUAL_VIOLENCE, _sexual, _BATTLES | _RIOTS),
    Rule("abduction_killed", _S.ATTACK, _abduction_killed, _BATTLES | _E_RV | _RIOTS),
    Rule("abduction", _S.ABDUCTION, _abduction, _BATTLES | {_S.ARRESTS, _S.SEXUAL_VIOLENCE}),
    Rule("non_violent_transfer", _S.NON_VIOLENT_TRANSFER, _non_violent_transfer),
    Rule(
        "government_regains",
        _S.GOVERNMENT_REGAINS_TERRITORY,
        _government_regains,
        frozenset({_S.ARMED_CLASH}),
    ),
    Rule(
        "non_state_overtakes",
        _S.NON_STATE_ACTOR_OVERTAKES_TERRITORY,
        _non_state_overtakes,
        frozenset({_S.ARMED_CLASH}),
    ),
    Rule("agreement", _S.AGREEMENT, _agreement),
    Rule("headquarters", _S.HEADQUARTERS_ESTABLISHED, _headquarters),
    Rule("looting", _S.LOOTING, _looting, _RIOTS | _BATTLES | {_S.NON_VIOLENT_TRANSFER}),
    Rule("arrests", _S.ARRESTS, _arrests, frozenset({_S.ABDUCTION, _S.PROTEST_WITH_INTERVENTION})),
)
RULE_NAMES = tuple(rule.name for rule in RULES)
assert len(set(RULE_NAMES)) == len(RULE_NAMES)


def rule_fires(sentence: str) -> bool:
    """Whether a sub-type rule would type the sentence (extract.v11's rule_sentences asks the
    model about it even without a word of the old event list)."""
    return any(rule.fires(sentence) for rule in RULES)


def rule_sub_type(
    sentence: str, proposed: SubEventType | None = None
) -> tuple[SubEventType, str] | None:
    """The sub-type the words of ``sentence`` decide and the deciding rule's name; None when no
    rule fires or the first rule that fires does not exclude ``proposed``."""
    rule = _first_rule(sentence)
    if rule is None or _proposal_stands(rule, proposed):
        return None
    return rule.sub_type, rule.name


def _first_rule(sentence: str) -> Rule | None:
    return next((rule for rule in RULES if rule.fires(sentence)), None)


def _proposal_stands(rule: Rule, proposed: SubEventType | None) -> bool:
    return proposed is not None and proposed != rule.sub_type and proposed in rule.defers_to


# Rules whose words already rule out a battle (remote violence fires only without an
# engagement) or outrank it (a place taken in the fighting).
_OVER_BATTLES = _E_RV | {_S.GOVERNMENT_REGAINS_TERRITORY, _S.NON_STATE_ACTOR_OVERTAKES_TERRITORY}


def rule_over_battles(
    sentence: str, proposed: SubEventType | None
) -> tuple[SubEventType, str] | None:
    """``rule_sub_type``, except that the model's Battles proposal (small models answer
    "clash" for most violence) does not stop a remote-violence or territory rule (extract.v11's
    rules_over_clash). ACLED Codebook, "Event types and sub-event types": "the event types and
    sub-event types ... are presented in hierarchical order"; a remote-violence rule does not
    fire where the sentence names another engagement, so a battle is already ruled out."""
    rule = _first_rule(sentence)
    if rule is None:
        return None
    if proposed in _BATTLES and rule.sub_type in _OVER_BATTLES:
        return rule.sub_type, rule.name
    return None if _proposal_stands(rule, proposed) else (rule.sub_type, rule.name)


# Civilians killed (extract.v14's civilians_killed, in rule_over_proposal): the victim and the
# killing, either way round ("a farmer was killed by gunmen", "gunmen shot and killed a man").
_VICTIM = (
    r"(?:civilians?|villagers?|farmers?|man|men|woman|women|child(?:ren)?|boys?|girls?"
    r"|residents?|traders?|herders?|herdsm[ae]n|shepherds?|passengers?|workers?|teachers?"
    r"|students?|famil(?:y|ies)|pastors?|priests?|imams?|journalists?|motorists?"
    r"|travell?ers?|pastoralists?|son|daughter|wife|husband|elders?|people|persons?|miners?"
    r"|fishermen)"
)
_KILLING = (
    r"(?:killed|murdered|shot dead|shot and killed|stabbed(?: \w+){0,3}? to death"
    r"|hacked(?: \w+){0,3}? to death|beheaded|slaughtered|massacred|executed"
    r"|burn(?:ed|t) (?:\w+ )?alive)"
)
CIVILIANS_KILLED = re.compile(
    rf"\b{_VICTIM}\b(?: [\w'-]+){{0,4}}? (?:was|were|has been|have been|had been) (?:\w+ )?"
    rf"{_KILLING}\b|\b{_KILLING} (?:an? |the |\w+ ){{0,3}}{_VICTIM}\b"
    rf"|\b(?:shot|stabbed|hacked|beat) (?:an? |the |\w+ ){{0,3}}{_VICTIM} to death\b",
    re.IGNORECASE,
)
# What a killing of civilians may also be: the model's answer then stands.
_ATTACK_DEFERS = _E_RV | _RIOTS | {_S.ABDUCTION, _S.SEXUAL_VIOLENCE, _S.EXCESSIVE_FORCE}


def _civilians_killed(text: str) -> bool:
    return CIVILIANS_KILLED.search(text) is not None and ENGAGEMENT.search(text) is None


def rule_over_proposal(
    sentence: str, proposed: SubEventType | None
) -> tuple[SubEventType, str] | None:
    """``rule_over_battles``, and where the words leave nothing to the model (extract.v14's
    words_over_model): a Battles proposal does not stop any rule when the sentence names no
    engagement, and a remote-violence proposal does not stop a remote-violence rule. The
    remote-violence rules run in the codebook's order ("presented in hierarchical order"), so
    the words of a proposal that outranks the rule would have fired its own rule first.

    Where no rule fires, civilians killed with no engagement named are an Attack (Violence
    against civilians > Attack: civilians targeted with violence, by an organised armed group or
    an individual), unless the model answered a sub-type the killing may also be (an explosion,
    a riot, violence at a protest)."""
    rule = _first_rule(sentence)
    if rule is None:
        if _civilians_killed(sentence) and proposed not in _ATTACK_DEFERS:
            return _S.ATTACK, "civilians_killed"
        return None
    if proposed in _BATTLES and (
        rule.sub_type in _OVER_BATTLES or ENGAGEMENT.search(sentence) is None
    ):
        return rule.sub_type, rule.name
    if proposed in _E_RV and rule.sub_type in _E_RV:
        return rule.sub_type, rule.name
    return None if _proposal_stands(rule, proposed) else (rule.sub_type, rule.name)


# What happened at a protest, beyond its being held (extract.v14's protest_outcomes).
PROTEST_OUTCOMES = frozenset(
    {_S.VIOLENT_DEMONSTRATION, _S.EXCESSIVE_FORCE, _S.PROTEST_WITH_INTERVENTION}
)


def protest_outcome(report: str, following: str) -> SubEventType | None:
    """The sub-type a peaceful protest's report takes from the sentences after it ("Students
    protested for the release of other students." "Police responded by firing teargas at the
    protesters."), or None. ACLED Codebook: Protest with intervention, "a peaceful protest during
    which there is a physical attempt to disperse or suppress the protest"; Excessive force
    against protesters, protesters "targeted with lethal violence or violence resulting in
    serious injuries"; Violent demonstration, "demonstrators engage in violence and/or
    destructive activity". What was done to or by its participants decides the protest's
    sub-type, wherever the article tells it."""
    typed = rule_sub_type(f"{report} {following}")
    return typed[0] if typed is not None and typed[0] in PROTEST_OUTCOMES else None


# -- who took the place (extract.v11's territory_sides) ----------------------------------------

# Taking a place, beyond TAKE and OVERRAN: "seized it", "overtaking the village".
_TAKEN_MORE = _words(
    r"seiz(?:e|ed|es|ing) (?:it|them|the (?:\w+ )?(?:town|village|city|area|base|camp|post))"
    r"|overtaking|took (?:over )?(?:the )?(?:town|village|city|area|base|camp)"
    r"|(?:took|taken|taking|seized|gained|regained) (?:full |complete )?control (?:of|over) "
    r"(?:the )?(?=(?-i:[A-Z]))|captur(?:e|ed|es|ing) (?:the )?(?=(?-i:[A-Z]))"
)
_STATE_TAKERS = frozenset({ActorType.STATE_FORCES, ActorType.GOVERNMENT})
# A foreign state's forces taking a place abroad overtake it like a non-state actor does.
_OTHER_TAKERS = frozenset(
    {ActorType.REBEL_GROUP, ActorType.IDENTITY_MILITIA, ActorType.EXTERNAL_OTHER_FORCES}
)


def territory_by_taker(
    sentence: str, proposed: SubEventType, takers: list[ActorType | None]
) -> SubEventType | None:
    """Whether a Battles event is a place taken, and by whom. ACLED Codebook, "Government
    regains territory": "government forces or their affiliates that are fighting against
    competing state forces or against a non-state group regain control of a location through
    armed interaction"; "Non-state actor overtakes territory": "a non-state actor (excluding
    those operating directly on behalf of the government) or a foreign state actor, through
    armed interaction, captures territory". A place must have been taken (the proposal is a
    territory type, or the words of a clash say so), not peacefully; the event's perpetrators
    (``takers``, by actor type) then decide. A political militia may be a government's
    affiliate or not, so it decides nothing. None when this does not apply or the takers do
    not decide."""
    if proposed not in _BATTLES:
        return None
    # a territory type says a place was taken; a clash needs the words to say so
    taken = proposed is not _S.ARMED_CLASH or _taken(sentence)
    if not (taken or _TAKEN_MORE.search(sentence)) or PEACEFUL_TRANSFER.search(sentence):
        return None
    kinds = {kind for kind in takers if kind is not None}
    state, other = bool(kinds & _STATE_TAKERS), bool(kinds & _OTHER_TAKERS)
    if state and not other:
        return _S.GOVERNMENT_REGAINS_TERRITORY
    if other and not state:
        return _S.NON_STATE_ACTOR_OVERTAKES_TERRITORY
    return None


# -- the sentence filter ---------------------------------------------------------------------

# Words of the sub-type definitions no rule above decides (Armed clash, Attack, Change to
# group/activity, Other) and of the event types in general.
DEFINITION_WORDS = _words(
    r"kill\w*|attack\w*|strike\w*|struck|shell\w*|bomb\w*|clash\w*|fight\w*|fought|assault\w*"
    r"|offensive|raid\w*|ambush\w*|fire|fired|firing|gun\w*|shot|shoot\w*|wound\w*|injur\w*"
    r"|dead|death\w*|die[ds]?|dying|massacre\w*|murder\w*|execut\w*|behead\w*|stab\w*|hack\w*"
    r"|machete\w*|beat\w*|tortur\w*|lynch\w*|mob\w*|casualt\w*|fatalit\w*|bodies|body|corpse\w*"
    r"|slain|perish\w*|hostage\w*|missing|disappear\w*|evacuat\w*|displac\w*|fled|flee\w*"
    r"|refugees?|deploy\w*|reinforce\w*|movement|convoy|column|patrol\w*|recruit\w*|join\w*"
    r"|defect\w*|switched sides|form\w*|creat\w*|launch\w*|split|merg\w*|mutin\w*|coup\w*"
    r"|curfew|state of emergency|emergency|alert|banned|ban|closed|closure|armed|arms|weapons?"
    r"|militia\w*|militants?|rebels?|insurgent\w*|troops|soldiers|forces|police|army|military"
    r"|gunmen|spotted|surround\w*|overtak\w*|took over|seiz\w*|captur\w*|control|withdr\w*"
    r"|surrender\w*|advanc\w*|push\w*|retak\w*|recaptur\w*|liberat\w*|enter\w*|siege|besieg\w*"
    r"|destr\w*|explo\w*|blast\w*|detonat\w*|warplane\w*|helicopter\w*|drone\w*|artillery"
    r"|mortar\w*|rocket\w*|missile\w*|terror\w*|gas|loot\w*|burn\w*|burnt|torch\w*|demolish\w*"
    r"|evict\w*|stole|stolen|rustl\w*|grave\w*|talks|negotiat\w*|deal|agree\w*|accord"
    r"|polling|election\w*|strike|vigil\w*|threat\w*|raid|operation\w*|crackdown|detain\w*"
    r"|arrest\w*|custody|court|jail\w*|prison\w*|riot\w*|protest\w*|demonstrat\w*|march\w*"
    r"|rall\w*|unrest|violen\w*|tension\w*|security|conflict|war|combat\w*|hostilit\w*"
)

_LEXICON: tuple[re.Pattern[str], ...] = (
    ENGAGEMENT,
    PROTEST,
    RIOTING,
    MOB,
    CHEMICAL,
    AIR,
    SUICIDE,
    SHELLING,
    EXPLOSIVE,
    GRENADE,
    SEXUAL,
    ABDUCTION,
    DISRUPTED,
    PREMATURE,
    RETAKE,
    OVERRAN,
    TAKE,
    HANDOVER,
    AGREEMENT,
    HEADQUARTERS,
    LOOTING,
    ARREST,
    DEFINITION_WORDS,
)


def may_report(sentence: str) -> bool:
    """True for every sentence a rule or a sub-type definition could type: any rule fires, or
    the sentence has a word of a rule's lexicon or of a sub-type definition."""
    if any(pattern.search(sentence) for pattern in _LEXICON):
        return True
    return rule_fires(sentence)
