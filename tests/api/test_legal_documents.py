"""Legal text upload → preview → confirm (a background job with progress) → withdraw;
discard before confirming; the same file twice is refused."""

import io
import threading

from assistant.kb.services.legal_documents import INTERRUPTED, IndexingJobs, get_document, progress
from tests.fakes import FakeSearchEngine

L = "/api/v1/legal-documents"
LAW = ("LUẬT\nSỬA ĐỔI THỬ NGHIỆM\n\nĐiều 1. Phạm vi điều chỉnh\nLuật này quy định thử nghiệm.\n\n"
       "Điều 2. Đối tượng áp dụng\n1. Cơ quan, tổ chức.\n2. Cá nhân.\n")


def test_upload_preview_confirm(env):
    r = env.client.post(L, headers=env.h("reviewer"), files={"file": ("luat.txt", LAW.encode())},
                        data={"effective_date": "2025-07-01"})
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["status"] == "preview" and doc["article_count"] == 2
    assert [p["article_number"] for p in doc["preview"]] == ["1", "2"]
    r = env.client.post(f"{L}/{doc['id']}/confirm", headers=env.h("reviewer"))
    assert r.status_code == 202 and r.json()["status"] == "indexing"
    assert _finished(env, doc["id"])["status"] == "confirmed"
    assert env.client.post(f"{L}/{doc['id']}/confirm", headers=env.h("reviewer")).status_code == 409
    assert doc["id"] in [d["id"] for d in env.client.get(L, headers=env.h("admin")).json()]


def test_upload_docx(env):
    from docx import Document

    d = Document()
    for line in LAW.splitlines():
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    r = env.client.post(L, headers=env.h("admin"), files={"file": ("luat.docx", buf.getvalue())})
    assert r.status_code == 201, r.text and r.json()["article_count"] == 2


def test_upload_bad_files(env):
    cases = [("a.pdf", b"%PDF", ".txt, .md hoặc .docx"), ("a.txt", b"", "rỗng"),
             ("a.txt", b"\x00\x01\x02binary", "nhị phân"),
             ("a.txt", "không có điều nào".encode(), "Không tìm thấy điều"),
             ("a.docx", b"PK\x03\x04garbage", "")]
    for name, data, needle in cases:
        r = env.client.post(L, headers=env.h("reviewer"), files={"file": (name, data)})
        assert r.status_code == 422, (name, r.text)
        assert needle in r.json()["detail"]
    assert env.client.post(L, headers=env.h("judge1"), files={"file": ("a.txt", LAW.encode())}).status_code == 403
    assert env.client.post(L, files={"file": ("a.txt", LAW.encode())}).status_code == 401
    assert env.client.post(f"{L}/99999/confirm", headers=env.h("reviewer")).status_code == 404


def _finished(env, doc_id):
    """Polls the progress route until the job has ended (an observable event, no sleep)."""
    done = threading.Event()
    for _ in range(2000):
        p = env.client.get(f"{L}/{doc_id}/progress", headers=env.h("reviewer")).json()
        if p["status"] != "indexing":
            return p
        done.wait(0.01)
    raise AssertionError("the confirmation never finished")


def _law(n: int) -> bytes:
    return (f"LUẬT\nTHỬ NGHIỆM SỐ {n}\n\n" + "".join(
        f"Điều {i}. Điều thử {i}\n1. Khoản một:\na) điểm a;\nb) điểm b.\n2. Khoản hai.\n\n"
        for i in range(1, 4))).encode()


def test_same_file_twice_is_refused_until_withdrawn(env):
    data = _law(1)
    r = env.client.post(L, headers=env.h("reviewer"), files={"file": ("a.txt", data)})
    assert r.status_code == 201
    first = r.json()
    r = env.client.post(L, headers=env.h("admin"), files={"file": ("ten-khac.txt", data)})
    assert r.status_code == 409 and "đã được tải lên ngày" in r.json()["detail"]
    # a discarded preview no longer blocks the file
    assert env.client.delete(f"{L}/{first['id']}", headers=env.h("reviewer")).status_code == 204
    assert env.client.get(f"{L}/{first['id']}", headers=env.h("reviewer")).status_code == 404
    r = env.client.post(L, headers=env.h("reviewer"), files={"file": ("a.txt", data)})
    assert r.status_code == 201


def test_preview_lines_keep_khoan_and_diem_apart(env):
    r = env.client.post(L, headers=env.h("reviewer"), files={"file": ("b.txt", _law(2))})
    lines = r.json()["preview"][0]["lines"]
    assert [(x["kind"], x["label"], x["text"]) for x in lines] == [
        ("clause", "1.", "Khoản một:"), ("point", "a)", "điểm a;"), ("point", "b)", "điểm b."),
        ("clause", "2.", "Khoản hai.")]


