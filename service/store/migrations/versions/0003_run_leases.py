"""runs: leases (who holds a running run, until when), so many worker processes share a queue

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Runs left running by an older version get no lease: they count as expired (taken over).
    with op.batch_alter_table("extractionrun") as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("lease_until", UTCDateTime(), nullable=True))
        batch_op.create_index("ix_run_status_lease", ["status", "lease_until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("extractionrun") as batch_op:
        batch_op.drop_index("ix_run_status_lease")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("claimed_by")
