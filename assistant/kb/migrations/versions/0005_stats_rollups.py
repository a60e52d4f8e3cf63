"""statistics rollups (daily, monthly, court-month, question-month), backfilled

Revision ID: 0005_stats_rollups
Revises: 0004_unanswered_queue
Create Date: 2026-12-01

Why: statistics pages read these small tables instead of grouping every usage event
(issue 13). Upgrading fills them from the existing usage events and Q&A entries, so an
installation with history shows the same figures before and after.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_stats_rollups"
down_revision = "0004_unanswered_queue"
branch_labels = None
depends_on = None

COUNTS = ("asked", "answered", "contributed", "approved")


def _counts() -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS]


def upgrade() -> None:
    from assistant.kb.models import UTCDateTime

    op.create_table(
        "stats_daily",
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        *_counts(),
        sa.Column("last_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("court_id", "day", "user_id", "field"),
    )
    op.create_index("ix_stats_daily_user_day", "stats_daily", ["user_id", "day"])
    op.create_table(
        "stats_monthly",
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        *_counts(),
        sa.Column("last_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("court_id", "month", "user_id", "field"),
    )
    op.create_index("ix_stats_monthly_month", "stats_monthly", ["month"])
    op.create_table(
        "stats_court_monthly",
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        *_counts(),
        sa.PrimaryKeyConstraint("court_id", "month", "field"),
    )
    op.create_table(
        "stats_question_monthly",
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("qhash", sa.String(length=32), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("court_id", "month", "qhash"),
    )
    op.create_index("ix_stats_question_top", "stats_question_monthly", ["court_id", "month", "asked"])
    op.create_index("ix_stats_question_qhash", "stats_question_monthly", ["court_id", "qhash"])

    from assistant.kb import rollups

    # the yearly rollup does not exist yet: migration 0012 creates it and fills it from these
    rollups.rebuild(op.get_bind(), yearly=False)


def downgrade() -> None:
    op.drop_index("ix_stats_question_qhash", table_name="stats_question_monthly")
    op.drop_index("ix_stats_question_top", table_name="stats_question_monthly")
    op.drop_table("stats_question_monthly")
    op.drop_table("stats_court_monthly")
    op.drop_index("ix_stats_monthly_month", table_name="stats_monthly")
    op.drop_table("stats_monthly")
    op.drop_index("ix_stats_daily_user_day", table_name="stats_daily")
    op.drop_table("stats_daily")
