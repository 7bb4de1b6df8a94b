"""Resolving an event's place, as the article writes it, to a gazetteer entry, in context.

Pure functions over the gazetteer (``service/geo/gazetteer.py``); no I/O besides its lookups.

1. The article's context: which country it is about (the *home* country) and which admin1
   regions its places fall in. Votes come from country names and demonyms ("Syrian") in the
   text, from capitalised names that resolve to a place of 20,000 or more, and (weighted more)
   from the events' own locations.
2. A location string is read for its form: "near X", "outskirts of X", "north of X", "south
   Damascus" (part of or near a town: ACLED geo-precision 2), "X province" / "X governorate"
   (admin1, precision 3), "X district" / "X territory" (admin2, precision 2), a country name
   (precision 3, at its capital), "X, Y" (Y narrows X to a country or admin1), or a name.
3. Candidates for a name are scored: the home country first, then the article's admin1
   regions, then population. When the only candidates lie outside the home country and none is
   a city of a million, or nothing matches at all, the place is resolved at the level the
   article is sure of instead of guessing a town: its main admin1 region, else its country
   (precision 3). Every result carries the candidate it was resolved from and the reason.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from service.geo.gazetteer import (
    ADMIN1_WORDS,
    ADMIN2_WORDS,
    Admin1,
    Admin2,
    Gazetteer,
    Place,
    admin_keys,
    normalise,
)

TOWN = 1  # ACLED geo-precision: the town itself
NEAR = 2  # part of a region, near a town, a district
REGION = 3  # an admin1 region or larger

_DIRECTION = (
    r"(?:north|south|east|west|north\s?east|north\s?west|south\s?east|south\s?west|central)"
)
_NEAR = [
    re.compile(
        r"^(?:the\s+)?(?:outskirts|suburbs|vicinity|countryside|surroundings|environs|"
        r"outskirt|edge|area|areas|region|villages|farmlands?)\s+(?:of|around)\s+(.+)$"
    ),
    re.compile(r"^(?:near|outside|around|nearby|close to|just outside|not far from)\s+(.+)$"),
    re.compile(
        r"^(?:\d+(?:\.\d+)?\s*(?:km|kilometres|kilometers|miles|mi)\s+(?:\w+\s+)?)?"
        + _DIRECTION
        + r"(?:ern)?\s+(?:of|from)\s+(.+)$"
    ),
    re.compile(r"^(?:the\s+)?" + _DIRECTION + r"(?:ern)?\s+(?:part of\s+|parts of\s+)?(.+)$"),
    re.compile(
        r"^(.+?)\s+(?:outskirts|suburbs|countryside|area|border|river|camp|market|"
        r"displacement camp|refugee camp|neighbourhood|neighborhood|village|town|city)$"
    ),
]
_ADMIN1 = re.compile(r"^(.+?)\s+(?:" + "|".join(ADMIN1_WORDS) + r")$")
_ADMIN1_OF = re.compile(r"^(?:the\s+)?(?:" + "|".join(ADMIN1_WORDS) + r")\s+of\s+(.+)$")
_ADMIN2 = re.compile(r"^(.+?)\s+(?:" + "|".join(ADMIN2_WORDS) + r")$")
_CAPITALISED = re.compile(
    r"\b(?:(?:al|el|ad|ar|as|an|ash|at|az)-)?[A-Z][\w'\u2019\-]*"
    r"(?:\s+(?:(?:al|el|de|du|of)\s+)?(?:(?:al|el|ad|ar|as|an|ash|at|az)-)?[A-Z][\w'\u2019\-]*){0,3}"
)
# Capitalised words that are not places although some village somewhere has the name.
_NOT_PLACES = frozenset(
    normalise(w)
    for w in (
        "The A An In On At By For From To Of And But Or He She It They We You I His Her Their "
        "This That These Those There Here Who What When Where Why How Mr Mrs Ms Dr "
        "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April "
        "May June July August September October November December Reuters AFP AP "
        "Army Police Government Islam Islamic State President Minister Ministry God Allah "
        "Observatory Council Forces Front Party Republic Union United Nations News Agency"
    ).split()
)
_DEMONYM_SUFFIXES = (
    ("ian", ""),
    ("ian", "e"),
    ("ian", "ia"),
    ("an", ""),
    ("an", "a"),
    ("n", ""),
    ("i", ""),
    ("i", "ia"),
    ("ese", ""),
    ("ese", "a"),
)


@dataclass(frozen=True, slots=True)
class Geocode:
    """Where a place is. ``candidate``: the gazetteer name it was resolved from (a place, admin
    region or country); ``reason``: why this entry and this precision."""

    name: str
    country_iso2: str
    country_iso3: str
    country_numeric: int
    country: str
    admin1: str | None
    admin2: str | None
    latitude: float
    longitude: float
    geonameid: int | None
    geo_precision: int
    candidate: str
    reason: str
    # Namesakes in other countries of a fifth of its population or more: without context it
    # could be another place (such a place does not vote for the article's country).
    ambiguous: bool = False


@dataclass(slots=True)
class Context:
    """What the article says about where it is: country votes and admin1 votes."""

    countries: Counter[str] = field(default_factory=Counter)
    admin1s: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def home(self) -> str | None:
        if not self.countries:
            return None
        (best, votes), *rest = self.countries.most_common(2)
        if votes < 4 or (rest and rest[0][1] >= votes):
            return None
        return best

    def main_admin1(self) -> tuple[str, str] | None:
        home = self.home
        counts = [(k, v) for k, v in self.admin1s.most_common() if k[0] == home]
        if not counts or counts[0][1] < 2:
            return None
        if len(counts) > 1 and counts[1][1] == counts[0][1]:
            return None
        return counts[0][0]


class Geocoder:
    def __init__(self, gazetteer: Gazetteer) -> None:
        self.g = gazetteer

    # -- context ---------------------------------------------------------------------------

    def context(self, text: str, locations: Iterable[str | None] = ()) -> Context:
        ctx = Context()
        prominent: list[Place] = []
        for match in _CAPITALISED.finditer(text):
            key = normalise(match.group(0))
            if not key or key in _NOT_PLACES:
                continue
            iso2 = self._country_named(key)
            if iso2 is not None:
                ctx.countries[iso2] += 2 if key in self.g.country_by_name else 1
                continue
            place = self._prominent(key)
            if place is not None:
                ctx.countries[place.country] += 2
                prominent.append(place)
                continue
            regions = {a.country for a in self.g.admin1_named(key)}
            if len(regions) == 1:
                ctx.countries[next(iter(regions))] += 2
        # Each event's place on its own (no context yet) weighs twice a mention.
        for location in locations:
            found = self._resolve(normalise(location), Context(), TOWN) if location else None
            if found is not None and not found.ambiguous:
                ctx.countries[found.country_iso2] += 4
                code = self._admin1_code(found)
                if code is not None:
                    ctx.admin1s[(found.country_iso2, code)] += 2
        home = ctx.home
        for place in prominent:
            if place.country == home:
                ctx.admin1s[(place.country, place.admin1_code)] += 1
        return ctx

    def _admin1(self, key: tuple[str, str]) -> Admin1 | None:
        return self.g.lookup_admin1(*key)

    def _admin1_code(self, found: Geocode) -> str | None:
        for admin1 in self.g.admin1_named(normalise(found.admin1 or "")):
            if admin1.country == found.country_iso2 and admin1.name == found.admin1:
                return admin1.code
        return None

    def _country_named(self, key: str) -> str | None:
        key = re.sub(r"^the\s+", "", key)
        if key in self.g.country_by_name:
            return self.g.country_by_name[key]
        if " " in key:
            return None
        for suffix, replacement in _DEMONYM_SUFFIXES:
            if key.endswith(suffix) and len(key) - len(suffix) >= 4:
                stem = key[: -len(suffix)] + replacement
                if stem in self.g.country_by_name:
                    return self.g.country_by_name[stem]
        return None

    def _prominent(self, key: str) -> Place | None:
        """The place a name most likely means without context: one of 20,000 or more people,
        at least five times as large as any other place of that name in another country."""
        if key in _NOT_PLACES or len(key) < 3:
            return None
        places = sorted(self.g.lookup(key), key=lambda p: -p.population)
        if not places or places[0].population < 20_000:
            return None
        other = [p.population for p in places[1:] if p.country != places[0].country]
        if other and other[0] * 5 > places[0].population:
            return None
        return places[0]

    # -- one location ----------------------------------------------------------------------

    def geocode(self, location: str, ctx: Context) -> Geocode | None:
        """The gazetteer entry for a location as written, or None when the article gives no
        country to fall back on and the name matches nothing."""
        parts = [p for p in location.split(",") if p.strip()]
        if len(parts) > 1:
            ctx = self._narrowed(ctx, parts[-1])
            location = parts[0]
        key = re.sub(r"^(?:the|in|at|on)\s+", "", normalise(location))
        if not key:
            return None
        found = self._resolve(key, ctx, precision=TOWN)
        if found is not None:
            return found
        return self._fallback(location, ctx, "no gazetteer entry for the place as written")

    def _narrowed(self, ctx: Context, scope: str) -> Context:
        """The context of "X, Y": Y is a country or an admin1 region X lies in."""
        narrowed = Context(Counter(ctx.countries), Counter(ctx.admin1s))
        key = normalise(scope)
        iso2 = self._country_named(key)
        if iso2 is not None:
            narrowed.countries[iso2] += 100
        for admin1 in {a for k in admin_keys(key) for a in self.g.admin1_named(k)}:
            narrowed.countries[admin1.country] += 50
            narrowed.admin1s[(admin1.country, admin1.code)] += 50
        return narrowed

    def _resolve(self, key: str, ctx: Context, precision: int) -> Geocode | None:
        iso2 = self._country_named(key)
        if iso2 is not None:
            return self._country(iso2, key, "a country")
        for pattern, kind in ((_ADMIN1_OF, 1), (_ADMIN1, 1), (_ADMIN2, 2)):
            match = pattern.match(key)
            if match:
                found = self._admin(match.group(1), ctx, kind)
                if found is None:
                    # A region named after its main town ("Uruzgan province"): at the town.
                    town = self._place(match.group(1), ctx, TOWN)
                    if town is not None and town.geo_precision == TOWN:
                        level = REGION if kind == 1 else NEAR
                        found = _at_least(town, level, f"region named after {town.name}")
                if found is not None:
                    return found
        place = self._place(key, ctx, precision)
        if place is not None:
            return place
        admin = self._admin(key, ctx, 1) or self._admin(key, ctx, 2)
        if admin is not None:
            return admin
        for pattern in _NEAR:
            match = pattern.match(key)
            if match:
                inner = match.group(1).strip()
                found = self._resolve(inner, ctx, NEAR)
                if found is not None:
                    return _at_least(found, NEAR, f"part of or near {found.candidate}")
        if " and " in key:
            first = key.split(" and ")[0]
            found = self._resolve(first, ctx, NEAR)
            if found is not None:
                return _at_least(found, NEAR, f"first of several places: {found.candidate}")
        return None

    def _place(self, key: str, ctx: Context, precision: int) -> Geocode | None:
        places = self.g.lookup(key)
        if not places and _has_article(key):
            places = self.g.lookup(re.sub(r"^\w+\s+", "", key))
        if not places:
            return None
        home = ctx.home
        best = max(places, key=lambda p: self._score(p, key, ctx))
        if home is not None and best.country != home and best.population < 1_000_000:
            others = ", ".join(sorted({p.country for p in places}))
            return self._fallback(
                best.name,
                ctx,
                f"{best.name} ({best.country}) and others of that name ({others}) lie outside "
                f"the article's country {home}",
            )
        main = ctx.main_admin1()
        if (
            main is not None
            and main != (best.country, best.admin1_code)
            and best.population < 5_000
            and not ctx.admin1s.get((best.country, best.admin1_code))
        ):
            return self._fallback(
                best.name,
                ctx,
                f"{best.name} (geonameid {best.geonameid}, population {best.population}) is a "
                "small place outside the region the article is about",
            )
        same_name = [p for p in places if p is not best and p.country == best.country]
        rival = max(same_name, key=lambda p: self._score(p, key, ctx), default=None)
        if (
            rival is not None
            and rival.admin1_code != best.admin1_code
            and self._score(best, key, ctx) - self._score(rival, key, ctx) < 0.5
        ):
            return self._fallback(
                best.name,
                ctx,
                f"{best.name}: several places of that name in {best.country} "
                f"(geonameids {best.geonameid}, {rival.geonameid}), none preferred",
                country=best.country,
            )
        why = f"{best.name}, population {best.population}"
        if home == best.country and len({p.country for p in places}) > 1:
            why += f", chosen over places of that name elsewhere for the article's country {home}"
        ambiguous = any(
            p.country != best.country and p.population * 5 > best.population for p in places
        )
        return dataclasses.replace(
            self._from_place(best, precision, best.name, why), ambiguous=ambiguous
        )

    def _score(self, place: Place, key: str, ctx: Context) -> float:
        score = math.log10(place.population + 10)
        if place.country == ctx.home:
            score += 4.0
        score += min(ctx.countries.get(place.country, 0), 12) / 6
        score += min(ctx.admin1s.get((place.country, place.admin1_code), 0), 4) / 2
        if normalise(place.name) == key:
            score += 0.5
        return score

    def _admin(self, name: str, ctx: Context, level: int) -> Geocode | None:
        keys = admin_keys(name)
        home = ctx.home
        if level == 1:
            found1: list[Admin1] = [a for k in keys for a in self.g.admin1_named(k)]
            if home is not None:
                found1 = [a for a in found1 if a.country == home] or (
                    [] if found1 and all(a.country != home for a in found1) else found1
                )
            if not found1:
                return None
            admin1 = max(found1, key=lambda a: ctx.countries.get(a.country, 0))
            return self._from_place(
                admin1.seat,
                REGION,
                admin1.name,
                f"admin1 region {admin1.name}, at its largest place {admin1.seat.name}",
                admin1_only=True,
            )
        found2: list[Admin2] = [a for k in keys for a in self.g.admin2_named(k)]
        if home is not None:
            found2 = [a for a in found2 if a.country == home]
        if not found2:
            return None
        admin2 = max(found2, key=lambda a: a.seat.population)
        return self._from_place(
            admin2.seat,
            NEAR,
            admin2.name,
            f"admin2 region {admin2.name}, at its largest place {admin2.seat.name}",
        )

    def _fallback(
        self, candidate: str, ctx: Context, why: str, country: str | None = None
    ) -> Geocode | None:
        iso2 = country or ctx.home
        if iso2 is None:
            return None
        main = ctx.main_admin1()
        admin1 = self._admin1(main) if main is not None and main[0] == iso2 else None
        if admin1 is not None:
            return self._from_place(
                admin1.seat,
                REGION,
                candidate,
                f"{why}; resolved to the article's main admin1 region {admin1.name} "
                f"(at {admin1.seat.name})",
                admin1_only=True,
            )
        return self._country(iso2, candidate, f"{why}; resolved to the country")

    def _country(self, iso2: str, candidate: str, why: str) -> Geocode | None:
        country = self.g.countries.get(iso2)
        capital = self.g.capital(iso2)
        if country is None or capital is None:
            return None
        return Geocode(
            name=country.name,
            country_iso2=iso2,
            country_iso3=country.iso3,
            country_numeric=country.numeric,
            country=country.name,
            admin1=None,
            admin2=None,
            latitude=capital.latitude,
            longitude=capital.longitude,
            geonameid=country.geonameid,
            geo_precision=REGION,
            candidate=candidate,
            reason=f"{why} (at its capital {capital.name})",
        )

    def _from_place(
        self, place: Place, precision: int, candidate: str, why: str, admin1_only: bool = False
    ) -> Geocode:
        country = self.g.countries[place.country]
        admin1 = self.g.admin1_of(place)
        return Geocode(
            name=admin1.name if admin1_only and admin1 is not None else place.name,
            country_iso2=place.country,
            country_iso3=country.iso3,
            country_numeric=country.numeric,
            country=country.name,
            admin1=admin1.name if admin1 is not None else None,
            admin2=None if admin1_only else place.admin2,
            latitude=place.latitude,
            longitude=place.longitude,
            geonameid=None if admin1_only else place.geonameid,
            geo_precision=precision,
            candidate=candidate,
            reason=why,
        )

    # -- an article ------------------------------------------------------------------------

    def geocode_article(
        self, text: str, locations: Sequence[str | None]
    ) -> tuple[str | None, list[Geocode | None]]:
        """The article's home country and a geocode per location (None where it has none)."""
        ctx = self.context(text, locations)
        return ctx.home, [self.geocode(loc, ctx) if loc else None for loc in locations]


def _has_article(key: str) -> bool:
    return bool(re.match(r"^(?:al|el|ad|ar|as|an|ash|at|az)\s+\S{3}", key))


def _at_least(found: Geocode, precision: int, why: str) -> Geocode:
    return dataclasses.replace(
        found, geo_precision=max(found.geo_precision, precision), reason=f"{why}; {found.reason}"
    )


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, a)))
