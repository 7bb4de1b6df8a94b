"""The store: one object for the API and the workers, each job in its own module.

Sync SQLModel sessions; callers run them off the event loop. Only the store touches table models;
it raises domain errors only (service/errors.py).
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from service.resolution.actors import ActorResolver
from service.store.actor_links import KnownActors
from service.store.keys import KeyStore
from service.store.queries import Queries
from service.store.review import ReviewWrites
from service.store.runs import RunQueue
from service.store.views import ViewQueries
from service.store.writes import RecordWrites


class Store(RunQueue, RecordWrites, ReviewWrites, Queries, ViewQueries, KeyStore):
    def __init__(self, engine: Engine, resolver: ActorResolver | None = None) -> None:
        self.engine = engine
        self.resolver = resolver or ActorResolver()
        self.known_actors = KnownActors()
