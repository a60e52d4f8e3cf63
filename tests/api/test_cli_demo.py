"""The demo data set and the administration commands."""

from typer.testing import CliRunner

from assistant.kb.db import make_engine, make_session_factory, session_scope, upgrade_database
from assistant.kb.demo import ENTRIES, prepare_demo
from tests.fakes import FakeSearchEngine


def test_demo_prepare_is_complete_and_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade_database(url)
    factory = make_session_factory(make_engine(url))
    search = FakeSearchEngine()
    with session_scope(factory) as s:
        report = prepare_demo(s, search)
    approved = sum(1 for e in ENTRIES if e[1] == "approved")
    assert report.created and report.courts == 8 and len(report.users) == 11
    assert report.entries["approved"] == approved and report.indexed == approved
    assert sum(1 for e in search.qa.values() if e.status == "approved") == approved
    with session_scope(factory) as s:
        assert prepare_demo(s, search).created is False


def test_cli_db_users_courts(tmp_path, monkeypatch):
    from api.cli import app
    from assistant.settings import get_settings

    monkeypatch.setenv("TROLY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TROLY_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        r = runner.invoke(app, ["db", "upgrade"])
        assert r.exit_code == 0, r.output
        csv_file = tmp_path / "courts.csv"
        csv_file.write_text("code,name,level,parent_code,province\n"
                            "TANDTC,Tòa án nhân dân tối cao,tandtc,,\n"
                            "HN,Tòa án nhân dân TP Hà Nội,tinh,TANDTC,Hà Nội\n", encoding="utf-8")
        r = runner.invoke(app, ["courts", "import", str(csv_file)])
        assert r.exit_code == 0 and "2 Tòa án" in r.output, r.output
        r = runner.invoke(app, ["users", "create", "--username", "tp.an", "--full-name", "Nguyễn An",
                                "--court", "HN", "--role", "judge", "--title", "Thẩm phán",
                                "--password", "mat-khau-dai"])
        assert r.exit_code == 0 and "tp.an" in r.output, r.output
        r = runner.invoke(app, ["users", "create", "--username", "tp.an", "--full-name", "Nguyễn An",
                                "--court", "XX", "--password", "mat-khau-dai"])
        assert r.exit_code == 2 and "XX" in r.output
    finally:
        get_settings.cache_clear()
