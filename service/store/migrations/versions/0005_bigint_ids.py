"""ids are 64-bit on PostgreSQL too, as the API allows ids up to 2**63-1 (SQLite's INTEGER
already is 64-bit: nothing to do there)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = {
    "article": ["id"],
    "extractionrun": ["id", "article_id"],
    "actor": ["id", "run_id", "article_id"],
    "event": ["id", "run_id", "article_id"],
    "eventactor": ["id", "event_id", "actor_id"],
    "figure": ["id", "run_id", "article_id", "event_id"],
    "canonicalactor": ["id", "article_id"],
    "actorlink": ["actor_id", "canonical_id"],
}
SEQUENCES = ["article", "extractionrun", "actor", "event", "eventactor", "figure", "canonicalactor"]


def _alter(kind: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        changes = ", ".join(f'ALTER COLUMN "{c}" TYPE {kind}' for c in columns)
        op.execute(f'ALTER TABLE "{table}" {changes}')
    for table in SEQUENCES:
        op.execute(f'ALTER SEQUENCE "{table}_id_seq" AS {kind}')


def upgrade() -> None:
    _alter("BIGINT")


def downgrade() -> None:
    _alter("INTEGER")
