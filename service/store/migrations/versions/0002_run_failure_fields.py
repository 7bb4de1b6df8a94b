"""runs: why a run failed or was requeued, unusable LLM calls, when a requeued run is due

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("extractionrun") as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("llm_calls_unusable", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("next_attempt_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("extractionrun") as batch_op:
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("llm_calls_unusable")
        batch_op.drop_column("reason")
