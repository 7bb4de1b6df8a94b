"""API keys: created with a random token shown once, stored as its sha256, revoked by id."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from service.errors import DatabaseUnavailableError, NotFoundError
from service.store.read_models import ApiKeyCreated, ApiKeyRead
from service.store.tables import ApiKey, utcnow

TOKEN_PREFIX = "cx_"
# Characters of a token shown in key listings (and left in redacted logs) to tell keys apart.
PREFIX_CHARS = 10
# last_used_at is written at most this often per key: not a write per request.
TOUCH_EVERY = dt.timedelta(seconds=60)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# What each scope allows (service/access.py: admin implies write implies read).
IMPLIED = {"read": ["read"], "write": ["read", "write"], "admin": ["read", "write", "admin"]}


def key_read(key: ApiKey) -> ApiKeyRead:
    assert key.id is not None
    return ApiKeyRead(
        id=key.id,
        scopes=IMPLIED.get(key.scope, []),
        **key.model_dump(exclude={"id", "token_hash"}),
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


class KeyStore:
    engine: Engine

    def create_key(self, name: str, scope: str) -> ApiKeyCreated:
        """A new key; its token is in the answer and nowhere else (only its hash is kept)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(
            name=name, scope=scope, prefix=token[:PREFIX_CHARS], token_hash=token_hash(token)
        )
        with Session(self.engine) as session:
            session.add(key)
            session.commit()
            session.refresh(key)
            return ApiKeyCreated(**key_read(key).model_dump(), token=token)

    def list_keys(self) -> list[ApiKeyRead]:
        with Session(self.engine) as session:
            return [key_read(k) for k in session.exec(select(ApiKey).order_by(col(ApiKey.id)))]

    def revoke_key(self, key_id: int) -> ApiKeyRead:
        """Revoke a key (a revoked one stays revoked at its first revocation time)."""
        with Session(self.engine) as session:
            key = session.get(ApiKey, key_id)
            if key is None:
                raise NotFoundError(f"API key {key_id} does not exist")
            if key.revoked_at is None:
                key.revoked_at = utcnow()
                session.add(key)
                session.commit()
                session.refresh(key)
            return key_read(key)

    def find_key(self, token: str) -> ApiKeyRead | None:
        """The active key with this token, its last use recorded; None for an unknown or
        revoked one."""
        digest = token_hash(token)
        with Session(self.engine) as session:
            key = session.exec(select(ApiKey).where(ApiKey.token_hash == digest)).first()
            if key is None or key.revoked_at is not None:
                return None
            now = utcnow()
            found = key_read(key)
            if key.last_used_at is None or now - _aware(key.last_used_at) > TOUCH_EVERY:
                try:
                    session.execute(
                        update(ApiKey).where(col(ApiKey.id) == key.id).values(last_used_at=now)
                    )
                    session.commit()
                    found.last_used_at = now
                except DatabaseUnavailableError:  # a read-only database still serves reads
                    session.rollback()
            return found
