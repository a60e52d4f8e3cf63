"""Building the app has no side effects; start-up work runs in its lifespan (issue 14).

Why: ``create_app`` used to migrate the database and start the search process while
building the app, so merely importing or inspecting it (its OpenAPI schema, a test)
needed a reachable database, and a start-up failure surfaced as a traceback from the
factory. Now uvicorn (or ``with TestClient(app)``) runs that work, and a database that
cannot be reached stops the start with one precise Vietnamese line.
"""

from __future__ import annotations

import multiprocessing
import os

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.startup import StartupError
from assistant.settings import Settings
from tests.fakes import FakeSearchEngine

UNREACHABLE = "postgresql+psycopg://postgres:mat-khau-bi-mat@127.0.0.1:1/khong_co"  # port 1: refused


def _settings(tmp_path, url: str, **over) -> Settings:
    return Settings(database_url=url, data_dir=tmp_path, jwt_secret="k" * 40, log_format="none",
                    _env_file=None, **over)


def test_building_touches_no_database_and_starts_no_process(tmp_path):
    before = multiprocessing.active_children()
    app = create_app(_settings(tmp_path, UNREACHABLE, search_process=True))  # the real engine, not a fake
    assert multiprocessing.active_children() == before
    assert app.openapi()["paths"]  # the schema is there without any database
    for name in ("db_engine", "session_factory", "search_engine"):
        assert not hasattr(app.state, name)


def test_unreachable_database_fails_in_the_lifespan_with_a_precise_message(tmp_path):
    before = multiprocessing.active_children()
    app = create_app(_settings(tmp_path, UNREACHABLE, search_process=True))
    with pytest.raises(StartupError) as caught, TestClient(app):
        pass
    message = str(caught.value)
    assert message.startswith("Không mở được cơ sở dữ liệu postgresql+psycopg://postgres:***@127.0.0.1:1/khong_co: ")
    assert "refused" in message  # the driver's reason, as it gave it
    assert "mat-khau-bi-mat" not in message
    assert multiprocessing.active_children() == before  # stopped before the search process


def test_lifespan_migrates_serves_and_disposes(tmp_path):
    db = tmp_path / "sub" / "troly.db"
    app = create_app(_settings(tmp_path, f"sqlite:///{db}"), search_engine=FakeSearchEngine())
    assert not db.parent.exists()  # building created nothing
    with TestClient(app) as client:
        assert db.exists()
        r = client.get("/healthz")
        assert r.status_code == 200, r.text
        assert r.json() == {"status": "ok", "database": "ok", "search": "ok", "worker": os.getpid()}
        # the users table is there: an unknown account is refused, not a 500
        r = client.post("/api/v1/auth/token", data={"username": "khong-co", "password": "x" * 12})
        assert r.status_code == 401, r.text


def test_without_migrations_a_missing_schema_is_not_created(tmp_path):
    db = tmp_path / "troly.db"
    app = create_app(_settings(tmp_path, f"sqlite:///{db}"), search_engine=FakeSearchEngine(), migrate=False)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
    from sqlalchemy import create_engine, inspect

    engine = create_engine(f"sqlite:///{db}")
    try:
        assert "alembic_version" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
