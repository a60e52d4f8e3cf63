"""The one seam between the services and the search engine: the :class:`SearchEngine`
Protocol and the plain data that crosses it.

Why: the service layer (asks, contributions, review, uploads, start-up reconcile,
metrics) must not care whether the engine runs in this process
(``assistant.search_engine.LegalSearchEngine``), in a child process
(``assistant.search_process.SearchProcess``, whose allowed calls are
:data:`ENGINE_METHODS`) or is the tests' in-memory fake. Services call the Protocol's
methods and nothing else — no probing for optional ones. Everything here is plain
dataclasses that pickle without importing the engine's modules (torch, Haystack).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from corpus.vietnamese import normalize_text

if TYPE_CHECKING:
    from corpus.legal_model import LegalArticle


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


# 2: the point is the entry's question (q↔q vector), status payload; 3: answer vector;
# 4: the verifier's view of the entry (words, facets, article numbers: ``meta.view``)
QA_INDEX_VERSION = 4


def qa_fingerprint(entry: QAIndexEntry, version: int | None = QA_INDEX_VERSION) -> str:
    """A hash of everything the index holds of an entry (its text, status, author, the
    index layout ``version``): the start-up reconcile compares the database's with the
    index's (:meth:`SearchEngine.qa_fingerprints`) to find stale text. A point written by
    an older layout never matches, so it is rewritten."""
    parts = [normalize_text(entry.question), normalize_text(entry.answer), entry.field or "",
             entry.court_code or "", [str(a) for a in entry.article_ids], [str(t) for t in entry.tags],
             entry.status, str(entry.author_id) if entry.author_id is not None else "",
             normalize_text(entry.citation_text or ""), version]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()[:32]


# The fingerprint :meth:`SearchEngine.qa_fingerprints` gives a point that must be deleted, not
# overwritten: a Q&A point left in the legal store by a release before the entries had a store
# of their own. No entry has it, so the entry reads as stale.
MOVED = "moved-to-the-qa-store"

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
    rank: float = 0.0  # the verifier's order key (Verdict.rank): best first


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


@dataclass(frozen=True)
class IndexChanges:
    """How many index documents (articles and their clause chunks) one indexing run
    added, rewrote, left alone and removed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def as_dict(self) -> dict[str, int]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "removed": self.removed}


@dataclass(frozen=True)
class LegalIndexSummary:
    """What :meth:`SearchEngine.index_legal_articles` did: the changes, how many
    documents the articles became, and parse statistics per source."""

    report: IndexChanges
    documents: int = 0
    stats: dict[str, dict[str, int]] = field(default_factory=dict)


@runtime_checkable
class SearchEngine(Protocol):
    """Everything a service may ask of the search engine (see the module docstring).

    Query methods raise :class:`assistant.query_processing.QueryError` (a 422) for input
    with nothing to search ("?", "!!!"), through every implementation."""

    # -- asking ----------------------------------------------------------------------
    def ask(self, query: str, top_k: int = 5, qa_top_k: int = 3, statuses: tuple[str, ...] = ASK_STATUSES,
            draft_author: int | None = None) -> AskResult:
        """Articles and verified Q&A candidates of one question, in one retrieval run."""
        ...

    def search_articles(self, query: str, top_k: int = 5) -> list[ArticleHit]: ...

    def search_qa(self, query: str, top_k: int = 5, statuses: tuple[str, ...] = ASK_STATUSES,
                  draft_author: int | None = None) -> list[QAHit]:
        """Verified candidates, best confidence first. ``statuses`` may include "draft";
        then ``draft_author`` limits drafts to that author's (None = every draft)."""
        ...

    def qa_confidence_bounds(self, questions: list[str], entry_id: str) -> list[float]:
        """For each question, a confidence that ``entry_id`` cannot exceed as a candidate
        of :meth:`search_qa` for it (1.0 = no bound known; 0.0 = not an askable entry).
        Why: an approval re-asks the open unanswered questions the new entry may answer
        (``unanswered.close_answered_by``); one pair through the verifier rules most of
        them out at a fraction of a whole ask."""
        ...

    # -- Q&A entries in the index ----------------------------------------------------
    def upsert_qa(self, entries: list[QAIndexEntry]) -> None: ...

    def delete_qa(self, entry_ids: list[str]) -> None: ...

    def qa_entry_ids(self) -> set[str]:
        """Every Q&A entry in the index, whatever its status."""
        ...

    def qa_fingerprints(self) -> dict[str, list[str]]:
        """entry id → the :func:`qa_fingerprint` of each index point carrying it."""
        ...

    # -- legal articles --------------------------------------------------------------
    def get_article(self, article_id: str) -> ArticleHit | None: ...

    def get_article_by_number(self, law_key: str, number: str) -> ArticleHit | None:
        """The article numbered ``number`` ("273") of the catalogue law ``law_key``
        ("BLTTDS", "326/2016/UBTVQH14"): an exact lookup, for citations typed as questions."""
        ...

    def law_indexed(self, law_key: str) -> bool:
        """Whether any article of the catalogue law ``law_key`` is in the index (a citation
        of a missing article is an error in an indexed law, a warning otherwise)."""
        ...

    def index_legal_articles(self, articles: list[LegalArticle],
                             on_progress: Callable[[int, int], None] | None = None) -> LegalIndexSummary:
        """Make the index hold exactly these articles for their sources (only what changed
        is embedded); searchable on return. ``on_progress(done, total)`` as it goes."""
        ...

    def delete_legal_source(self, source: str) -> int:
        """Remove every article of one source (a withdrawn upload); how many documents left."""
        ...

    def legal_sources(self) -> dict[str, int]:
        """source → how many legal documents of it are in the index."""
        ...

    # -- the index as a whole --------------------------------------------------------
    def count_documents(self) -> int:
        """Every document in the index: articles, clause chunks, Q&A points."""
        ...

    def optimize_index(self) -> bool:
        """Build the index's search graphs after a bulk write; blocks; True when something
        was rebuilt. Why: an embedded shard has no background optimiser, so thousands of
        Q&A points written at once would be scanned one by one on every ask (national
        set: 12 ms of each ask's CPU). The legal articles keep their exact-scan ranking."""
        ...

    def close(self) -> None:
        """Release the index (and the child process, if any)."""
        ...


def protocol_methods(protocol: type) -> frozenset[str]:
    """The public members a Protocol declares (its own and inherited, ``typing`` excluded)."""
    names: set[str] = set()
    for klass in protocol.__mro__:
        if klass is object or klass.__module__ == "typing":  # Protocol itself lives in typing
            continue
        names.update(n for n, v in vars(klass).items() if not n.startswith("_") and callable(v))
    return frozenset(names)


ENGINE_METHODS: frozenset[str] = protocol_methods(SearchEngine)
