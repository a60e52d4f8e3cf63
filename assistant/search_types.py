"""What the knowledge-base service needs from the search engine, as a Protocol.

Why: the service layer (contributions, review, statistics) must not care whether
search runs on the embedded Qdrant Edge shard or a Qdrant server, nor how hybrid
retrieval is tuned. It talks to this interface; ``assistant.search_engine``
implements it over the real index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class ArticleHit:
    """One legal article (or the best clause of it) returned for a query."""

    article_id: str  # pháp điển id, e.g. "37.5.LQ.273"
    score: float
    title: str  # "Thời hạn kháng cáo"
    citation: str  # "khoản 1 Điều 273 Bộ luật Tố tụng dân sự 2015"
    law_short: str  # "BLTTDS 2015"
    law_number: str  # "92/2015/QH13"
    article_number: str  # "273"
    text: str  # full article text
    clause: str | None = None  # best-matching clause number, e.g. "1"
    highlight: str = ""  # the matching clause text


@dataclass(frozen=True)
class QAIndexEntry:
    """An approved Q&A entry as it is written into the index."""

    entry_id: str
    question: str
    answer: str
    field: str
    court_code: str | None = None
    article_ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class QAHit:
    entry_id: str
    score: float
    question: str
    answer: str
    article_ids: tuple[str, ...] = field(default_factory=tuple)


class SearchEngine(Protocol):
    def search_articles(self, query: str, top_k: int = 5) -> list[ArticleHit]: ...

    def search_qa(self, query: str, top_k: int = 5) -> list[QAHit]: ...

    def upsert_qa(self, entries: list[QAIndexEntry]) -> None: ...

    def delete_qa(self, entry_ids: list[str]) -> None: ...

    def qa_entry_ids(self) -> set[str]: ...

    def get_article(self, article_id: str) -> ArticleHit | None: ...

    def get_article_by_number(self, law_key: str, number: str) -> ArticleHit | None:
        """The article numbered ``number`` ("273") of the catalogue law ``law_key``
        ("BLTTDS", "326/2016/UBTVQH14"): an exact lookup, for citations typed as questions."""
        ...


@dataclass
class AskResult:
    """Everything one question returns, with how long it took.

    Here, not in ``assistant.search_engine``: the server's search process sends it back
    pickled, and unpickling must not import the engine's modules (torch) into the API.
    """

    query: str
    articles: list[ArticleHit]
    qa: list[QAHit]
    dense_text: str = ""
    law_keys: list[str] = field(default_factory=list)
    latency_ms: float = 0.0
