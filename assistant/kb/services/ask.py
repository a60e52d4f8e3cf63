"""Answering a judge's question: one trustworthy answer, related entries, the articles.

Why: a judge acts on the answer, so at most one approved entry is presented as *the*
answer — the best candidate whose verified confidence (assistant.answer_match: the
calibrated probability that the entry answers this very question) passes the answer
threshold. Other approved candidates above the lower bar are listed as related, never as
the answer. Only a question without an answer goes to the unanswered queue; a judge who
finds the right entry among the related ones confirms it ("Đây đúng là câu tôi hỏi"),
which counts the ask as answered, closes its queue item and records a labelled pair that
``troly model calibrate`` learns from. Every ask is recorded as a usage event.
A question that cites an article ("Điều 273 BLTTDS") gets that article first
(:mod:`assistant.kb.direct_lookup`); input with nothing to search ("?", "!!!") is a
422 with a Vietnamese message, never a 503.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from assistant.answer_match.thresholds import Thresholds
from assistant.kb import direct_lookup
from assistant.kb.db import committed_write
from assistant.kb.errors import KBError, NotFound, ServiceUnavailable
from assistant.kb.models import MatchLabel, QAEntry, UnansweredQuestion, UsageEvent, User
from assistant.kb.services import unanswered
from assistant.kb.services.notifications import notify_question_answered
from assistant.kb.text import clean
from assistant.search_types import ArticleHit, QAHit, SearchEngine

MAX_QUERY = 1000
CLOSEST_WITHOUT_ANSWER = 3  # entries shown when nothing answers and nothing passes the related bar

log = logging.getLogger(__name__)


@dataclass
class AskResult:
    question: str
    answered: bool
    best_score: float | None  # the best candidate's confidence
    answer: tuple[QAEntry, QAHit] | None = None
    related: list[tuple[QAEntry, QAHit]] = field(default_factory=list)
    articles: list[ArticleHit] = field(default_factory=list)
    usage_event_id: int | None = None
    unanswered_id: int | None = None
    latency_ms: int = 0
    citation_only: bool = False  # the question is only a citation: answered by the article

    @property
    def qa(self) -> list[tuple[QAEntry, QAHit]]:
        """The answer (if any) then the related entries."""
        return ([self.answer] if self.answer else []) + list(self.related)


def search_candidates(search: SearchEngine, question: str, top_k: int) -> tuple[list[QAHit], list[ArticleHit]]:
    """Verified approved candidates (best first) and the articles, in one retrieval run."""
    result = search.ask(question, top_k=top_k, qa_top_k=top_k)
    return list(result.qa), list(result.articles)


def decide(hits: list[QAHit], entries: dict[int, QAEntry], thresholds: Thresholds, top_k: int
           ) -> tuple[tuple[QAEntry, QAHit] | None, list[tuple[QAEntry, QAHit]]]:
    """(answer, related): the answer is the best approved candidate — first in the verifier's
    order (QAHit.rank), which also reads the answers — if its confidence is at or above the
    answer threshold; related are the other approved candidates at or above the related bar."""
    approved = []
    for hit in sorted(hits, key=lambda h: (-h.rank, -h.confidence)):
        entry = entries.get(int(hit.entry_id)) if hit.entry_id.isdigit() else None
        if entry is not None and entry.status == "approved":  # the index may lag the database
            approved.append((entry, hit))
    answer = approved[0] if approved and approved[0][1].confidence >= thresholds.answer else None
    related = [(e, h) for e, h in approved
               if (answer is None or e.id != answer[0].id) and h.confidence >= thresholds.related]
    if answer is None and not related:
        # no answer: the judge still sees the closest entries, to open and perhaps confirm
        # ("Đây đúng là câu tôi hỏi"); they are never presented as the answer
        related = approved[:CLOSEST_WITHOUT_ANSWER]
    return answer, related[:top_k]


def _entries(session: Session, hits: list[QAHit]) -> dict[int, QAEntry]:
    """The hits' entries with the author, court and reviewer the reply names, in one query
    (read one by one they were up to 15 more round trips per ask: a tenth of the API
    process's time under load on PostgreSQL)."""
    ids = [int(hit.entry_id) for hit in hits if hit.entry_id.isdigit()]
    if not ids:
        return {}
    return {e.id: e for e in session.scalars(_ENTRIES, {"ids": ids})}


# built once (its three joined loads): building it was a third of the lookup's CPU
_ENTRIES = select(QAEntry).where(QAEntry.id.in_(bindparam("ids", expanding=True))).options(
    joinedload(QAEntry.author), joinedload(QAEntry.court), joinedload(QAEntry.reviewer))


def ask(session: Session, search: SearchEngine, actor: User, question: str, *,
        thresholds: Thresholds, top_k: int = 5) -> AskResult:
    q = clean(question, "câu hỏi", max_len=MAX_QUERY, single_line=True)
    started = time.perf_counter()
    try:
        qa_hits, article_hits = search_candidates(search, q, top_k)
        direct = direct_lookup.lookup(search, q)
    except KBError:  # the engine's QueryError is an InvalidInput: a 422, not a 503
        raise
    except Exception as exc:  # noqa: BLE001 - the index is a separate component
        log.exception("search failed for an ask")
        raise ServiceUnavailable("Chức năng tìm kiếm tạm thời không sẵn sàng. "
                                 "Vui lòng thử lại sau.") from exc
    answer, related = decide(qa_hits, _entries(session, qa_hits), thresholds, top_k)
    best = max((h.confidence for _, h in ([answer] if answer else []) + related), default=None)
    if best is None and qa_hits:
        best = max(h.confidence for h in qa_hits)
    article_hits = direct_lookup.put_first(direct.articles, article_hits, top_k)
    latency = int((time.perf_counter() - started) * 1000)
    result = AskResult(q, answer is not None, best, answer, related, article_hits, None, None, latency,
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
        result.unanswered_id = unanswered.record_ask(session, actor, result.question, event.id)


@dataclass
class ConfirmResult:
    usage_event_id: int
    entry_id: int
    answered: bool
    unanswered_id: int | None
    label_id: int


def confirm_match(session: Session, actor: User, usage_event_id: int, entry_id: int) -> ConfirmResult:
    """The judge who asked says this approved entry is the question they asked: a labelled
    pair (label 1) for calibration, the ask counts as answered, its queue item is closed.
    Only the asker may confirm (404 for anyone else, as if the ask did not exist)."""
    event = session.get(UsageEvent, usage_event_id)
    if event is None or event.user_id != actor.id:
        raise NotFound("Không tìm thấy lượt hỏi.")
    entry = session.get(QAEntry, entry_id)
    if entry is None or entry.status != "approved":
        raise NotFound("Không tìm thấy câu hỏi – trả lời đã duyệt.")
    label = session.scalar(select(MatchLabel).where(
        MatchLabel.usage_event_id == event.id, MatchLabel.entry_id == entry.id))
    if label is None:
        label = MatchLabel(question=event.query, entry_id=entry.id, label=1, source="confirm",
                           user_id=actor.id, usage_event_id=event.id)
        session.add(label)
    event.answered = True
    item = session.scalar(select(UnansweredQuestion).where(
        UnansweredQuestion.status == "open", UnansweredQuestion.question == event.query))
    if item is not None:
        unanswered.close_answered(session, item, entry, actor)
        notify_question_answered(session, item, entry, except_user_id=actor.id)
    session.flush()
    return ConfirmResult(event.id, entry.id, True, item.id if item else None, label.id)
