"""What a server worker keeps in memory across requests must not make it answer
differently from the others (`troly serve --workers N`; docs/deployment.md, "What each
worker keeps in memory"): here, the match thresholds stay those of the model it loaded."""

from __future__ import annotations

import json

from assistant.answer_match.thresholds import DEFAULT_MODEL, MODEL_DIR, Thresholds
from tests.api.helpers import approved_entry

CRIMINAL = dict(question="Thời hạn kháng cáo bản án hình sự sơ thẩm là bao lâu?",
                answer="15 ngày kể từ ngày tuyên án (Điều 333 BLTTHS).", field="hình sự",
                citation_text="Điều 333 BLTTHS")
CIVIL_QUESTION = "Thời hạn kháng cáo bản án dân sự sơ thẩm là bao lâu?"


def _ask(env) -> dict:
    r = env.client.post("/api/v1/ask", headers=env.h("judge2"), json={"question": CIVIL_QUESTION})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_model_calibrated_while_serving_is_used_with_its_thresholds_after_a_restart(env):
    criminal = approved_entry(env, "judge2", **CRIMINAL)
    target = env.settings.data_dir / MODEL_DIR / "model-v1.json"
    try:
        assert _ask(env)["answer"] is None  # a near miss: another field
        # `troly model calibrate` writes a newer model whose thresholds would take anything
        model = json.loads(DEFAULT_MODEL.read_text("utf-8"))
        model["thresholds"] = {"answer": 0.0, "related": 0.0, "duplicate": 0.0}
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(model), "utf-8")
        assert env.settings.match_thresholds() == Thresholds(0.0, 0.0, 0.0)
        # this worker still decides with the loaded model's thresholds, as its engine
        # still scores with that model: no worker mixes a new model's numbers with an old one
        body = _ask(env)
        assert body["answer"] is None and body["answered"] is False
    finally:
        target.unlink(missing_ok=True)
        env.client.post(f"/api/v1/review/{criminal['id']}/retire", headers=env.h("reviewer"))


def test_a_reconcile_on_a_starting_worker_does_not_undo_an_approval_made_meanwhile(env):
    """Another worker approves an entry between this worker's read of the entries and its
    read of the index (made deterministic: the approval runs inside that index read)."""
    from assistant.kb.services.index_sync import reconcile_qa
    from tests.api.helpers import make_entry
    from tests.fakes import FakeSearchEngine

    app = env.client.app
    saved = app.state.search_engine

    class ApprovedMeanwhile(FakeSearchEngine):
        entry_id: int | None = None

        def qa_fingerprints(self):
            if self.entry_id is not None:
                entry_id, self.entry_id = self.entry_id, None
                r = env.client.post(f"/api/v1/review/{entry_id}/approve", headers=env.h("reviewer"))
                assert r.status_code == 200, r.text
            return super().qa_fingerprints()

    search = app.state.search_engine = ApprovedMeanwhile()
    entry = None
    try:
        entry = make_entry(env, "judge1", submit=True, question="Thời hạn hoãn phiên tòa sơ thẩm?")
        assert search.qa[str(entry["id"])].status == "pending"
        search.entry_id = entry["id"]
        with env.session() as s:
            report = reconcile_qa(s, search)
        assert search.qa[str(entry["id"])].status == "approved"
        assert report["qa_upserted"] == report["qa_deleted"] == report["qa_stale"] == 0
    finally:
        app.state.search_engine = saved
        if entry is not None:
            env.client.post(f"/api/v1/review/{entry['id']}/retire", headers=env.h("reviewer"))


def test_a_withdrawal_waits_for_a_reconcile_that_read_the_document_as_confirmed(env, db_url):
    """A starting worker reconciles (re-indexes every confirmed upload) while another
    worker withdraws one of them: the withdrawal waits for the reconcile's row lock, so its
    deletion from the index comes last (it came first, and the reconcile wrote the articles
    back). Row locks: PostgreSQL only (SQLite serves one worker)."""
    import threading

    import pytest
    from sqlalchemy import text

    from assistant.kb.services.index_sync import reconcile_legal_documents
    from tests.fakes import FakeSearchEngine

    if not db_url.startswith("postgresql"):
        pytest.skip("row locks between workers: PostgreSQL")

    class Held(FakeSearchEngine):
        """Waits at the start of each indexing while ``release`` is unset."""

        def __init__(self) -> None:
            super().__init__()
            self.reached, self.release = threading.Event(), threading.Event()
            self.release.set()

        def index_legal_articles(self, articles, on_progress=None):
            self.reached.set()
            assert self.release.wait(30)
            return super().index_legal_articles(articles, on_progress)

    app = env.client.app
    saved = app.state.search_engine
    search = app.state.search_engine = Held()
    L = "/api/v1/legal-documents"
    try:
        law = "LUẬT\nRÚT LẠI KHI ĐỐI CHIẾU\n\nĐiều 1. Phạm vi\nLuật này thử việc rút lại.\n"
        doc = env.client.post(L, headers=env.h("reviewer"), files={"file": ("rut.txt", law.encode())}).json()
        assert env.client.post(f"{L}/{doc['id']}/confirm", headers=env.h("reviewer")).status_code == 202
        waited = threading.Event()
        for _ in range(2000):  # until the job has confirmed it (polls, an observable end)
            if env.client.get(f"{L}/{doc['id']}/progress", headers=env.h("reviewer")).json()["status"] == "confirmed":
                break
            waited.wait(0.01)
        source = f"upload-{doc['id']}.txt"
        assert source in search.legal
        search.reached.clear()
        search.release.clear()

        def reconcile() -> None:
            with env.session() as s:
                reconcile_legal_documents(s, search)

        withdrawn: list = []
        reconciling = threading.Thread(target=reconcile)
        withdrawing = threading.Thread(target=lambda: withdrawn.append(
            env.client.post(f"{L}/{doc['id']}/withdraw", headers=env.h("reviewer"))))
        reconciling.start()
        assert search.reached.wait(30)  # the reconcile read the document as confirmed
        withdrawing.start()
        for _ in range(3000):  # until the withdrawal waits on the row (or, unlocked, is done)
            with env.session() as s:  # a transaction each: pg_stat_activity is read once in one
                locked = s.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE "
                                       "wait_event_type = 'Lock' AND datname = current_database()"))
            if locked or not withdrawing.is_alive():
                break
            waited.wait(0.01)
        search.release.set()
        reconciling.join(30)
        withdrawing.join(30)
        assert withdrawn[0].status_code == 200 and withdrawn[0].json()["status"] == "withdrawn"
        assert source not in search.legal
    finally:
        search.release.set()
        app.state.search_engine = saved
