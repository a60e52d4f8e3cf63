"""End to end on a small fixture corpus: real e5 model, real Qdrant Edge shard, hybrid search.

Slow-ish (loads the model once per module) but this is the behaviour judges rely on.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.engine_factory import open_engine
from assistant.query_processing import QueryError
from assistant.search_engine import RESTORER_FILE
from assistant.search_types import QAIndexEntry
from assistant.settings import Settings
from corpus.plaintext_law import LegalParseError
from indexing.embedders import document_embedder
from indexing.legal_index import index_articles, parse_sources

# The demo knowledge base's own legal pages (a few real BLTTDS/BLTTHS articles).
FIXTURES = Path(__file__).parents[1] / "corpus" / "data" / "demo"


@pytest.fixture(scope="module")
def settings(tmp_path_factory, e5_model_dir) -> Settings:
    data = tmp_path_factory.mktemp("data")
    return Settings(data_dir=data, model_path=e5_model_dir)


@pytest.fixture(scope="module")
def indexed(settings):
    """Index the two fixture pages once; returns (engine, corpus folder)."""
    folder = settings.data_dir / "laws"
    shutil.copytree(FIXTURES, folder)
    engine = open_engine(settings)
    result = engine.index_legal_articles(parse_sources([folder]))
    assert result.report.added == result.documents > 0
    assert (settings.index_dir / RESTORER_FILE).is_file()
    return engine, folder


@pytest.mark.parametrize(
    ("question", "article"),
    [
        ("Thời hạn kháng cáo bản án sơ thẩm dân sự là bao lâu?", "37.5.LQ.273"),
        ("thoi han khang cao ban an so tham ds", "37.5.LQ.273"),
        ("Khi nào Thẩm phán trả lại đơn khởi kiện?", "37.5.LQ.192"),
        ("tra lai don khoi kien khi nao", "37.5.LQ.192"),
        ("HĐXX hoãn phiên tòa tối đa bao lâu", "37.5.LQ.233"),
        ("VKS cấp trên kháng nghị bản án sơ thẩm trong bao lâu", "37.5.LQ.280"),
        ("thời hạn kháng cáo theo BLTTHS", "37.7.LQ.333"),
        ("tam giam bi can toi rat nghiem trong toi da may thang", "37.7.LQ.173"),
    ],
)
def test_questions_find_their_article_first(indexed, question, article):
    engine, _ = indexed
    result = engine.ask(question, top_k=5)
    assert result.articles[0].article_id == article, [a.article_id for a in result.articles]


def test_hit_carries_citation_and_best_clause(indexed):
    engine, _ = indexed
    hit = engine.ask("Thời hạn kháng cáo bản án sơ thẩm vụ án dân sự là bao lâu", top_k=3).articles[0]
    assert hit.law_short == "BLTTDS 2015" and hit.law_number == "92/2015/QH13"
    assert hit.citation.startswith("khoản 1 Điều 273 Bộ luật Tố tụng dân sự 2015")
    assert "15 ngày" in hit.highlight
    assert engine.get_article("37.5.LQ.273").title == "Thời hạn kháng cáo"
    assert engine.get_article("99.9.LQ.999") is None


def test_sparse_and_dense_modes_answer_too(settings, indexed):
    for mode in ("sparse", "dense"):
        engine = open_engine(settings, mode=mode)
        assert engine.ask("Thời hạn kháng cáo bản án sơ thẩm", top_k=3).articles[0].article_id in {
            "37.5.LQ.273",
            "37.7.LQ.333",
        }


def test_bad_questions_are_refused_clearly(indexed):
    engine, _ = indexed
    for bad in ("", "   \u200b ", "x" * 100_000):
        with pytest.raises(QueryError):
            engine.ask(bad)


def test_qa_entries_become_searchable_and_vanish(indexed):
    engine, _ = indexed
    entry = QAIndexEntry(
        entry_id="42",
        question="Đương sự vắng mặt khi tuyên án thì thời hạn kháng cáo tính từ khi nào?",
        answer="Tính từ ngày đương sự nhận được bản án hoặc bản án được niêm yết (khoản 1 Điều 273 BLTTDS).",
        field="dân sự",
        article_ids=("37.5.LQ.273",),
    )
    engine.upsert_qa([entry])
    hits = engine.search_qa("vang mat khi tuyen an thi khang cao tinh tu ngay nao", top_k=3)
    assert hits and hits[0].entry_id == "42" and hits[0].article_ids == ("37.5.LQ.273",)
    assert engine.qa_entry_ids() == {"42"}
    # Q&A never shows up among legal articles
    assert all(a.article_id.startswith("37.") for a in engine.ask("vắng mặt khi tuyên án", top_k=10).articles)
    engine.delete_qa(["42"])
    assert engine.search_qa("vắng mặt khi tuyên án", top_k=3) == []


def test_a_scenario_question_is_ordered_by_the_answer_that_covers_it(indexed):
    """Two entries whose questions read alike; the judge's scenario question is answered by
    the one whose *answer* covers it. Each point carries its answer's e5 passage vector and
    the verifier's order (QAHit.rank) reads it; the confidence does not."""
    import numpy as np

    from assistant.answer_match.features import answer_shortfall

    engine, _ = indexed
    return_entry = QAIndexEntry(
        "71", "Những trường hợp nào Thẩm phán trả lại đơn khởi kiện vụ án dân sự?",
        "Theo Điều 192 BLTTDS, Thẩm phán trả lại đơn khởi kiện khi người khởi kiện không có quyền khởi kiện, "
        "hết thời hạn mà người khởi kiện không nộp tiền tạm ứng án phí, sự việc đã được giải quyết bằng "
        "bản án đã có hiệu lực pháp luật…", "dân sự", article_ids=("37.5.LQ.192",))
    complaint_entry = QAIndexEntry(
        "72", "Thời hạn khiếu nại việc Thẩm phán trả lại đơn khởi kiện vụ án dân sự là bao lâu?",
        "Trong thời hạn 07 ngày làm việc, kể từ ngày nhận được đơn khởi kiện và tài liệu, chứng cứ kèm theo "
        "mà Thẩm phán trả lại, người khởi kiện có quyền khiếu nại với Chánh án Tòa án đã trả lại đơn.",
        "dân sự", article_ids=("37.5.LQ.194",))
    engine.upsert_qa([return_entry, complaint_entry])
    try:
        question = "Người khởi kiện không nộp tạm ứng án phí đúng hạn thì Thẩm phán có trả lại đơn không?"
        view = engine.question_view(question)
        candidates = [engine.entry_view(e) for e in (return_entry, complaint_entry)]
        assert all(c.answer_vector is not None for c in candidates)
        np.testing.assert_allclose(np.linalg.norm(candidates[0].answer_vector), 1.0, atol=1e-3)
        shortfall = answer_shortfall(view, candidates)
        assert shortfall[0] == 0.0 > shortfall[1]
        hits = engine.search_qa(question, top_k=2)
        assert [h.entry_id for h in hits][0] == "71"
        assert hits[0].rank >= hits[1].rank
    finally:
        engine.delete_qa(["71", "72"])


