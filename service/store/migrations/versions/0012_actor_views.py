"""canonical actors as tables (``actormention``, ``actoralias``, ``actorview``), maintained
when a run is stored (service/store/actor_view.py), filled here from every article's latest
successful run

GET /actors aggregated every current mention per request.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "actormention",
        sa.Column("canonical_id", ID, nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("mention_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("canonical_id", "article_id", "name"),
    )
    with op.batch_alter_table("actormention") as batch_op:
        batch_op.create_index("ix_actormention_article_id", ["article_id"])
    op.create_table(
        "actoralias",
        sa.Column("canonical_id", ID, nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("mention_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("canonical_id", "name"),
    )
    op.create_table(
        "actorview",
        sa.Column("canonical_id", ID, nullable=False),
        sa.Column("mention_count", sa.Integer(), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("canonical_id"),
    )
    op.execute(
        """
        INSERT INTO actormention (canonical_id, article_id, name, mention_count)
        SELECT actorlink.canonical_id, actor.article_id, actor.name, count(*)
        FROM actorlink JOIN actor ON actor.id = actorlink.actor_id
        WHERE actor.run_id IN (
            SELECT max(id) FROM extractionrun WHERE status = 'SUCCEEDED' GROUP BY article_id
        )
        GROUP BY actorlink.canonical_id, actor.article_id, actor.name
        """
    )
    op.execute(
        """
        INSERT INTO actoralias (canonical_id, name, mention_count)
        SELECT canonical_id, name, sum(mention_count) FROM actormention
        GROUP BY canonical_id, name
        """
    )
    op.execute(
        """
        INSERT INTO actorview (canonical_id, mention_count, article_count)
        SELECT canonical_id, sum(mention_count), count(DISTINCT article_id)
        FROM actormention GROUP BY canonical_id
        """
    )


def downgrade() -> None:
    op.drop_table("actorview")
    op.drop_table("actoralias")
    with op.batch_alter_table("actormention") as batch_op:
        batch_op.drop_index("ix_actormention_article_id")
    op.drop_table("actormention")
