"""ACLED-style public ids of events: ``event_id_cnty`` is the country's ISO 3166-1 alpha-3 code and
the event's stable id ("SYR1234"), "XXX" while the country is not known.

The country is the event's own as geocoded (service/geo), else the article's home country
(geocoded, else the one it names most, service/extraction/actor_types.py); it is fixed when the
stable id is first given, so the public id never changes either.
"""

from __future__ import annotations

import re

from service.extraction.actor_types import home_country

UNKNOWN_ISO3 = "XXX"
_ISO3 = re.compile(r"[A-Za-z]{3}")

# The countries home_country() knows, by its names.
COUNTRY_ISO3 = {
    "afghanistan": "AFG",
    "egypt": "EGY",
    "france": "FRA",
    "iran": "IRN",
    "iraq": "IRQ",
    "israel": "ISR",
    "jordan": "JOR",
    "lebanon": "LBN",
    "libya": "LBY",
    "russia": "RUS",
    "saudi arabia": "SAU",
    "syria": "SYR",
    "turkey": "TUR",
    "ukraine": "UKR",
    "united kingdom": "GBR",
    "united states": "USA",
    "yemen": "YEM",
}


def event_id_cnty(iso3: str | None, stable_id: int) -> str:
    """ "SYR42" for stable id 42 in Syria; "XXX42" when the country is unknown or not a code."""
    code = iso3.upper() if iso3 is not None and _ISO3.fullmatch(iso3) else UNKNOWN_ISO3
    return f"{code}{stable_id}"


def article_iso3(text: str) -> str | None:
    """The ISO3 code of the article's home country, None when it names none it knows."""
    country = home_country(text)
    return COUNTRY_ISO3.get(country) if country is not None else None
