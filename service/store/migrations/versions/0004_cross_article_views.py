"""cross-article views as tables: event clusters, campaigns and figure groups, maintained when a
run is stored (service/store/views.py); filled at the next start-up

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "eventview",
        sa.Column("event_id", ID, nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("sub_event_type", AutoString(), nullable=False),
        sa.Column("place", AutoString(), nullable=True),
        sa.Column("cluster_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"]),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("eventview") as batch_op:
        batch_op.create_index("ix_eventview_article_id", ["article_id"])
        batch_op.create_index("ix_eventview_place", ["place"])
        batch_op.create_index("ix_eventview_cluster_id", ["cluster_id"])
        batch_op.create_index("ix_eventview_block", ["sub_event_type", "place"])
    op.create_table(
        "eventcluster",
        sa.Column("id", ID, nullable=False),
        sa.Column("event_type", AutoString(), nullable=False),
        sa.Column("sub_event_type", AutoString(), nullable=False),
        sa.Column("place", AutoString(), nullable=True),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.Column("campaign_id", ID, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("eventcluster") as batch_op:
        batch_op.create_index("ix_eventcluster_event_type", ["event_type"])
        batch_op.create_index("ix_eventcluster_sub_event_type", ["sub_event_type"])
        batch_op.create_index("ix_eventcluster_place", ["place"])
        batch_op.create_index("ix_eventcluster_campaign_id", ["campaign_id"])
    op.create_table(
        "campaign",
        sa.Column("id", ID, nullable=False),
        sa.Column("place", AutoString(), nullable=True),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("campaign") as batch_op:
        batch_op.create_index("ix_campaign_place", ["place"])
    op.create_table(
        "figuregroup",
        sa.Column("id", ID, nullable=False),
        sa.Column("cluster_id", ID, nullable=False),
        sa.Column("category", AutoString(), nullable=False),
        sa.Column("population", AutoString(), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("figuregroup") as batch_op:
        batch_op.create_index("ix_figuregroup_cluster_id", ["cluster_id"])
        batch_op.create_index("ix_figuregroup_category", ["category"])
    op.create_table(
        "figureview",
        sa.Column("figure_id", ID, nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("group_id", ID, nullable=False),
        sa.ForeignKeyConstraint(["figure_id"], ["figure.id"]),
        sa.PrimaryKeyConstraint("figure_id"),
    )
    with op.batch_alter_table("figureview") as batch_op:
        batch_op.create_index("ix_figureview_article_id", ["article_id"])
        batch_op.create_index("ix_figureview_group_id", ["group_id"])
    op.create_table(
        "viewstate",
        sa.Column("name", AutoString(length=64), nullable=False),
        sa.Column("version", AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    for table in ("viewstate", "figureview", "figuregroup", "campaign", "eventcluster"):
        op.drop_table(table)
    op.drop_table("eventview")
