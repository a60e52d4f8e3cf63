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
from haystack.document_stores.types import DuplicatePolicy

from assistant.kb.db import session_scope
from assistant.kb.models import QAEntry
from assistant.kb.services.index_sync import reconcile_qa
from assistant.kb.services.qa import index_entry
from assistant.query_pipeline import QA_FILTER
from assistant.search_engine import MOVED, LegalSearchEngine
from assistant.search_types import QAIndexEntry, qa_fingerprint
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


def _approved_appeal_entry(factory, ids) -> QAIndexEntry:
    """An approved entry on the civil appeal deadline in the database, as the index writes it."""
    with session_scope(factory) as s:
        row = QAEntry(question=APPEAL, answer="15 ngày, kể từ ngày tuyên án.", field="dân sự",
                      citation_text="Điều 273 BLTTDS", article_ids=["37.5.LQ.273"], tags=[],
                      status="approved", author_id=ids["judge"], court_id=ids["court"])
        s.add(row)
        s.flush()
        return index_entry(row)


def test_reconcile_moves_entries_left_in_the_legal_store(engine, kb):  # noqa: F811
    """An index written before the entries had a store of their own holds them among the
    laws: they read as :data:`MOVED`, so the reconcile deletes them there and writes the
    entry into the Q&A store; one the database no longer has is just deleted."""
    factory, ids = kb
    current = _approved_appeal_entry(factory, ids)
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


def _view_fields(view) -> dict:
    from dataclasses import fields

    import numpy as np

    return {f.name: (getattr(view, f.name).tolist() if isinstance(getattr(view, f.name), np.ndarray)
                     else getattr(view, f.name)) for f in fields(view) if f.name != "extra"}


def test_an_entry_s_point_carries_the_view_the_verifier_would_build(engine):
    """The words, facets and article numbers of an entry's view are written into its point
    (``meta.view``) and read back at ask time: equal to the view built from its text."""
    entries = [
        _entry("1", question="Theo Điều 273 BLTTDS, thời hạn kháng cáo bản án sơ thẩm là bao lâu?",
               citation_text="Điều 273 BLTTDS"),
        _entry("2", question="thoi han khang nghi ban an hinh su phuc tham", field="hình sự", article_ids=(),
               answer="VKS kháng nghị trong 15 ngày."),
        _entry("3", question="HĐXX hoãn phiên tòa phúc thẩm khi nào?", status="pending", answer=""),
    ]
    engine.upsert_qa(entries)
    docs = engine.qa_store.get_documents_by_id([f"qa:{e.entry_id}" for e in entries])
    assert len(docs) == 3
    for doc in docs:
        assert doc.meta["view"]["key"] == engine.analyzer.view_key
        meta_without = {k: v for k, v in doc.meta.items() if k != "view"}
        read = engine.candidate_view(doc.meta, doc.embedding)
        built = engine.candidate_view(meta_without, doc.embedding)
        assert _view_fields(read) == _view_fields(built)
        assert read.tokens and read.facets
    # the ask reads the stored parts: the only text view the analyzer builds is the question's
    engine.analyzer._text_view.cache_clear()
    hits = engine.search_qa(entries[0].question, top_k=3)
    assert [h.entry_id for h in hits] == ["1", "2"]  # the pending entry is no ask's
    assert engine.analyzer._text_view.cache_info().currsize == 1


def test_reconcile_rewrites_points_written_before_views_were_stored(engine, kb):  # noqa: F811
    """A point of an earlier layout (QA_INDEX_VERSION 3: no ``meta.view``) reads as stale, so
    the reconcile rewrites it with the view; the second reconcile writes nothing."""
    factory, ids = kb
    current = _approved_appeal_entry(factory, ids)
    with session_scope(factory) as s:  # the index as the database has it (the module's rows)
        reconcile_qa(s, engine)
    doc = engine.qa_store.get_documents_by_id([f"qa:{current.entry_id}"])[0]
    old_meta = {k: v for k, v in doc.meta.items() if k != "view"} | {"qa_index_version": 3}
    engine.qa_store.write_documents([replace(doc, meta=old_meta)], policy=DuplicatePolicy.OVERWRITE)
    assert engine.qa_fingerprints()[current.entry_id] == [qa_fingerprint(current, version=3)]
    assert "view" not in engine.qa_store.get_documents_by_id([doc.id])[0].meta

    with session_scope(factory) as s:
        report = reconcile_qa(s, engine)
    assert (report["qa_stale"], report["qa_upserted"]) == (1, 1)
    assert engine.qa_fingerprints()[current.entry_id] == [qa_fingerprint(current)]
    meta = engine.qa_store.get_documents_by_id([doc.id])[0].meta
    assert meta["view"]["key"] == engine.analyzer.view_key and meta["view"]["tokens"]
    with session_scope(factory) as s:
        assert reconcile_qa(s, engine)["qa_upserted"] == 0
