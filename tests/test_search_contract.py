"""One contract for every :class:`assistant.search_types.SearchEngine`: the real engine
(on the demo pages, in a tmp data dir), the same engine in its child process, and the
tests' in-memory fake answer the same assertions.

Why: services call only the Protocol, so whatever they rely on — statuses and drafts of
Q&A candidates, the ask's shape, exact article lookups, uploads indexed and withdrawn,
the fingerprints the start-up reconcile compares, a 422 for "?" — must hold for each of
them; the API tests run on the fake only because this suite holds the fake to the
engine's behaviour. Each implementation is opened once (module scope); every test
leaves the index as it found it.
"""

from __future__ import annotations

import inspect
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.kb.db import make_engine, make_session_factory, session_scope, upgrade_database
from assistant.kb.errors import KBError
from assistant.kb.models import LegalDocument, QAEntry
from assistant.kb.services.index_sync import rebuild, reconcile_all, reconcile_qa
from assistant.kb.services.legal_documents import upload_source
from assistant.kb.services.qa import index_entry
from assistant.query_processing import QueryError
from assistant.search_engine import LegalSearchEngine
from assistant.search_process import METHODS, PARENT_ONLY, SearchProcess
from assistant.search_types import (
    ENGINE_METHODS,
    SIMILAR_STATUSES,
    ArticleHit,
    AskResult,
    LegalIndexSummary,
    QAHit,
    QAIndexEntry,
    SearchEngine,
    qa_fingerprint,
)
from assistant.settings import Settings
from corpus.plaintext_law import parse_plaintext_law
from tests.fakes import FakeSearchEngine

DEMO_LAWS = Path(__file__).parents[1] / "corpus" / "data" / "demo"
IMPLEMENTATIONS = ["engine", "process", "fake"]
CLASSES = {"engine": LegalSearchEngine, "process": SearchProcess, "fake": FakeSearchEngine}
APPEAL = "Thời hạn kháng cáo bản án sơ thẩm dân sự là bao lâu?"
LAW = ("LUẬT\nHỢP TÁC THỬ NGHIỆM\n\nĐiều 1. Phạm vi điều chỉnh\nLuật này quy định hợp tác thử nghiệm "
       "giữa các cơ quan.\n\nĐiều 2. Đối tượng áp dụng\n1. Cơ quan, tổ chức tham gia hợp tác thử nghiệm.\n"
       "2. Cá nhân có liên quan.\n")
SECRET = "contract-secret-" + "x" * 32
PASSWORD = "matkhau-thu-2025"


def _entry(entry_id: str, status: str = "approved", author: int | None = None, **kw) -> QAIndexEntry:
    return QAIndexEntry(**{
        "entry_id": entry_id, "question": APPEAL, "answer": "15 ngày, kể từ ngày tuyên án.",
        "field": "dân sự", "article_ids": ("37.5.LQ.273",), "status": status, "author_id": author, **kw})


# ------------------------------------------------------------------ the implementations
@pytest.fixture(scope="module")
def indexed_dir(tmp_path_factory, e5_model_dir) -> Path:
    """A data dir with the demo pages indexed, copied for each real implementation."""
    data = tmp_path_factory.mktemp("contract-index")
    settings = Settings(data_dir=data, model_path=e5_model_dir, log_format="none", _env_file=None)
    from assistant.engine_factory import open_engine
    from indexing.legal_index import parse_sources

    shutil.copytree(DEMO_LAWS, data / "laws")
    engine = open_engine(settings)
    engine.index_legal_articles(parse_sources([data / "laws"]))
    engine.close()
    return data


@pytest.fixture(scope="module", params=IMPLEMENTATIONS)
def search(request, tmp_path_factory):
    if request.param == "fake":
        yield FakeSearchEngine()
        return
    model = request.getfixturevalue("e5_model_dir")
    data = tmp_path_factory.mktemp(f"contract-{request.param}")
    shutil.copytree(request.getfixturevalue("indexed_dir"), data, dirs_exist_ok=True)
    settings = Settings(data_dir=data, model_path=model, log_format="none", _env_file=None)
    if request.param == "engine":
        from assistant.engine_factory import open_engine

        impl = open_engine(settings, bulk=False)
    else:
        impl = SearchProcess(settings, connections=2)
    yield impl
    impl.close()


