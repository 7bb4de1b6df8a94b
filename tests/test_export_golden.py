"""events.csv of a synthetic store, byte for byte as the code before the set-based page reads
(events and figures read as columns, not ORM entities) wrote it: tests/data/events-synthetic.csv
was written by that code from this same store."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from sqlalchemy import update

from bench.synthetic import Shape, article
from service.exports import events_csv
from service.extraction.records import ArticleExtraction
from service.store.database import create_db_engine
from service.store.filters import EventFilter
from service.store.repository import Store
from service.store.runs import Accounting, ArticleInput
from service.store.tables import StableRecord, Verdict
from service.store.writes import RunResult
from tests.conftest import database_url

GOLDEN = Path(__file__).parent / "data" / "events-synthetic.csv"
SHAPE = Shape(places=5, actors=6, days=20, events_per_article=3)
UPDATED = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


def synthetic_events_csv(tmp_path: Path) -> str:
    """20 articles (one re-run answering less), a few reviews, every update time fixed."""
    store = Store(create_db_engine(database_url(tmp_path)))
    rng = random.Random(11)
    made = dict(article(n, rng, SHAPE) for n in range(20))
    store.ingest_many([ArticleInput(text=t) for t in made], "synthetic", "extract.v4")

    def finish(extractions: dict[str, ArticleExtraction]) -> None:
        while (claim := store.claim_next_run("synthetic", "w", 600, 3)) is not None:
            store.finish_run(claim, RunResult(extractions[claim.article.text], Accounting()))

    finish(made)
    store.request_run(5, "synthetic", "extract.v4")
    finish(
        {
            t: e.model_copy(
                update={
                    "events": e.events[:2],
                    "figures": [f for f in e.figures if f.event is None or f.event < 2],
                }
            )
            for t, e in made.items()
        }
    )
    store.correct_event(2, {"summary": "Corrected.", "location": "Town 99"}, {}, "tester")
    store.set_verdict(4, Verdict.REJECTED, "not an event", "tester")
    store.correct_figure(1, {"low": 1}, "tester")
    with store.engine.begin() as connection:
        connection.execute(update(StableRecord).values(updated_at=UPDATED))
    text = "".join(events_csv(store, EventFilter()))
    store.engine.dispose()
    return text


def test_events_csv_is_byte_identical_to_the_entity_reads(tmp_path: Path) -> None:
    assert synthetic_events_csv(tmp_path) == GOLDEN.read_bytes().decode("utf-8")
