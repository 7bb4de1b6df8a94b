"""events: ``location_inferred``, a location code chose where the model gave none

extract.v16 places every event: one the model placed nowhere takes its sentence's most
place-like name, else the place of the event told before it, else the dateline's. Such a
location is weak evidence that two articles report one occurrence, so the cross-article views
leave it out.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


# SQLite adds and drops a column in place (3.35 on): no batch copy of the events table.
def upgrade() -> None:
    op.add_column(
        "event",
        sa.Column("location_inferred", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("event", "location_inferred")
