"""extract.v10's ``article_aliases`` rule: within one article, one actor under one name.

An article names an actor in full once and shortly after that: "the Rapid Support Forces
(RSF)" and then "RSF"; "the Syrian Observatory for Human Rights" and then "the Syrian
Observatory". Code reads those from the text, so that every side or source the model points
at under either name is the same actor record:

- an acronym defined in parentheses after a name whose words' initials it spells
  ("Islamic State in West Africa Province (ISWAP)");
- a name of two or more words that begins a longer name of the same article ("Syrian
  Observatory" of "Syrian Observatory for Human Rights").

The record keeps the name it was first given (its evidence is that mention); the other names
fold into it.
"""

from __future__ import annotations

import re

# Lower-case words inside a name ("Islamic State in West Africa Province"): no initials.
_JOINS = frozenset({"of", "for", "the", "and", "in", "al", "de", "du", "el", "on"})
_WORD = r"(?:[A-Z][\w'\u2019\-]*|al-[A-Z][\w\-]*)"
_JOIN = "(?:" + "|".join(sorted(_JOINS)) + ")"
_NAME = re.compile(rf"{_WORD}(?:\s+(?:{_JOIN}\s+)*{_WORD})*")
_DEFINED = re.compile(rf"(?P<long>{_NAME.pattern})\s*\((?P<short>[A-Z][A-Za-z\-\.&]{{1,11}})\)")
# Words opening a sentence before a name ("The", "On") are not part of it.
_LEADING = frozenset({"the", "a", "an", "on", "in", "at", "by", "from", "with", "and", "but"})


# What a name may be followed by and still name the same actor ("RSF fighters" is the RSF).
_MEMBERS = frozenset(
    "fighters militants forces troops soldiers rebels members gunmen militia militiamen".split()
)


def key(name: str) -> str:
    """A name compared as written, case and spacing aside (the article's actor key)."""
    return " ".join(name.split()).casefold()


def canonical(groups: dict[str, str], name_key: str) -> str:
    """The key of the actor ``name_key`` names in an article with these ``groups``."""
    if name_key in groups:
        return groups[name_key]
    words = name_key.split()
    if len(words) > 1 and words[-1] in _MEMBERS:
        group = " ".join(words[:-1])
        return groups.get(group, name_key)
    return name_key


def _initials(name: str) -> str:
    letters = []
    for word in name.split():
        if word.casefold() in _JOINS:
            continue
        for part in re.split(r"-", word):
            if part and part[0].isupper():
                letters.append(part[0])
    return "".join(letters)


def _spells(short: str, long: str) -> bool:
    """The acronym's capitals are the long name's initials, in order, from the first."""
    capitals = [c for c in short if c.isupper()]
    initials = _initials(long)
    if len(capitals) < 2 or not initials or capitals[0] != initials[0]:
        return False
    at = 0
    for letter in capitals:
        at = initials.find(letter, at)
        if at < 0:
            return False
        at += 1
    return True


def _trimmed(name: str) -> str:
    words = name.split()
    while words and words[0].casefold() in _LEADING:
        words = words[1:]
    return " ".join(words)


def alias_groups(text: str) -> dict[str, str]:
    """Name key -> the key of the actor's longest name in ``text``, for every name of the
    article that another name of it stands for."""
    groups: dict[str, str] = {}
    names = {key(_trimmed(m.group())) for m in _NAME.finditer(text)}
    for match in _DEFINED.finditer(text):
        words = match.group("long").split()
        short = match.group("short")
        # the shortest tail of the words before the parenthesis that the acronym spells
        for start in range(len(words) - 1, -1, -1):
            long = _trimmed(" ".join(words[start:]))
            if long and _spells(short, long) and _initials(long)[-1] == short.rstrip(".")[-1]:
                groups[key(short)] = key(long)
                names.add(key(long))
                break
    multiword = sorted((n for n in names if len(n.split()) >= 2), key=len, reverse=True)
    for name in multiword:
        if name in groups:
            continue
        longer = [
            other
            for other in multiword
            if len(other) > len(name) and other.startswith(name + " ") and other not in groups
        ]
        if longer:
            groups[name] = max(longer, key=len)
    # a name standing for a name that stands for another stands for that one
    for name, target in list(groups.items()):
        seen = {name}
        while target in groups and target not in seen:
            seen.add(target)
            target = groups[target]
        groups[name] = target
    return groups
