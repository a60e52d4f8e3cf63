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
    """A Q&A entry as it is written into the index: every entry that is not retired or
    rejected (draft, pending, approved), with its ``status`` and author as payload, so
    that asks filter approved ones and the duplicate check sees the rest."""

    entry_id: str
    question: str
    answer: str
    field: str
    court_code: str | None = None
    article_ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    status: str = "approved"
    author_id: int | None = None
    citation_text: str = ""


# The statuses an ask sees, and the ones the duplicate check sees (drafts: the actor's own).
ASK_STATUSES: tuple[str, ...] = ("approved",)
SIMILAR_STATUSES: tuple[str, ...] = ("approved", "pending", "draft")
INDEXED_STATUSES: frozenset[str] = frozenset({"draft", "pending", "approved"})


@dataclass(frozen=True)
class QAHit:
    """A candidate entry for a question. ``score`` is the retrieval score (rank-fused, not
    absolute); ``confidence`` the verifier's calibrated probability that the entry answers
    the question, with short Vietnamese ``reasons``. ``is_duplicate`` is decided by the
    service (duplicate threshold)."""

    entry_id: str
    score: float
    question: str
    answer: str
    article_ids: tuple[str, ...] = field(default_factory=tuple)
    confidence: float = 0.0
    reasons: tuple[str, ...] = ()
    status: str = "approved"
    is_duplicate: bool = False


class SearchEngine(Protocol):
    def search_articles(self, query: str, top_k: int = 5) -> list[ArticleHit]: ...

    def search_qa(self, query: str, top_k: int = 5, statuses: tuple[str, ...] = ASK_STATUSES,
                  draft_author: int | None = None) -> list[QAHit]:
        """Verified candidates, best confidence first. ``statuses`` may include "draft";
        then ``draft_author`` limits drafts to that author's (None = every draft)."""
        ...

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
