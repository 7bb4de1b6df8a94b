"""Stable ids: each run's events and figures are matched to those of the run their article
showed until now (service/resolution/matching.py) and carry their stable ids over; new ones get
new ids, and those the new run did not find again are marked deleted (GET /deleted)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from service.resolution.matching import Keyed, match
from service.store.tables import (
    DeletedReason,
    Event,
    ExtractionRun,
    Figure,
    RecordKind,
    RunStatus,
    StableRecord,
    utcnow,
)


def served_run(session: Session, article_id: int) -> int | None:
    """The article's latest succeeded run: the one its records are served from."""
    return session.exec(
        select(func.max(ExtractionRun.id)).where(
            ExtractionRun.article_id == article_id, ExtractionRun.status == RunStatus.SUCCEEDED
        )
    ).one()


def event_key(key: int, event: Event) -> Keyed:
    return Keyed(
        key=key,
        start=event.start,
        end=event.end,
        kind=event.sub_event_type,
        group=event.event_type,
        place=(event.location or "").strip().lower() or None,
    )


def figure_key(key: int, figure: Figure) -> Keyed:
    return Keyed(
        key=key,
        start=figure.start,
        end=figure.end,
        kind=figure.category,
        place=f"{figure.low}-{figure.high}",
    )


def _old_rows(session: Session, table: type[Event] | type[Figure], run_id: int) -> list[Keyed]:
    rows: Sequence[Event | Figure] = session.exec(  # type: ignore[assignment]
        select(table).where(col(table.run_id) == run_id).order_by(col(table.id))
    ).all()
    return [
        event_key(row.stable_id, row) if isinstance(row, Event) else figure_key(row.stable_id, row)
        for row in rows
    ]


class Identities:
    """Stable ids for the records of one run of one article, within its write transaction."""

    def __init__(self, session: Session, run_id: int, article_id: int, iso3: str | None) -> None:
        self.session = session
        self.article_id = article_id
        self.iso3 = iso3
        self.now = utcnow()
        self.previous = served_run(session, article_id)
        # An older run finishing after a newer one was served (two prompt versions) does not
        # become the served run: it is matched for its ids but retires nothing.
        self.current = self.previous is None or run_id > self.previous

    def assign_events(
        self, events: list[Event], countries: Sequence[str | None] | None = None
    ) -> None:
        """``countries``: each event's geocoded ISO3, which a new stable id keeps for good
        (the article's country where it is None)."""
        new = [event_key(i, e) for i, e in enumerate(events)]
        old = _old_rows(self.session, Event, self.previous) if self.previous else []
        self._assign(RecordKind.EVENT, events, new, old, countries)

    def assign_figures(self, figures: list[Figure]) -> None:
        new = [figure_key(i, f) for i, f in enumerate(figures)]
        old = _old_rows(self.session, Figure, self.previous) if self.previous else []
        self._assign(RecordKind.FIGURE, figures, new, old)

    def _assign(
        self,
        kind: RecordKind,
        rows: Sequence[Event | Figure],
        new: list[Keyed],
        old: list[Keyed],
        countries: Sequence[str | None] | None = None,
    ) -> None:
        pairs = match(new, old)
        fresh: list[tuple[Event | Figure, StableRecord]] = []
        for n, (keyed, row) in enumerate(zip(new, rows, strict=True)):
            if keyed.key in pairs:
                row.stable_id = pairs[keyed.key]
                continue
            country = countries[n] if countries is not None and n < len(countries) else None
            record = StableRecord(
                kind=kind.value,
                article_id=self.article_id,
                origin_id=0,
                country_iso3=country or self.iso3,
                created_at=self.now,
                updated_at=self.now,
            )
            self.session.add(record)
            fresh.append((row, record))
        self.session.flush()
        for row, record in fresh:
            assert record.id is not None
            row.stable_id = record.id
        if not self.current:
            return
        kept = set(pairs.values())
        gone = [o.key for o in old if o.key not in kept]
        self._touch(sorted(kept))
        if gone:
            self.session.execute(
                update(StableRecord)
                .where(col(StableRecord.id).in_(gone))
                .values(deleted_at=self.now, deleted_reason=DeletedReason.RERUN.value)
                .execution_options(synchronize_session=False)
            )

    def _touch(self, ids: list[int]) -> None:
        if ids:
            self.session.execute(
                update(StableRecord)
                .where(col(StableRecord.id).in_(ids))
                .values(updated_at=self.now)
                .execution_options(synchronize_session=False)
            )

    def set_origins(self, rows: Sequence[Event | Figure]) -> None:
        """After the rows are flushed: the stable records they created point at them."""
        for row in rows:
            self.session.execute(
                update(StableRecord)
                .where(col(StableRecord.id) == row.stable_id, col(StableRecord.origin_id) == 0)
                .values(origin_id=row.id)
                .execution_options(synchronize_session=False)
            )


def retire_article(session: Session, article_id: int, now: dt.datetime | None = None) -> None:
    """Every live stable record of the article is deleted (the article is)."""
    session.execute(
        update(StableRecord)
        .where(col(StableRecord.article_id) == article_id, col(StableRecord.deleted_at).is_(None))
        .values(deleted_at=now or utcnow(), deleted_reason=DeletedReason.ARTICLE_DELETED.value)
        .execution_options(synchronize_session=False)
    )
