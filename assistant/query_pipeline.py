"""The Haystack query pipeline: question → cited articles.

    preprocess ─dense_text──▶ dense (e5 "query: ") ─┐
               ─lexical_text▶ sparse (terms) ───────┼▶ articles_retriever ▶ aggregate ▶ articles
               └law_weights, law_keys ───────────────────────────────────────▲──────────▲

``aggregate`` (chunks → articles, assistant.article_ranking) is named ``articles`` itself when
the second stage (``RankingConfig.rerank``, assistant.article_rerank) is off.

The engine matches Q&A entries itself from the same query vectors, in their own store
(their candidates need their stored vectors and a status filter per call, then the
answer_match verifier).

Every ranking option comes from one :class:`~assistant.ranking_config.RankingConfig`
(``mode``: ``hybrid`` dense + sparse fused inside Qdrant, ``dense`` or ``sparse``; fusion;
candidates; law and title re-ranking), so a pipeline built here ranks as the engine does.
"""

from __future__ import annotations

from typing import Any

from haystack import Pipeline

from assistant.article_ranking import ArticleAggregator
from assistant.article_rerank import ArticleReranker
from assistant.query_processing import QueryPreprocessor
from assistant.ranking_config import MODES, RankingConfig
from indexing.embedders import fresh_copy
from indexing.retrievers import EdgeEmbeddingRetriever, EdgeHybridRetriever, EdgeSparseEmbeddingRetriever
from indexing.sparse import VietnameseSparseTextEmbedder

# Legal documents are everything that is not a Q&A entry (kinds: article, clause, qa): Q&A
# entries have a store of their own, but a legal store written by an earlier release holds
# them until the reconcile moves them (assistant.search_types.MOVED).
# Spelt as "!= qa" because Qdrant Edge evaluates a negated single value about twice as
# fast as a two-value "in" over every point of a filtered full scan (5.4 → 2.7 ms/query).
LEGAL_FILTER = {"field": "meta.kind", "operator": "!=", "value": "qa"}
QA_FILTER = {"field": "meta.kind", "operator": "==", "value": "qa"}


def qa_status_filter(statuses: tuple[str, ...] | list[str], draft_author: int | None = None) -> dict:
    """Q&A points with one of ``statuses``; drafts only of ``draft_author`` when one is given.

    Filtered inside Qdrant on the indexed ``meta.status`` / ``meta.author`` payload, so the
    cost does not grow with the number of entries (no scan in Python).
    """
    statuses = list(dict.fromkeys(statuses))
    if "draft" in statuses and draft_author is not None:
        others = [s for s in statuses if s != "draft"]
        own_drafts = {"operator": "AND", "conditions": [
            {"field": "meta.status", "operator": "==", "value": "draft"},
            {"field": "meta.author", "operator": "==", "value": str(draft_author)}]}
        status = {"operator": "OR", "conditions": [own_drafts] + (
            [{"field": "meta.status", "operator": "in", "value": others}] if others else [])}
    else:
        status = {"field": "meta.status", "operator": "in", "value": statuses}
    return {"operator": "AND", "conditions": [QA_FILTER, status]}


def _retriever(store: Any, mode: str, top_k: int, filters: dict, fusion: str, rrf_k: int, weights: Any,
               dbsf_weights: Any = None, exact: bool = False) -> Any:
    if mode == "hybrid":
        return EdgeHybridRetriever(
            document_store=store,
            top_k=top_k,
            prefetch_k=top_k,
            filters=filters,
            fusion=fusion,
            rrf_k=rrf_k,
            rrf_weights=list(weights) if weights else None,
            exact=exact,
            dbsf_weights=list(dbsf_weights) if dbsf_weights is not None else None,
        )
    if mode == "dense":
        return EdgeEmbeddingRetriever(document_store=store, top_k=top_k, filters=filters, exact=exact)
    if mode == "sparse":
        return EdgeSparseEmbeddingRetriever(document_store=store, top_k=top_k, filters=filters)
    raise ValueError(f"mode must be one of {MODES}, got {mode!r}")


def build_query_pipeline(
    store: Any,
    text_embedder: Any,
    ranking: RankingConfig,
    *,
    restorer_path: str | None = None,
    top_k: int = 10,
) -> Pipeline:
    mode, candidates = ranking.mode, ranking.candidates
    law_boost, title_weight = ranking.law_boost, ranking.title_weight
    fusion, rrf_k, rrf_weights = ranking.fusion, ranking.rrf_k, ranking.rrf_weights
    pipe = Pipeline()
    pipe.add_component("preprocess", QueryPreprocessor(restorer_path=restorer_path))
    # The legal articles' dense candidates come from an exact scan whatever the shard holds
    # (``exact_legal``, the default): Q&A points written in bulk get an HNSW graph
    # (``optimize``), which would otherwise move the legal ranking too (benchmarks.md, "exact
    # scan vs HNSW"); a library near a million points turns it off.
    pipe.add_component("articles_retriever",
                       _retriever(store, mode, candidates, LEGAL_FILTER, fusion, rrf_k, rrf_weights,
                                  ranking.dbsf_weights, exact=ranking.exact_legal))
    # With the second stage on, the aggregator hands its best ``rerank_candidates`` articles
    # to the re-ranker, which is then the pipeline's "articles" (what callers read).
    aggregate = "aggregate" if ranking.rerank else "articles"
    pipe.add_component(aggregate, ArticleAggregator(
        top_k=max(top_k, ranking.rerank_candidates) if ranking.rerank else top_k, law_boost=law_boost,
        title_weight=title_weight, guidance_penalty=ranking.guidance_penalty,
        field_conflict=ranking.field_conflict, act_conflict=ranking.act_conflict))
    if ranking.rerank:
        pipe.add_component("articles", ArticleReranker(top_k=top_k, model_path=ranking.rerank_model))
    if mode in ("hybrid", "dense"):
        pipe.add_component("dense", fresh_copy(text_embedder))
        pipe.connect("preprocess.dense_text", "dense.text")
        pipe.connect("dense.embedding", "articles_retriever.query_embedding")
    if mode in ("hybrid", "sparse"):
        pipe.add_component("sparse", VietnameseSparseTextEmbedder())
        pipe.connect("preprocess.lexical_text", "sparse.text")
        pipe.connect("sparse.sparse_embedding", "articles_retriever.query_sparse_embedding")
    pipe.connect("articles_retriever.documents", f"{aggregate}.documents")
    pipe.connect("preprocess.law_weights", f"{aggregate}.law_weights")
    pipe.connect("preprocess.lexical_text", f"{aggregate}.query")
    pipe.connect("preprocess.law_keys", f"{aggregate}.law_keys")
    if ranking.rerank:
        pipe.connect("aggregate.documents", "articles.documents")
        pipe.connect("preprocess.lexical_text", "articles.query")
        pipe.connect("preprocess.law_keys", "articles.law_keys")
        pipe.connect("preprocess.law_weights", "articles.law_weights")
    return pipe
