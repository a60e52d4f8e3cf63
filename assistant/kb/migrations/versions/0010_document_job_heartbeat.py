"""the document confirmation job's progress, heartbeat and worker on its row: every
server worker reads them (troly serve --workers N)

Revision ID: 0010_document_job_heartbeat
Revises: 0009_unanswered_question_index
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_document_job_heartbeat"
down_revision = "0009_unanswered_question_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("legal_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("indexing_done", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("indexing_total", sa.Integer(), nullable=False, server_default="0"))
        # no heartbeat: a row left "indexing" by the previous release reads as interrupted
        batch_op.add_column(sa.Column("indexing_heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("indexing_worker", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("legal_documents", schema=None) as batch_op:
        batch_op.drop_column("indexing_worker")
        batch_op.drop_column("indexing_heartbeat_at")
        batch_op.drop_column("indexing_total")
        batch_op.drop_column("indexing_done")
