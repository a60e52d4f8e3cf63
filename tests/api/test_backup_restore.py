"""Backup → restore round trip: every row of every table, and the same ask results.

Why: a backup nobody has restored is a hope, not a backup. Both restore paths run:
the SQLite online-backup copy and the portable JSON dump (which is also how a
PostgreSQL installation is saved, and how SQLite moves to PostgreSQL).
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from api.app import create_app
from assistant.kb.backup import NOT_DATA, backup_database, restore_database
from assistant.kb.db import make_engine
from assistant.kb.models import Base
from assistant.settings import Settings
from tests.api.conftest import SECRET
from tests.api.helpers import approved_entry, make_entry
from tests.fakes import FakeSearchEngine

QUESTIONS = ["Thời hạn kháng cáo bản án sơ thẩm dân sự là bao lâu?",
             "Hoãn phiên tòa sơ thẩm tối đa bao lâu?", "Thời hạn tạm giam để điều tra",
             "câu hỏi không liên quan gì cả"]


def table_rows(url: str) -> dict[str, list[dict]]:
    """Every data table's rows; the directory token (``NOT_DATA``) only as "one row": a JSON
    restore's inserts into users and courts give it a new random value."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            out = {t.name: [dict(r) for r in conn.execute(
                select(t).order_by(*t.primary_key.columns)).mappings()]
                for t in Base.metadata.sorted_tables}
    finally:
        engine.dispose()
    for name in NOT_DATA:
        out[name] = [len(out[name])]
    return out


def asks(app, token: str) -> list:
    from fastapi.testclient import TestClient

    client = TestClient(app)
    out = []
    for q in QUESTIONS:
        r = client.post("/api/v1/ask", json={"question": q},
                        headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        body = r.json()
        matches = ([body["answer"]] if body["answer"] else []) + body["related"]
        out.append(([(e["entry_id"], e["confidence"], e["answer"]) for e in matches],
                    [(a["article_id"], a["score"]) for a in body["articles"]]))
    return out


@pytest.fixture(scope="module")
def populated(env):
    approved_entry(env, question="Hoãn phiên tòa sơ thẩm tối đa bao lâu?",
                   answer="Không quá 01 tháng (khoản 2 Điều 233 BLTTDS).",
                   citation_text="khoản 2 Điều 233 BLTTDS")
    approved_entry(env)
    retired = approved_entry(env, question="Thời hạn tạm giam để điều tra tội ít nghiêm trọng?",
                             answer="Không quá 02 tháng.", citation_text="Điều 173 BLTTHS")
    env.client.post(f"/api/v1/review/{retired['id']}/retire", headers=env.h("reviewer"),
                    json={"reason": "Hết hiệu lực"})
    make_entry(env, submit=True, question="Câu chờ duyệt về thẩm quyền cấp huyện?")
    data = "LUẬT THỬ NGHIỆM\nĐiều 1. Phạm vi\nLuật này quy định thử.\n".encode()
    r = env.client.post("/api/v1/legal-documents", headers=env.h("reviewer"),
                        files={"file": ("thu.txt", data, "text/plain")})
    assert r.status_code == 201
    for q in QUESTIONS:
        env.client.post("/api/v1/ask", json={"question": q}, headers=env.h("judge1"))
    return env


@pytest.mark.parametrize("prefer_json", [False, True], ids=["sqlite-backup-api", "json"])
def test_round_trip(populated, tmp_path, prefer_json):
    env = populated
    url = env.settings.sqlalchemy_url
    backup_database(url, tmp_path / "bk")
    before = table_rows(url)
    assert before["qa_entries"] and before["legal_documents"][0]["content"]
    target = f"sqlite:///{tmp_path / 'restored' / 'troly.db'}"
    restore_database(target, tmp_path / "bk", prefer_json=prefer_json)
    assert table_rows(target) == before
    expected = asks(env.client.app, env.tokens["judge2"])
    settings = Settings(database_url=target, jwt_secret=SECRET, data_dir=tmp_path / "d",
                        _env_file=None)
    restored = create_app(settings, search_engine=FakeSearchEngine())
    with TestClient(restored):  # its lifespan reconciles the empty index with the database
        assert restored.state.search_engine.qa_entry_ids() == env.search.qa_entry_ids()
        assert asks(restored, env.tokens["judge2"]) == expected


def test_cli_backup_restore(populated, tmp_path, monkeypatch):
    import typer

    from api import cli_ops
    from assistant.settings import get_settings

    app = typer.Typer()
    cli_ops.register(app)
    monkeypatch.setenv("TROLY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TROLY_DATABASE_URL", populated.settings.sqlalchemy_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        r = runner.invoke(app, ["backup", str(tmp_path / "bk")])
        assert r.exit_code == 0, r.output
        manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
        assert manifest["database"]["rows"]["qa_entries"] >= 4
        target = f"sqlite:///{tmp_path / 'other.db'}"
        monkeypatch.setenv("TROLY_DATABASE_URL", target)
        get_settings.cache_clear()
        r = runner.invoke(app, ["restore", str(tmp_path / "bk"), "--yes", "--no-reconcile"])
        assert r.exit_code == 0, r.output
        assert table_rows(target) == table_rows(populated.settings.sqlalchemy_url)
        r = runner.invoke(app, ["restore", str(tmp_path / "nope"), "--yes"])
        assert r.exit_code == 2
    finally:
        get_settings.cache_clear()
