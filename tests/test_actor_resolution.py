from __future__ import annotations

from service.resolution.actors import ActorResolver, Mention, Method, normalise


def mentions(*rows: tuple[int, str, str]) -> list[Mention]:
    return [
        Mention(id=n, article_id=article, name=name, actor_type=kind, position=n)
        for n, (article, name, kind) in enumerate(rows)
    ]


def by_name(actors: list[object]) -> dict[str, object]:
    return {a.name: a for a in actors}  # type: ignore[attr-defined]


def test_normalise_folds_case_articles_and_transliteration() -> None:
    assert normalise("Jaysh al-Islam") == normalise("Jaish Al Islam") == "jaish al-islam"
    assert normalise("the Observatory") == "observatory"
    assert normalise("al-Qaida") == normalise("Al Qaeda")


def test_one_canonical_actor_per_real_actor_across_articles() -> None:
    actors = ActorResolver().resolve(
        mentions(
            (1, "Jaysh al-Islam", "rebel group"),
            (1, "Jaish Al Islam", "rebel group"),
            (2, "Jaish al-Islam terrorists", "rebel group"),
            (3, "Army of Islam", "rebel group"),
            (3, "Islam Army", "rebel group"),
            (1, "Observatory", "monitor/media"),
            (1, "monitor", "monitor/media"),
            (2, "Britain-based Observatory", "monitor/media"),
            (4, "Syrian Observatory for Human Rights", "monitor/media"),
            (2, "SANA", "monitor/media"),
            (3, "Syrian Arab News Agency", "monitor/media"),
        )
    )
    found = by_name(actors)
    assert set(found) == {
        "Jaysh al-Islam",
        "Syrian Observatory for Human Rights",
        "Syrian Arab News Agency",
    }
    jaysh = found["Jaysh al-Islam"]
    assert jaysh.aliases == {  # type: ignore[attr-defined]
        "Jaysh al-Islam", "Jaish Al Islam", "Jaish al-Islam terrorists", "Army of Islam",
        "Islam Army",
    }  # fmt: skip
    assert jaysh.actor_type == "rebel group"  # type: ignore[attr-defined]
    assert "monitor" in found["Syrian Observatory for Human Rights"].aliases  # type: ignore[attr-defined]


def test_different_actors_are_never_merged() -> None:
    actors = ActorResolver().resolve(
        mentions(
            (1, "Syrian army", "state forces"),
            (1, "Free Syrian Army", "rebel group"),
            (2, "Syrian Navy", "state forces"),
            (2, "Syrian government", "government"),
            (3, "Russian warplanes", "external/other forces"),
            (3, "Russia", "government"),
        )
    )
    assert len(actors) == 6
    names = {a.name for a in actors}
    assert {"Military Forces of Syria", "Free Syrian Army", "Government of Syria"} <= names
    assert {"Military Forces of Russia", "Russian Federation"} <= names


def test_near_identical_spellings_merge_but_short_names_do_not() -> None:
    actors = ActorResolver().resolve(
        mentions(
            (1, "People's Defense Force", "political militia"),
            (2, "Peoples Defense Force", "political militia"),
            (3, "Hezbolla", "political militia"),
            (3, "Hezbollah", "political militia"),
        )
    )
    assert sorted(len(a.mention_ids) for a in actors) == [1, 1, 2]


def test_a_generic_reference_needs_an_earlier_named_actor_in_its_article() -> None:
    actors = ActorResolver().resolve(
        mentions(
            (1, "the group", "rebel group"),
            (2, "Jaish al-Islam", "rebel group"),
            (2, "the group", "rebel group"),
        )
    )
    found = by_name(actors)
    assert found["Jaysh al-Islam"].mention_ids == [1, 2]  # type: ignore[attr-defined]
    assert found["the group"].mention_ids == [0]  # type: ignore[attr-defined]


def test_known_actors_keep_their_ids_and_new_mentions_join_them() -> None:
    resolver = ActorResolver()
    first = resolver.resolve(mentions((1, "Jaysh al-Islam", "rebel group"), (1, "Hezbollah", "x")))
    for number, actor in enumerate(first, start=10):
        actor.id, actor.methods = number, {}
    later = [
        Mention(id=7, article_id=2, name="Army of Islam", actor_type="rebel group"),
        Mention(id=8, article_id=2, name="hezbollah", actor_type="political militia"),
        Mention(id=9, article_id=2, name="Amal Movement", actor_type="political militia"),
    ]
    actors = resolver.resolve(later, first)
    linked = {m: (a.id, method) for a in actors for m, method in a.methods.items()}
    assert linked == {
        7: (10, Method.ALIAS_TABLE),
        8: (11, Method.SAME_NAME),
        9: (None, Method.NEW),
    }


def test_generic_descriptions_stay_in_their_article() -> None:
    actors = ActorResolver().resolve(
        mentions(
            (1, "rebels", "rebel group"),
            (1, "the rebels", "rebel group"),
            (2, "rebels", "rebel group"),
            (2, "Syrian", "civilians"),
            (3, "Syrian", "state forces"),
        )
    )
    rebels = [a for a in actors if a.name in {"rebels", "the rebels"}]
    assert sorted(len(a.mention_ids) for a in rebels) == [1, 2]
    assert all(a.generic for a in actors)
    assert len(actors) == 4


def test_a_reference_points_back_only_to_a_curated_actor() -> None:
    """A model-typed actor is too weak a referent: 'regime forces' after a mistyped 'Syrian
    Arab' must not merge with it."""
    actors = ActorResolver().resolve(
        mentions(
            (1, "Syrian Arab Army", "state forces"),
            (1, "regime forces", "state forces"),
            (2, "Tiger Forces", "state forces"),
            (2, "regime forces", "state forces"),
        )
    )
    found = by_name(actors)
    assert found["Military Forces of Syria"].mention_ids == [0, 1]  # type: ignore[attr-defined]
    assert found["Tiger Forces"].mention_ids == [2]  # type: ignore[attr-defined]
    assert found["regime forces"].generic  # type: ignore[attr-defined]


def test_a_reference_before_the_name_points_forward_only_to_a_unique_actor() -> None:
    actors = ActorResolver().resolve(
        mentions(
            (1, "regime forces", "state forces"),  # headline, before the army is named
            (1, "Syrian army", "state forces"),
            (2, "regime forces", "state forces"),
            (2, "Syrian army", "state forces"),
            (2, "Russian troops", "external/other forces"),
            (3, "the monitor", "monitor/media"),  # two outlets named later: ambiguous
            (3, "SANA", "monitor/media"),
            (3, "Observatory", "monitor/media"),
        )
    )
    found = by_name(actors)
    assert found["Military Forces of Syria"].mention_ids == [0, 1, 2, 3]  # type: ignore[attr-defined]
    assert found["the monitor"].generic  # type: ignore[attr-defined]
