"""Answering a judge's question: approved Q&A first, then the legal articles.

Why: the judge wants the colleagues' vetted answer when one exists and the articles
either way. When nothing scores above ``ask_min_score`` the question is "not answered"
and is filed in the unanswered queue so that reviewers can write the missing entry.
Every ask is recorded as a usage event (the statistics are built from them).
A question that cites an article ("Điều 273 BLTTDS") gets that article first
(:mod:`assistant.kb.direct_lookup`); input with nothing to search ("?", "!!!") is a
422 with a Vietnamese message, never a 503.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.kb import direct_lookup
from assistant.kb.db import committed_write
from assistant.kb.errors import InvalidInput, KBError, ServiceUnavailable
from assistant.kb.models import QAEntry, UsageEvent, User
from assistant.kb.services import unanswered
from assistant.kb.text import clean
from assistant.search_types import ArticleHit, SearchEngine

MAX_QUERY = 1000

log = logging.getLogger(__name__)


@dataclass
class AskResult:
    question: str
    answered: bool
    best_score: float | None
    qa: list[tuple[QAEntry, float]] = field(default_factory=list)
    # every approved candidate, best first, also those below the bar: the closest
    # entries a judge may open (and confirm) when there is no answer
    candidates: list[tuple[QAEntry, float]] = field(default_factory=list)
    articles: list[ArticleHit] = field(default_factory=list)
    usage_event_id: int | None = None
    unanswered_id: int | None = None
    latency_ms: int = 0
    citation_only: bool = False  # the question was a citation, answered by its article


def ask(session: Session, search: SearchEngine, actor: User, question: str, *,
        min_score: float, top_k: int = 5) -> AskResult:
    q = clean(question, "câu hỏi", max_len=MAX_QUERY, single_line=True)
    if not any(ch.isalnum() for ch in q):  # "?", "!!!": the judge's input to correct, not an outage
        raise InvalidInput("Câu hỏi trống: hãy nhập nội dung cần tra cứu.")
    started = time.perf_counter()
    try:
        combined = getattr(search, "ask", None)
        if callable(combined):  # one retrieval run for both (the real engine)
            result = combined(q, top_k=top_k, qa_top_k=top_k)
            qa_hits, article_hits = result.qa, result.articles
        else:
            qa_hits = search.search_qa(q, top_k=top_k)
            article_hits = search.search_articles(q, top_k=top_k)
        direct = direct_lookup.lookup(search, q)
    except KBError:  # the engine's QueryError is an InvalidInput: a 422, not a 503
        raise
    except Exception as exc:  # noqa: BLE001 - the index is a separate component
        log.exception("search failed for an ask")
        raise ServiceUnavailable("Chức năng tìm kiếm tạm thời không sẵn sàng. "
                                 "Vui lòng thử lại sau.") from exc
    ids = [int(hit.entry_id) for hit in qa_hits if hit.entry_id.isdigit()]
    entries = {e.id: e for e in session.scalars(select(QAEntry).where(QAEntry.id.in_(ids)))} if ids else {}
    qa: list[tuple[QAEntry, float]] = []
    for hit in qa_hits:
        entry = entries.get(int(hit.entry_id)) if hit.entry_id.isdigit() else None
        if entry is not None and entry.status == "approved":  # index may lag the database
            qa.append((entry, float(hit.score)))
    # Answered = an approved entry means the same as the question. Article scores are
    # rank-fused, not absolute, so they say nothing about whether an answer exists.
    scores = [s for _, s in qa]
    best = max(scores) if scores else None
    answered = best is not None and best >= min_score
    # Show a judge only entries that answer this question: a nearest neighbour about
    # another matter, presented as "the answer", would mislead.
    candidates = qa
    qa = [(entry, score) for entry, score in qa if score >= min_score]
    article_hits = direct_lookup.put_first(direct.articles, article_hits, top_k)
    latency = int((time.perf_counter() - started) * 1000)
    result = AskResult(q, answered, best, qa, candidates, article_hits, None, None, latency,
                       citation_only=direct.citation_only)
    # every ask writes: its own short transaction keeps SQLite's single writer slot free
    with committed_write(session):
        _record(session, actor, result)
    return result


def _record(session: Session, actor: User, result: AskResult) -> None:
    """The usage event (statistics) and, when unanswered, the queue entry for reviewers."""
    event = UsageEvent(
        user_id=actor.id, court_id=actor.court_id, query=result.question,
        returned_ids=[f"qa:{e.id}" for e, _ in result.qa] + [a.article_id for a in result.articles],
        best_score=result.best_score, latency_ms=result.latency_ms, answered=result.answered,
    )
    session.add(event)
    session.flush()
    result.usage_event_id = event.id
    if not result.answered and not result.citation_only:
        result.unanswered_id = unanswered.record_ask(session, actor, result.question, event.id).id
