"""From retrieved chunks to ranked articles, each with its best clause.

Why: the index holds whole articles and, for long ones, their clauses, so one article
can come back several times. A judge wants each article once, at the rank of its best
piece, with that clause shown ("khoản 1 Điều 273 …"). This is also where the question's
own words about the law ("theo Bộ luật Hình sự") re-rank candidates.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict

from corpus.vietnamese import fold_diacritics, syllables

_CLAUSE_START = re.compile(r"^(\d+)\.\s", re.M)


def _folded_words(text: str) -> list[str]:
    return [fold_diacritics(w) for w in syllables(text)]


def _terms(text: str) -> set[str]:
    words = _folded_words(text)
    return set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}


def title_precision(title: str, query_words: set[str]) -> float:
    """Share of the title's words that the question uses (1.0 when there is no title).

    Why: of two articles that both match "thời hạn kháng cáo bản án sơ thẩm", the one
    titled exactly "Thời hạn kháng cáo" is the general rule; "… theo thủ tục rút gọn" is a
    special case the question did not ask about. Extra title words the judge did not use
    are evidence against an article; the sparse vector cannot see that.
    """
    words = _folded_words(title)
    if not words:
        return 1.0
    return sum(1 for w in words if w in query_words) / len(words)


def best_clause(article_text: str, query: str) -> tuple[str, str] | None:
    """(number, text) of the clause sharing most words and word pairs with the query."""
    starts = list(_CLAUSE_START.finditer(article_text))
    if not starts:
        return None
    wanted = _terms(query)
    best: tuple[int, str, str] | None = None
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(article_text)
        text = article_text[match.start() : end].strip()
        score = len(wanted & _terms(text))
        if best is None or score > best[0]:
            best = (score, match.group(1), text)
    return (best[1], best[2]) if best and best[0] > 0 else None


@component
class ArticleAggregator:
    """Chunks → one document per article (best score wins), lifted by ``law_boost × law weight``
    and lowered by ``title_weight × (1 − title precision)``."""

    def __init__(self, top_k: int = 10, law_boost: float = 0.0, title_weight: float = 0.0):
        self.top_k = top_k
        self.law_boost = law_boost
        self.title_weight = title_weight

    @component.output_types(documents=list[Document])
    def run(
        self,
        documents: list[Document],
        law_weights: dict[str, float] | None = None,
        top_k: int | None = None,
        query: str | None = None,
    ) -> dict[str, Any]:
        top_k = top_k or self.top_k
        weights = law_weights or {}
        query_words = set(_folded_words(query or ""))
        best: dict[str, Document] = {}
        best_clause_doc: dict[str, Document] = {}
        for doc in documents:
            article_id = doc.meta.get("article_id") or doc.id
            score = float(doc.score or 0.0)
            score *= 1.0 + self.law_boost * weights.get(str(doc.meta.get("law_key")), 0.0)
            if doc.meta.get("kind") == "clause" and article_id not in best_clause_doc:
                best_clause_doc[article_id] = doc
            if article_id not in best or score > float(best[article_id].score or 0.0):
                best[article_id] = Document(id=article_id, content=doc.content, meta=dict(doc.meta), score=score)
        ranked = sorted(best.values(), key=lambda d: -float(d.score or 0.0))[:top_k]
        if self.title_weight and query_words:
            # Reorders the chosen articles only: which articles are shown stays the fused
            # retrieval's decision, the title decides between close ones.
            ranked = sorted(
                (replace(doc, score=float(doc.score or 0.0) * (1.0 + self.title_weight * (
                    title_precision(str(doc.meta.get("title") or ""), query_words) - 1.0)))
                 for doc in ranked),
                key=lambda d: -float(d.score or 0.0),
            )
        for doc in ranked:
            clause = best_clause_doc.get(doc.id)
            if clause is not None:
                doc.meta["best_clause"] = clause.meta.get("clause")
                doc.meta["best_clause_text"] = clause.content
            elif query and (found := best_clause(doc.content or "", query)):
                doc.meta["best_clause"], doc.meta["best_clause_text"] = found
        return {"documents": ranked}

    def to_dict(self) -> dict:
        return default_to_dict(self, top_k=self.top_k, law_boost=self.law_boost, title_weight=self.title_weight)

    @classmethod
    def from_dict(cls, data: dict) -> ArticleAggregator:
        return default_from_dict(cls, data)
