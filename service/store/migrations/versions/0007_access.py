"""API keys (stored hashed); at most one queued run per article and prompt version

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
QUEUED_SQL = "status IN ('PENDING', 'RUNNING')"

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "apikey",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", AutoString(length=100), nullable=False),
        sa.Column("scope", AutoString(length=16), nullable=False),
        sa.Column("prefix", AutoString(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("token_hash", AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("apikey") as batch_op:
        batch_op.create_index("ix_apikey_token_hash", ["token_hash"], unique=True)
    # A second queued run of one article and prompt version (possible before: a bulk retry
    # next to a re-run) is failed as superseded, the oldest kept, before the index forbids it.
    op.execute(
        sa.text(
            "UPDATE extractionrun SET status = 'FAILED', reason = 'superseded', "
            "claimed_by = NULL, lease_until = NULL, "
            "error = 'another run of this article and prompt version was already queued' "
            f"WHERE {QUEUED_SQL} AND id > (SELECT MIN(other.id) FROM extractionrun other "
            "WHERE other.article_id = extractionrun.article_id "
            "AND other.prompt_version = extractionrun.prompt_version "
            f"AND other.{QUEUED_SQL})"
        )
    )
    op.create_index(
        "ux_run_queued",
        "extractionrun",
        ["article_id", "prompt_version"],
        unique=True,
        sqlite_where=sa.text(QUEUED_SQL),
        postgresql_where=sa.text(QUEUED_SQL),
    )


def downgrade() -> None:
    op.drop_index("ux_run_queued", table_name="extractionrun")
    with op.batch_alter_table("apikey") as batch_op:
        batch_op.drop_index("ix_apikey_token_hash")
    op.drop_table("apikey")
