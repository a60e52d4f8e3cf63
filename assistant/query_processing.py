"""Turn what a judge typed into what the retrievers need.

Why a component of its own: every query path (CLI, API, eval) must treat input the
same way — validate it, normalise Unicode, expand abbreviations (BLTTDS, VKS, HĐXX),
restore diacritics when none were typed, and notice which law the question names so
that ranking can favour it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from haystack import component, default_from_dict, default_to_dict

from assistant.kb.errors import InvalidInput
from corpus.abbreviations import expand_abbreviations
from corpus.diacritics import DiacriticRestorer
from corpus.law_hints import law_hints
from corpus.laws import laws_in_text
from corpus.vietnamese import fold_diacritics, has_diacritics, normalize_text

MAX_QUERY_CHARS = 2000


class QueryError(InvalidInput, ValueError):
    """A question that cannot be searched; ``str(err)`` is a Vietnamese message for the user.

    An :class:`~assistant.kb.errors.InvalidInput` (a 422 in the API): "?" or "!!!" is the
    judge's input to correct, not an outage. It survives the search process's pickling."""


def clean_query(query: object, max_chars: int = MAX_QUERY_CHARS) -> str:
    """Validate and normalise; raises :class:`QueryError` with a message a judge understands."""
    if not isinstance(query, str):
        raise QueryError("Câu hỏi phải là văn bản.")
    text = normalize_text(query, keep_newlines=False)
    if not any(ch.isalnum() for ch in text):
        raise QueryError("Câu hỏi trống: hãy nhập nội dung cần tra cứu.")
    if len(text) > max_chars:
        raise QueryError(f"Câu hỏi quá dài ({len(text)} ký tự); tối đa {max_chars} ký tự.")
    return text


@component
class QueryPreprocessor:
    """query → ``dense_text`` (accented, expanded), ``lexical_text``, the ``law_keys`` it names and
    ``law_weights`` (named codes 1.0, codes hinted at by its words less)."""

    def __init__(self, restorer_path: str | None = None, max_chars: int = MAX_QUERY_CHARS):
        self.restorer_path = restorer_path
        self.max_chars = max_chars
        self._restorer: DiacriticRestorer | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._load_lock = threading.Lock()
        self._current_restorer()

    def _current_restorer(self) -> DiacriticRestorer | None:
        """The restorer in the file now (one ``stat`` per question).

        Why: a confirmed upload retrains it in the worker that ran the job, which saves a
        new file (atomically: a new inode); the other workers of the node (``troly serve
        --workers N``) load it at their next question instead of restoring with the old
        one until a restart. A file that vanished leaves the loaded restorer in use."""
        if not self.restorer_path:
            return None
        try:
            st = os.stat(self.restorer_path)
        except OSError:
            return self._restorer
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            with self._load_lock:
                if stamp != self._stamp:
                    self._restorer = DiacriticRestorer.load(Path(self.restorer_path))
                    self._stamp = stamp
        return self._restorer

    @component.output_types(dense_text=str, lexical_text=str, law_keys=list[str], law_weights=dict[str, float],
                            restored=bool)
    def run(self, query: str) -> dict[str, object]:
        typed = clean_query(query, self.max_chars)
        accented = has_diacritics(typed)
        restored_text = typed
        restorer = None if accented else self._current_restorer()
        if restorer is not None:
            restored_text = restorer.restore(typed)
        dense_text = expand_abbreviations(restored_text)
        # The lexical side keeps folded input folded: folded terms match exactly what was
        # typed, whatever the restorer guessed.
        expanded = expand_abbreviations(typed)
        lexical_text = expanded if accented else fold_diacritics(expanded)
        restored = restored_text != typed
        keys = list(dict.fromkeys(law.key for law in laws_in_text(dense_text) if law.key))
        # Hints come from what was typed (folded stays folded): a restorer's guess such as
        # "toi" → "tội" must not turn into a criminal-code hint.
        weights = law_hints(lexical_text)
        weights.update(dict.fromkeys(keys, 1.0))  # a code named outright beats any hint
        return {
            "dense_text": dense_text,
            "lexical_text": lexical_text,
            "law_keys": keys,
            "law_weights": weights,
            "restored": restored,
        }

    def to_dict(self) -> dict:
        return default_to_dict(self, restorer_path=self.restorer_path, max_chars=self.max_chars)

    @classmethod
    def from_dict(cls, data: dict) -> QueryPreprocessor:
        return default_from_dict(cls, data)
