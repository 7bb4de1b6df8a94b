"""Geocoding stored events: computed when a run's records are stored, and for runs stored
before geocoding existed (``python -m service geocode``)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import structlog
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from service.geo.gazetteer import GAZETTEER, gazetteer
from service.geo.geocoder import Geocode, Geocoder
from service.store.tables import Article, ArticlePlace, Event, EventPlace, ExtractionRun, RunStatus

log = structlog.get_logger(__name__)

Geocoded = tuple[str | None, list[Geocode | None]]


@cache
def geocoder() -> Geocoder:
    return Geocoder(gazetteer())


def geocode_article(text: str, locations: Sequence[str | None]) -> Geocoded | None:
    """The article's country and each location's place; None when the gazetteer cannot be
    opened (logged: the run's records are stored without places, ``geocode`` fills them)."""
    try:
        return geocoder().geocode_article(text, locations)
    except (OSError, RuntimeError, ValueError) as exc:
        log.warning("geocoding_unavailable", error=str(exc))
        return None


def home_iso3(home: str | None) -> str | None:
    """The ISO3 code of the article's home country (``home``: its ISO2 code)."""
    if home is None:
        return None
    country = gazetteer().countries.get(home)
    return country.iso3 if country is not None else None


def write_places(
    session: Session, article_id: int, run_id: int, events: Sequence[Event], found: Geocoded
) -> None:
    """Store each event's place and the article's country (replacing an older run's)."""
    home, places = found
    for event, place in zip(events, places, strict=True):
        if place is None or event.id is None:
            continue
        session.add(
            EventPlace(
                event_id=event.id,
                article_id=article_id,
                name=place.name,
                country_iso2=place.country_iso2,
                country_iso3=place.country_iso3,
                iso=place.country_numeric,
                country=place.country,
                admin1=place.admin1,
                admin2=place.admin2,
                latitude=place.latitude,
                longitude=place.longitude,
                geonameid=place.geonameid,
                geo_precision=place.geo_precision,
                candidate=place.candidate,
                reason=place.reason,
                gazetteer=GAZETTEER,
            )
        )
    session.execute(delete(ArticlePlace).where(col(ArticlePlace.article_id) == article_id))
    session.add(
        ArticlePlace(article_id=article_id, run_id=run_id, country_iso2=home, gazetteer=GAZETTEER)
    )


def geocode_stored(engine: Engine, redo: bool = False) -> int:
    """Geocode the events of every successful run that has none geocoded (``redo``: every
    successful run, replacing what is stored), one run per transaction. Answers how many runs
    were geocoded."""
    done = 0
    with Session(engine) as session:
        runs = session.exec(
            select(ExtractionRun.id, ExtractionRun.article_id)
            .where(ExtractionRun.status == RunStatus.SUCCEEDED)
            .order_by(col(ExtractionRun.id))
        ).all()
    for run_id, article_id in runs:
        if run_id is None:
            continue
        with Session(engine) as session:
            events = list(
                session.exec(
                    select(Event).where(Event.run_id == run_id).order_by(col(Event.id))
                ).all()
            )
            ids = [e.id for e in events]
            stored = session.exec(
                select(EventPlace.event_id).where(col(EventPlace.event_id).in_(ids))
            ).all()
            if not events or (stored and not redo):
                continue
            article = session.get(Article, article_id)
            if article is None:
                continue
            found = geocode_article(article.text, [e.location for e in events])
            if found is None:
                return done
            session.execute(delete(EventPlace).where(col(EventPlace.event_id).in_(ids)))
            write_places(session, article_id, run_id, events, found)
            session.commit()
            done += 1
    return done
