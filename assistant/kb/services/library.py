"""The library ("Thư viện"): approved entries browsed by lĩnh vực and tag, one page per
entry, and the suggestions shown while a judge types a question.

Why a separate, lexical path: browsing and typing-ahead must be cheap — no embedding,
no search engine, no usage event (an ask is recorded only when the judge asks). The
approved questions are folded (no diacritics, lower case) once and cached until an
entry is approved, edited or retired, so a keystroke costs a scan over short token
sets, not a database query per entry.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.kb.errors import NotFound
from assistant.kb.models import FIELDS, QAEntry
from corpus.vietnamese import fold_diacritics, normalize_text, syllables

MAX_SUGGESTIONS = 8


def fold_words(text: str) -> list[str]:
    """"Thời hạn kháng cáo?" → ["thoi", "han", "khang", "cao"]."""
    return syllables(fold_diacritics(normalize_text(text, keep_newlines=False)).lower())


@dataclass(frozen=True)
class _Row:
    id: int
    question: str
    field: str
    tags: tuple[str, ...]
    words: tuple[str, ...]
    folded: str
    approved: float  # timestamp of approval (newest first in the library)


class _Catalogue:
    """Approved entries' questions, folded; rebuilt when the approved set changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._rows: list[_Row] = []

    def rows(self, session: Session) -> list[_Row]:
        key = tuple(session.execute(select(
            func.count(QAEntry.id), func.max(QAEntry.updated_at), func.max(QAEntry.id),
            func.sum(QAEntry.version)).where(QAEntry.status == "approved")).one())
        key = (id(session.get_bind()), *key)
        with self._lock:
            if key != self._key:
                rows = []
                for eid, question, field, tags, approved_at in session.execute(
                        select(QAEntry.id, QAEntry.question, QAEntry.field, QAEntry.tags,
                               QAEntry.approved_at)
                        .where(QAEntry.status == "approved").order_by(QAEntry.id)):
                    words = tuple(fold_words(question))
                    rows.append(_Row(eid, question, field, tuple(tags or ()), words, " ".join(words),
                                     approved_at.timestamp() if approved_at else 0.0))
                self._rows, self._key = rows, key
            return self._rows


_catalogue = _Catalogue()


def suggest(session: Session, text: str, limit: int = MAX_SUGGESTIONS) -> list[_Row]:
    """Approved questions containing every typed word; the last word may be unfinished
    (a prefix). Questions that start with the typed text come first, then shorter ones."""
    words = fold_words(text)
    if not words or len("".join(words)) < 2:
        return []
    complete = words if text[-1:].isspace() else words[:-1]
    partial = None if text[-1:].isspace() else words[-1]
    typed = " ".join(words)
    found = []
    for row in _catalogue.rows(session):
        have = set(row.words)
        if not all(w in have for w in complete):
            continue
        if partial is not None and partial not in have and not any(w.startswith(partial) for w in row.words):
            continue
        starts = 0 if row.folded.startswith(typed) else 1
        found.append(((starts, len(row.words), row.id), row))
    found.sort(key=lambda t: t[0])
    return [row for _, row in found[:limit]]


def browse(session: Session, *, field: str | None = None, tag: str | None = None,
           text: str | None = None, limit: int = 20, offset: int = 0):
    """A page of approved entries (newest approval first) with the counts per lĩnh vực
    and per tag that the filters offer. Returns ``(entries, total, fields, tags)``."""
    rows = _catalogue.rows(session)
    fields = Counter(r.field for r in rows)
    in_field = [r for r in rows if field is None or r.field == field]
    tags = Counter(t for r in in_field for t in r.tags)
    chosen = [r for r in in_field if tag is None or tag in r.tags]
    if text and (words := fold_words(text)):
        chosen = [r for r in chosen if all(w in set(r.words) for w in words)]
    chosen.sort(key=lambda r: (r.approved, r.id), reverse=True)
    ids = [r.id for r in chosen[offset:offset + limit]]
    entries = {e.id: e for e in session.scalars(select(QAEntry).where(QAEntry.id.in_(ids)))} if ids else {}
    page = [entries[i] for i in ids if i in entries]
    field_counts = [{"field": f, "count": fields[f]} for f in FIELDS if fields[f]]
    tag_counts = [{"tag": t, "count": n} for t, n in sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))]
    return page, len(chosen), field_counts, tag_counts


def approved_entry(session: Session, entry_id: int) -> QAEntry:
    """One approved entry (its own page); anything else is "not found" to the library."""
    entry = session.get(QAEntry, entry_id)
    if entry is None or entry.status != "approved":
        raise NotFound("Không tìm thấy câu hỏi – trả lời đã duyệt.")
    return entry
