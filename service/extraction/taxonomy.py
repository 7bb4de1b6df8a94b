"""ACLED event taxonomy (6 event types, 25 sub-event types), actor types and figure categories."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    BATTLES = "Battles"
    EXPLOSIONS_REMOTE_VIOLENCE = "Explosions/Remote violence"
    VIOLENCE_AGAINST_CIVILIANS = "Violence against civilians"
    PROTESTS = "Protests"
    RIOTS = "Riots"
    STRATEGIC_DEVELOPMENTS = "Strategic developments"


class SubEventType(StrEnum):
    ARMED_CLASH = "Armed clash"
    GOVERNMENT_REGAINS_TERRITORY = "Government regains territory"
    NON_STATE_ACTOR_OVERTAKES_TERRITORY = "Non-state actor overtakes territory"
    CHEMICAL_WEAPON = "Chemical weapon"
    AIR_DRONE_STRIKE = "Air/drone strike"
    SUICIDE_BOMB = "Suicide bomb"
    SHELLING_ARTILLERY_MISSILE = "Shelling/artillery/missile attack"
    REMOTE_EXPLOSIVE = "Remote explosive/landmine/IED"
    GRENADE = "Grenade"
    SEXUAL_VIOLENCE = "Sexual violence"
    ATTACK = "Attack"
    ABDUCTION = "Abduction/forced disappearance"
    PEACEFUL_PROTEST = "Peaceful protest"
    PROTEST_WITH_INTERVENTION = "Protest with intervention"
    EXCESSIVE_FORCE = "Excessive force against protesters"
    VIOLENT_DEMONSTRATION = "Violent demonstration"
    MOB_VIOLENCE = "Mob violence"
    AGREEMENT = "Agreement"
    ARRESTS = "Arrests"
    CHANGE_TO_GROUP = "Change to group/activity"
    DISRUPTED_WEAPONS_USE = "Disrupted weapons use"
    HEADQUARTERS_ESTABLISHED = "Headquarters or base established"
    LOOTING = "Looting/property destruction"
    NON_VIOLENT_TRANSFER = "Non-violent transfer of territory"
    OTHER = "Other"


_S = SubEventType
EVENT_TYPE_OF: dict[SubEventType, EventType] = {
    **dict.fromkeys(
        (_S.ARMED_CLASH, _S.GOVERNMENT_REGAINS_TERRITORY, _S.NON_STATE_ACTOR_OVERTAKES_TERRITORY),
        EventType.BATTLES,
    ),
    **dict.fromkeys(
        (
            _S.CHEMICAL_WEAPON,
            _S.AIR_DRONE_STRIKE,
            _S.SUICIDE_BOMB,
            _S.SHELLING_ARTILLERY_MISSILE,
            _S.REMOTE_EXPLOSIVE,
            _S.GRENADE,
        ),
        EventType.EXPLOSIONS_REMOTE_VIOLENCE,
    ),
    **dict.fromkeys(
        (_S.SEXUAL_VIOLENCE, _S.ATTACK, _S.ABDUCTION), EventType.VIOLENCE_AGAINST_CIVILIANS
    ),
    **dict.fromkeys(
        (_S.PEACEFUL_PROTEST, _S.PROTEST_WITH_INTERVENTION, _S.EXCESSIVE_FORCE),
        EventType.PROTESTS,
    ),
    **dict.fromkeys((_S.VIOLENT_DEMONSTRATION, _S.MOB_VIOLENCE), EventType.RIOTS),
    **dict.fromkeys(
        (
            _S.AGREEMENT,
            _S.ARRESTS,
            _S.CHANGE_TO_GROUP,
            _S.DISRUPTED_WEAPONS_USE,
            _S.HEADQUARTERS_ESTABLISHED,
            _S.LOOTING,
            _S.NON_VIOLENT_TRANSFER,
            _S.OTHER,
        ),
        EventType.STRATEGIC_DEVELOPMENTS,
    ),
}
assert len(EVENT_TYPE_OF) == 25 and set(EVENT_TYPE_OF) == set(SubEventType)


class ActorType(StrEnum):
    """ACLED's eight inter codes, plus the non-combatant kinds news articles name."""

    STATE_FORCES = "state forces"
    REBEL_GROUP = "rebel group"
    POLITICAL_MILITIA = "political militia"
    IDENTITY_MILITIA = "identity militia"
    RIOTERS = "rioters"
    PROTESTERS = "protesters"
    CIVILIANS = "civilians"
    EXTERNAL_OTHER_FORCES = "external/other forces"
    GOVERNMENT = "government"
    INTERNATIONAL_ORGANISATION = "international organisation"
    MONITOR_MEDIA = "monitor/media"
    OTHER = "other"


