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


def test_yearly_rollup_migration_fills_it_from_the_monthly_rollup(db_url):
    """0011_stats_yearly: an installation upgraded with history gets its yearly rollup summed
    from the monthly one (asks of two users over two years, with an ask at 23:30 on 31/12 in
    Vietnam, which counts in the year it was asked there), equal to a rebuild; down and up again."""
    from sqlalchemy import text

    from assistant.kb import rollups

    upgrade_database(db_url)
    downgrade_database(db_url, "0010_document_job_heartbeat")
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
            rollups.rebuild(conn, yearly=False)  # what the installation's rollups held at 0010
        upgrade_database(db_url)
        with engine.begin() as conn:
            rows = conn.execute(text("SELECT user_id, year, asked, answered FROM stats_yearly "
                                     "ORDER BY user_id, year")).all()
            assert [(u, str(y), n, k) for u, y, n, k in rows] == [
                (a, "2024-01-01", 2, 1), (a, "2025-01-01", 1, 1), (b, "2025-01-01", 2, 1)]
            assert set(rollups.check(conn).values()) == {0}
        downgrade_database(db_url, "0010_document_job_heartbeat")
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
