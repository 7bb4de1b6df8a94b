"""figures: an index on (event_id, category), for an event's "killed" figures

``?fatalities_min=`` reads them in a subquery per event; with only the two single-column
indexes PostgreSQL, on a table not analysed since a bulk load, combined both per event (the
category's covering every killed figure) and took seconds a page.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_figure_event_category", "figure", ["event_id", "category"])


def downgrade() -> None:
    op.drop_index("ix_figure_event_category", table_name="figure")
