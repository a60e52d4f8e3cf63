"""an index on the unanswered question's text: each unanswered ask looked it up by a scan

Revision ID: 0009_unanswered_question_index
Revises: 0008_login_failures
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0009_unanswered_question_index"
down_revision = "0008_login_failures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # hash on PostgreSQL: equality lookups only, and no btree entry-size limit for long text
    op.create_index("ix_unanswered_questions_question", "unanswered_questions", ["question"],
                    unique=False, postgresql_using="hash")


def downgrade() -> None:
    op.drop_index("ix_unanswered_questions_question", table_name="unanswered_questions")
