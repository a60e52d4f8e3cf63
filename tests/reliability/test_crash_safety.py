"""Crash safety with the real engine: SIGKILL during indexing and during approvals.

Why: a court server loses power or gets OOM-killed; afterwards the index must match
the database exactly (nothing lost, nothing twice, nothing retired still findable)
after the documented recovery — re-running ``troly index laws`` for law files, and
``troly index reconcile`` for what the database owns. Subprocesses, so the kill is real.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
N_ARTICLES = 2000
N_ENTRIES = 50
ARTICLES = {"field": "meta.kind", "operator": "==", "value": "article"}


def _env(data_dir: Path, model_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TROLY_")}
    env.update(TROLY_DATA_DIR=str(data_dir), TROLY_MODEL_PATH=str(model_dir),
               HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT), TROLY_LOG_FORMAT="plain")
    env["TROLY_MODEL_PATH"] = str(Path(model_dir).resolve())
    return env


def _big_law(path: Path) -> list[str]:
    lines = ["LUẬT", "THỬ NGHIỆM ĐỘ BỀN CHỈ MỤC"]
    for i in range(1, N_ARTICLES + 1):
        if i % 100 == 1:
            lines.append(f"Chương {i // 100 + 1}")
        lines += [f"Điều {i}. Quy định thử số {i}",
                  f"1. Thời hạn giải quyết việc loại {i % 37} là {i % 90 + 1} ngày, kể từ ngày "
                  f"thụ lý hồ sơ số {i}.",
                  f"2. Trường hợp phức tạp thì được gia hạn thêm {i % 11 + 1} tháng theo quyết "
                  f"định của Chánh án Tòa án cấp {i % 3 + 1}."]
    path.write_text("\n".join(lines), encoding="utf-8")
    return [f"{path.stem}:{i}" for i in range(1, N_ARTICLES + 1)]


def _first_line(proc: subprocess.Popen, prefix: str) -> str | None:
    """The first line of the child's stderr that starts with ``prefix`` (None at its end)."""
    for line in proc.stderr:
        if line.startswith(prefix):
            return line
    return None


def _open_store(data_dir: Path, companion: str | None = None):
    from assistant.engine_factory import open_store
    from assistant.settings import Settings

    return open_store(Settings(data_dir=data_dir, _env_file=None), companion)


def test_sigkill_while_indexing_then_rerun(tmp_path, e5_model_dir):
    data = tmp_path / "data"
    law = tmp_path / "luat-thu.txt"
    expected = _big_law(law)
    env = _env(data, e5_model_dir)
    cmd = [str(BIN / "troly"), "index", "laws", str(law)]
    # Killed right after the CLI reports its first committed batch (a line on stderr when
    # not on a terminal), whatever the machine's speed: an observable event, not a delay.
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    reported = _first_line(proc, "Đã ghi ")
    assert reported is not None and proc.poll() is None, "finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stderr.close()
    store = _open_store(data)
    partial = store.count_documents_by_filter(ARTICLES)
    store.close()
    assert 0 < partial < N_ARTICLES, partial  # really killed half-way
    print(f"killed after '{reported.strip()}' with {partial}/{N_ARTICLES} articles indexed")

    done = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    store = _open_store(data)
    try:
        ids = [d.id for d in store.filter_documents(ARTICLES)]
        assert len(ids) == len(set(ids)) == N_ARTICLES == store.count_documents_by_filter(ARTICLES)
        assert set(ids) == set(expected)
    finally:
        store.close()


def _seed_entries(url: str) -> None:
    from assistant.kb.db import make_engine, make_session_factory, session_scope, upgrade_database
    from assistant.kb.services.courts import create_court
    from assistant.kb.services.qa import create_entry
    from assistant.kb.services.users import create_user

    upgrade_database(url)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as s:
        create_court(s, name="Tòa án nhân dân tỉnh Thử", code="T", level="tinh")
        judge = create_user(s, username="tp01", full_name="Thẩm phán", password="hoa-sen-thu-2026",
                            court_code="T")
        create_user(s, username="duyet01", full_name="Người duyệt", password="hoa-sen-thu-2026",
                    role="reviewer", court_code="T")
        for i in range(N_ENTRIES):
            create_entry(s, None, judge, question=f"Câu hỏi thử số {i} về thời hạn kháng cáo?",
                         answer=f"Trả lời số {i}: 15 ngày kể từ ngày tuyên án.", field="dân sự",
                         submit=True, check_citations=False)
    engine.dispose()


def test_sigkill_while_approving_then_reconcile(tmp_path, e5_model_dir):
    from assistant.kb.db import make_engine
    from assistant.kb.models import QAEntry

    data = tmp_path / "data"
    url = f"sqlite:///{data / 'troly.db'}"
    _seed_entries(url)
    env = _env(data, e5_model_dir)
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests/reliability/approve_loop.py")],
                            env=env, cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    approved_lines = 0
    for line in proc.stdout:  # killed as soon as the 15th approval is reported
        approved_lines += line.startswith("approved")
        if approved_lines == 15:
            break
    assert proc.poll() is None and approved_lines == 15
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    done = subprocess.run([sys.executable, "-c", "from api.cli_ops import index_reconcile; "
                           "index_reconcile()"], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr

    engine = make_engine(url)
    with engine.connect() as conn:
        approved = {str(i) for i in conn.scalars(select(QAEntry.id).where(
            QAEntry.status == "approved"))}
    engine.dispose()
    assert 15 <= len(approved) < N_ENTRIES
    print(f"killed after {len(approved)}/{N_ENTRIES} approvals; reconcile: {done.stdout.strip()!r}")
    store = _open_store(data, "qa")  # the Q&A entries' own store
    try:
        docs = store.filter_documents({"field": "meta.kind", "operator": "==", "value": "qa"})
        indexed = [str(d.meta["entry_id"]) for d in docs]
        assert len(indexed) == len(set(indexed)) == N_ENTRIES  # pending ones too (duplicate check)
        assert {str(d.meta["entry_id"]) for d in docs if d.meta["status"] == "approved"} == approved
    finally:
        store.close()
