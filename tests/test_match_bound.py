"""The confidence bound of one (question, entry) pair is never below the confidence the
verifier gives that entry in any candidate list, whatever articles the question retrieved
(assistant/match_bound.py; approvals skip re-asking questions below it).

Random asks over the Q&A evaluation set's entries: each question (an entry's or a
reworded one) gets a random subset of the cited articles as "retrieved", and a random
list of 1–12 candidates; the verifier's confidence for every candidate is compared with
the bound computed from the question alone (no articles), as the engine computes it.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from assistant.answer_match.features import QuestionAnalyzer
from assistant.answer_match.verifier import AnswerVerifier
from assistant.match_bound import confidence_bound
from tests.fakes import stand_in_vector

QA_EVAL = Path(__file__).parents[1] / "eval" / "data" / "qa_eval.jsonl"


def _rows() -> tuple[list[dict], list[str]]:
    rows = [json.loads(line) for line in QA_EVAL.read_text("utf-8").splitlines() if line.strip()]
    entries = [r for r in rows if r.get("type") == "entry"]
    asked = [r["question"] for r in rows if r.get("type") != "entry" and r.get("question")]
    return entries, asked


def test_the_bound_is_never_below_the_confidence_in_any_candidate_list():
    rnd = random.Random(13)
    analyzer, verifier = QuestionAnalyzer(), AnswerVerifier()
    entries, asked = _rows()
    articles = [f"37.5.LQ.{n}" for n in range(260, 300)]
    views = [analyzer.view(e["question"], stand_in_vector(e["question"]), entry_field=e.get("field"),
                           entry_id=e["key"], articles=tuple(rnd.sample(articles, rnd.randrange(0, 3))),
                           answer=e.get("answer", "")) for e in entries]
    ruled_out = 0
    for _ in range(150):
        text = rnd.choice(asked + [e["question"] for e in entries])
        vector = stand_in_vector(text)
        bare = analyzer.view(text, vector)
        retrieved = analyzer.view(text, vector, articles=rnd.sample(articles, rnd.randrange(0, 11)))
        candidates = rnd.sample(views, rnd.randrange(1, 13))
        verdicts = verifier.verify(retrieved, candidates)
        for candidate, verdict in zip(candidates, verdicts, strict=True):
            bound = confidence_bound(verifier, bare, candidate)
            assert verdict.confidence <= bound, (text, candidate.entry_id)
            ruled_out += bound < 0.73
    assert ruled_out > 0  # the bound does rule questions out


def test_a_candidate_without_articles_or_rivals_gets_its_own_confidence_or_more():
    analyzer, verifier = QuestionAnalyzer(), AnswerVerifier()
    q = "Thời hạn kháng cáo bản án dân sự sơ thẩm là bao nhiêu ngày?"
    question = analyzer.view(q, stand_in_vector(q))
    entry = analyzer.view(q, stand_in_vector(q), entry_id="1")
    alone = verifier.verify(question, [entry])[0].confidence
    assert alone <= confidence_bound(verifier, question, entry) <= 1.0
    assert np.isfinite(confidence_bound(verifier, question, entry))
