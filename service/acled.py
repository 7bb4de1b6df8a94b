"""ACLED's codebook where this project's records map onto its columns: the disorder type of a
sub-event type, the inter code of an actor type, the interaction of two inter codes and the time
precision of a date precision.

Sources: the ACLED Codebook (2023 edition for ``disorder_type`` and ``civilian_targeting``,
added to ACLED's data on 20 March 2023; the inter and interaction codes are unchanged since the
2019 edition) and ACLED's R package acledR (``acled_event_categories``: its "demonstrations"
are peaceful protests, protests with intervention, violent demonstrations and excessive force
against protesters).
"""

from __future__ import annotations

from service.extraction.taxonomy import (
    EVENT_TYPE_OF,
    ActorType,
    DatePrecision,
    EventType,
    SubEventType,
)

POLITICAL_VIOLENCE = "Political violence"
DEMONSTRATIONS = "Demonstrations"
BOTH = "Political violence; Demonstrations"
STRATEGIC_DEVELOPMENTS = "Strategic developments"
CIVILIAN_TARGETING = "Civilian targeting"

_S = SubEventType
_BY_EVENT_TYPE = {
    EventType.BATTLES: POLITICAL_VIOLENCE,
    EventType.EXPLOSIONS_REMOTE_VIOLENCE: POLITICAL_VIOLENCE,
    EventType.VIOLENCE_AGAINST_CIVILIANS: POLITICAL_VIOLENCE,
    EventType.PROTESTS: DEMONSTRATIONS,
    EventType.RIOTS: DEMONSTRATIONS,
    EventType.STRATEGIC_DEVELOPMENTS: STRATEGIC_DEVELOPMENTS,
}
DISORDER_TYPE: dict[SubEventType, str] = {
    **{sub: _BY_EVENT_TYPE[event_type] for sub, event_type in EVENT_TYPE_OF.items()},
    # Peaceful protesters met with lethal force: both a demonstration and political violence.
    _S.EXCESSIVE_FORCE: BOTH,
    # A mob's violence is not a demonstration (acledR leaves it out of "demonstrations").
    _S.MOB_VIOLENCE: POLITICAL_VIOLENCE,
}

INTER_CODE: dict[ActorType, int | None] = {
    ActorType.STATE_FORCES: 1,
    ActorType.REBEL_GROUP: 2,
    ActorType.POLITICAL_MILITIA: 3,
    ActorType.IDENTITY_MILITIA: 4,
    ActorType.RIOTERS: 5,
    ActorType.PROTESTERS: 6,
    ActorType.CIVILIANS: 7,
    ActorType.EXTERNAL_OTHER_FORCES: 8,
    # "Collective actors that are recognised to perform government functions" are state forces.
    ActorType.GOVERNMENT: 1,
    # The codebook's "other" forces include international organisations (e.g. UN missions).
    ActorType.INTERNATIONAL_ORGANISATION: 8,
    # Neither is a party ACLED codes: an outlet or monitor is the source (role "other" here),
    # and ACLED codes journalists who are attacked as civilians, which this type cannot tell.
    ActorType.MONITOR_MEDIA: None,
    ActorType.OTHER: None,
}


def disorder_type(sub_event_type: str) -> str | None:
    try:
        return DISORDER_TYPE[SubEventType(sub_event_type)]
    except ValueError:
        return None


def inter_code(actor_type: str) -> int | None:
    try:
        return INTER_CODE[ActorType(actor_type)]
    except ValueError:
        return None


def actor_types_of(code: int) -> list[str]:
    """The actor types whose inter code is ``code``."""
    return [t.value for t, c in INTER_CODE.items() if c == code]


def interaction(inter1: int | None, inter2: int | None, *, actor2: bool) -> int | None:
    """ACLED's interaction: the two inter codes, smaller first (37, never 73); a one-sided event
    is its code and 0 (20: rebels alone). None when actor 1, or a named actor 2, has no code."""
    if inter1 is None or (actor2 and inter2 is None):
        return None
    if inter2 is None:
        return inter1 * 10
    low, high = sorted((inter1, inter2))
    return low * 10 + high


# ACLED: 1 the day is known, 2 the week (or a span within it), 3 only the month. It has no
# coarser code, so a year is 3 as well.
TIME_PRECISION: dict[DatePrecision, int | None] = {
    DatePrecision.DAY: 1,
    DatePrecision.WEEK: 2,
    DatePrecision.MONTH: 3,
    DatePrecision.YEAR: 3,
    DatePrecision.UNKNOWN: None,
}


def time_precision(date_precision: str) -> int | None:
    try:
        return TIME_PRECISION[DatePrecision(date_precision)]
    except ValueError:
        return None
