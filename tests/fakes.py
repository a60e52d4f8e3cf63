"""An in-memory :class:`SearchEngine` for the service and API tests.

Why: the API tests must run in seconds without the embedding model or Qdrant. This
fake implements the whole Protocol (tests/test_search_contract.py holds it to the same
assertions as the real engine and the search process). It scores by syllable overlap
(diacritics folded), holds a handful of real procedural articles plus uploaded ones,
and records every upsert/delete so tests can assert on them.
Q&A candidates go through the real answer_match verifier; the e5 vector is stood in
for by a hashed bag of words plus one component every text shares (e5's cosines sit in
0.8–1 the same way), so confidences land on a scale like the real engine's.
The real engine (``assistant.search_engine``) plugs into ``create_app`` the same way.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable

import numpy as np

from assistant.answer_match.features import QuestionAnalyzer, content_tokens
from assistant.answer_match.verifier import AnswerVerifier
from assistant.query_processing import clean_query
from assistant.search_types import (
    ASK_STATUSES,
    ArticleHit,
    AskResult,
    IndexChanges,
    LegalIndexSummary,
    QAHit,
    QAIndexEntry,
    qa_fingerprint,
)
from corpus.laws import load_catalogue
from corpus.legal_model import LegalArticle
from corpus.vietnamese import fold_diacritics, normalize_text, syllables

_DIM = 512
_SHARED = 2.0  # the common component: cosine = (4 + bag-of-words cosine) / 5


def stand_in_vector(text: str) -> np.ndarray:
    """A deterministic stand-in for an e5 vector (unit length)."""
    tokens = content_tokens(text)
    v = np.zeros(_DIM + 1)
    for t in list(tokens) + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]:
        v[zlib.crc32(t.encode()) % _DIM] += 1.0
    n = np.linalg.norm(v)
    if n:
        v /= n
    v[_DIM] = _SHARED
    return v / np.linalg.norm(v)

_STOP = {"cua", "va", "la", "the", "nao", "co", "khong", "duoc", "trong", "cho", "khi", "ve",
         "theo", "thi", "nhu", "bao", "nhieu", "gi", "hay", "mot", "cac", "nhung"}


def _tokens(text: str) -> set[str]:
    folded = fold_diacritics(normalize_text(text, keep_newlines=False)).lower()
    return {t for t in syllables(folded) if t not in _STOP}


def _score(query: str, text: str) -> float:
    q, d = _tokens(query), _tokens(text)
    if not q or not d:
        return 0.0
    return len(q & d) / len(q)


def _art(num: str, law_id: str, title: str, law: str, law_short: str, law_number: str,
         text: str) -> ArticleHit:
    return ArticleHit(
        article_id=f"{law_id}.{num}", score=0.0, title=title,
        citation=f"Điều {num} {law}", law_short=law_short, law_number=law_number,
        article_number=num, text=text,
    )


_DS = ("Bộ luật Tố tụng dân sự 2015", "BLTTDS 2015", "92/2015/QH13")
_HS = ("Bộ luật Tố tụng hình sự 2015", "BLTTHS 2015", "101/2015/QH13")

ARTICLES: tuple[ArticleHit, ...] = (
    _art("273", "37.5.LQ", "Thời hạn kháng cáo", *_DS,
         "1. Thời hạn kháng cáo đối với bản án của Tòa án cấp sơ thẩm là 15 ngày, kể từ ngày "
         "tuyên án; đối với đương sự không có mặt tại phiên tòa thì thời hạn kháng cáo tính từ "
         "ngày họ nhận được bản án hoặc bản án được niêm yết."),
    _art("192", "37.5.LQ", "Trả lại đơn khởi kiện, hậu quả của việc trả lại đơn khởi kiện", *_DS,
         "1. Thẩm phán trả lại đơn khởi kiện trong các trường hợp sau đây: a) Người khởi kiện "
         "không có quyền khởi kiện ...; b) Chưa có đủ điều kiện khởi kiện ..."),
    _art("203", "37.5.LQ", "Thời hạn chuẩn bị xét xử", *_DS,
         "1. Thời hạn chuẩn bị xét xử các loại vụ án là 04 tháng, kể từ ngày thụ lý vụ án; "
         "vụ án có tính chất phức tạp có thể gia hạn không quá 02 tháng."),
    _art("233", "37.5.LQ", "Hoãn phiên tòa", *_DS,
         "1. Các trường hợp phải hoãn phiên tòa ... 2. Thời hạn hoãn phiên tòa sơ thẩm không "
         "quá 01 tháng, kể từ ngày ra quyết định hoãn phiên tòa."),
    _art("214", "37.5.LQ", "Tạm đình chỉ giải quyết vụ án dân sự", *_DS,
         "1. Tòa án ra quyết định tạm đình chỉ giải quyết vụ án dân sự khi đương sự là cá nhân "
         "đã chết mà chưa có người kế thừa quyền và nghĩa vụ tố tụng ..."),
    _art("217", "37.5.LQ", "Đình chỉ giải quyết vụ án dân sự", *_DS,
         "1. Tòa án ra quyết định đình chỉ giải quyết vụ án dân sự khi nguyên đơn rút toàn bộ "
         "yêu cầu khởi kiện ..."),
    _art("35", "37.5.LQ", "Thẩm quyền của Tòa án nhân dân cấp huyện", *_DS,
         "1. Tòa án nhân dân cấp huyện có thẩm quyền giải quyết theo thủ tục sơ thẩm ..."),
    _art("333", "37.6.LQ", "Thời hạn kháng cáo", *_HS,
         "1. Thời hạn kháng cáo đối với bản án sơ thẩm là 15 ngày kể từ ngày tuyên án."),
    _art("173", "37.6.LQ", "Thời hạn tạm giam để điều tra", *_HS,
         "1. Thời hạn tạm giam bị can để điều tra không quá 02 tháng đối với tội phạm ít "
         "nghiêm trọng ..."),
)


class FakeSearchEngine:
    """Lexical-overlap search over :data:`ARTICLES`, uploaded articles and the Q&A entries
    upserted into it.

    ``index_legal_articles`` reports progress one article at a time and, when ``gate`` is
    set to an unset :class:`threading.Event`, waits on it after the first article, so a
    test can watch a confirmation in progress without timing anything."""

    def __init__(self, articles: tuple[ArticleHit, ...] = ARTICLES) -> None:
        self.articles = {a.article_id: a for a in articles}
        self.legal: dict[str, dict[str, ArticleHit]] = {}  # source → article id → article
        self.qa: dict[str, QAIndexEntry] = {}
        self.upserts: list[str] = []
        self.deletes: list[str] = []
        self.fail_upserts = False
        self.optimized = 0
        self.gate: threading.Event | None = None
        self.halfway = threading.Event()
        self._lock = threading.Lock()
        self.analyzer = QuestionAnalyzer()
        self.verifier = AnswerVerifier()

    def _all_articles(self) -> list[ArticleHit]:
        with self._lock:
            return [*self.articles.values(), *(a for arts in self.legal.values() for a in arts.values())]

    # -- asking ----------------------------------------------------------------------
    def search_articles(self, query: str, top_k: int = 5) -> list[ArticleHit]:
        clean_query(query)
        hits = []
        for a in self._all_articles():
            s = _score(query, f"Điều {a.article_number} {a.title} {a.citation} {a.text}")
            if s > 0:
                hits.append(ArticleHit(**{**a.__dict__, "score": round(s, 4)}))
        return sorted(hits, key=lambda h: -h.score)[:top_k]

    def search_qa(self, query: str, top_k: int = 5, statuses: tuple[str, ...] = ASK_STATUSES,
                  draft_author: int | None = None) -> list[QAHit]:
        clean_query(query)
        with self._lock:
            entries = [e for e in self.qa.values() if e.status in statuses and (
                e.status != "draft" or draft_author is None or e.author_id == draft_author)]
        if not entries or top_k <= 0:
            return []
        # retrieval stand-in: the entries sharing most words, as Qdrant would prefetch them
        ranked = sorted(entries, key=lambda e: -_score(query, e.question))[: max(10, top_k)]
        ranked = [e for e in ranked if _score(query, e.question) > 0]
        if not ranked:
            return []
        articles = self.search_articles(query, top_k=10)
        question = self.analyzer.view(query, stand_in_vector(query), articles=[a.article_id for a in articles])
        question.extra["citations"] = {a.article_id: a.citation for a in articles}
        candidates = [self.analyzer.view(e.question, stand_in_vector(e.question),
                                         articles=e.article_ids, entry_field=e.field,
                                         entry_id=e.entry_id, status=e.status, law_keys=None,
                                         answer=e.answer,
                                         answer_vector=stand_in_vector(e.answer) if e.answer else None)
                      for e in ranked]
        verdicts = self.verifier.verify(question, candidates)
        hits = [QAHit(e.entry_id, round(_score(query, e.question), 4), e.question, e.answer,
                      e.article_ids, confidence=v.confidence, reasons=v.reasons, status=e.status, rank=v.rank)
                for e, v in zip(ranked, verdicts, strict=False)]
        hits.sort(key=lambda h: (-h.rank, -h.confidence, -h.score))
        return hits[:top_k]

    def ask(self, query: str, top_k: int = 5, qa_top_k: int = 3, statuses: tuple[str, ...] = ASK_STATUSES,
            draft_author: int | None = None) -> AskResult:
        clean_query(query)
        return AskResult(query=query, articles=self.search_articles(query, top_k=top_k),
                         qa=self.search_qa(query, top_k=qa_top_k, statuses=statuses,
                                           draft_author=draft_author))

    def qa_confidence_bounds(self, questions: list[str], entry_id: str) -> list[float]:
        """No bound: every question goes on to :meth:`search_qa` (0.0 for an entry that
        is not an approved one in the index, which search_qa could not return either)."""
        with self._lock:
            point = self.qa.get(entry_id)
        return [1.0 if point is not None and point.status in ASK_STATUSES else 0.0 for _ in questions]

    # -- Q&A entries -----------------------------------------------------------------
    def upsert_qa(self, entries: list[QAIndexEntry]) -> None:
        if self.fail_upserts:
            raise RuntimeError("index unavailable")
        with self._lock:
            for e in entries:
                self.qa[e.entry_id] = e
                self.upserts.append(e.entry_id)

    def delete_qa(self, entry_ids: list[str]) -> None:
        with self._lock:
            for i in entry_ids:
                self.qa.pop(i, None)
                self.deletes.append(i)

    def qa_entry_ids(self) -> set[str]:
        with self._lock:
            return set(self.qa)

    def qa_fingerprints(self) -> dict[str, list[str]]:
        with self._lock:
            return {i: [qa_fingerprint(e)] for i, e in self.qa.items()}

    # -- legal articles --------------------------------------------------------------
    def get_article(self, article_id: str) -> ArticleHit | None:
        return next((a for a in self._all_articles() if a.article_id == article_id), None)

    def get_article_by_number(self, law_key: str, number: str) -> ArticleHit | None:
        """Exact lookup as the real engine does it: the catalogue names the law."""
        law = load_catalogue().by_key(law_key)
        for a in self._all_articles():
            if a.article_number == number and law is not None and a.law_number == law.number:
                return a
        return None

    def law_indexed(self, law_key: str) -> bool:
        law = load_catalogue().by_key(law_key)
        return law is not None and any(a.law_number == law.number for a in self._all_articles())

    def index_legal_articles(self, articles: list[LegalArticle],
                             on_progress: Callable[[int, int], None] | None = None) -> LegalIndexSummary:
        """The real engine's sync, one document per article: these sources end up holding
        exactly these articles; only new or changed ones are "embedded" (and reported)."""
        hits = {a.article_id: _hit(a) for a in articles}
        sources = {a.source for a in articles}
        with self._lock:
            stored = {i: h for s in sources for i, h in self.legal.get(s, {}).items()}
        todo = [a for a in articles if stored.get(a.article_id) != hits[a.article_id]]
        for done, article in enumerate(todo, start=1):
            with self._lock:
                self.legal.setdefault(article.source, {})[article.article_id] = hits[article.article_id]
            if on_progress:
                on_progress(done, len(todo))
            if done == 1:
                self.halfway.set()
                if self.gate is not None:
                    self.gate.wait(timeout=30)
        removed = [i for i in stored if i not in hits]
        with self._lock:
            for arts in self.legal.values():
                for i in removed:
                    arts.pop(i, None)
        added = sum(1 for a in todo if a.article_id not in stored)
        return LegalIndexSummary(IndexChanges(added=added, updated=len(todo) - added,
                                              unchanged=len(articles) - len(todo), removed=len(removed)),
                                 documents=len(articles))

    def delete_legal_source(self, source: str) -> int:
        with self._lock:
            return len(self.legal.pop(source, {}))

    def legal_sources(self) -> dict[str, int]:
        with self._lock:
            return {s: len(arts) for s, arts in self.legal.items() if arts}

    # -- the index as a whole --------------------------------------------------------
    def count_documents(self) -> int:
        with self._lock:
            return len(self.articles) + sum(len(a) for a in self.legal.values()) + len(self.qa)

    def optimize_index(self) -> bool:
        """Nothing to build; counted, so tests see when a bulk write asked for it."""
        with self._lock:
            self.optimized += 1
        return False

    def close(self) -> None:
        """Nothing to release."""


def _hit(article: LegalArticle) -> ArticleHit:
    text = article.text or "\n".join(c.full_text() for c in article.clauses)
    return ArticleHit(article_id=article.article_id, score=0.0, title=article.title,
                      citation=article.citation(), law_short=article.law_short,
                      law_number=article.law_number, article_number=article.article_number, text=text)
