"""From retrieved chunks to ranked articles, each with its best clause.

Why: the index holds whole articles and, for long ones, their clauses, so one article
can come back several times. A judge wants each article once, at the rank of its best
piece, with that clause shown ("khoản 1 Điều 273 …"). This is also where the question's
own words about the law ("theo Bộ luật Hình sự") re-rank candidates.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict

from assistant.answer_match.facets import load_vocabulary
from assistant.article_facets import ArticleViews, FacetPenalty, question_facets
from corpus.vietnamese import fold_diacritics, syllables

_CLAUSE_START = re.compile(r"^(\d+)\.\s", re.M)


def _folded_words(text: str) -> list[str]:
    return [fold_diacritics(w) for w in syllables(text)]


# The same clauses come back ask after ask (an ask picks the best clause of ~3 articles:
# ~2 clause texts each, plus its own text); bounded, as a clause's terms are ~7 kB.
@lru_cache(maxsize=4096)
def _terms(text: str) -> frozenset[str]:
    words = _folded_words(text)
    return frozenset(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}


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
    """Chunks → one document per article (best score wins), lifted by ``law_boost × law weight``,
    lowered by the facet ``penalty`` (guidance document, other field, other procedural act;
    :class:`~assistant.article_facets.FacetPenalty`) and by ``title_weight × (1 − title precision)``."""

    def __init__(self, top_k: int = 10, law_boost: float = 0.0, title_weight: float = 0.0,
                 guidance_penalty: float = 0.0, field_conflict: float = 0.0, act_conflict: float = 0.0):
        self.top_k = top_k
        self.law_boost = law_boost
        self.title_weight = title_weight
        self.penalty = FacetPenalty(guidance=guidance_penalty, field=field_conflict, act=act_conflict)
        self._views = ArticleViews(load_vocabulary()) if self.penalty.active() else None

    def _factors(self, documents: list[Document], query: str | None,
                 law_keys: list[str] | None) -> dict[str, tuple[float, bool]]:
        """article id → (the facet penalty's multiplier, whether its field conflicts)."""
        if self._views is None or not documents:
            return {}
        vocabulary = self._views.vocabulary
        q_facets = question_facets(query or "", law_keys, vocabulary)
        out: dict[str, tuple[float, bool]] = {}
        for doc in documents:
            article_id = doc.meta.get("article_id") or doc.id
            if article_id not in out:
                view = self._views.view(doc)
                out[article_id] = self.penalty.factor(q_facets, view, vocabulary)
        return out

    @component.output_types(documents=list[Document])
    def run(
        self,
        documents: list[Document],
        law_weights: dict[str, float] | None = None,
        top_k: int | None = None,
        query: str | None = None,
        law_keys: list[str] | None = None,
    ) -> dict[str, Any]:
        top_k = top_k or self.top_k
        weights = law_weights or {}
        query_words = set(_folded_words(query or ""))
        factors = self._factors(documents, query, law_keys)
        # article id → (its best score, the chunk that scored it): a Document is made for
        # the ``top_k`` kept only (one per improving chunk was most of this loop's time)
        best: dict[str, tuple[float, Document]] = {}
        best_clause_doc: dict[str, Document] = {}
        for doc in documents:
            article_id = doc.meta.get("article_id") or doc.id
            score = float(doc.score or 0.0)
            factor, other_field = factors.get(article_id, (1.0, False))
            # A hint ("đương sự" → BLTTDS or Luật TTHC) does not lift an article of another
            # field than the question names; a code named outright still does.
            weight = weights.get(str(doc.meta.get("law_key")), 0.0)
            if other_field and self.penalty.field and weight < 1.0:
                weight = 0.0
            score *= (1.0 + self.law_boost * weight) * factor
            if doc.meta.get("kind") == "clause" and article_id not in best_clause_doc:
                best_clause_doc[article_id] = doc
            if article_id not in best or score > float(best[article_id][0] or 0.0):
                best[article_id] = (score, doc)
        kept = sorted(best.items(), key=lambda item: -float(item[1][0] or 0.0))[:top_k]
        if self.title_weight and query_words:
            # Reorders the chosen articles only: which articles are shown stays the fused
            # retrieval's decision, the title decides between close ones.
            kept = sorted(
                ((article_id, (float(score or 0.0) * (1.0 + self.title_weight * (
                    title_precision(str(doc.meta.get("title") or ""), query_words) - 1.0)), doc))
                 for article_id, (score, doc) in kept),
                key=lambda item: -float(item[1][0] or 0.0),
            )
        ranked = [Document(id=article_id, content=doc.content, meta=dict(doc.meta), score=score)
                  for article_id, (score, doc) in kept]
        for doc in ranked:
            clause = best_clause_doc.get(doc.id)
            if clause is not None:
                doc.meta["best_clause"] = clause.meta.get("clause")
                doc.meta["best_clause_text"] = clause.content
            elif query and (found := best_clause(doc.content or "", query)):
                doc.meta["best_clause"], doc.meta["best_clause_text"] = found
        return {"documents": ranked}

    def to_dict(self) -> dict:
        return default_to_dict(self, top_k=self.top_k, law_boost=self.law_boost, title_weight=self.title_weight,
                               guidance_penalty=self.penalty.guidance, field_conflict=self.penalty.field,
                               act_conflict=self.penalty.act)

    @classmethod
    def from_dict(cls, data: dict) -> ArticleAggregator:
        return default_from_dict(cls, data)