class ActorRole(StrEnum):
    PERPETRATOR = "perpetrator"
    TARGET = "target"
    OTHER = "other"


class FigureCategory(StrEnum):
    KILLED = "killed"
    WOUNDED = "wounded"
    KILLED_OR_WOUNDED = "killed_or_wounded"
    MISSING = "missing"
    ABDUCTED = "abducted"
    ARRESTED = "arrested"
    EVACUATED = "evacuated"
    DISPLACED = "displaced"
    BESIEGED = "besieged"
    FIGHTERS = "fighters"
    MUNITIONS = "munitions"
    OTHER = "other"


class Qualifier(StrEnum):
    EXACT = "exact"
    AT_LEAST = "at_least"
    MORE_THAN = "more_than"
    APPROXIMATELY = "approximately"
    UP_TO = "up_to"
    RANGE = "range"
    VAGUE = "vague"


class DatePrecision(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    UNKNOWN = "unknown"


class Factuality(StrEnum):
    """How the article presents an occurrence; only HAPPENED becomes an event."""

    HAPPENED = "happened"
    HYPOTHETICAL = "hypothetical"
    FUTURE = "future"
    THREATENED = "threatened"
    DENIED = "denied"


# Short answer labels (extract.v4): every answer token costs ~31 ms on two CPU cores, and
# "Shelling/artillery/missile attack" is 9 tokens where "shelling" is 2.
SUB_EVENT_LABELS: dict[str, SubEventType] = {
    "clash": _S.ARMED_CLASH,
    "regain": _S.GOVERNMENT_REGAINS_TERRITORY,
    "takeover": _S.NON_STATE_ACTOR_OVERTAKES_TERRITORY,
    "airstrike": _S.AIR_DRONE_STRIKE,
    "shelling": _S.SHELLING_ARTILLERY_MISSILE,
    "explosive": _S.REMOTE_EXPLOSIVE,
    "suicide bomb": _S.SUICIDE_BOMB,
    "chemical weapon": _S.CHEMICAL_WEAPON,
    "grenade": _S.GRENADE,
    "attack": _S.ATTACK,
    "abduction": _S.ABDUCTION,
    "sexual violence": _S.SEXUAL_VIOLENCE,
    "arrests": _S.ARRESTS,
    "peaceful protest": _S.PEACEFUL_PROTEST,
    "protest intervention": _S.PROTEST_WITH_INTERVENTION,
    "excessive force": _S.EXCESSIVE_FORCE,
    "violent demonstration": _S.VIOLENT_DEMONSTRATION,
    "mob violence": _S.MOB_VIOLENCE,
    "agreement": _S.AGREEMENT,
    "transfer": _S.NON_VIOLENT_TRANSFER,
    "group change": _S.CHANGE_TO_GROUP,
    "looting": _S.LOOTING,
    "base established": _S.HEADQUARTERS_ESTABLISHED,
    "disrupted weapons": _S.DISRUPTED_WEAPONS_USE,
    "other": _S.OTHER,
}
assert set(SUB_EVENT_LABELS.values()) == set(SubEventType)
