"""The knowledge base's Q&A entries in a store of their own, beside the laws' (the real
engine on the demo pages): contributions never move the laws' ranking, and an index
written when both lived in one store is put right by the reconcile.

Why it matters: Qdrant's IDF counts every point of a collection, so 50,000 entries in the
laws' collection re-weighted the legal terms (529 of 682 court_subset rankings moved) and
every legal query filtered them out of its scan (docs/benchmarks.md, "Search at volume").

The last tests hold rewrites to embedding only what changed (``assistant.qa_vectors``),
with the Q&A points on an Edge shard and on qdrant-client's local mode: counted by the
engine's ``qa_embedded``, no timing.
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


# ------------------------------------------------------------------ vectors kept on rewrite
@pytest.fixture(params=["edge", "local"])
def writer(request, engine):
    """The engine writing its Q&A points to an Edge shard or to qdrant-client's local mode
    (the server stand-in): reuse reads the points it overwrites through either backend."""
    if request.param == "edge":
        yield engine
        return
    from indexing.document_store import client_document_store

    qa_store = client_document_store(location=":memory:", collection="legal", companion="qa")
    local = _sibling(engine, qa_store, engine.embedding_identity)
    yield local
    qa_store.close()


def _sibling(engine: LegalSearchEngine, qa_store, identity) -> LegalSearchEngine:
    """Another engine on the same laws and embedders, writing to ``qa_store`` as ``identity``."""
    return LegalSearchEngine(engine.store, engine._text_embedder, engine.document_embedder, qa_store=qa_store,
                             restorer_path=engine.restorer_path, verifier=engine.verifier,
                             embedding_identity=identity)


def _point(engine: LegalSearchEngine, entry_id: str):
    (doc,) = engine.qa_store.get_documents_by_id([f"qa:{entry_id}"])
    return doc


def _embedded(engine: LegalSearchEngine, entries) -> dict[str, int]:
    """How many questions and answers one upsert_qa embedded."""
    before = dict(engine.qa_embedded)
    engine.upsert_qa(entries)
    return {k: engine.qa_embedded[k] - before.get(k, 0) for k in ("question", "answer")}


def test_a_status_change_keeps_the_vectors_and_embeds_nothing(writer):
    pending = _entry("r1", status="pending", author=7)
    assert _embedded(writer, [pending]) == {"question": 1, "answer": 1}
    first = _point(writer, "r1")
    assert set(first.meta["vector_keys"]) == {"question", "answer"}

    approved = replace(pending, status="approved", tags=("kháng cáo",), citation_text="Điều 273 BLTTDS")
    assert _embedded(writer, [approved]) == {"question": 0, "answer": 0}
    point = _point(writer, "r1")
    assert point.meta["status"] == "approved" and point.meta["tags"] == ["kháng cáo"]
    assert point.meta["vector_keys"] == first.meta["vector_keys"]
    assert point.meta["answer_vector"] == first.meta["answer_vector"]
    assert point.embedding == pytest.approx(first.embedding, abs=1e-6)
    assert point.sparse_embedding == first.sparse_embedding
    assert writer.qa_fingerprints()["r1"] == [qa_fingerprint(approved)]
    assert writer.search_qa(APPEAL, top_k=1)[0].entry_id == "r1"
    writer.delete_qa(["r1"])


def test_changed_text_is_embedded_again_and_only_that(writer):
    entries = [_entry("t1"), _entry("t2", question="Thẩm phán trả lại đơn khởi kiện khi nào?",
                                    answer="Khi người khởi kiện không có quyền khởi kiện.")]
    assert _embedded(writer, entries) == {"question": 2, "answer": 2}
    old = {e.entry_id: _point(writer, e.entry_id) for e in entries}

    new_answer = replace(entries[0], answer="Một tháng, kể từ ngày tuyên án.")
    assert _embedded(writer, [new_answer, entries[1]]) == {"question": 0, "answer": 1}
    point = _point(writer, "t1")
    assert point.meta["answer_vector"] != old["t1"].meta["answer_vector"]
    assert point.embedding == pytest.approx(old["t1"].embedding, abs=1e-6)

    new_question = replace(entries[1], question="Khi nào Thẩm phán trả lại đơn khởi kiện?")
    assert _embedded(writer, [new_question]) == {"question": 1, "answer": 0}
    point = _point(writer, "t2")
    assert point.meta["vector_keys"]["question"] != old["t2"].meta["vector_keys"]["question"]
    assert point.meta["answer_vector"] == old["t2"].meta["answer_vector"]
    assert point.embedding != pytest.approx(old["t2"].embedding, abs=1e-6)

    no_answer = replace(new_question, answer="")  # a draft may have none: no answer vector, no key
    assert _embedded(writer, [no_answer]) == {"question": 0, "answer": 0}
    assert "answer_vector" not in _point(writer, "t2").meta
    assert set(_point(writer, "t2").meta["vector_keys"]) == {"question"}
    writer.delete_qa(["t1", "t2"])


def test_another_model_embeds_everything_again(writer):
    from assistant.qa_vectors import EmbeddingIdentity

    entry = _entry("m1")
    writer.upsert_qa([entry])
    ident = writer.embedding_identity
    for changed in (replace(ident, question=ident.question + " v2"), replace(ident, answer=ident.answer + " v2")):
        other = _sibling(writer, writer.qa_store, changed)
        wanted = {"question": int(changed.question != ident.question), "answer": int(changed.answer != ident.answer)}
        assert _embedded(other, [replace(entry, status="pending")]) == wanted
        assert _embedded(writer, [entry]) == wanted  # and back: the keys are the other model's now
    unkeyed = _sibling(writer, writer.qa_store, None)  # an engine that cannot name its model
    assert _embedded(unkeyed, [entry]) == {"question": 1, "answer": 1}
    assert "vector_keys" not in _point(writer, "m1").meta
    assert _embedded(writer, [entry]) == {"question": 1, "answer": 1}  # a point without keys: embedded
    assert isinstance(writer.embedding_identity, EmbeddingIdentity)
    writer.delete_qa(["m1"])


def test_a_layout_upgrade_rewrites_every_point_and_embeds_nothing(writer, kb):  # noqa: F811
    """The start-up reconcile after a QA_INDEX_VERSION bump (an earlier layout's points read
    as stale): each point is overwritten in place with its vectors kept, not deleted first."""
    factory, ids = kb
    current = _approved_appeal_entry(factory, ids)
    with session_scope(factory) as s:  # the index as the database has it (the module's rows)
        reconcile_qa(s, writer)
    points = writer.qa_store.filter_documents(QA_FILTER)
    assert current.entry_id in {d.meta["entry_id"] for d in points}
    writer.qa_store.write_documents([replace(d, meta=d.meta | {"qa_index_version": 3}) for d in points],
                                    policy=DuplicatePolicy.OVERWRITE)

    before = dict(writer.qa_embedded)
    with session_scope(factory) as s:
        report = reconcile_qa(s, writer)
    assert report["qa_stale"] == report["qa_upserted"] == len(points) and report["qa_deleted"] == 0
    assert dict(writer.qa_embedded) == before
    assert writer.qa_fingerprints()[current.entry_id] == [qa_fingerprint(current)]
    for old in points:
        assert _point(writer, old.meta["entry_id"]).embedding == pytest.approx(old.embedding, abs=1e-6)
    assert current.entry_id in [h.entry_id for h in writer.search_qa(APPEAL, top_k=5)]
