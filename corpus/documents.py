"""Haystack component turning parsed articles into the Documents we embed and index.

Why one document per article *and* per clause of long articles: a judge's question
usually targets one clause ("thời hạn kháng cáo quyết định"), which a long article
dilutes; the article document still serves broad questions and carries the full
text for display. Ids are deterministic so re-indexing is idempotent.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from haystack import Document, component

from corpus.legal_model import LegalArticle

LONG_ARTICLE_WORDS = 120
HIERARCHY_SEP = " › "


def _meta(article: LegalArticle, kind: str, clause: str | None) -> dict[str, Any]:
    return {
        "kind": kind,
        "article_id": article.article_id,
        "article_number": article.article_number,
        "clause": clause,
        "title": article.title,
        "law_number": article.law_number,
        "law_name": article.law_name,
        "law_short": article.law_short,
        "law_key": article.law_key,
        "doc_type": article.doc_type,
        "topic": article.topic,
        "hierarchy": HIERARCHY_SEP.join(article.hierarchy),
        "effective_date": article.effective_date,
        "citation": article.citation(clause),
        "content_hash": article.content_hash,
        "source": article.source,
    }


def is_long(article: LegalArticle) -> bool:
    """Split into clause documents: > LONG_ARTICLE_WORDS words and ≥ 2 uniquely numbered clauses."""
    numbered = [c.number for c in article.clauses if c.number]
    return (
        len(article.text.split()) > LONG_ARTICLE_WORDS
        and len(numbered) >= 2
        and len(set(numbered)) == len(numbered)  # merged multi-original articles repeat numbers
    )


def article_documents(article: LegalArticle) -> list[Document]:
    """Documents for one (non-repealed) article: the article, then its clauses if long."""
    head = f"Điều {article.article_number}"
    if article.title:
        head = f"{head}. {article.title}".rstrip(". ")
    docs = [Document(id=article.article_id, content=f"{head}\n{article.text}", meta=_meta(article, "article", None))]
    if is_long(article):
        for clause in article.clauses:
            if not clause.number:
                continue
            docs.append(
                Document(
                    id=f"{article.article_id}#k{clause.number}",
                    content=f"{head} – khoản {clause.number}\n{clause.full_text()}",
                    meta=_meta(article, "clause", clause.number),
                )
            )
    return docs


@component
class LegalArticleToDocuments:
    """LegalArticle list → haystack Documents (repealed/empty articles are skipped and counted)."""

    @component.output_types(documents=list[Document], skipped=int)
    def run(self, articles: list[LegalArticle]) -> dict[str, Any]:
        documents: list[Document] = []
        seen: set[str] = set()
        skipped = 0
        for article in articles:
            if article.repealed or article.article_id in seen:
                skipped += 1
                continue
            seen.add(article.article_id)
            documents.extend(article_documents(article))
        return {"documents": documents, "skipped": skipped}


def parse_stats(articles: list[LegalArticle]) -> dict[str, dict[str, int]]:
    """Per law (short name): articles (in force), clauses, points, repealed (incl. empty), multi-original."""
    stats: dict[str, dict[str, int]] = defaultdict(lambda: dict(articles=0, clauses=0, points=0, repealed=0, multi=0))
    for a in articles:
        s = stats[a.law_short or a.law_number or "?"]
        if a.repealed:
            s["repealed"] += 1
            continue
        s["articles"] += 1
        s["clauses"] += sum(1 for c in a.clauses if c.number)
        s["points"] += a.n_points
        s["multi"] += bool(a.extra_originals)
    return dict(stats)
