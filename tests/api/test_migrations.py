"""The Alembic migrations build exactly the schema the models declare, and go both ways.

Why: the database is the source of truth; a model change without its migration would
work in tests that create tables from the models and break on a court's existing database.
"""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from assistant.kb.db import downgrade_database, make_engine, upgrade_database
from assistant.kb.models import Base


def test_migrated_schema_matches_models(db_url):
    upgrade_database(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            indexes = {ix["name"] for ix in inspect(conn).get_indexes("usage_events")}
    finally:
        engine.dispose()
    assert diff == []
    assert "ix_usage_events_court_time" in indexes


def test_downgrade_one_step_and_back(db_url):
    upgrade_database(db_url)
    downgrade_database(db_url, "0001")
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert "ix_usage_events_court_time" not in {ix["name"] for ix in inspect(conn).get_indexes("usage_events")}
    finally:
        engine.dispose()
    upgrade_database(db_url)


def test_notifications_migration_goes_down_and_up(db_url):
    """0003_notifications: the inbox table and its two indexes appear and disappear."""
    upgrade_database(db_url)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert {ix["name"] for ix in inspect(conn).get_indexes("notifications")} >= {
                "ix_notifications_user_id_id", "ix_notifications_user_unread"}
        downgrade_database(db_url, "0002")
        with engine.connect() as conn:
            assert "notifications" not in inspect(conn).get_table_names()
        upgrade_database(db_url)
        with engine.connect() as conn:
            assert "notifications" in inspect(conn).get_table_names()
    finally:
        engine.dispose()


def test_unanswered_queue_revision_down_and_up_keeps_the_queue(db_url):
    """0004_unanswered_queue: existing items get their ask counts from the usage events on
    the way up; the way down turns statuses the old code does not know into ones it does."""
    from sqlalchemy import text

    upgrade_database(db_url)
    downgrade_database(db_url, "0002")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            assert "unanswered_askers" not in inspect(conn).get_table_names()
            conn.execute(text("DELETE FROM usage_events"))
            conn.execute(text("DELETE FROM unanswered_questions"))
            conn.execute(text("DELETE FROM users WHERE username LIKE 'mig-%'"))
            for name in ("mig-a", "mig-b"):
                conn.execute(text("INSERT INTO users (username, full_name, password_hash, role, "
                                  "is_active, password_changed_at, created_at) VALUES (:u, :u, 'x', "
                                  "'judge', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"u": name})
            ids = [r[0] for r in conn.execute(
                text("SELECT id FROM users WHERE username LIKE 'mig-%' ORDER BY username"))]
            for uid in (ids[0], ids[0], ids[1]):
                conn.execute(text("INSERT INTO usage_events (user_id, created_at, query, returned_ids, "
                                  "latency_ms, answered) VALUES (:u, CURRENT_TIMESTAMP, 'câu hỏi cũ', '[]', 1, false)"),
                             {"u": uid})
            conn.execute(text("INSERT INTO unanswered_questions (question, status, created_at) "
                              "VALUES ('câu hỏi cũ', 'open', CURRENT_TIMESTAMP)"))
        upgrade_database(db_url)
        with engine.begin() as conn:
            row = conn.execute(text("SELECT ask_count, asker_count FROM unanswered_questions")).one()
            assert tuple(row) == (3, 2)
            conn.execute(text("UPDATE unanswered_questions SET status = 'merged'"))
        downgrade_database(db_url, "0002")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT status FROM unanswered_questions")).scalar() == "answered"
            conn.execute(text("DELETE FROM usage_events"))
            conn.execute(text("DELETE FROM unanswered_questions"))
            conn.execute(text("DELETE FROM users WHERE username LIKE 'mig-%'"))
    finally:
        engine.dispose()
    upgrade_database(db_url)


def test_live_unique_revision_merges_duplicate_items_losing_nothing(db_url):
    """0011_unanswered_live_unique: two live items of one text (what two concurrent first
    asks used to file) become one — the one another item is folded into is kept, the
    other's askers (times added per judge), notification, entry and assignee move onto it,
    the counts are recounted over its group; an answered item of the same text (history)
    stays. Afterwards the database refuses a second live item of a text, not a second
    answered one; and the revision goes down and up again."""
    from datetime import datetime

    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from assistant.kb.models import question_hash

    upgrade_database(db_url)
    downgrade_database(db_url, "0010_document_job_heartbeat")
    engine = make_engine(db_url)
    t = [datetime(2026, 11, d, 9, 0) for d in range(1, 6)]
    try:
        with engine.begin() as conn:
            for name in ("mig-a", "mig-b", "mig-c"):
                conn.execute(text("INSERT INTO users (username, full_name, password_hash, role, "
                                  "is_active, password_changed_at, created_at) VALUES (:u, :u, 'x', "
                                  "'judge', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"u": name})
            a, b, c = (conn.scalar(text("SELECT id FROM users WHERE username = :u"), {"u": u})
                       for u in ("mig-a", "mig-b", "mig-c"))

            def item(question: str, status: str, created: datetime, **extra) -> int:
                cols = {"question": question, "status": status, "created_at": created,
                        "last_asked_at": created, "asked_by_id": extra.pop("by", None)} | extra
                conn.execute(text(f"INSERT INTO unanswered_questions ({', '.join(cols)}) "
                                  f"VALUES ({', '.join(':' + k for k in cols)})"), cols)
                return conn.scalar(text("SELECT MAX(id) FROM unanswered_questions"))

            def asked(item_id: int, user: int, times: int, first: datetime, last: datetime) -> None:
                conn.execute(text("INSERT INTO unanswered_askers (item_id, user_id, times, first_asked_at, "
                                  "last_asked_at) VALUES (:i, :u, :n, :f, :l)"),
                             {"i": item_id, "u": user, "n": times, "f": first, "l": last})

            old = item("câu hỏi trùng", "answered", t[0], by=a)       # history: stays as it is
            asked(old, a, 1, t[0], t[0])
            kept = item("câu hỏi trùng", "open", t[1], by=a)          # the root of a merge
            twin = item("câu hỏi trùng", "open", t[2], by=c, assignee_id=b)  # filed by a racing ask
            child = item("câu hỏi khác", "merged", t[3], by=c, duplicate_of_id=kept)
            asked(kept, a, 2, t[1], t[2])
            asked(kept, b, 1, t[1], t[1])
            asked(twin, a, 1, t[3], t[4])
            asked(twin, c, 3, t[2], t[3])
            asked(child, c, 1, t[3], t[3])
            conn.execute(text("INSERT INTO notifications (user_id, kind, message, unanswered_id, created_at) "
                              "VALUES (:u, 'question_answered', 'x', :i, CURRENT_TIMESTAMP)"), {"u": c, "i": twin})
            conn.execute(text("INSERT INTO qa_entries (question, answer, field, tags, article_ids, citation_text, "
                              "status, author_id, source_unanswered_id, created_at, updated_at, version) "
                              "VALUES ('q', 'a', 'dân sự', '[]', '[]', '', 'draft', :u, :i, CURRENT_TIMESTAMP, "
                              "CURRENT_TIMESTAMP, 1)"), {"u": b, "i": twin})
        upgrade_database(db_url)
        with engine.begin() as conn:
            rows = conn.execute(text("SELECT id, status, ask_count, asker_count, assignee_id, asked_by_id, "
                                     "duplicate_of_id FROM unanswered_questions ORDER BY id")).all()
            assert [tuple(r) for r in rows] == [
                (old, "answered", 1, 1, None, a, None),
                (kept, "open", 2 + 1 + 1 + 3 + 1, 3, b, a, None),
                (child, "merged", 1, 1, None, c, kept)]
            askers = {tuple(r) for r in conn.execute(text(
                "SELECT item_id, user_id, times FROM unanswered_askers WHERE item_id = :k"), {"k": kept})}
            assert askers == {(kept, a, 3), (kept, b, 1), (kept, c, 3)}
            widened = conn.execute(text("SELECT first_asked_at, last_asked_at FROM unanswered_askers "
                                        "WHERE item_id = :k AND user_id = :u"), {"k": kept, "u": a}).one()
            assert [str(v)[:16] for v in widened] == ["2026-11-02 09:00", "2026-11-05 09:00"]
            assert conn.scalar(text("SELECT unanswered_id FROM notifications WHERE user_id = :u"), {"u": c}) == kept
            assert conn.scalar(text("SELECT source_unanswered_id FROM qa_entries WHERE author_id = :u"),
                               {"u": b}) == kept
            hashes = conn.execute(text("SELECT question_hash FROM unanswered_questions ORDER BY id")).scalars().all()
            assert hashes[0] == hashes[1] == question_hash("câu hỏi trùng") != hashes[2]  # as the service keys it
        # the database now refuses a second live item of the text; history may repeat it
        for status, refused in (("open", True), ("dismissed", True), ("answered", False)):
            try:
                with engine.begin() as conn:
                    conn.execute(text("INSERT INTO unanswered_questions (question, question_hash, status, "
                                      "created_at) VALUES ('câu hỏi trùng', :h, :s, CURRENT_TIMESTAMP)"),
                                 {"h": hashes[0], "s": status})
                    conn.execute(text("DELETE FROM unanswered_questions WHERE id > :c"), {"c": child})
                accepted = True
            except IntegrityError:
                accepted = False
            assert accepted is not refused, status
        downgrade_database(db_url, "0010_document_job_heartbeat")
        upgrade_database(db_url)
        with engine.begin() as conn:
            assert conn.scalar(text("SELECT COUNT(*) FROM unanswered_askers")) == 5
            for table in ("notifications", "qa_entries", "unanswered_askers", "unanswered_questions"):
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(text("DELETE FROM users WHERE username LIKE 'mig-%'"))
    finally:
        engine.dispose()


def test_yearly_rollup_migration_fills_it_from_the_monthly_rollup(db_url):
    """0012_stats_yearly: an installation upgraded with history gets its yearly rollup summed
    from the monthly one (asks of two users over two years, with an ask at 23:30 on 31/12 in
    Vietnam, which counts in the year it was asked there), equal to a rebuild; down and up again."""
    from sqlalchemy import text

    from assistant.kb import rollups

    upgrade_database(db_url)
    downgrade_database(db_url, "0011_unanswered_live_unique")
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            assert "stats_yearly" not in inspect(conn).get_table_names()
            conn.execute(text("DELETE FROM usage_events"))
            conn.execute(text("DELETE FROM users WHERE username LIKE 'mig-%'"))
            for name in ("mig-a", "mig-b"):
                conn.execute(text("INSERT INTO users (username, full_name, password_hash, role, "
                                  "is_active, password_changed_at, created_at) VALUES (:u, :u, 'x', "
                                  "'judge', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"u": name})
            a, b = [r[0] for r in conn.execute(
                text("SELECT id FROM users WHERE username LIKE 'mig-%' ORDER BY username"))]
            for uid, ts, answered in ((a, "2024-03-05 03:00:00", True), (a, "2024-12-31 16:30:00", False),
                                      (a, "2025-01-02 03:00:00", True), (b, "2025-07-01 03:00:00", True),
                                      (b, "2025-08-01 03:00:00", False)):
                conn.execute(text("INSERT INTO usage_events (user_id, created_at, query, returned_ids, "
                                  "latency_ms, answered) VALUES (:u, :t, 'câu hỏi cũ', '[]', 1, :a)"),
                             {"u": uid, "t": ts, "a": answered})
            rollups.rebuild(conn, yearly=False)  # what the installation's rollups held before the yearly rollup
        upgrade_database(db_url)
        with engine.begin() as conn:
            rows = conn.execute(text("SELECT user_id, year, asked, answered FROM stats_yearly "
                                     "ORDER BY user_id, year")).all()
            assert [(u, str(y), n, k) for u, y, n, k in rows] == [
                (a, "2024-01-01", 2, 1), (a, "2025-01-01", 1, 1), (b, "2025-01-01", 2, 1)]
            assert set(rollups.check(conn).values()) == {0}
        downgrade_database(db_url, "0011_unanswered_live_unique")
        with engine.connect() as conn:
            assert "stats_yearly" not in inspect(conn).get_table_names()
        upgrade_database(db_url)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM stats_yearly")).scalar() == 3
            for table in ("stats_question_monthly", "stats_court_monthly", "stats_yearly", "stats_monthly",
                          "stats_daily", "usage_events"):
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(text("DELETE FROM users WHERE username LIKE 'mig-%'"))
    finally:
        engine.dispose()
    upgrade_database(db_url)
