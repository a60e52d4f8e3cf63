"""one live unanswered item per question text: the text's hash, duplicates merged, a
partial unique index

Revision ID: 0011_unanswered_live_unique
Revises: 0010_document_job_heartbeat
Create Date: 2026-12-05

Why: two judges asking the same new question at the same moment could each file an
item (the ask looked the text up, found nothing, inserted), so one question stood twice
in the queue with its asks split between them. Now the live items (open, merged into
another, dismissed: what a repeated ask counts on) are unique per text — a unique index
on ``question_hash`` (SHA-256 of the text: a 1,000-character question may not fit a
PostgreSQL btree entry) limited to those statuses; answered items stay history.

Existing duplicates are merged first, losing nothing: per text, one item is kept (one
the others are folded into, else an open one, else the newest — the one repeated asks
were counted on); the others' askers move onto it (times added, first and last ask
widened per judge), everything pointing at them (items folded into them, notifications,
entries written for them) points at it, its first ask becomes the earliest one, an
assignee or answer it lacks is taken from them; then they are deleted and the counts of
the kept item and of the item it is folded into are recounted from the askers.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0011_unanswered_live_unique"
down_revision = "0010_document_job_heartbeat"
branch_labels = None
depends_on = None

LIVE = ("open", "merged", "dismissed")
FOLDED = ("merged", "dismissed")
_IN_LIVE = "(" + ", ".join(f"'{s}'" for s in LIVE) + ")"
_IN_FOLDED = "(" + ", ".join(f"'{s}'" for s in FOLDED) + ")"


def _hash(question: str) -> str:
    return hashlib.sha256(question.encode("utf-8")).hexdigest()


def _fill_hashes(conn) -> None:
    if conn.dialect.name == "postgresql":  # in the database: no round trip per row at national size
        conn.execute(sa.text("UPDATE unanswered_questions SET "
                             "question_hash = encode(sha256(convert_to(question, 'UTF8')), 'hex')"))
        # every row rewritten: the merge below is planned on fresh figures
        conn.execute(sa.text("ANALYZE unanswered_questions"))
        conn.execute(sa.text("ANALYZE unanswered_askers"))
        return
    rows = conn.execute(sa.text("SELECT id, question FROM unanswered_questions")).all()
    update = sa.text("UPDATE unanswered_questions SET question_hash = :h WHERE id = :id")
    for start in range(0, len(rows), 5000):
        conn.execute(update, [{"id": i, "h": _hash(q or "")} for i, q in rows[start:start + 5000]])


def _recount(conn, item_id: int) -> None:
    """ask_count / asker_count / last_asked_at of one item from its group's askers (the
    item and those folded into it), as the service's ``refresh_counts`` computes them."""
    folded = f"SELECT id FROM unanswered_questions WHERE duplicate_of_id = :i AND status IN {_IN_FOLDED}"
    times, judges, last = conn.execute(sa.text(
        "SELECT COALESCE(SUM(times), 0), COUNT(DISTINCT user_id), MAX(last_asked_at) "
        f"FROM unanswered_askers WHERE item_id IN (SELECT :i UNION ALL {folded})"),  # an OR scanned
        {"i": item_id}).one()
    conn.execute(sa.text(
        "UPDATE unanswered_questions SET ask_count = :a, asker_count = :j, "
        "last_asked_at = COALESCE(:last, last_asked_at, created_at) WHERE id = :i"),
        {"a": max(1, int(times or 0)), "j": max(1, int(judges or 0)), "last": last, "i": item_id})


