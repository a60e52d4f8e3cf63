"""The search engine behind every ask: legal articles and approved Q&A in one Qdrant index.

Implements :class:`assistant.search_types.SearchEngine` for the service layer and
offers the richer :meth:`LegalSearchEngine.ask` (articles + Q&A + timings) used by the
CLI, the API and the evaluation. Which Qdrant runs (embedded Edge shard or a server)
and which embedding backend is used are decided by the caller, usually from settings.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from haystack import Document
from haystack.document_stores.types import DuplicatePolicy

from assistant.query_pipeline import QA_FILTER, build_query_pipeline
from assistant.ranking_config import RankingConfig
from assistant.search_types import ArticleHit, AskResult, QAHit, QAIndexEntry
from corpus.laws import load_catalogue
from corpus.vietnamese import normalize_text
from indexing.legal_index import LegalIndexResult, index_articles, train_restorer
from indexing.pipeline_runner import run_acyclic
from indexing.sparse import VietnameseSparseDocumentEmbedder

RESTORER_FILE = "diacritics.json"


def _body(content: str, number: str) -> str:
    """The text under an indexed chunk's heading line ("Điều 273. Thời hạn kháng cáo" or
    "… – khoản 1"): the heading is for the embedder, and left in the text it made the
    card read "khoản 1 1." and kept the clause from being found in the article."""
    head, sep, rest = content.partition("\n")
    return rest if sep and number and head.startswith(f"Điều {number}") else content


def article_hit(doc: Document, score: float | None = None) -> ArticleHit:
    meta = doc.meta
    clause = meta.get("best_clause") or meta.get("clause")
    number = str(meta.get("article_number") or "")
    citation = str(meta.get("citation") or "")
    if clause and citation.startswith("Điều"):
        citation = f"khoản {clause} {citation}"
    return ArticleHit(
        article_id=str(meta.get("article_id") or doc.id),
        score=float(score if score is not None else (doc.score or 0.0)),
        title=str(meta.get("title") or ""),
        citation=citation,
        law_short=str(meta.get("law_short") or ""),
        law_number=str(meta.get("law_number") or ""),
        article_number=number,
        text=_body(doc.content or "", number),
        clause=str(clause) if clause else None,
        highlight=_body(str(meta.get("best_clause_text") or ""), number),
    )


def qa_document(entry: QAIndexEntry) -> Document:
    question = normalize_text(entry.question)
    answer = normalize_text(entry.answer)
    return Document(
        id=f"qa:{entry.entry_id}",
        content=f"{question}\n{answer}",
        meta={
            "kind": "qa",
            "entry_id": entry.entry_id,
            "question": question,
            "answer": answer,
            "field": entry.field,
            "court_code": entry.court_code,
            "article_ids": list(entry.article_ids),
            "tags": list(entry.tags),
            "status": "approved",
            "title": question,
        },
    )


class LegalSearchEngine:
    """Hybrid retrieval over the index; thread-safe for concurrent asks."""

    def __init__(
        self,
        store: Any,
        text_embedder: Any,
        document_embedder: Any | None = None,
        *,
        restorer_path: Path | None = None,
        ranking: RankingConfig | None = None,
    ) -> None:
        """``ranking`` = the ranking options (usually ``Settings.ranking``; None = production defaults)."""
        self.store = store
        self.document_embedder = document_embedder
        self.restorer_path = restorer_path
        self._lock = threading.Lock()
        self.ranking = ranking or RankingConfig()
        self._text_embedder = text_embedder
        self.reload()

    def reload(self) -> None:
        """Rebuild the query pipeline (after re-indexing, to pick up a new diacritics model)."""
        restorer = str(self.restorer_path) if self.restorer_path and self.restorer_path.is_file() else None
        pipeline = build_query_pipeline(self.store, self._text_embedder, self.ranking, restorer_path=restorer)
        pipeline.warm_up()
        self.pipeline = pipeline

    def warm_up(self) -> None:
        """Load everything an ask or an approval would otherwise load on first use.

        Why: a server's first approval loaded the passage model and its first accented
        question underthesea's segmenter, each holding the GIL for seconds while every
        other ask waited (seen as a 2-second p95 in the load test's first minute).
        """
        if self.document_embedder is not None:
            self.document_embedder.warm_up()
        for question in ("Thời hạn kháng cáo bản án sơ thẩm", "thoi han khang cao ban an so tham"):
            self.ask(question, top_k=1, qa_top_k=1)

    # -- asking -------------------------------------------------------------------
    def ask(self, query: str, top_k: int = 5, qa_top_k: int = 3) -> AskResult:
        """Best articles and best approved Q&A entries; raises QueryError on bad input."""
        started = time.perf_counter()
        out = run_acyclic(self.pipeline, {"preprocess": {"query": query}, "articles": {"top_k": top_k}})
        articles = [article_hit(d) for d in self._whole_articles(out["articles"]["documents"])]
        qa_docs = out.get("qa_retriever", {}).get("documents", [])[:qa_top_k]
        qa = [
            QAHit(
                entry_id=str(d.meta.get("entry_id")),
                score=float(d.score or 0.0),
                question=str(d.meta.get("question") or ""),
                answer=str(d.meta.get("answer") or ""),
                article_ids=tuple(d.meta.get("article_ids") or ()),
            )
            for d in qa_docs
        ]
        pre = out["preprocess"]
        return AskResult(
            query=query,
            articles=articles,
            qa=qa,
            dense_text=pre["dense_text"],
            law_keys=pre["law_keys"],
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    def _whole_articles(self, docs: list[Document]) -> list[Document]:
        """Ranked articles with their whole text: when a clause chunk won, the ranked
        document holds only that clause, so the article's own text is fetched (one
        lookup by id for all of them); rank, score and best clause stay."""
        partial = [d.id for d in docs if d.meta.get("kind") == "clause"]
        if not partial:
            return docs
        whole = {d.id: d for d in self.store.get_documents_by_id(partial)}
        return [Document(id=d.id, content=whole[d.id].content, meta=d.meta, score=d.score)
                if d.id in whole else d for d in docs]

    def search_articles(self, query: str, top_k: int = 5) -> list[ArticleHit]:
        return self.ask(query, top_k=top_k, qa_top_k=0).articles

    def search_qa(self, query: str, top_k: int = 5) -> list[QAHit]:
        return self.ask(query, top_k=1, qa_top_k=top_k).qa

    # -- Q&A entries in the index -------------------------------------------------
    def upsert_qa(self, entries: list[QAIndexEntry]) -> None:
        if not entries:
            return
        if self.document_embedder is None:
            raise RuntimeError("this engine was opened read-only (no document embedder)")
        docs = [qa_document(e) for e in entries]
        with self._lock:
            docs = VietnameseSparseDocumentEmbedder().run(docs)["documents"]
            docs = self.document_embedder.run(documents=docs)["documents"]
            self.store.write_documents(docs, policy=DuplicatePolicy.OVERWRITE)

    def delete_qa(self, entry_ids: list[str]) -> None:
        if entry_ids:
            with self._lock:
                self.store.delete_documents([f"qa:{e}" for e in entry_ids])

    def qa_entry_ids(self) -> set[str]:
        return {str(d.meta.get("entry_id")) for d in self.store.filter_documents(QA_FILTER)}

    def count_documents(self) -> int:
        return int(self.store.count_documents())

    def get_article(self, article_id: str) -> ArticleHit | None:
        docs = self.store.get_documents_by_id([article_id])
        docs = [d for d in docs if d.meta.get("kind") == "article"]
        return article_hit(docs[0], score=1.0) if docs else None

    def get_article_by_number(self, law_key: str, number: str) -> ArticleHit | None:
        """Exact lookup by law and article number ("BLTTDS", "273"): a question that is a
        citation must open that article, not whatever ranks first. The law is matched by
        its catalogue key or number (uploads may carry only the number)."""
        law = load_catalogue().by_key(law_key)
        laws = [{"field": "meta.law_key", "operator": "==", "value": law_key}]
        if law is not None and law.number:
            laws.append({"field": "meta.law_number", "operator": "==", "value": law.number})
        docs = self.store.filter_documents({"operator": "AND", "conditions": [
            {"field": "meta.kind", "operator": "==", "value": "article"},
            {"field": "meta.article_number", "operator": "==", "value": str(number)},
            {"operator": "OR", "conditions": laws},
        ]})
        return article_hit(min(docs, key=lambda d: d.id), score=1.0) if docs else None

    def delete_legal_source(self, source: str) -> int:
        """Remove every article and clause of one source (a withdrawn upload); returns
        how many documents left the index."""
        scope = {"operator": "AND", "conditions": [
            {"field": "meta.kind", "operator": "in", "value": ["article", "clause"]},
            {"field": "meta.source", "operator": "==", "value": source},
        ]}
        with self._lock:
            ids = [d.id for d in self.store.filter_documents(scope)]
            if ids:
                self.store.delete_documents(ids)
        if ids:
            self.reload()
        return len(ids)

    def index_legal_articles(self, articles: list, on_progress=None) -> LegalIndexResult:
        """Index parsed articles (a law file, an upload a reviewer confirmed); searchable on return."""
        if self.document_embedder is None:
            raise RuntimeError("this engine was opened read-only (no document embedder)")
        with self._lock:
            result = index_articles(self.store, self.document_embedder, articles, on_progress=on_progress)
            r = result.report
            changed = r.added or r.updated or r.removed
            if self.restorer_path is not None and (changed or not self.restorer_path.is_file()):
                train_restorer(self.store, self.restorer_path)
        self.reload()
        return result
