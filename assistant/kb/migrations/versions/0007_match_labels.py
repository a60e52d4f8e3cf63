"""labelled (question, entry) pairs for calibrating the answer matcher

Revision ID: 0007_match_labels
Revises: 0006_sessions
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_match_labels"
down_revision = "0006_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("usage_event_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["qa_entries.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["usage_event_id"], ["usage_events.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("match_labels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_labels_entry_id"), ["entry_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("match_labels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_labels_entry_id"))
    op.drop_table("match_labels")
