"""eval/profile_ask.py warms the engine up before it measures, and says so.

Why: the first asks of a fresh engine load what an ask loads on first use (lazy facets,
ONNX Runtime's first runs, the segmenter); charged to the first measured asks they skew
the per-stage profile. The warm-up asks must be other strings than the measured ones
(nothing keyed by a measured question's text primed) and come before every measured ask.
"""

from __future__ import annotations

import json

import pytest

import assistant.engine_factory
from eval import profile_ask


class RecordingEngine:
    """What profile_ask needs of an engine; records every ask in order."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.closed = False
        self.qa_store = self

    def warm_up(self) -> None:
        pass

    def ask(self, question: str, top_k: int = 5, qa_top_k: int = 5) -> None:
        self.asked.append(question)

    def count_documents(self) -> int:
        return 0

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def engine(monkeypatch) -> RecordingEngine:
    fake = RecordingEngine()
    monkeypatch.setattr(assistant.engine_factory, "open_engine", lambda *a, **k: fake)
    return fake


@pytest.fixture
def questions(tmp_path):
    path = tmp_path / "q.jsonl"
    texts = [f"Thời hạn kháng cáo số {i}?" for i in range(6)]
    path.write_text("".join(json.dumps({"question": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    return path, texts


KEY = "warm-up asks before measuring (not measured)"


@pytest.mark.parametrize("plain", [False, True])
def test_warm_up_asks_come_first_differ_from_measured_ones_and_are_reported(engine, questions, capsys, plain):
    path, texts = questions
    profile_ask.main(["--questions", str(path), "--limit", "4", "--warmup", "6"]
                     + (["--plain", "1"] if plain else []))
    out = json.loads(capsys.readouterr().out)
    assert out[KEY] == 6 and out["warm-up questions"] == "the measured ones, tagged"
    warm, measured = engine.asked[:6], engine.asked[6:]
    assert len(measured) == 4 and out["asks"] == 4
    assert all(profile_ask.WARMUP_TAG in q for q in warm) and len(set(warm)) == 6
    assert not set(warm) & set(measured)
    assert not any(profile_ask.WARMUP_TAG in q for q in measured)
    # the measured questions in turn: every measured question's words are warmed
    assert {q.split(profile_ask.WARMUP_TAG)[0] for q in warm} == set(texts[:4])
    assert engine.closed


def test_default_is_one_pass_over_the_measured_questions_and_can_be_turned_off(engine, questions, capsys):
    path, texts = questions
    profile_ask.main(["--questions", str(path)])
    assert json.loads(capsys.readouterr().out)[KEY] == len(texts)
    assert len(engine.asked) == 2 * len(texts) and engine.asked[len(texts):] == texts
    engine.asked.clear()
    profile_ask.main(["--questions", str(path), "--warmup", "0"])
    assert json.loads(capsys.readouterr().out)[KEY] == 0
    assert engine.asked == texts


def test_warm_up_on_the_files_other_questions(engine, questions, capsys):
    """--warmup-pool others: the questions beyond --limit, none of the measured ones."""
    path, texts = questions
    profile_ask.main(["--questions", str(path), "--limit", "4", "--warmup", "3", "--warmup-pool", "others"])
    out = json.loads(capsys.readouterr().out)
    assert out[KEY] == 3 and out["warm-up questions"] == "others of the file"
    assert {q.split(profile_ask.WARMUP_TAG)[0] for q in engine.asked[:3]} == set(texts[4:])
    assert engine.asked[3:] == texts[:4]
