"""A time budget for reading one uploaded file (.docx, .xlsx, .csv, .jsonl, .txt/.md).

Why (issue 11, ASVS 12.1.3 "per-request work bounded"): sizes are bounded before parsing
(``TROLY_UPLOAD_MAX_BYTES``, the zip checks of :mod:`assistant.kb.ooxml_guard`, the row
and article caps), but a file within every size bound can still be slow to read — a
sheet of long cells, a law of many short lines. The parsers call :meth:`ParseBudget.check`
once per row, line, paragraph or article (the corpus parser takes it as a plain
``tick`` callable, so the corpus layer knows nothing of this module); past the budget
the upload is refused with a Vietnamese 422 and nothing is saved. Cooperative, not a
watchdog: the one step a check cannot split is python-docx/lxml building the tree of
``word/document.xml``, bounded by the uncompressed size cap.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from assistant.kb.errors import InvalidInput

DEFAULT_SECONDS = 10.0  # default of TROLY_UPLOAD_PARSE_SECONDS


class ParseBudget:
    """``seconds`` of reading from construction on; ``check()`` raises past it (at once
    for a budget of 0)."""

    def __init__(self, seconds: float = DEFAULT_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.started = clock()
        self.checks = 0

    def check(self) -> None:
        self.checks += 1
        if self.clock() - self.started >= self.seconds:
            raise InvalidInput(
                f"Tệp cần quá nhiều thời gian để đọc (giới hạn {self.seconds:g} giây cho mỗi "
                "tệp). Hãy chia nhỏ tệp rồi tải lên lại.")


def unbounded() -> None:
    """The ``tick`` of a file read without a budget (one already accepted)."""
