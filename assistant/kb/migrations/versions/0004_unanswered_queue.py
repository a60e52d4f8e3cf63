"""unanswered queue (ask counts, askers, dismiss, merge, assign) and upload hashes

Revision ID: 0004_unanswered_queue
Revises: 0003_notifications
Create Date: 2026-11-28

Why one revision for both: they ship together (issue 12, items 4 and 7). Existing
queue items get their ask counts from the usage events that asked the same text, so
the queue sorts right from the first start after the upgrade.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_unanswered_queue"
down_revision = "0003_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("unanswered_questions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ask_count", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("asker_count", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("last_asked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("dismiss_reason", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("closed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_unanswered_questions_duplicate_of_id", ["duplicate_of_id"], unique=False)
        batch_op.create_foreign_key("fk_unanswered_questions_assignee_id_users", "users",
                                    ["assignee_id"], ["id"], ondelete="SET NULL")
        batch_op.create_foreign_key("fk_unanswered_questions_closed_by_id_users", "users",
                                    ["closed_by_id"], ["id"], ondelete="SET NULL")
        batch_op.create_foreign_key("fk_unanswered_questions_duplicate_of_id", "unanswered_questions",
                                    ["duplicate_of_id"], ["id"], ondelete="SET NULL")
    op.create_table(
        "unanswered_askers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("times", sa.Integer(), nullable=False),
        sa.Column("first_asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["unanswered_questions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "user_id", name="uq_unanswered_askers_item_user"),
    )
    with op.batch_alter_table("unanswered_askers", schema=None) as batch_op:
        batch_op.create_index("ix_unanswered_askers_item_id", ["item_id"], unique=False)
        batch_op.create_index("ix_unanswered_askers_user_id", ["user_id"], unique=False)
    with op.batch_alter_table("legal_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_legal_documents_content_sha256", ["content_sha256"], unique=False)

    # existing items: who asked the same text, how often (usage events are the record)
    op.execute(sa.text(
        "INSERT INTO unanswered_askers (item_id, user_id, times, first_asked_at, last_asked_at) "
        "SELECT q.id, e.user_id, COUNT(*), MIN(e.created_at), MAX(e.created_at) "
        "FROM unanswered_questions q JOIN usage_events e ON e.query = q.question "
        "WHERE e.user_id IS NOT NULL GROUP BY q.id, e.user_id"))
    op.execute(sa.text(
        "UPDATE unanswered_questions SET "
        "ask_count = COALESCE((SELECT SUM(a.times) FROM unanswered_askers a "
        "WHERE a.item_id = unanswered_questions.id), 1), "
        "asker_count = COALESCE((SELECT COUNT(*) FROM unanswered_askers a "
        "WHERE a.item_id = unanswered_questions.id), 1), "
        "last_asked_at = COALESCE((SELECT MAX(a.last_asked_at) FROM unanswered_askers a "
        "WHERE a.item_id = unanswered_questions.id), created_at)"))
    op.execute(sa.text("UPDATE unanswered_questions SET ask_count = 1 WHERE ask_count < 1"))
    op.execute(sa.text("UPDATE unanswered_questions SET asker_count = 1 WHERE asker_count < 1"))
    op.execute(sa.text("UPDATE legal_documents SET confirmed_at = created_at WHERE status = 'confirmed'"))


def downgrade() -> None:
    # statuses the old code does not know go back to ones it does
    op.execute(sa.text("UPDATE unanswered_questions SET status = 'answered' "
                       "WHERE status IN ('dismissed', 'merged')"))
    op.execute(sa.text("UPDATE legal_documents SET status = 'preview' WHERE status = 'indexing'"))
    op.execute(sa.text("UPDATE legal_documents SET status = 'failed' WHERE status = 'withdrawn'"))
    with op.batch_alter_table("legal_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_legal_documents_content_sha256")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("content_sha256")
    with op.batch_alter_table("unanswered_askers", schema=None) as batch_op:
        batch_op.drop_index("ix_unanswered_askers_user_id")
        batch_op.drop_index("ix_unanswered_askers_item_id")
    op.drop_table("unanswered_askers")
    with op.batch_alter_table("unanswered_questions", schema=None) as batch_op:
        batch_op.drop_constraint("fk_unanswered_questions_duplicate_of_id", type_="foreignkey")
        batch_op.drop_constraint("fk_unanswered_questions_closed_by_id_users", type_="foreignkey")
        batch_op.drop_constraint("fk_unanswered_questions_assignee_id_users", type_="foreignkey")
        batch_op.drop_index("ix_unanswered_questions_duplicate_of_id")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("closed_by_id")
        batch_op.drop_column("duplicate_of_id")
        batch_op.drop_column("dismiss_reason")
        batch_op.drop_column("assignee_id")
        batch_op.drop_column("last_asked_at")
        batch_op.drop_column("asker_count")
        batch_op.drop_column("ask_count")
