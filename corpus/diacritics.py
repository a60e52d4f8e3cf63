"""Restore diacritics on queries typed without them ("thoi han khang cao" → "thời hạn kháng cáo").

Why: judges type on phones without Vietnamese marks. The lexical index also holds folded
forms, but the dense model understands accented text far better, and highlighting needs
real words. A syllable bigram model learned from the indexed legal texts themselves picks
the most likely accented spelling with Viterbi decoding — legal vocabulary is narrow, so
this small model is accurate where it matters, needs no download, and runs in < 1 ms.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from corpus.vietnamese import fold_diacritics, has_diacritics, normalize_text

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_START = "<s>"
_MAX_CANDIDATES = 12


class DiacriticRestorer:
    """Syllable-bigram Viterbi restorer; build with :meth:`train`, persist with :meth:`save`."""

    def __init__(self, unigrams: dict[str, int], bigrams: dict[str, int]) -> None:
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.total = max(1, sum(unigrams.values()))
        candidates: dict[str, list[str]] = defaultdict(list)
        for word, _count in sorted(unigrams.items(), key=lambda kv: -kv[1]):
            folded = fold_diacritics(word)
            if len(candidates[folded]) < _MAX_CANDIDATES:
                candidates[folded].append(word)
        self.candidates = dict(candidates)

    @classmethod
    def train(cls, texts: Iterable[str], min_bigram: int = 1) -> DiacriticRestorer:
        """Learn syllable counts from ``texts`` plus the bundled question wording."""
        phrases = resources.files("corpus").joinpath("data/question_phrases.txt").read_text("utf-8")
        extra = [normalize_text(line) for line in phrases.splitlines() if not line.startswith("#")]
        texts = [*extra, *texts]
        unigrams: Counter[str] = Counter()
        bigrams: Counter[str] = Counter()
        for text in texts:
            for sentence in re.split(r"[.;:!?\n()\[\]\"“”,]", text.lower()):
                words = _WORD.findall(sentence)
                if not words:
                    continue
                unigrams.update(words)
                bigrams.update(f"{a} {b}" for a, b in zip([_START, *words], words, strict=False))
        kept = {k: v for k, v in bigrams.items() if v >= min_bigram}
        return cls(dict(unigrams), kept)

    def save(self, path: Path) -> None:
        """Write atomically: readers see the old file or the new one. The temporary name is
        this writer's own — two server workers confirming uploads at once each retrain and
        save, and a shared temporary file interleaved their writes into a corrupt one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            tmp.write_text(json.dumps({"unigrams": self.unigrams, "bigrams": self.bigrams}, ensure_ascii=False))
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: Path) -> DiacriticRestorer:
        data = json.loads(path.read_text("utf-8"))
        return cls(data["unigrams"], data["bigrams"])

    def _log_prob(self, previous: str, word: str) -> float:
        unigram = (self.unigrams.get(word, 0) + 0.1) / self.total
        prev_count = self.unigrams.get(previous, 0) if previous != _START else self.total / 10
        bigram = self.bigrams.get(f"{previous} {word}", 0)
        if prev_count and bigram:
            return math.log(0.9 * bigram / prev_count + 0.1 * unigram)
        return math.log(0.1 * unigram)

    def restore(self, text: str) -> str:
        """Restore marks on unmarked syllables; marked and unknown words stay as typed."""
        matches = list(_WORD.finditer(text))
        if not matches:
            return text
        lattice: list[list[str]] = []
        for m in matches:
            word = m.group(0)
            lower = word.lower()
            if has_diacritics(lower):
                lattice.append([lower])
            else:
                lattice.append(self.candidates.get(lower, [lower]))
        best = self._viterbi(lattice)
        out: list[str] = []
        last = 0
        for m, choice in zip(matches, best, strict=True):
            word = m.group(0)
            out.append(text[last : m.start()])
            out.append(_match_case(word, choice))
            last = m.end()
        out.append(text[last:])
        return "".join(out)

    def _viterbi(self, lattice: list[list[str]]) -> list[str]:
        scores: dict[str, tuple[float, list[str]]] = {_START: (0.0, [])}
        for options in lattice:
            nxt: dict[str, tuple[float, list[str]]] = {}
            for word in options:
                nxt[word] = max(
                    ((score + self._log_prob(prev, word), path + [word]) for prev, (score, path) in scores.items()),
                    key=lambda item: item[0],
                )
            scores = nxt
        return max(scores.values(), key=lambda item: item[0])[1]


def _match_case(typed: str, restored: str) -> str:
    if typed.isupper() and len(typed) > 1:
        return restored.upper()
    if typed[:1].isupper():
        return restored[:1].upper() + restored[1:]
    return restored
