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
    """0004_notifications: the inbox table and its two indexes appear and disappear."""
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
