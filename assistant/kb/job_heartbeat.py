"""How a background job shows every server worker that it is still alive: a heartbeat
on its database row.

Why: ``troly serve --workers N`` sends each of a reviewer's requests to any worker, and
only the worker that runs a job knows it in memory. So the job writes its progress and
the time to its row every ``beat_seconds``, and any worker reads the row; a job whose
heartbeat is older than ``stale_seconds`` is taken as interrupted — its worker stopped
(a restart, a crash, an OOM kill) — and the work may be started again. A job that is
merely slow keeps beating (a thread of its own beats while the work blocks), so it is
never taken for a dead one.

The settings ``TROLY_DOCUMENT_JOB_BEAT_SECONDS`` and ``TROLY_DOCUMENT_JOB_STALE_SECONDS``
(assistant/settings.py) set these values; this class holds their defaults, in one place.
Time comes from the caller (an injected clock in tests), never from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

STALE_BEATS = 3  # a live job misses at most a couple of beats (a busy database, a GC pause)


@dataclass(frozen=True)
class HeartbeatPolicy:
    beat_seconds: float = 5.0
    stale_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.beat_seconds <= 0:
            raise ValueError("Chu kỳ nhịp tim của tác vụ nền phải lớn hơn 0 giây.")
        if self.stale_seconds < STALE_BEATS * self.beat_seconds:
            raise ValueError(f"Thời gian coi tác vụ nền là gián đoạn phải ít nhất gấp {STALE_BEATS} "
                             "lần chu kỳ nhịp tim của nó.")

    def cutoff(self, now: datetime) -> datetime:
        """Heartbeats before this instant are stale."""
        return now - timedelta(seconds=self.stale_seconds)

    def stale(self, heartbeat: datetime | None, now: datetime) -> bool:
        """No heartbeat at all (a row from before heartbeats) counts as stale."""
        return heartbeat is None or heartbeat < self.cutoff(now)

    def due(self, last_write: datetime | None, now: datetime) -> bool:
        """Whether a progress report is written now: the first at once, then at most one
        per beat (a law of 800 articles must not cost 800 writes)."""
        return last_write is None or now - last_write >= timedelta(seconds=self.beat_seconds)
