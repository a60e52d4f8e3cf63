"""The knowledge base's Q&A entries in a store of their own, beside the laws' (the real
engine on the demo pages): contributions never move the laws' ranking, and an index
written when both lived in one store is put right by the reconcile.

Why it matters: Qdrant's IDF counts every point of a collection, so 50,000 entries in the
laws' collection re-weighted the legal terms (529 of 682 court_subset rankings moved) and
every legal query filtered them out of its scan (docs/benchmarks.md, "Search at volume").
"""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from assistant.kb.db import session_scope
from assistant.kb.models import QAEntry
from assistant.kb.services.index_sync import reconcile_qa
from assistant.kb.services.qa import index_entry
from assistant.query_pipeline import QA_FILTER
from assistant.search_engine import MOVED, LegalSearchEngine
from assistant.search_types import qa_fingerprint
from assistant.settings import Settings
from tests.test_search_contract import APPEAL, _entry, indexed_dir, kb  # noqa: F401 - fixtures

QUESTIONS = (
    "Thời hạn kháng cáo bản án sơ thẩm dân sự", "Thẩm phán trả lại đơn khởi kiện khi nào",
    "Tạm đình chỉ giải quyết vụ án dân sự", "Án phí phúc thẩm do ai nộp", "Hoãn phiên tòa phúc thẩm",
)


@pytest.fixture
def engine(tmp_path, e5_model_dir, indexed_dir):  # noqa: F811 - the imported fixture
    from assistant.engine_factory import open_engine

    shutil.copytree(indexed_dir, tmp_path / "data")
    settings = Settings(data_dir=tmp_path / "data", model_path=e5_model_dir, log_format="none", _env_file=None)
    engine = open_engine(settings, bulk=False)
    yield engine
    engine.close()


def _articles(engine: LegalSearchEngine) -> list[list[tuple[str, float]]]:
    return [[(a.article_id, a.score) for a in engine.ask(q, top_k=5, qa_top_k=0).articles] for q in QUESTIONS]


def test_entries_go_to_their_own_store_and_leave_the_laws_ranking_alone(engine):
    before = _articles(engine)
    entries = [_entry(str(i), question=f"{q} (lần {i})", answer=f"Trả lời số {i} về {q.lower()}.")
               for i, q in enumerate(QUESTIONS * 8)]
    engine.upsert_qa(entries)
    assert engine.qa_store.count_documents() == 40
    assert engine.store.count_documents_by_filter(QA_FILTER) == 0
    assert _articles(engine) == before  # same articles, same scores: the legal IDF is the laws' alone
    assert engine.search_qa(QUESTIONS[0], top_k=1)[0].question.startswith(QUESTIONS[0])
    engine.delete_qa([e.entry_id for e in entries])
    assert engine.qa_store.count_documents() == 0


def test_reconcile_moves_entries_left_in_the_legal_store(engine, kb):  # noqa: F811
    """An index written before the entries had a store of their own holds them among the
    laws: they read as :data:`MOVED`, so the reconcile deletes them there and writes the
    entry into the Q&A store; one the database no longer has is just deleted."""
    factory, ids = kb
    with session_scope(factory) as s:
        row = QAEntry(question=APPEAL, answer="15 ngày, kể từ ngày tuyên án.", field="dân sự",
                      citation_text="Điều 273 BLTTDS", article_ids=["37.5.LQ.273"], tags=[],
                      status="approved", author_id=ids["judge"], court_id=ids["court"])
        s.add(row)
        s.flush()
        current = index_entry(row)
    # what an earlier release wrote: one store for both
    earlier = LegalSearchEngine(engine.store, engine._text_embedder, qa_store=engine.store)
    earlier.upsert_qa([current, replace(current, entry_id="987654")])
    assert engine.store.count_documents_by_filter(QA_FILTER) == 2
    assert engine.qa_fingerprints() == {current.entry_id: [MOVED], "987654": [MOVED]}
    assert engine.search_qa(APPEAL, top_k=1) == []  # the ask reads the Q&A store only

    with session_scope(factory) as s:
        report = reconcile_qa(s, engine)
    assert (report["qa_stale"], report["qa_deleted"], report["qa_upserted"]) == (1, 1, 1)
    assert engine.store.count_documents_by_filter(QA_FILTER) == 0
    assert engine.qa_fingerprints() == {current.entry_id: [qa_fingerprint(current)]}
    assert engine.search_qa(APPEAL, top_k=1)[0].entry_id == current.entry_id
    with session_scope(factory) as s:
        assert reconcile_qa(s, engine)["qa_upserted"] == 0