# ------------------------------------------------------------------ the Protocol itself
def test_the_childs_whitelist_is_the_protocol():
    assert METHODS == ENGINE_METHODS - PARENT_ONLY
    assert {"ask", "qa_fingerprints", "index_legal_articles", "delete_legal_source", "legal_sources",
            "law_indexed", "count_documents"} <= METHODS


@pytest.mark.parametrize("kind", IMPLEMENTATIONS)
def test_every_member_is_implemented_with_the_protocols_parameters(kind):
    klass = CLASSES[kind]
    for name in ENGINE_METHODS:
        member = getattr(klass, name, None)
        assert callable(member), f"{klass.__name__} lacks {name}"
        wanted = inspect.signature(getattr(SearchEngine, name)).parameters
        have = inspect.signature(member).parameters
        for param in wanted.values():
            assert param.name in have, f"{klass.__name__}.{name} lacks parameter {param.name}"
            assert have[param.name].default == param.default, f"{klass.__name__}.{name}({param.name}=…)"


def test_each_instance_is_a_search_engine(search):
    assert isinstance(search, SearchEngine)


# ------------------------------------------------------------------ Q&A entries
def test_upsert_delete_ids_counts_and_fingerprints(search):
    before = search.count_documents()
    entries = [_entry("c1"), _entry("c2", question="Thời hạn kháng nghị bản án sơ thẩm?", tags=("kháng nghị",))]
    try:
        search.upsert_qa(entries)
        assert {"c1", "c2"} <= search.qa_entry_ids()
        assert search.count_documents() == before + 2
        fingerprints = search.qa_fingerprints()
        assert fingerprints["c1"] == [qa_fingerprint(entries[0])]
        assert fingerprints["c2"] == [qa_fingerprint(entries[1])]
        changed = replace(entries[0], answer="Một tháng.")
        search.upsert_qa([changed])  # overwrites: still one point
        assert search.count_documents() == before + 2
        assert search.qa_fingerprints()["c1"] == [qa_fingerprint(changed)] != [qa_fingerprint(entries[0])]
    finally:
        search.delete_qa(["c1", "c2", "never-indexed"])
    assert not {"c1", "c2"} & search.qa_entry_ids()
    assert search.count_documents() == before


def test_search_qa_sees_statuses_and_only_the_authors_drafts(search):
    entries = [_entry("s-a"), _entry("s-p", "pending", 5), _entry("s-d7", "draft", 7), _entry("s-d8", "draft", 8)]
    search.upsert_qa(entries)
    try:
        hits = search.search_qa(APPEAL, top_k=10)
        assert [h.entry_id for h in hits] == ["s-a"] and hits[0].status == "approved"
        mine = search.search_qa(APPEAL, top_k=10, statuses=SIMILAR_STATUSES, draft_author=7)
        assert {h.entry_id for h in mine} == {"s-a", "s-p", "s-d7"}
        assert {h.entry_id: h.status for h in mine}["s-d7"] == "draft"
        every = search.search_qa(APPEAL, top_k=10, statuses=SIMILAR_STATUSES)
        assert {h.entry_id for h in every} == {"s-a", "s-p", "s-d7", "s-d8"}
        assert all(isinstance(h, QAHit) and 0.0 <= h.confidence <= 1.0 for h in every)
        assert [h.confidence for h in every] == sorted((h.confidence for h in every), reverse=True)
        assert len(search.search_qa(APPEAL, top_k=2, statuses=SIMILAR_STATUSES)) == 2
    finally:
        search.delete_qa([e.entry_id for e in entries])


def test_an_approved_entry_answers_alike_however_it_was_written(search):
    """Written pending and then approved (the real engine keeps the vectors of the pending
    point: ``assistant.qa_vectors``) or written approved at once: the same hits, the same
    confidences, through every implementation."""
    pending = _entry("w-1", "pending", 5, tags=("kháng cáo",))
    approved = replace(pending, status="approved", author_id=None, tags=())
    try:
        search.upsert_qa([pending])
        search.upsert_qa([approved])
        rewritten = search.search_qa(APPEAL, top_k=3)
        search.delete_qa(["w-1"])
        search.upsert_qa([approved])
        fresh = search.search_qa(APPEAL, top_k=3)
    finally:
        search.delete_qa(["w-1"])
    assert [h.entry_id for h in rewritten] == [h.entry_id for h in fresh] == ["w-1"]
    assert [h.confidence for h in rewritten] == pytest.approx([h.confidence for h in fresh], abs=1e-6)
    assert rewritten[0].status == "approved"


