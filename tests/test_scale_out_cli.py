"""Scale-out guards of the CLI and the engine factory (issue 13; docs/deployment.md):
``troly serve --workers N`` needs a Qdrant server and PostgreSQL, the alias commands need a
server, and only an embedded Edge index puts the engine in a search child process."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api.cli import app
from assistant.engine_factory import search_in_child_process
from assistant.settings import Settings, get_settings

runner = CliRunner()


@pytest.fixture
def settings_env(monkeypatch, tmp_path):
    for key in ("TROLY_QDRANT_URL", "TROLY_DATABASE_URL", "TROLY_JWT_SECRET"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("TROLY_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _said(result) -> str:
    return " ".join(result.output.split())


def test_several_workers_need_a_qdrant_server(settings_env):
    result = runner.invoke(app, ["serve", "--workers", "2"])
    assert result.exit_code == 2
    assert "--workers > 1 cần máy chủ Qdrant (đặt TROLY_QDRANT_URL)" in _said(result)


def test_several_workers_need_postgresql(settings_env):
    settings_env.setenv("TROLY_QDRANT_URL", "http://127.0.0.1:6333")
    result = runner.invoke(app, ["serve", "--workers", "2"])
    assert result.exit_code == 2 and "--workers > 1 cần PostgreSQL" in _said(result)


def test_worker_count_is_bounded(settings_env):
    result = runner.invoke(app, ["serve", "--workers", "0"])
    assert result.exit_code == 2


@pytest.mark.parametrize("args", [["index", "alias", "legal", "legal_v2"], ["index", "collections"]])
def test_alias_commands_need_a_qdrant_server(settings_env, args):
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "Bí danh chỉ dùng với máy chủ Qdrant" in _said(result)


def test_only_an_edge_index_runs_the_engine_in_a_child_process():
    assert search_in_child_process(Settings(_env_file=None, qdrant_url=None)) is True
    assert search_in_child_process(Settings(_env_file=None, qdrant_url="http://10.10.0.21:6333")) is False
    assert search_in_child_process(Settings(_env_file=None, search_process=False)) is False
