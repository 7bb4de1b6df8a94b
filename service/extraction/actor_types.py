"""Actor types that a name's own words settle, so the model is asked only about the others.

Rules look at the kind a name spells out ("rebels", "state news agency", "residents"). A name
that also carries a country or nationality ("Syrian army", "Russian warplanes", "Iran") is left
to the model: whether a state's forces are the state's own or external ones depends on where
the article happens, which the words of the name do not tell.
"""

from __future__ import annotations

import re

from service.extraction.taxonomy import ActorType

# A country's own words: its name, capital and adjective. The article's home country is the
# one it names most; a force or government of another country is an external one.
_COUNTRIES: dict[str, tuple[str, ...]] = {
    "afghanistan": ("afghanistan", "afghan", "kabul"),
    "egypt": ("egypt", "egyptian", "cairo"),
    "france": ("france", "french", "paris"),
    "iran": ("iran", "iranian", "tehran"),
    "iraq": ("iraq", "iraqi", "baghdad"),
    "israel": ("israel", "israeli"),
    "jordan": ("jordan", "jordanian", "amman"),
    "lebanon": ("lebanon", "lebanese", "beirut"),
    "libya": ("libya", "libyan", "tripoli"),
    "russia": ("russia", "russian", "moscow", "kremlin", "russian federation"),
    "saudi arabia": ("saudi arabia", "saudi", "riyadh"),
    "syria": ("syria", "syrian", "damascus"),
    "turkey": ("turkey", "turkish", "ankara"),
    "ukraine": ("ukraine", "ukrainian", "kyiv", "kiev"),
    "united kingdom": ("united kingdom", "britain", "british", "uk", "london"),
    "united states": ("united states", "u.s.", "us", "american", "washington", "pentagon"),
    "yemen": ("yemen", "yemeni", "sanaa"),
}
_COUNTRY_WORDS = {
    country: re.compile(
        r"(?<![\w.])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w-])", re.IGNORECASE
    )
    for country, words in _COUNTRIES.items()
}


def home_country(text: str) -> str | None:
    """The country an article names most (by its name, capital or adjective)."""
    counts = {c: len(p.findall(text)) for c, p in _COUNTRY_WORDS.items()}
    best = max(counts, key=lambda c: counts[c])
    return best if counts[best] else None


def _countries(name: str) -> set[str]:
    # "Britain-based" or "Russia-backed" says where something is based, not whose it is.
    name = re.sub(r"[\w.]+-(?:based|backed|brokered|led)\b", "", name)
    return {c for c, p in _COUNTRY_WORDS.items() if p.search(name)}


_RULES: tuple[tuple[ActorType, re.Pattern[str]], ...] = tuple(
    (actor_type, re.compile(pattern, re.IGNORECASE))
    for actor_type, pattern in (
        (ActorType.PROTESTERS, r"\b(?:protesters|demonstrators|marchers)\b"),
        (ActorType.RIOTERS, r"\b(?:rioters|mobs?)\b"),
        (
            ActorType.MONITOR_MEDIA,
            r"\b(?:observatory|monitor|news agency|agency sana|sana|television|tv|media"
            r"|activists|reporters|journalists|correspondents?|newspaper|reuters|afp"
            r"|agence france-press[e]?|associated press|ap|dpa)\b",
        ),
        (
            ActorType.INTERNATIONAL_ORGANISATION,
            r"\b(?:united nations|un|u\.n\.|unrwa|unicef|unhcr|who|icrc|red cross"
            r"|red crescent|opcw|inspectors|amnesty international|human rights watch)\b",
        ),
        (
            ActorType.CIVILIANS,
            r"\b(?:civilians|residents|people(?!['\u2019])|children|women|families|villagers|patients"
            r"|worshippers|students|refugees|inhabitants|locals|medics|doctors)\b",
        ),
        (
            ActorType.REBEL_GROUP,
            r"\b(?:rebels?|rebel groups?|rebel factions?|militants|jihadists?|insurgents"
            r"|terrorists|islamists?|opposition|is|isis|isil|daesh|islamic state|al-qaeda"
            r"|al-qaida|nusra|jaysh|jaish|ahrar|faylaq|tahrir|taliban|shabaab|boko haram"
            r"|houthis?|hamas|fsa|free syrian army|islam|islamic)\b",
        ),
        (
            ActorType.STATE_FORCES,
            r"\b(?:army|troops|soldiers|forces|military|police|policemen|guards?"
            r"|security services|warplanes|jets|helicopters)\b",
        ),
        (
            ActorType.GOVERNMENT,
            r"\b(?:government|regime|authorities|ministry|minister|officials|president)\b",
        ),
    )
)


def rule_type(name: str, home: str | None = None) -> ActorType | None:
    """The actor type a name's words settle, or None when the model should decide.

    ``home``: the article's country (``home_country``); a force or government of another
    country is an external force, a bare country or capital is its government at home.
    """
    kinds = [actor_type for actor_type, pattern in _RULES if pattern.search(name)]
    countries = _countries(name)
    if not kinds:
        if countries and re.fullmatch(r"(?:the\s+)?[\w. -]+", name.strip(), re.IGNORECASE):
            bare = all(p.fullmatch(name.strip()) for p in map(_COUNTRY_WORDS.get, countries) if p)
            if bare and home is not None:
                home_only = countries == {home}
                return ActorType.GOVERNMENT if home_only else ActorType.EXTERNAL_OTHER_FORCES
        return None
    kind = kinds[0]
    if kind not in {ActorType.STATE_FORCES, ActorType.GOVERNMENT, ActorType.REBEL_GROUP}:
        return kind  # "Syrian state television" is media wherever it is
    if not countries:
        return kind
    if home is None:
        return None
    if countries == {home}:
        return kind
    if kind is ActorType.REBEL_GROUP:
        return None
    return ActorType.EXTERNAL_OTHER_FORCES