def test_confirm_reports_progress_then_withdraw_removes_articles(env):
    app = env.client.app
    saved = app.state.search_engine
    engine = app.state.search_engine = FakeSearchEngine()
    engine.gate = threading.Event()
    try:
        doc = env.client.post(L, headers=env.h("reviewer"), files={"file": ("c.txt", _law(3))}).json()
        assert env.client.delete(f"{L}/{doc['id']}", headers=env.h("judge1")).status_code == 403
        r = env.client.post(f"{L}/{doc['id']}/confirm", headers=env.h("reviewer"))
        assert r.status_code == 202
        assert engine.halfway.wait(30)
        p = env.client.get(f"{L}/{doc['id']}/progress", headers=env.h("reviewer")).json()
        assert (p["status"], p["done"], p["total"], p["percent"]) == ("indexing", 1, 3, 33)
        assert env.client.post(f"{L}/{doc['id']}/confirm", headers=env.h("reviewer")).status_code == 409
        assert env.client.delete(f"{L}/{doc['id']}", headers=env.h("reviewer")).status_code == 409
        engine.gate.set()
        p = _finished(env, doc["id"])
        assert (p["status"], p["percent"]) == ("confirmed", 100)
        source = f"upload-{doc['id']}.txt"
        assert len(engine.legal[source]) == 3
        assert env.client.delete(f"{L}/{doc['id']}", headers=env.h("reviewer")).status_code == 409
        r = env.client.post(f"{L}/{doc['id']}/withdraw", headers=env.h("reviewer"))
        assert r.status_code == 200 and r.json()["status"] == "withdrawn"
        assert r.json()["status_label"] == "Đã rút lại"
        assert source not in engine.legal
        assert env.client.post(f"{L}/{doc['id']}/withdraw", headers=env.h("reviewer")).status_code == 409
        # withdrawn: the same file may come again
        assert env.client.post(L, headers=env.h("reviewer"), files={"file": ("c.txt", _law(3))}).status_code == 201
    finally:
        app.state.search_engine = saved


def test_failed_indexing_leaves_the_preview_with_a_message(env):
    app = env.client.app
    saved = app.state.search_engine

    class Broken(FakeSearchEngine):
        def index_legal_articles(self, articles, on_progress=None):
            raise RuntimeError("disk full")

    app.state.search_engine = Broken()
    try:
        doc = env.client.post(L, headers=env.h("reviewer"), files={"file": ("d.txt", _law(4))}).json()
        env.client.post(f"{L}/{doc['id']}/confirm", headers=env.h("reviewer"))
        p = _finished(env, doc["id"])
        assert p["status"] == "preview" and "thất bại" in p["error"]
    finally:
        app.state.search_engine = saved


class _EndsInTheWindow(IndexingJobs):
    """Jobs that run a whole confirmation between a poll's read of the row and its
    running() check: the interleaving behind a CI failure, made deterministic."""

    def __init__(self, factory, engine) -> None:
        super().__init__()
        self.factory, self.engine = factory, engine

    def running(self, doc_id: int) -> bool:
        if self.get(doc_id) is None:
            self.start(self.factory, self.engine, doc_id, inline=True)
        return super().running(doc_id)


def _poll_while_the_job_ends(env, engine, name: str, size: int) -> tuple[dict, str]:
    doc = env.client.post(L, headers=env.h("reviewer"), files={"file": (name, _law(size))}).json()
    with env.session() as s:
        get_document(s, doc["id"]).status = "indexing"
    with env.session() as poll:
        p = progress(poll, _EndsInTheWindow(env.session_factory, engine), doc["id"])
    with env.session() as s:
        return p, get_document(s, doc["id"]).status


def test_a_poll_that_read_the_row_before_the_job_failed_keeps_the_failure(env):
    class Broken(FakeSearchEngine):
        def index_legal_articles(self, articles, on_progress=None):
            raise RuntimeError("disk full")

    p, stored = _poll_while_the_job_ends(env, Broken(), "e.txt", 7)
    assert (p["status"], stored) == ("preview", "preview") and "thất bại" in p["error"]


def test_a_poll_that_read_the_row_before_the_job_succeeded_keeps_it_confirmed(env):
    p, stored = _poll_while_the_job_ends(env, FakeSearchEngine(), "g.txt", 9)
    assert (p["status"], p["error"], stored) == ("confirmed", None, "confirmed")


def test_a_job_lost_to_a_restart_is_reported_as_interrupted(env):
    doc = env.client.post(L, headers=env.h("reviewer"), files={"file": ("f.txt", _law(8))}).json()
    with env.session() as s:
        get_document(s, doc["id"]).status = "indexing"
    with env.session() as s:
        p = progress(s, IndexingJobs(), doc["id"])
    assert (p["status"], p["error"]) == ("preview", INTERRUPTED)
