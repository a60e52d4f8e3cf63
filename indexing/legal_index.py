"""Index legal sources: parse → documents → (only what changed) embed → Qdrant.

Why a module: ``troly index laws`` and the demo set-up both do exactly this, and the
diacritics restorer must be retrained from the same texts whenever they change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.diacritics import DiacriticRestorer
from corpus.documents import LegalArticleToDocuments, parse_stats
from corpus.legal_model import LegalArticle
from corpus.loaders import load_legal_sources
from indexing.sync import SyncReport, build_indexing_pipeline, sync_documents

ARTICLE_FILTER = {"field": "meta.kind", "operator": "==", "value": "article"}


@dataclass
class LegalIndexResult:
    stats: dict[str, dict[str, int]]
    report: SyncReport
    documents: int


def parse_sources(paths: list[Path]) -> list[LegalArticle]:
    """Parse every path; ``source`` becomes the file name so scopes survive a changed cwd."""
    articles = load_legal_sources([Path(p) for p in paths])
    for article in articles:
        article.source = Path(article.source).name
    return articles


def index_articles(
    store: Any,
    dense_embedder: Any,
    articles: list[LegalArticle],
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> LegalIndexResult:
    """Sync the store's legal documents from ``articles``' sources with those articles."""
    documents = LegalArticleToDocuments().run(articles)["documents"]
    sources = sorted({str(d.meta["source"]) for d in documents} | {a.source for a in articles})
    scope = {
        "operator": "AND",
        "conditions": [
            {"field": "meta.kind", "operator": "in", "value": ["article", "clause"]},
            {"field": "meta.source", "operator": "in", "value": sources},
        ],
    }
    pipeline = build_indexing_pipeline(store, dense_embedder)
    report = sync_documents(store, documents, pipeline, scope, on_progress=on_progress)
    return LegalIndexResult(parse_stats(articles), report, len(documents))


def train_restorer(store: Any, target: Path) -> DiacriticRestorer:
    """Learn the diacritics restorer from every indexed article and save it atomically."""
    texts = [d.content or "" for d in store.filter_documents(ARTICLE_FILTER)]
    restorer = DiacriticRestorer.train(texts)
    restorer.save(target)
    return restorer
