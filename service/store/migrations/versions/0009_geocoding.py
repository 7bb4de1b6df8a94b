"""events: where they happened (gazetteer entry, coordinates, ACLED geo-precision); articles:
the country they are about

Existing events are not geocoded here (the gazetteer is built outside the migration): run
``python -m service geocode`` once after upgrading to fill both tables for every stored run.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "eventplace",
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("country_iso2", AutoString(length=2), nullable=False),
        sa.Column("country_iso3", AutoString(length=3), nullable=False),
        sa.Column("iso", sa.Integer(), nullable=False),
        sa.Column("country", AutoString(), nullable=False),
        sa.Column("admin1", AutoString(), nullable=True),
        sa.Column("admin2", AutoString(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("geonameid", ID, nullable=True),
        sa.Column("geo_precision", sa.Integer(), nullable=False),
        sa.Column("candidate", AutoString(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("gazetteer", AutoString(length=128), nullable=False),
        sa.Column("event_id", ID, nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"]),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"]),
        sa.PrimaryKeyConstraint("event_id"),
    )
    for column in ("country_iso2", "admin1", "latitude", "article_id"):
        op.create_index(f"ix_eventplace_{column}", "eventplace", [column])
    op.create_table(
        "articleplace",
        sa.Column("article_id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("country_iso2", AutoString(length=2), nullable=True),
        sa.Column("gazetteer", AutoString(length=128), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"]),
        sa.ForeignKeyConstraint(["run_id"], ["extractionrun.id"]),
        sa.PrimaryKeyConstraint("article_id"),
    )


def downgrade() -> None:
    op.drop_table("articleplace")
    for column in ("country_iso2", "admin1", "latitude", "article_id"):
        op.drop_index(f"ix_eventplace_{column}", table_name="eventplace")
    op.drop_table("eventplace")