def test_ask_returns_articles_and_verified_entries(search):
    search.upsert_qa([_entry("k-1")])
    try:
        result = search.ask(APPEAL, top_k=3, qa_top_k=2)
        assert isinstance(result, AskResult) and result.query == APPEAL
        assert 1 <= len(result.articles) <= 3 and all(isinstance(a, ArticleHit) for a in result.articles)
        assert result.articles[0].article_id == "37.5.LQ.273"
        assert [h.entry_id for h in result.qa] == ["k-1"] and result.qa[0].answer.startswith("15 ngày")
        assert result.latency_ms >= 0
        assert search.ask(APPEAL, qa_top_k=0).qa == []
        articles = search.search_articles(APPEAL, top_k=2)
        assert len(articles) <= 2 and articles[0].article_id == "37.5.LQ.273"
    finally:
        search.delete_qa(["k-1"])


@pytest.mark.parametrize("query", ["   ?!  ", "…", ""])
def test_nothing_to_search_is_a_query_error_a_422(search, query):
    for call in (lambda: search.ask(query), lambda: search.search_articles(query),
                 lambda: search.search_qa(query)):
        with pytest.raises(QueryError, match="Câu hỏi trống") as caught:
            call()
        assert isinstance(caught.value, KBError) and caught.value.status_code == 422


# ------------------------------------------------------------------ legal articles
def test_articles_open_by_id_and_by_law_and_number(search):
    article = search.get_article("37.5.LQ.273")
    assert article is not None and article.title == "Thời hạn kháng cáo"
    assert article.article_number == "273" and article.law_number == "92/2015/QH13"
    assert "15 ngày" in article.text and "Điều 273" in article.citation
    assert search.get_article("37.5.LQ.9999") is None
    assert search.get_article_by_number("BLTTDS", "273").article_id == "37.5.LQ.273"
    assert search.get_article_by_number("BLTTDS", "9999") is None
    assert search.get_article_by_number("BLDS", "273") is None
    assert search.law_indexed("BLTTDS") and not search.law_indexed("BLDS")


def test_uploaded_articles_are_indexed_once_and_withdrawn(search, tmp_path):
    path = tmp_path / "upload-contract.txt"
    path.write_text(LAW, encoding="utf-8")
    articles = parse_plaintext_law(path)
    for a in articles:
        a.source = path.name
    before = search.count_documents()
    progress: list[tuple[int, int]] = []
    summary = search.index_legal_articles(articles, on_progress=lambda done, total: progress.append((done, total)))
    try:
        assert isinstance(summary, LegalIndexSummary)
        assert summary.report.added == summary.documents >= len(articles) and summary.report.changed
        assert progress and progress[-1][0] == progress[-1][1] == summary.documents
        assert search.count_documents() == before + summary.documents
        assert search.legal_sources()[path.name] == summary.documents
        assert search.get_article("upload-contract:1").title == "Phạm vi điều chỉnh"
        found = search.search_articles("phạm vi điều chỉnh hợp tác thử nghiệm", top_k=5)
        assert "upload-contract:1" in [a.article_id for a in found]
        again = search.index_legal_articles(articles)
        assert not again.report.changed and again.report.unchanged == summary.documents
    finally:
        removed = search.delete_legal_source(path.name)
    assert removed == summary.documents
    assert search.get_article("upload-contract:1") is None and path.name not in search.legal_sources()
    assert search.count_documents() == before
    assert search.delete_legal_source(path.name) == 0


