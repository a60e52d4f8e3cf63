"""The search engine behind every ask: legal articles and the knowledge base's Q&A entries,
each in a Qdrant collection of its own (the Q&A store is the legal one's companion,
``<collection>_qa``): however many entries judges contribute, the laws' IDF, their
filtered scans and their HNSW graph stay those of the laws alone.

Implements the whole :class:`assistant.search_types.SearchEngine` Protocol (the one
seam the services use), plus calibration helpers (``question_view``, ``entry_view``)
and ``warm_up`` for the CLI and eval. Which Qdrant runs (embedded Edge shard or a
server) and which embedding backend is used are decided by the caller, usually from
settings.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from haystack import Document
from haystack.document_stores.types import DuplicatePolicy

from assistant.answer_match.features import CITED_BY_ARTICLES, CITED_CANDIDATES, QuestionAnalyzer, QuestionView
from assistant.answer_match.verifier import AnswerVerifier
from assistant.match_bound import confidence_bound
from assistant.qa_vectors import ANSWER, KEYS, STORED_FIELDS, EmbeddingIdentity, Reused, reusable, wanted_keys
from assistant.query_pipeline import QA_FILTER, build_query_pipeline, qa_status_filter
from assistant.query_processing import QueryError
from assistant.ranking_config import RankingConfig
from assistant.search_types import (
    ASK_STATUSES,
    MOVED,
    QA_INDEX_VERSION,
    ArticleHit,
    AskResult,
    IndexChanges,
    LegalIndexSummary,
    QAHit,
    QAIndexEntry,
    qa_fingerprint,
)
from corpus.abbreviations import expand_abbreviations
from corpus.laws import laws_in_text, load_catalogue
from corpus.legal_model import LegalArticle
from corpus.vietnamese import normalize_text
from indexing.legal_index import index_articles, train_restorer
from indexing.pipeline_runner import run_acyclic
from indexing.sparse import VietnameseSparseDocumentEmbedder
from indexing.vector_payload import pack_vector, unpack_vector

RESTORER_FILE = "diacritics.json"
QA_COMPANION = "qa"  # the Q&A store: the legal collection's companion (indexing.qdrant_collections)


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


LEGAL_KINDS = {"field": "meta.kind", "operator": "in", "value": ["article", "clause"]}


def qa_document(entry: QAIndexEntry, law_keys: list[str] | None = None) -> Document:
    """The index point of a Q&A entry: its question is the content (sparse terms; the dense
    vector is the question's e5 "query:" embedding, added by the engine); the answer, field,
    cited articles, laws and status are payload."""
    question = normalize_text(entry.question)
    answer = normalize_text(entry.answer)
    return Document(
        id=f"qa:{entry.entry_id}",
        content=question,
        meta={
            "kind": "qa",
            "entry_id": entry.entry_id,
            "question": question,
            "answer": answer,
            "field": entry.field,
            "court_code": entry.court_code,
            "article_ids": list(entry.article_ids),
            "tags": list(entry.tags),
            "status": entry.status,
            "author": str(entry.author_id) if entry.author_id is not None else "",
            "citation_text": normalize_text(entry.citation_text or ""),
            "law_keys": list(law_keys or []),
            "qa_index_version": QA_INDEX_VERSION,
            "title": question,
        },
    )


def indexed_fingerprint(meta: dict) -> str:
    """The :func:`~assistant.search_types.qa_fingerprint` of a Q&A point, from its payload
    (with the layout version it was written with)."""
    author = str(meta.get("author") or "")
    entry = QAIndexEntry(
        entry_id=str(meta.get("entry_id")), question=str(meta.get("question") or ""),
        answer=str(meta.get("answer") or ""), field=str(meta.get("field") or ""),
        court_code=meta.get("court_code"), article_ids=tuple(meta.get("article_ids") or ()),
        tags=tuple(meta.get("tags") or ()), status=str(meta.get("status") or ""),
        author_id=int(author) if author.isdigit() else None,
        citation_text=str(meta.get("citation_text") or ""),
    )
    return qa_fingerprint(entry, version=meta.get("qa_index_version"))


class LegalSearchEngine:
    """Hybrid retrieval over the index; thread-safe for concurrent asks."""

    def __init__(
        self,
        store: Any,
        text_embedder: Any,
        document_embedder: Any | None = None,
        *,
        qa_store: Any,
        restorer_path: Path | None = None,
        ranking: RankingConfig | None = None,
        verifier: AnswerVerifier | None = None,
        qa_candidates: int = 10,
        embedding_identity: EmbeddingIdentity | None = None,
    ) -> None:
        """``store`` holds the laws, ``qa_store`` the Q&A entries (the same store is allowed: an
        index written before they were apart reads as it did). ``ranking`` = the ranking
        options (usually ``Settings.ranking``; None = production defaults).
        ``embedding_identity``: the embedders' identities (``assistant.qa_vectors``); with
        it, rewriting a Q&A entry keeps the vectors whose text did not change (None: every
        write embeds, and the points carry no keys)."""
        self.store = store
        self.qa_store = qa_store
        self.verifier = verifier or AnswerVerifier()
        self.analyzer = QuestionAnalyzer()
        self.qa_candidates = qa_candidates
        self.document_embedder = document_embedder
        self.restorer_path = restorer_path
        self.embedding_identity = embedding_identity
        # texts embedded by Q&A writes, "question" / "answer": what reuse saves is counted here
        self.qa_embedded: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()
        self.ranking = ranking or RankingConfig()
        self._text_embedder = text_embedder
        self.reload()

    def reload(self) -> None:
        """Rebuild the query pipeline. The diacritics model is named even before it exists: the
        preprocessor loads it when the file appears or changes (another worker may train it)."""
        restorer = str(self.restorer_path) if self.restorer_path else None
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
    EVIDENCE_ARTICLES = 10  # articles retrieved for a question, as evidence for its Q&A match

    def _run(self, query: str, top_k: int) -> tuple[dict, list[ArticleHit], list[float], Any]:
        """The pipeline once: (preprocess outputs, articles, query vector, sparse vector)."""
        out = run_acyclic(self.pipeline, {"preprocess": {"query": query},
                                          "articles": {"top_k": max(top_k, self.EVIDENCE_ARTICLES)}})
        articles = [article_hit(d) for d in self._whole_articles(out["articles"]["documents"])]
        pre = out["preprocess"]
        vector = out["dense"]["embedding"] if "dense" in out else self._embed(pre["dense_text"])
        sparse = out["sparse"]["sparse_embedding"] if "sparse" in out else self._sparse(pre["lexical_text"])
        return pre, articles, vector, sparse

    def _embed(self, dense_text: str) -> list[float]:
        embedder = self.pipeline.get_component("dense") if "dense" in self.pipeline.graph.nodes else None
        if embedder is None:
            embedder = self._text_embedder
            if hasattr(embedder, "warm_up"):
                embedder.warm_up()
        return list(embedder.run(text=dense_text)["embedding"])

    @staticmethod
    def _sparse(lexical_text: str) -> Any:
        from indexing.sparse import VietnameseSparseTextEmbedder

        return VietnameseSparseTextEmbedder().run(text=lexical_text)["sparse_embedding"]

    def _match_qa(self, query: str, pre: dict, articles: list[ArticleHit], vector: list[float],
                  sparse: Any, top_k: int, statuses: tuple[str, ...],
                  draft_author: int | None) -> list[QAHit]:
        """Q&A candidates by the question's own vectors (status filtered in Qdrant), then the
        verifier's confidence for each; best confidence first."""
        if top_k <= 0:
            return []
        k = max(self.qa_candidates, top_k)
        status = qa_status_filter(statuses, draft_author)
        docs = self.qa_store.query_hybrid(vector, sparse, top_k=k, filters=status,
                                       prefetch_k=2 * k, fusion="rrf", return_embedding=True)
        # entries citing the articles the question retrieves best: a scenario question
        # ("người khởi kiện rút toàn bộ yêu cầu…") shares few words with the entry's own
        # question ("trường hợp nào đình chỉ…") but finds the article both rest on
        cited = [a.article_id for a in articles[:CITED_BY_ARTICLES]]
        if cited:
            seen = {d.id for d in docs}
            docs += [d for d in self.qa_store.query_dense(
                vector, top_k=CITED_CANDIDATES, return_embedding=True,
                filters={"operator": "AND", "conditions": [
                    status, {"field": "meta.article_ids", "operator": "in", "value": cited}]})
                if d.id not in seen]
        if not docs:
            return []
        question = self.analyzer.view(
            query, vector, law_keys=pre.get("law_keys") or [], articles=[a.article_id for a in articles],
        )
        question.extra["citations"] = {a.article_id: a.citation for a in articles}
        candidates = [self.candidate_view(d.meta, d.embedding) for d in docs]
        verdicts = self.verifier.verify(question, candidates)
        hits = [
            QAHit(
                entry_id=str(d.meta.get("entry_id")),
                score=float(d.score or 0.0),
                question=str(d.meta.get("question") or ""),
                answer=str(d.meta.get("answer") or ""),
                article_ids=tuple(d.meta.get("article_ids") or ()),
                confidence=v.confidence,
                reasons=v.reasons,
                status=str(d.meta.get("status") or "approved"),
                rank=v.rank,
            )
            for d, v in zip(docs, verdicts, strict=False)
        ]
        hits.sort(key=lambda h: (-h.rank, -h.confidence, -h.score))
        return hits[:top_k]

    def candidate_view(self, meta: dict, embedding: Any) -> QuestionView:
        """The verifier's view of an indexed entry: its words, facets and article numbers
        read from the point (``meta.view``, written by :meth:`stored_view`), or built from
        its text when the point has none or one built with other vocabularies."""
        stored = meta.get("view")
        return self.analyzer.view(
            str(meta.get("question") or ""), embedding, law_keys=meta.get("law_keys") or [],
            articles=meta.get("article_ids") or (), entry_field=str(meta.get("field") or ""),
            entry_id=str(meta.get("entry_id") or ""), status=str(meta.get("status") or "approved"),
            answer=str(meta.get("answer") or ""), answer_vector=unpack_vector(meta.get("answer_vector")),
            stored=stored if isinstance(stored, dict) else None,
        )

    def stored_view(self, meta: dict) -> dict:
        """The text-derived part of an entry's view, for its index point (``meta.view``): made
        by the analyzer's one function for it, from the very fields :meth:`candidate_view`
        reads back."""
        question = str(meta.get("question") or "")
        return self.analyzer.text_parts(question, self.analyzer.law_key_tuple(question, meta.get("law_keys") or []),
                                        str(meta.get("field") or ""), str(meta.get("answer") or ""))

    def ask(self, query: str, top_k: int = 5, qa_top_k: int = 3,
            statuses: tuple[str, ...] = ASK_STATUSES, draft_author: int | None = None) -> AskResult:
        """Best articles and verified Q&A candidates; raises QueryError on bad input."""
        started = time.perf_counter()
        pre, articles, vector, sparse = self._run(query, top_k)
        qa = self._match_qa(query, pre, articles, vector, sparse, qa_top_k, statuses, draft_author)
        return AskResult(
            query=query,
            articles=articles[:top_k],
            qa=qa,
            dense_text=pre["dense_text"],
            law_keys=pre["law_keys"],
            latency_ms=(time.perf_counter() - started) * 1000,
        )

    def search_articles(self, query: str, top_k: int = 5) -> list[ArticleHit]:
        return self.ask(query, top_k=top_k, qa_top_k=0).articles

    def qa_confidence_bounds(self, questions: list[str], entry_id: str) -> list[float]:
        """The verifier on (question, entry) alone, with what the rest of an ask could add
        at its most favourable (:mod:`assistant.match_bound`): the question's preprocessing
        and embedding exactly as an ask does them, no retrieval."""
        docs = self.qa_store.get_documents_by_id([f"qa:{entry_id}"])
        if not docs or str(docs[0].meta.get("status") or "") not in ASK_STATUSES:
            return [0.0 for _ in questions]
        candidate = self.candidate_view(docs[0].meta, docs[0].embedding)
        preprocess = self.pipeline.get_component("preprocess")
        out = []
        for question in questions:
            try:
                pre = preprocess.run(query=question)
            except QueryError:  # nothing to search: no ask of it returns the entry
                out.append(0.0)
                continue
            view = self.analyzer.view(question, self._embed(pre["dense_text"]), law_keys=pre.get("law_keys") or [])
            out.append(confidence_bound(self.verifier, view, candidate))
        return out

    def search_qa(self, query: str, top_k: int = 5, statuses: tuple[str, ...] = ASK_STATUSES,
                  draft_author: int | None = None) -> list[QAHit]:
        return self.ask(query, top_k=1, qa_top_k=top_k, statuses=statuses, draft_author=draft_author).qa

    def question_view(self, question: str, *, articles: bool = True) -> QuestionView:
        """The verifier's view of a question as an ask would build it (for calibration)."""
        pre, hits, vector, _ = self._run(question, self.EVIDENCE_ARTICLES)
        view = self.analyzer.view(question, vector, law_keys=pre.get("law_keys") or [],
                                  articles=[a.article_id for a in hits] if articles else ())
        view.extra["citations"] = {a.article_id: a.citation for a in hits}
        return view

    # -- Q&A entries in the index -------------------------------------------------
    def _entry_law_keys(self, entry: QAIndexEntry) -> list[str]:
        """Laws an entry is about: named in its question or citation, or of its cited articles."""
        keys = [law.key for law in laws_in_text(expand_abbreviations(f"{entry.question}\n{entry.citation_text}"))]
        if entry.article_ids:
            for doc in self.store.get_documents_by_id([str(a) for a in entry.article_ids]):
                if doc.meta.get("law_key"):
                    keys.append(str(doc.meta["law_key"]))
        return sorted({k for k in keys if k})

    def _qa_points(self, entries: list[QAIndexEntry], *, reuse: bool = False) -> list[Document]:
        """Index points of entries: the question's "query:" vector as the point's vector, the
        answer's "passage:" vector packed in the payload (``answer_vector``: the verifier orders
        candidates by it; embedded in one batch). ``reuse``: the vectors of the points being
        overwritten are kept where the text they came from is unchanged (one retrieve for
        all of them; :mod:`assistant.qa_vectors`)."""
        preprocess = self.pipeline.get_component("preprocess")
        docs, texts = [], []
        for entry in entries:
            doc = qa_document(entry, self._entry_law_keys(entry))
            doc.meta["view"] = self.stored_view(doc.meta)
            docs.append(doc)
            texts.append(preprocess.run(query=doc.meta["question"])["dense_text"])
        identity = self.embedding_identity
        wanted = [wanted_keys(identity, t, d.meta["answer"]) if identity else {}
                  for d, t in zip(docs, texts, strict=True)]
        stored: dict[str, Document] = {}
        if reuse and identity is not None:
            stored = {d.id: d for d in self.qa_store.get_documents_by_id([d.id for d in docs],
                                                                           meta_fields=STORED_FIELDS)}
        out = []
        for doc, text, keys in zip(docs, texts, wanted, strict=True):
            before = stored.get(doc.id)
            kept = reusable(keys, before.meta, before.embedding) if before is not None else Reused()
            vector = kept.question
            if vector is None:
                vector = self._embed(text)
                self._count("question")
            if kept.answer is not None:
                doc.meta["answer_vector"] = kept.answer
            out.append(replace(doc, embedding=vector))
        self._embed_answers(out)
        for doc, keys in zip(out, wanted, strict=True):
            if keys:  # a key only for a vector the point holds
                doc.meta[KEYS] = {k: v for k, v in keys.items() if k != ANSWER or "answer_vector" in doc.meta}
        return out

    def _embed_answers(self, docs: list[Document]) -> None:
        """Answer vectors of the points that have none yet, each distinct answer embedded once."""
        answers = sorted({d.meta["answer"] for d in docs if d.meta["answer"] and "answer_vector" not in d.meta})
        if not answers or self.document_embedder is None:
            return
        self.document_embedder.warm_up()
        embedded = self.document_embedder.run(documents=[Document(content=a) for a in answers])["documents"]
        self._count("answer", len(answers))
        packed = {a: pack_vector(e.embedding) for a, e in zip(answers, embedded, strict=True)}
        for d in docs:
            if d.meta["answer"] and "answer_vector" not in d.meta:
                d.meta["answer_vector"] = packed[d.meta["answer"]]

    def _count(self, vector: str, n: int = 1) -> None:
        with self._count_lock:
            self.qa_embedded[vector] += n

    def entry_view(self, entry: QAIndexEntry) -> QuestionView:
        """The verifier's view of an entry exactly as it would be indexed (for calibration)."""
        doc = self._qa_points([entry])[0]
        return self.candidate_view(doc.meta, doc.embedding)

    def upsert_qa(self, entries: list[QAIndexEntry]) -> None:
        """Write entries (any indexed status): the question preprocessed exactly like a query
        (normalised, abbreviations expanded, diacritics restored) and embedded with the
        "query: " prefix, so question ↔ question similarity is symmetric. A vector whose text
        is that of the point being overwritten is kept, not embedded again (an approval, a
        tag, a layout upgrade: :mod:`assistant.qa_vectors`)."""
        if not entries:
            return
        docs = self._qa_points(entries, reuse=True)
        with self._lock:
            docs = VietnameseSparseDocumentEmbedder(meta_fields=["title"]).run(docs)["documents"]
            self.qa_store.write_documents(docs, policy=DuplicatePolicy.OVERWRITE)

    def _stores(self) -> list[Any]:
        return [self.store] if self.qa_store is self.store else [self.store, self.qa_store]

    def delete_qa(self, entry_ids: list[str]) -> None:
        """Out of the Q&A store, and out of the legal one, which held the entries before."""
        if entry_ids:
            with self._lock:
                for store in self._stores():
                    store.delete_documents([f"qa:{e}" for e in entry_ids])

    def qa_entry_ids(self) -> set[str]:
        """Every Q&A entry in the index, whatever its status (a left-over point too)."""
        return set(self.qa_fingerprints())

    def qa_fingerprints(self) -> dict[str, list[str]]:
        """entry id → the fingerprint of each Q&A point carrying it (read from payloads).

        A Q&A point still in the legal store (written before the entries had a store of
        their own) reads as :data:`MOVED`, a fingerprint no entry has: the reconcile then
        deletes it and writes the entry into the Q&A store, as it does for stale text."""
        out: dict[str, list[str]] = {}
        for meta in self.qa_store.scroll_meta(QA_FILTER):
            out.setdefault(str(meta.get("entry_id")), []).append(indexed_fingerprint(meta))
        if self.qa_store is not self.store:
            for meta in self.store.scroll_meta(QA_FILTER):
                out.setdefault(str(meta.get("entry_id")), []).append(MOVED)
        return out

    def count_documents(self) -> int:
        return sum(int(store.count_documents()) for store in self._stores())

    def optimize_index(self) -> bool:
        """Build the search graphs after bulk writes (both stores; the legal articles' dense
        prefetch stays an exact scan unless the ranking says otherwise)."""
        with self._lock:
            return any([bool(store.optimize()) for store in self._stores()])

    def close(self) -> None:
        """Release the index (an Edge shard can be opened by one process at a time)."""
        for store in self._stores():
            store.close()

    def get_article(self, article_id: str) -> ArticleHit | None:
        docs = self.store.get_documents_by_id([article_id])
        docs = [d for d in docs if d.meta.get("kind") == "article"]
        return article_hit(docs[0], score=1.0) if docs else None

    def index_legal_articles(self, articles: list[LegalArticle],
                             on_progress: Callable[[int, int], None] | None = None) -> LegalIndexSummary:
        """Index parsed articles (a law file, an upload a reviewer confirmed); searchable on
        return. Nothing changed (the start-up reconcile, usually): nothing is embedded and
        the query pipeline is kept."""
        if self.document_embedder is None:
            raise RuntimeError("this engine was opened read-only (no document embedder)")
        with self._lock:
            result = index_articles(self.store, self.document_embedder, articles, on_progress=on_progress)
            changes = IndexChanges(**result.report.as_dict())
            restorer, retrained = self.restorer_path, False
            if restorer is not None and (changes.changed or not restorer.is_file()):
                train_restorer(self.store, restorer)
                retrained = True
        if retrained or changes.changed:
            self.reload()
        return LegalIndexSummary(report=changes, documents=result.documents, stats=result.stats)

    def legal_sources(self) -> dict[str, int]:
        """source → how many articles and clause chunks of it are indexed."""
        return dict(Counter(str(m.get("source") or "") for m in self.store.scroll_meta(LEGAL_KINDS)))

    def law_indexed(self, law_key: str) -> bool:
        """Whether any article of the law (by catalogue key or number) is indexed."""
        return self.store.count_documents_by_filter(self._law_articles(law_key)) > 0

    @staticmethod
    def _law_articles(law_key: str, *conditions: dict) -> dict:
        """Articles of one law, matched by its catalogue key or number (uploads may carry
        only the number)."""
        law = load_catalogue().by_key(law_key)
        laws = [{"field": "meta.law_key", "operator": "==", "value": law_key}]
        if law is not None and law.number:
            laws.append({"field": "meta.law_number", "operator": "==", "value": law.number})
        return {"operator": "AND", "conditions": [
            {"field": "meta.kind", "operator": "==", "value": "article"}, *conditions,
            {"operator": "OR", "conditions": laws},
        ]}

    def _whole_articles(self, docs: list[Document]) -> list[Document]:
        """Ranked articles with their whole text: when a clause chunk won, the ranked
        document holds only that clause, so the article's own text is fetched (one
        lookup by id for all of them); rank, score and best clause stay."""
        partial = [d.id for d in docs if d.meta.get("kind") == "clause"]
        if not partial:
            return docs
        # no vectors: a long article's sparse vector alone is thousands of terms to convert
        whole = {d.id: d for d in self.store.get_documents_by_id(partial, return_embedding=False)}
        return [Document(id=d.id, content=whole[d.id].content, meta=d.meta, score=d.score)
                if d.id in whole else d for d in docs]

    def get_article_by_number(self, law_key: str, number: str) -> ArticleHit | None:
        """Exact lookup by law and article number ("BLTTDS", "273"): a question that is a
        citation must open that article, not whatever ranks first."""
        docs = self.store.filter_documents(self._law_articles(
            law_key, {"field": "meta.article_number", "operator": "==", "value": str(number)}))
        return article_hit(min(docs, key=lambda d: d.id), score=1.0) if docs else None

    def delete_legal_source(self, source: str) -> int:
        """Remove every article and clause of one source (a withdrawn upload); returns
        how many documents left the index."""
        scope = {"operator": "AND", "conditions": [
            LEGAL_KINDS, {"field": "meta.source", "operator": "==", "value": source}]}
        with self._lock:
            ids = self.store.scroll_ids(scope)
            if ids:
                self.store.delete_documents(ids)
        if ids:
            self.reload()
        return len(ids)
