"""Retrieval metrics computed with Haystack's document evaluators.

Why Haystack's evaluators: they are the reference implementations the pipelines are
built with; we only slice the ranking at each cut-off and compare by article id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from haystack import Document
from haystack.components.evaluators import DocumentMRREvaluator, DocumentNDCGEvaluator, DocumentRecallEvaluator

RECALL_CUTOFFS = (1, 5, 10)


def _docs(ids: Sequence[str]) -> list[Document]:
    return [Document(id=i, content=i) for i in ids]


def _dedupe(ids: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def retrieval_metrics(gold: Sequence[Sequence[str]], ranked: Sequence[Sequence[str]]) -> dict[str, float]:
    """R@1/5/10 (any gold article in the top k), MRR@10 and nDCG@10 (binary relevance)."""
    truth = [_docs(_dedupe(g)) for g in gold]
    out: dict[str, float] = {"n": len(gold)}
    recall = DocumentRecallEvaluator(mode="single_hit")
    for k in RECALL_CUTOFFS:
        out[f"recall@{k}"] = recall.run(truth, [_docs(_dedupe(r)[:k]) for r in ranked])["score"]
    top10 = [_docs(_dedupe(r)[:10]) for r in ranked]
    out["mrr@10"] = DocumentMRREvaluator().run(truth, top10)["score"]
    out["ndcg@10"] = DocumentNDCGEvaluator().run(truth, top10)["score"]
    return out


def metrics_by_source(
    sources: Sequence[str], gold: Sequence[Sequence[str]], ranked: Sequence[Sequence[str]]
) -> dict[str, dict[str, float]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, source in enumerate(sources):
        groups[source or "-"].append(i)
    return {
        source: retrieval_metrics([gold[i] for i in idx], [ranked[i] for i in idx])
        for source, idx in sorted(groups.items())
    }


def macro_f2(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> float:
    """ALQAC Task 1's metric: F2 per question (recall weighted 4×), averaged."""
    total = 0.0
    for g, p in zip(gold, predicted, strict=False):
        gs, ps = set(g), set(p)
        hit = len(gs & ps)
        if not hit:
            continue
        precision, recall = hit / len(ps), hit / len(gs)
        total += 5 * precision * recall / (4 * precision + recall)
    return total / max(1, len(gold))
