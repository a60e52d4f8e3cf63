"""statistics rollup per (court, year, user, field), filled from the monthly one

Revision ID: 0012_stats_yearly
Revises: 0011_unanswered_live_unique
Create Date: 2026-12-05

Why: the national year page summed the year's ~170,000 monthly user rows per user on every
view (issue 13 item 2); a year now reads one row per (court, user, field). Upgrading sums
the existing monthly rows into it, so an installation with history shows the same figures
before and after.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_stats_yearly"
down_revision = "0011_unanswered_live_unique"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from assistant.kb.models import UTCDateTime

    op.create_table(
        "stats_yearly",
        sa.Column("court_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Date(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in ("asked", "answered", "contributed", "approved")],
        sa.Column("last_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("court_id", "year", "user_id", "field"),
    )
    op.create_index("ix_stats_yearly_year", "stats_yearly", ["year"])

    from assistant.kb import rollups

    bind = op.get_bind()
    rollups.fill_yearly(bind)
    if bind.dialect.name == "postgresql":  # planner statistics now, not at autovacuum's next pass
        op.execute("ANALYZE stats_yearly")


def downgrade() -> None:
    op.drop_index("ix_stats_yearly_year", table_name="stats_yearly")
    op.drop_table("stats_yearly")
