"""baseline: the schema of main at 26485eb

Revision ID: 0001
Revises:
Create Date: 2026-11-28 22:41:21.829329
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article",
        sa.Column("title", AutoString(), nullable=True),
        sa.Column("url", AutoString(), nullable=True),
        sa.Column("source", AutoString(), nullable=True),
        sa.Column("published_date", sa.Date(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_hash", AutoString(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_content_hash"), ["content_hash"], unique=True)

    op.create_table(
        "canonicalactor",
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("actor_type", AutoString(), nullable=False),
        sa.Column("curated", sa.Boolean(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("canonicalactor", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_canonicalactor_article_id"), ["article_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_canonicalactor_name"), ["name"], unique=False)

    op.create_table(
        "extractionrun",
        sa.Column(
            "status",
            sa.Enum("PENDING", "RUNNING", "SUCCEEDED", "FAILED", name="runstatus"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", AutoString(), nullable=True),
        sa.Column("model", AutoString(), nullable=False),
        sa.Column("prompt_version", AutoString(), nullable=False),
        sa.Column("schema_version", AutoString(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("llm_calls", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("dropped", sa.Integer(), nullable=False),
        sa.Column("llm_seconds", sa.Float(), nullable=False),
        sa.Column("wall_seconds", sa.Float(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("dropped_detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("extractionrun", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_extractionrun_article_id"), ["article_id"], unique=False
        )
        batch_op.create_index("ix_run_status_id", ["status", "id"], unique=False)

    op.create_table(
        "actor",
        sa.Column("evidence", AutoString(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("name", AutoString(), nullable=False),
        sa.Column("actor_type", AutoString(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["extractionrun.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("actor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_actor_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_actor_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_actor_run_id"), ["run_id"], unique=False)

    op.create_table(
        "event",
        sa.Column("evidence", AutoString(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("event_type", AutoString(), nullable=False),
        sa.Column("sub_event_type", AutoString(), nullable=False),
        sa.Column("summary", AutoString(), nullable=False),
        sa.Column("location", AutoString(), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("date_precision", AutoString(), nullable=False),
        sa.Column("date_text", AutoString(), nullable=True),
        sa.Column("reported_by", AutoString(), nullable=True),
        sa.Column("sentence", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["extractionrun.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_date"), ["date"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_event_type"), ["event_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_location"), ["location"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_run_id"), ["run_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_event_sub_event_type"), ["sub_event_type"], unique=False
        )

    op.create_table(
        "actorlink",
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("canonical_id", sa.Integer(), nullable=False),
        sa.Column("method", AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actor.id"],
        ),
        sa.ForeignKeyConstraint(
            ["canonical_id"],
            ["canonicalactor.id"],
        ),
        sa.PrimaryKeyConstraint("actor_id"),
    )
    with op.batch_alter_table("actorlink", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_actorlink_canonical_id"), ["canonical_id"], unique=False
        )

    op.create_table(
        "eventactor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("role", AutoString(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["actor.id"],
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "actor_id", "role"),
    )
    with op.batch_alter_table("eventactor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_eventactor_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_eventactor_event_id"), ["event_id"], unique=False)

    op.create_table(
        "figure",
        sa.Column("evidence", AutoString(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("category", AutoString(), nullable=False),
        sa.Column("population", AutoString(), nullable=True),
        sa.Column("low", sa.Integer(), nullable=True),
        sa.Column("high", sa.Integer(), nullable=True),
        sa.Column("qualifier", AutoString(), nullable=False),
        sa.Column("reported_by", AutoString(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event.id"],
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["extractionrun.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("figure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_figure_article_id"), ["article_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_figure_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_figure_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_figure_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("figure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_figure_run_id"))
        batch_op.drop_index(batch_op.f("ix_figure_event_id"))
        batch_op.drop_index(batch_op.f("ix_figure_category"))
        batch_op.drop_index(batch_op.f("ix_figure_article_id"))

    op.drop_table("figure")
    with op.batch_alter_table("eventactor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eventactor_event_id"))
        batch_op.drop_index(batch_op.f("ix_eventactor_actor_id"))

    op.drop_table("eventactor")
    with op.batch_alter_table("actorlink", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actorlink_canonical_id"))

    op.drop_table("actorlink")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_sub_event_type"))
        batch_op.drop_index(batch_op.f("ix_event_run_id"))
        batch_op.drop_index(batch_op.f("ix_event_location"))
        batch_op.drop_index(batch_op.f("ix_event_event_type"))
        batch_op.drop_index(batch_op.f("ix_event_date"))
        batch_op.drop_index(batch_op.f("ix_event_article_id"))

    op.drop_table("event")
    with op.batch_alter_table("actor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actor_run_id"))
        batch_op.drop_index(batch_op.f("ix_actor_name"))
        batch_op.drop_index(batch_op.f("ix_actor_article_id"))

    op.drop_table("actor")
    with op.batch_alter_table("extractionrun", schema=None) as batch_op:
        batch_op.drop_index("ix_run_status_id")
        batch_op.drop_index(batch_op.f("ix_extractionrun_article_id"))

    op.drop_table("extractionrun")
    with op.batch_alter_table("canonicalactor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_canonicalactor_name"))
        batch_op.drop_index(batch_op.f("ix_canonicalactor_article_id"))

    op.drop_table("canonicalactor")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_content_hash"))

    op.drop_table("article")
