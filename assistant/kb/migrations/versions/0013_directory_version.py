"""a token that changes whenever users or courts do (triggers), so statistics pages keep them

Revision ID: 0013_directory_version
Revises: 0012_stats_yearly
Create Date: 2026-12-05

Why: the national statistics page read all 12,000 accounts and 393 courts on every view
(issue 13 item 2); a process now keeps them while this token is unchanged. The triggers
fire for every statement that writes either table, whoever runs it (API, CLI, SQL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_directory_version"
down_revision = "0012_stats_yearly"
branch_labels = None
depends_on = None

TABLES = ("users", "courts")
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION bump_directory_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE directory_version SET token = md5(random()::text || clock_timestamp()::text);
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "directory_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    # a random first token too: a process may keep the directories of several databases
    op.execute("INSERT INTO directory_version (id, token) VALUES (1, "
               + ("md5(random()::text || clock_timestamp()::text))" if postgresql else "lower(hex(randomblob(16))))"))
    if postgresql:
        op.execute(PG_FUNCTION)
        for table in TABLES:  # once per statement, however many rows it writes
            op.execute(f"CREATE TRIGGER {table}_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_directory_version()")
    else:  # SQLite has row triggers only
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"CREATE TRIGGER {table}_directory_version_{event} AFTER {event.upper()} ON {table} "
                           "BEGIN UPDATE directory_version SET token = lower(hex(randomblob(16))); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_directory_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS bump_directory_version()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_directory_version_{event}")
    op.drop_table("directory_version")
