"""The `troly` command line on the bundled demo articles: index, ask, eval, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from assistant.settings import get_settings

DEMO = Path(__file__).parents[1] / "corpus" / "data" / "demo"
runner = CliRunner()


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory, e5_model_dir):
    data = tmp_path_factory.mktemp("cli-data")
    env = {"TROLY_DATA_DIR": str(data), "TROLY_MODEL_PATH": str(e5_model_dir)}
    mp = pytest.MonkeyPatch()
    for key, value in env.items():
        mp.setenv(key, value)
    get_settings.cache_clear()
    result = runner.invoke(app, ["index", "laws", str(DEMO)])
    assert result.exit_code == 0, result.output
    yield result.output
    mp.undo()
    get_settings.cache_clear()


def test_index_prints_per_law_statistics_and_is_incremental(cli_env):
    assert "BLTTDS 2015" in cli_env and "thêm" in cli_env
    again = runner.invoke(app, ["index", "laws", str(DEMO)])
    assert again.exit_code == 0
    assert "thêm 0, cập nhật 0" in " ".join(again.output.split())


def test_ask_json_gives_cited_articles(cli_env):
    result = runner.invoke(app, ["ask", "thoi han khang cao ban an so tham vu an ds", "--top-k", "3", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    top = payload["articles"][0]
    assert top["article_id"] == "37.5.LQ.273"
    assert top["citation"].startswith("khoản 1 Điều 273")
    assert len(payload["articles"]) == 3


def test_eval_json_has_the_documented_keys(cli_env, tmp_path):
    questions = tmp_path / "q.jsonl"
    rows = [
        {"question": "Khi nào Thẩm phán trả lại đơn khởi kiện?", "gold": [{"pd_id": "37.5.LQ.192"}], "source": "a"},
        {"question": "thoi han tam giam bi can de dieu tra", "gold": ["37.7.LQ.173"], "source": "b"},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    result = runner.invoke(app, ["eval", str(questions), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # the JSON alone: `troly eval --json | jq` works
    assert "Đánh giá" in result.stderr  # the progress bar went to stderr
    assert {"n", "recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "by_source"} <= set(report)
    assert report["n"] == 2 and report["recall@10"] == 1.0 and set(report["by_source"]) == {"a", "b"}
    assert report["ranking"]["fusion"] == "dbsf" and report["ranking"]["law_boost"] == 0.5  # the settings' config
    tried = runner.invoke(app, ["eval", str(questions), "--json", "--fusion", "rrf", "--law-boost", "0"])
    assert tried.exit_code == 0, tried.output
    ranking = json.loads(tried.output.strip().splitlines()[-1])["ranking"]
    assert (ranking["fusion"], ranking["law_boost"], ranking["title_weight"]) == ("rrf", 0.0, 0.15)
    refused = runner.invoke(app, ["eval", str(questions), "--fusion", "max"])
    assert refused.exit_code == 2 and "fusion" in refused.output


@pytest.mark.parametrize("question", ["", "   ", "x" * 200_000])
def test_bad_questions_exit_with_a_message(cli_env, question):
    result = runner.invoke(app, ["ask", question])
    assert result.exit_code == 2
    assert "Lỗi" in result.output


def test_bad_law_file_is_refused_and_index_kept(cli_env, tmp_path):
    before = runner.invoke(app, ["ask", "thời hạn kháng cáo", "--json"]).output
    binary = tmp_path / "law.txt"
    binary.write_bytes(bytes(range(256)) * 10)
    result = runner.invoke(app, ["index", "laws", str(binary)])
    assert result.exit_code == 2 and "Lỗi" in result.output
    after = runner.invoke(app, ["ask", "thời hạn kháng cáo", "--json"]).output
    assert json.loads(after)["articles"] == json.loads(before)["articles"]


def test_demo_national_signs_in_with_the_demo_password(tmp_path, monkeypatch):
    """The generated accounts carry the demo password, which must pass the password
    policy (≥ 12 characters): a 9-character one made the command fail before any row."""
    from sqlalchemy import select

    from assistant.kb.db import make_engine, make_session_factory
    from assistant.kb.demo import DEMO_PASSWORD
    from assistant.kb.models import User
    from assistant.kb.services.auth import verify_password

    monkeypatch.setenv("TROLY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TROLY_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["demo", "national", "--scale", "tiny", "--users", "60",
                                     "--entries", "20", "--events", "200"])
        assert result.exit_code == 0, result.output
        assert DEMO_PASSWORD in result.output
        with make_session_factory(make_engine(get_settings().sqlalchemy_url))() as s:
            admin = s.scalars(select(User).where(User.username == "u00001")).one()
            assert verify_password(admin.password_hash, DEMO_PASSWORD)
    finally:
        get_settings.cache_clear()


def test_demo_national_index_writes_what_a_reconcile_would(cli_env, tmp_path, monkeypatch):
    """``--index`` leaves the search index holding exactly the draft, pending and approved
    entries (what the server's start-up reconcile wants), so a server started on it writes
    nothing more; it is the reconcile's own batched code, with its progress lines."""
    import shutil

    from sqlalchemy import select

    from assistant.engine_factory import open_engine
    from assistant.kb.db import make_engine, make_session_factory
    from assistant.kb.models import QAEntry
    from assistant.search_types import INDEXED_STATUSES

    shutil.copytree(get_settings().index_dir, tmp_path / "index")  # the module's index stays as it is
    monkeypatch.setenv("TROLY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TROLY_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["demo", "national", "--scale", "tiny", "--users", "60",
                                     "--entries", "30", "--events", "100", "--index"])
        assert result.exit_code == 0, result.output
        assert "Đã ghi" in result.stderr  # the reconcile's progress, one line per batch without a terminal
        with make_session_factory(make_engine(get_settings().sqlalchemy_url))() as s:
            wanted = {str(i) for i in s.scalars(select(QAEntry.id).where(QAEntry.status.in_(tuple(INDEXED_STATUSES))))}
            statuses = set(s.scalars(select(QAEntry.status)))
        engine = open_engine(get_settings())
        try:
            assert set(engine.qa_fingerprints()) == wanted
        finally:
            engine.close()
        assert wanted and len(statuses & set(INDEXED_STATUSES)) > 1  # not only the approved ones
    finally:
        get_settings.cache_clear()