def _merge_duplicates(conn) -> None:
    # every live row of a duplicated text in one statement (the hash has no index yet)
    groups: dict[str, list] = {}
    for row in conn.execute(sa.text(
            "SELECT id, status, duplicate_of_id, assignee_id, entry_id, created_at, question_hash "
            f"FROM unanswered_questions WHERE status IN {_IN_LIVE} AND question_hash IN ("
            f"SELECT question_hash FROM unanswered_questions WHERE status IN {_IN_LIVE} "
            "GROUP BY question_hash HAVING COUNT(*) > 1) ORDER BY question_hash, id")).mappings():
        groups.setdefault(row["question_hash"], []).append(row)
    for rows in groups.values():
        parents = set(conn.execute(sa.text(
            "SELECT DISTINCT duplicate_of_id FROM unanswered_questions "
            f"WHERE status IN {_IN_FOLDED} AND duplicate_of_id IN ({', '.join(str(r['id']) for r in rows)})"))
            .scalars())
        keep = max(rows, key=lambda r: (r["id"] in parents, r["status"] == "open", r["id"]))
        gone = [r for r in rows if r["id"] != keep["id"]]
        gone_ids = {r["id"] for r in gone}
        # merges are one level deep: what was folded into a removed item folds into the
        # kept one, or into the item the kept one is folded into
        kept_parent = keep["duplicate_of_id"] if keep["status"] in FOLDED else None
        target = kept_parent if kept_parent is not None and kept_parent not in gone_ids else keep["id"]
        first = min(rows, key=lambda r: (r["created_at"] is None, r["created_at"], r["id"]))
        by, court, event, created = conn.execute(sa.text(
            "SELECT asked_by_id, court_id, usage_event_id, created_at FROM unanswered_questions "
            "WHERE id = :first"), {"first": first["id"]}).one()
        conn.execute(sa.text(
            "UPDATE unanswered_questions SET asked_by_id = :by, court_id = :court, "
            "usage_event_id = :event, created_at = :created WHERE id = :keep"),
            {"by": by, "court": court, "event": event, "created": created, "keep": keep["id"]})
        for r in gone:
            params = {"g": r["id"], "keep": keep["id"], "target": target}
            for user_id, times, first_at, last_at in conn.execute(sa.text(
                    "SELECT user_id, times, first_asked_at, last_asked_at FROM unanswered_askers "
                    "WHERE item_id = :g"), params).all():
                mine = conn.execute(sa.text(
                    "SELECT id, times, first_asked_at, last_asked_at FROM unanswered_askers "
                    "WHERE item_id = :keep AND user_id = :u"), params | {"u": user_id}).first()
                if mine is None:
                    conn.execute(sa.text("UPDATE unanswered_askers SET item_id = :keep "
                                         "WHERE item_id = :g AND user_id = :u"), params | {"u": user_id})
                    continue
                conn.execute(sa.text(
                    "UPDATE unanswered_askers SET times = :t, first_asked_at = :f, last_asked_at = :l "
                    "WHERE id = :id"),
                    {"id": mine[0], "t": mine[1] + times, "f": min(mine[2], first_at),
                     "l": max(mine[3], last_at)})
            conn.execute(sa.text(
                "UPDATE unanswered_questions SET duplicate_of_id = :target "
                "WHERE duplicate_of_id = :g AND id <> :target"), params)
            conn.execute(sa.text("UPDATE notifications SET unanswered_id = :keep WHERE unanswered_id = :g"),
                         params)
            conn.execute(sa.text(
                "UPDATE qa_entries SET source_unanswered_id = :keep WHERE source_unanswered_id = :g"), params)
            conn.execute(sa.text(
                "UPDATE unanswered_questions SET "
                "assignee_id = COALESCE(assignee_id, :assignee), entry_id = COALESCE(entry_id, :entry) "
                "WHERE id = :keep"), params | {"assignee": r["assignee_id"], "entry": r["entry_id"]})
            conn.execute(sa.text("DELETE FROM unanswered_askers WHERE item_id = :g"), params)
            conn.execute(sa.text("DELETE FROM unanswered_questions WHERE id = :g"), params)
        _recount(conn, keep["id"])
        if target != keep["id"]:
            _recount(conn, target)


def upgrade() -> None:
    # a plain ADD COLUMN (NOT NULL needs a default there): on SQLite, rebuilding the table
    # (Alembic's batch mode) would drop it, and with foreign keys on that deletes the
    # askers of every item (ON DELETE CASCADE)
    op.add_column("unanswered_questions",
                  sa.Column("question_hash", sa.String(length=64), nullable=False, server_default=""))
    conn = op.get_bind()
    _fill_hashes(conn)
    _merge_duplicates(conn)
    if conn.dialect.name == "postgresql":  # a row written without its hash fails (SQLite cannot drop a default)
        op.alter_column("unanswered_questions", "question_hash", server_default=None)
    live = sa.text(f"status IN {_IN_LIVE}")
    op.create_index("uq_unanswered_questions_live_hash", "unanswered_questions", ["question_hash"],
                    unique=True, sqlite_where=live, postgresql_where=live)


def downgrade() -> None:
    op.drop_index("uq_unanswered_questions_live_hash", table_name="unanswered_questions")
    if op.get_bind().dialect.name == "sqlite":  # native DROP COLUMN (3.35+): no table rebuild
        op.execute("ALTER TABLE unanswered_questions DROP COLUMN question_hash")
    else:
        op.drop_column("unanswered_questions", "question_hash")