def test_reindex_is_incremental_and_removes_deleted_articles(indexed):
    engine, folder = indexed
    embedder = engine.document_embedder
    again = index_articles(engine.store, embedder, parse_sources([folder]))
    assert (again.report.added, again.report.updated, again.report.removed) == (0, 0, 0)
    page = folder / "to-tung-mini.md"
    original = page.read_text("utf-8")
    try:
        changed = original.replace("không quá 01 tháng", "không quá 02 tháng")
        start = changed.index("Điều 37.5.LQ.280.")
        changed = changed[:start] + changed[changed.index("## Danh sách điều khoản") :]
        page.write_text(changed, "utf-8")
        report = index_articles(engine.store, embedder, parse_sources([folder])).report
        assert report.updated >= 1 and report.removed >= 1 and report.added == 0
        assert engine.get_article("37.5.LQ.280") is None
        assert "02 tháng" in engine.get_article("37.5.LQ.233").text
    finally:
        page.write_text(original, "utf-8")
        index_articles(engine.store, embedder, parse_sources([folder]))
    assert engine.get_article("37.5.LQ.280") is not None


@pytest.mark.parametrize(
    "content", [b"\x00\x01\x02\xff\xfe binary", b"", "Chỉ là một đoạn văn, không có điều nào.".encode()]
)
def test_bad_law_files_leave_the_index_intact(indexed, tmp_path, content):
    engine, _ = indexed
    before = engine.store.count_documents()
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    with pytest.raises(LegalParseError):
        parse_sources([bad])
    assert engine.store.count_documents() == before