def test_concurrent_asks_get_their_own_replies(search):
    """Eight threads asking eight questions at once (more than the search process's pipes)
    get exactly the replies the same questions get one at a time: no reply lost, mixed up
    between callers or changed by a neighbour's ask."""
    from concurrent.futures import ThreadPoolExecutor

    questions = [APPEAL, "Án phí sơ thẩm vụ án ly hôn", "thoi han chuan bi xet xu vu an dan su",
                 "Hoãn phiên tòa sơ thẩm tối đa bao lâu?", "Người làm chứng có quyền gì?",
                 "Tạm đình chỉ giải quyết vụ án dân sự khi nào?", "Thẩm quyền của Tòa án cấp tỉnh",
                 "Trả lại đơn khởi kiện khi nào?"]

    def shape(result: AskResult) -> tuple:
        return result.query, [a.article_id for a in result.articles], [h.entry_id for h in result.qa]

    serial = [shape(search.ask(q, top_k=5, qa_top_k=3)) for q in questions]
    with ThreadPoolExecutor(max_workers=len(questions)) as pool:
        together = list(pool.map(lambda q: shape(search.ask(q, top_k=5, qa_top_k=3)), questions * 2))
    assert together == serial * 2


def test_optimize_index_keeps_every_answer(search):
    """After a bulk write the reconcile rebuilds the index's graphs: asks answer the same
    articles and entries afterwards, through every implementation (the search process
    waits for the child however long it takes)."""
    search.upsert_qa([_entry("812"), _entry("813", question="Án phí sơ thẩm vụ án ly hôn là bao nhiêu?")])
    try:
        before = search.ask(APPEAL, top_k=5, qa_top_k=2)
        assert isinstance(search.optimize_index(), bool)
        after = search.ask(APPEAL, top_k=5, qa_top_k=2)
        assert [a.article_id for a in after.articles] == [a.article_id for a in before.articles]
        assert [(h.entry_id, round(h.confidence, 6)) for h in after.qa] == [
            (h.entry_id, round(h.confidence, 6)) for h in before.qa]
    finally:
        search.delete_qa(["812", "813"])


def test_confidence_bounds_hold_for_every_ask(search):
    """``qa_confidence_bounds`` is never below the confidence the entry gets when the
    question is asked (what lets an approval skip re-asking a question); an entry that
    is not an askable one is bounded by 0. The engine's bound also rules out an
    unrelated question (the fake knows no bound: 1.0)."""
    entries = [_entry("b-1"), _entry("b-2", question="Án phí sơ thẩm vụ án ly hôn là bao nhiêu?", article_ids=()),
               _entry("b-3", question="Thời hạn kháng nghị bản án sơ thẩm?"), _entry("b-p", "pending")]
    questions = [APPEAL, "thoi han khang cao ban an so tham dan su", "Kháng cáo bản án sơ thẩm trong bao lâu?",
                 "Thời hạn kháng nghị bản án sơ thẩm là bao lâu?", "Án phí ly hôn bao nhiêu?",
                 "Người làm chứng có quyền gì?", "Điều 273 BLTTDS"]
    search.upsert_qa(entries)
    try:
        confidences = [{h.entry_id: h.confidence for h in search.search_qa(q, top_k=10)} for q in questions]
        for entry_id in ("b-1", "b-2", "b-3"):
            bounds = search.qa_confidence_bounds(questions, entry_id)
            assert len(bounds) == len(questions) and all(0.0 <= b <= 1.0 for b in bounds)
            for q, bound, found in zip(questions, bounds, confidences, strict=True):
                assert found.get(entry_id, 0.0) <= bound, (entry_id, q)
        assert search.qa_confidence_bounds(questions[:2], "b-p") == [0.0, 0.0]
        assert search.qa_confidence_bounds(questions[:2], "never-indexed") == [0.0, 0.0]
        assert search.qa_confidence_bounds([], "b-1") == []
        if not isinstance(search, FakeSearchEngine):
            assert search.qa_confidence_bounds(["Người làm chứng có quyền gì?"], "b-1")[0] < 0.5
    finally:
        search.delete_qa([e.entry_id for e in entries])


# ------------------------------------------------------------------ through the services
@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    """A migrated SQLite knowledge base with one court and one judge."""
    from assistant.kb.services.courts import create_court
    from assistant.kb.services.users import create_user

    url = f"sqlite:///{tmp_path_factory.mktemp('contract-db') / 'kb.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with session_scope(factory) as s:
        create_court(s, name="Tòa án nhân dân thành phố Hà Nội", code="HN", level="tinh", parent_code=None)
        judge = create_user(s, username="judge", full_name="Nguyễn Văn An", password=PASSWORD, role="judge",
                            title="Thẩm phán", court_code="HN")
        ids = {"url": url, "judge": judge.id, "court": judge.court_id}
    yield factory, ids
    engine.dispose()


