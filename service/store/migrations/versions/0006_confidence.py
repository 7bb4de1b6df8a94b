"""confidence and model probability on events, actor mentions, event sides and figures; cached
prompt tokens on runs

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SCORED = ("actor", "event", "eventactor", "figure")
INDEXED = ("actor", "event", "figure")


def upgrade() -> None:
    for table in SCORED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("confidence", sa.Float(), nullable=True))
            batch_op.add_column(sa.Column("model_probability", sa.Float(), nullable=True))
    for table in INDEXED:
        op.create_index(f"ix_{table}_confidence", table, ["confidence"])
    with op.batch_alter_table("extractionrun") as batch_op:
        batch_op.add_column(
            sa.Column("prompt_tokens_cached", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("extractionrun") as batch_op:
        batch_op.drop_column("prompt_tokens_cached")
    for table in INDEXED:
        op.drop_index(f"ix_{table}_confidence", table_name=table)
    for table in SCORED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("model_probability")
            batch_op.drop_column("confidence")