def test_document_embedder_factory_refuses_unknown_backend(e5_model_dir):
    with pytest.raises(ValueError):
        document_embedder(e5_model_dir, "cuda-magic")


@pytest.mark.parametrize(
    "question",
    [
        "Thời hạn kháng cáo bản án sơ thẩm dân sự là bao lâu?",
        "tra lai don khoi kien khi nao",
        "thời hạn kháng cáo theo BLTTHS",
    ],
)
def test_pipeline_built_directly_ranks_as_the_engine(settings, indexed, question):
    """One ranking config: a pipeline built with RankingConfig() ranks exactly as production."""
    from assistant.query_pipeline import build_query_pipeline
    from assistant.ranking_config import RankingConfig
    from indexing.embedders import text_embedder
    from indexing.pipeline_runner import run_acyclic

    engine, _ = indexed
    assert engine.ranking == settings.ranking == RankingConfig()
    pipeline = build_query_pipeline(engine.store, text_embedder(settings.model_dir, settings.embedding_backend),
                                    RankingConfig(), restorer_path=str(settings.index_dir / RESTORER_FILE))
    pipeline.warm_up()
    out = run_acyclic(pipeline, {"preprocess": {"query": question}, "articles": {"top_k": 5}})
    direct = [(d.meta["article_id"], d.score) for d in out["articles"]["documents"]]
    via_engine = [(a.article_id, a.score) for a in engine.ask(question, top_k=5).articles]
    assert [i for i, _ in direct] == [i for i, _ in via_engine]
    assert [s for _, s in direct] == pytest.approx([s for _, s in via_engine])


@pytest.mark.parametrize("question", ["thời hạn kháng cáo bản án sơ thẩm vụ án dân sự",
                                      "hoan phien toa toi da bao lau"])
def test_reranked_pipeline_built_directly_ranks_as_an_engine_with_that_config(settings, indexed, question):
    """The second stage sits after aggregation in both, fed by the same preprocessing."""
    from assistant.article_rerank import ArticleReranker
    from assistant.query_pipeline import build_query_pipeline
    from assistant.ranking_config import RankingConfig
    from assistant.search_engine import LegalSearchEngine
    from indexing.embedders import text_embedder
    from indexing.pipeline_runner import run_acyclic

    engine, _ = indexed
    ranking = RankingConfig(rerank=True, rerank_candidates=8)
    embedder = text_embedder(settings.model_dir, settings.embedding_backend)
    restorer = settings.index_dir / RESTORER_FILE
    pipeline = build_query_pipeline(engine.store, embedder, ranking, restorer_path=str(restorer))
    assert isinstance(pipeline.get_component("articles"), ArticleReranker)
    assert pipeline.graph.has_edge("aggregate", "articles") and pipeline.get_component("aggregate").top_k == 10
    pipeline.warm_up()
    out = run_acyclic(pipeline, {"preprocess": {"query": question}, "articles": {"top_k": 5}})
    direct = [(d.meta["article_id"], d.score) for d in out["articles"]["documents"]]
    reranked = LegalSearchEngine(engine.store, embedder, qa_store=engine.qa_store, ranking=ranking,
                                 restorer_path=restorer)
    via_engine = [(a.article_id, a.score) for a in reranked.ask(question, top_k=5).articles]
    assert [i for i, _ in direct] == [i for i, _ in via_engine]
    assert [s for _, s in direct] == pytest.approx([s for _, s in via_engine])
    assert set(direct) and all(0.0 < s < 1.0 for _, s in direct)


def test_aggregator_reads_the_laws_the_question_names(indexed):
    """The facet penalties need the codes the preprocessor found ("theo BLTTHS" is a criminal
    question even though its words are shared with the civil code)."""
    engine, _ = indexed
    edges = {(u, v, d["to_socket"].name) for u, v, d in engine.pipeline.graph.edges(data=True)}
    assert ("preprocess", "articles", "law_keys") in edges
    hits = engine.search_articles("thời hạn kháng cáo theo BLTTHS", top_k=3)
    assert hits[0].article_id == "37.7.LQ.333"