def test_reconcile_repairs_stale_text_and_uploads_whatever_the_engine(search, kb):
    """The start-up reconcile through each implementation (the search process has no
    store to read): stale text and an entry the database lost are repaired, confirmed
    uploads indexed; a second run finds nothing to do; a rebuild drops and recreates."""
    factory, ids = kb
    with session_scope(factory) as s:
        row = QAEntry(question=APPEAL, answer="15 ngày, kể từ ngày tuyên án.", field="dân sự",
                      citation_text="Điều 273 BLTTDS", article_ids=["37.5.LQ.273"], tags=[],
                      status="approved", author_id=ids["judge"], court_id=ids["court"])
        doc = LegalDocument(filename="hop-tac.txt", content=LAW.encode(), title="Luật Hợp tác thử nghiệm",
                            article_count=2, status="confirmed", uploaded_by_id=ids["judge"],
                            content_sha256="contract")
        s.add_all([row, doc])
        s.flush()
        current, source, doc_id = index_entry(row), upload_source(doc), doc.id
    try:
        search.upsert_qa([replace(current, answer="Một tháng.")])  # the index kept the old text
        search.upsert_qa([replace(current, entry_id="987654")])  # an entry the database lost
        with session_scope(factory) as s:
            report = reconcile_all(s, search)
        assert (report["qa_stale"], report["qa_deleted"], report["qa_upserted"]) == (1, 1, 1)
        assert report["upload_articles"] == 2 and report["upload_indexed"] >= 2
        assert search.qa_fingerprints()[current.entry_id] == [qa_fingerprint(current)]
        assert "987654" not in search.qa_entry_ids()
        assert search.search_qa(APPEAL, top_k=1)[0].answer.startswith("15 ngày")
        assert search.legal_sources()[source] >= 2
        with session_scope(factory) as s:
            again = reconcile_all(s, search)
        assert (again["qa_stale"], again["qa_deleted"], again["qa_upserted"], again["upload_indexed"]) == (0, 0, 0, 0)
        with session_scope(factory) as s:
            rebuilt = rebuild(s, search)
        assert rebuilt["qa_dropped"] == 1 and rebuilt["upload_documents_dropped"] == search.legal_sources()[source]
        assert rebuilt["qa_upserted"] == 1 and rebuilt["upload_indexed"] == rebuilt["upload_documents_dropped"]
        with session_scope(factory) as s:
            assert reconcile_qa(s, search)["qa_upserted"] == 0
    finally:
        search.delete_qa([current.entry_id, "987654"])
        search.delete_legal_source(source)
        with session_scope(factory) as s:
            s.delete(s.get(QAEntry, int(current.entry_id)))
            s.delete(s.get(LegalDocument, doc_id))


def test_the_api_answers_422_for_nothing_to_search(search, kb, tmp_path, caplog):
    """``POST /ask`` with "?" is a 422 with a Vietnamese message through every engine
    (the search process sends the QueryError back pickled), and logs no traceback."""
    from api.app import create_app
    from assistant.kb.models import User
    from assistant.kb.services.auth import SessionPolicy, create_access_token, start_session

    factory, ids = kb
    settings = Settings(database_url=ids["url"], jwt_secret=SECRET, data_dir=tmp_path, log_format="none",
                        _env_file=None)
    app = create_app(settings, search_engine=search)
    with session_scope(factory) as s:
        judge = s.get(User, ids["judge"])
        token = create_access_token(judge, SECRET, 30, start_session(s, judge, SessionPolicy()).record.id)
    with TestClient(app) as client:  # the lifespan opens the database (and disposes it)
        caplog.clear()
        r = client.post("/api/v1/ask", headers={"Authorization": f"Bearer {token}"}, json={"question": "?!"})
        assert r.status_code == 422, r.text
        assert "Câu hỏi" in r.json()["detail"]
        assert not [rec for rec in caplog.records if rec.exc_info], "a bad question logged a traceback"
