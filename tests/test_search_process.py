"""The search engine in its own process answers like the in-process one, survives the
death of its child, and never outlives the API process (it would hold the shard)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from assistant.engine_factory import open_engine
from assistant.query_processing import QueryError
from assistant.search_process import SearchProcess, SearchProcessError
from assistant.search_types import QAIndexEntry
from assistant.settings import Settings
from indexing.legal_index import parse_sources

DEMO_LAWS = Path(__file__).parents[1] / "corpus" / "data" / "demo"
QUESTIONS = ["Thời hạn kháng cáo bản án sơ thẩm dân sự là bao lâu?", "tra lai don khoi kien khi nao",
             "HĐXX hoãn phiên tòa tối đa bao lâu"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def settings(tmp_path_factory, e5_model_dir) -> Settings:
    data = tmp_path_factory.mktemp("data")
    return Settings(data_dir=data, model_path=e5_model_dir, log_format="none", _env_file=None)


@pytest.fixture(scope="module")
def expected(settings) -> dict[str, list[str]]:
    """Index the demo pages in-process and record its answers; then release the shard."""
    folder = settings.data_dir / "laws"
    shutil.copytree(DEMO_LAWS, folder)
    engine = open_engine(settings)
    engine.index_legal_articles(parse_sources([folder]))
    answers = {q: [a.article_id for a in engine.ask(q, top_k=5).articles] for q in QUESTIONS}
    engine.close()
    return answers


@pytest.fixture(scope="module")
def remote(settings, expected):
    process = SearchProcess(settings, connections=3)
    yield process
    process.close()


def test_answers_like_the_in_process_engine(remote, expected):
    assert remote.pid != os.getpid() and remote.is_alive()
    for question, ids in expected.items():
        assert [a.article_id for a in remote.ask(question, top_k=5).articles] == ids
    assert remote.search_articles(QUESTIONS[0], top_k=1)[0].article_id == expected[QUESTIONS[0]][0]
    assert remote.get_article("37.5.LQ.273").title == "Thời hạn kháng cáo"
    assert remote.count_documents() == remote.documents_at_start > 0


def test_errors_travel_back_with_their_type(remote):
    with pytest.raises(QueryError, match="Câu hỏi trống"):
        remote.ask("   ?!  ")
    with pytest.raises(AttributeError):
        remote._call("store")  # only the engine's public calls cross the pipe


def test_writes_go_to_the_child_and_concurrent_asks_share_pipes(remote):
    from concurrent.futures import ThreadPoolExecutor

    entry = QAIndexEntry(entry_id="9001", question="Thời hạn kháng cáo bản án dân sơ thẩm",
                         answer="15 ngày kể từ ngày tuyên án.", field="dân sự", court_code="T",
                         article_ids=("37.5.LQ.273",))
    remote.upsert_qa([entry])
    assert "9001" in remote.qa_entry_ids()
    assert remote.search_qa("thời hạn kháng cáo bản án dân sự sơ thẩm", top_k=1)[0].entry_id == "9001"
    with ThreadPoolExecutor(8) as pool:  # more callers than pipes: they queue, none fails
        results = list(pool.map(lambda i: remote.ask(QUESTIONS[i % 3]).articles[0].article_id, range(24)))
    assert len(results) == 24
    remote.delete_qa(["9001"])
    assert "9001" not in remote.qa_entry_ids()


def test_a_dead_child_is_replaced_and_the_call_retried(remote, expected):
    old = remote.pid
    os.kill(old, signal.SIGKILL)  # the ask below may find it still dying: retried on a new child
    ids = [a.article_id for a in remote.ask(QUESTIONS[0], top_k=5).articles]
    assert ids == expected[QUESTIONS[0]] and remote.pid != old and remote.restarts == 1


def test_a_silent_child_is_ended_and_replaced(remote, expected):
    old = remote.pid
    with pytest.raises(SearchProcessError, match="silent"):
        remote._call("ask", QUESTIONS[0], timeout=0.0)  # no answer within 0 s: treated as hung
    assert not _alive(old)  # ended (and reaped) before the call raised
    assert [a.article_id for a in remote.ask(QUESTIONS[0], top_k=5).articles] == expected[QUESTIONS[0]]
    assert remote.pid != old


def test_child_exits_when_the_api_process_is_killed(settings, expected, remote):
    remote.close()  # one process at a time may open the shard
    script = textwrap.dedent(f"""
        import os, signal, sys
        from assistant.search_process import SearchProcess
        from assistant.settings import Settings
        p = SearchProcess(Settings(data_dir={str(settings.data_dir)!r}, model_path={str(settings.model_path)!r},
                                   log_format="none", _env_file=None), connections=2)
        p.ask("thời hạn kháng cáo")
        print(p.pid, "torch" in sys.modules, flush=True)  # the API process stays light
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                         cwd=Path(__file__).parents[1])
    assert out.returncode == -signal.SIGKILL, out.stderr[-2000:]
    child, torch_loaded = out.stdout.split()
    child = int(child)
    assert torch_loaded == "False", "the engine's modules were imported into the API process"
    assert _wait_gone(child, 120), "the search process outlived the killed API process"
    again = open_engine(settings)  # the shard is free again
    assert again.ask(QUESTIONS[0]).articles[0].article_id == expected[QUESTIONS[0]][0]
    again.close()


def test_closed_process_refuses_calls(settings, expected):
    process = SearchProcess(settings, connections=1)
    pid = process.pid
    process.close()
    assert not _alive(pid)  # close() returns once the child is gone
    with pytest.raises(SearchProcessError):
        process.ask(QUESTIONS[0])


def test_start_failure_is_reported(tmp_path, e5_model_dir):
    bad = Settings(data_dir=tmp_path, model_path=tmp_path / "no-model", log_format="none", _env_file=None)
    with pytest.raises(SearchProcessError, match="troly model prepare"):
        SearchProcess(bad, connections=1)
