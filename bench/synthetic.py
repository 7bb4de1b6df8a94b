"""Synthetic articles and their extractions, stored through the real store code (intake, claim,
finish_run with actor resolution and the cross-article views), for the scale benchmark and the
views' consistency test. Deterministic for a seed."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from service.extraction.records import (
    ActorRecord,
    ActorRef,
    ArticleExtraction,
    EventRecord,
    FigureRecord,
)
from service.extraction.taxonomy import (
    EVENT_TYPE_OF,
    ActorRole,
    ActorType,
    DatePrecision,
    FigureCategory,
    Qualifier,
    SubEventType,
)
from service.store.repository import Store
from service.store.runs import Accounting, ArticleInput
from service.store.writes import RunResult

SUB_TYPES = [
    SubEventType.ARMED_CLASH,
    SubEventType.AIR_DRONE_STRIKE,
    SubEventType.SHELLING_ARTILLERY_MISSILE,
    SubEventType.ATTACK,
    SubEventType.PEACEFUL_PROTEST,
    SubEventType.ARRESTS,
]
ACTOR_TYPES = [ActorType.STATE_FORCES, ActorType.REBEL_GROUP, ActorType.POLITICAL_MILITIA]
START = dt.date(2018, 1, 1)


@dataclass(frozen=True, slots=True)
class Shape:
    places: int = 2000
    actors: int = 300
    days: int = 365
    events_per_article: int = 10


def article(n: int, rng: random.Random, shape: Shape) -> tuple[str, ArticleExtraction]:
    """An article of ``shape.events_per_article`` sentences, one event each, with its
    perpetrator and target named and a killed count."""
    parts: list[str] = [f"Dispatch {n}.\n"]
    actors: list[ActorRecord] = []
    events: list[EventRecord] = []
    figures: list[FigureRecord] = []
    index: dict[str, int] = {}

    def at() -> int:
        return sum(len(p) for p in parts)

    def name(text: str) -> int:
        start = at()
        parts.append(text)
        if text not in index:
            index[text] = len(actors)
            kind = ACTOR_TYPES[int(text.split()[-1]) % len(ACTOR_TYPES)]
            actors.append(
                ActorRecord(
                    evidence=text, start=start, end=start + len(text), name=text, actor_type=kind
                )
            )
        return index[text]

    for sentence in range(1, shape.events_per_article + 1):
        sub = rng.choice(SUB_TYPES)
        place = f"Town {rng.randrange(shape.places)}"
        date = START + dt.timedelta(days=rng.randrange(shape.days))
        killed = rng.randrange(1, 60)
        begin = at()
        by = name(f"Brigade {rng.randrange(shape.actors)}")
        parts.append(" fought ")
        against = name(f"Front {rng.randrange(shape.actors)}")
        parts.append(f" in {place} on {date.isoformat()}, ")
        figure_start = at()
        figure_text = f"killing {killed} people"
        parts.append(figure_text + ".")
        evidence = "".join(parts)[begin:]
        parts.append(" ")
        events.append(
            EventRecord(
                evidence=evidence,
                start=begin,
                end=begin + len(evidence),
                event_type=EVENT_TYPE_OF[sub],
                sub_event_type=sub,
                summary=f"{sub.value} in {place}",
                actors=[
                    ActorRef(actor=by, role=ActorRole.PERPETRATOR),
                    ActorRef(actor=against, role=ActorRole.TARGET),
                ],
                location=place,
                date=date,
                date_precision=DatePrecision.DAY,
                sentence=sentence,
            )
        )
        figures.append(
            FigureRecord(
                evidence=figure_text,
                start=figure_start,
                end=figure_start + len(figure_text),
                category=FigureCategory.KILLED,
                population="people",
                low=killed,
                high=killed,
                qualifier=Qualifier.EXACT,
                event=len(events) - 1,
            )
        )
    text = "".join(parts).rstrip()
    extraction = ArticleExtraction(actors=actors, events=events, figures=figures)
    ArticleExtraction.model_validate(extraction.model_dump(), context={"text": text})
    return text, extraction


def store_articles(
    store: Store, first: int, count: int, shape: Shape, seed: int = 1, batch: int = 100
) -> None:
    """Articles ``first`` .. ``first + count - 1``: posted, claimed and stored as a worker
    does, ``batch`` at a time."""
    rng = random.Random(seed * 1_000_003 + first)
    for start in range(first, first + count, batch):
        made = [article(n, rng, shape) for n in range(start, min(start + batch, first + count))]
        store.ingest_many([ArticleInput(text=t) for t, _ in made], "synthetic", "extract.v4")
        by_text = {t: e for t, e in made}
        for _ in made:
            claim = store.claim_next_run("synthetic", "bench", 600, 3)
            assert claim is not None
            extraction = by_text[claim.article.text]
            store.finish_run(claim, RunResult(extraction, Accounting()))
