"""stable ids of events and figures across re-extractions (stablerecord, with tombstones for
GET /deleted) and reviewers' corrections and verdicts (reviewentry)

Every event and figure stored before this revision gets a stable id of its own (records of
older runs are not linked to their successors: only runs stored from now on are matched).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

RECORDS = (("event", "event"), ("figure", "figure"))


def upgrade() -> None:
    op.create_table(
        "stablerecord",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("article_id", ID, nullable=False),
        sa.Column("origin_id", ID, nullable=False),
        sa.Column("country_iso3", sa.String(length=3), nullable=True),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("deleted_reason", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("stablerecord") as batch_op:
        batch_op.create_index("ix_stablerecord_article_id", ["article_id"])
        batch_op.create_index("ix_stablerecord_verdict", ["verdict"])
        batch_op.create_index("ix_stablerecord_updated_at", ["updated_at"])
        batch_op.create_index("ix_stablerecord_deleted_at", ["deleted_at"])
    op.create_table(
        "reviewentry",
        sa.Column("id", ID, nullable=False),
        sa.Column("stable_id", ID, nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("who", sa.String(length=200), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["stable_id"], ["stablerecord.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reviewentry") as batch_op:
        batch_op.create_index("ix_reviewentry_stable_id", ["stable_id"])
    now = sa.bindparam("now", value=dt.datetime.now(dt.UTC), type_=UTCDateTime())
    for table, kind in RECORDS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("stable_id", ID, nullable=True))
        # One stable id per stored record, in id order.
        op.execute(
            sa.text(
                "INSERT INTO stablerecord (kind, article_id, origin_id, created_at, updated_at) "
                f"SELECT '{kind}', article_id, id, :now, :now FROM {table} ORDER BY id"
            ).bindparams(now)
        )
        op.execute(
            sa.text(
                f"UPDATE {table} SET stable_id = (SELECT s.id FROM stablerecord s "
                f"WHERE s.kind = '{kind}' AND s.origin_id = {table}.id)"
            )
        )
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("stable_id", existing_type=ID, nullable=False)
            batch_op.create_index(f"ix_{table}_stable_id", ["stable_id"])
            batch_op.create_foreign_key(
                f"fk_{table}_stable_id", "stablerecord", ["stable_id"], ["id"]
            )


def downgrade() -> None:
    for table, _ in RECORDS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_stable_id", type_="foreignkey")
            batch_op.drop_index(f"ix_{table}_stable_id")
            batch_op.drop_column("stable_id")
    op.drop_table("reviewentry")
    op.drop_table("stablerecord")
