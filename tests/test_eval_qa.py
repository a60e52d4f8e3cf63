"""`troly eval-qa`: the metrics on known outcomes, the answer-shape adapters, the data
file's shape, and one small end-to-end run on a fresh knowledge base (real model)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from eval.datasets import DatasetError
from eval.qa_eval import ask_outcome, compute_metrics, duplicate_flags, load_qa_eval, threshold_sweep

REPO_SET = Path(__file__).parents[1] / "eval" / "data" / "qa_eval.jsonl"


def outcome(kind, expected, answer, best, style="accented", latency=10.0):
    return {"kind": kind, "style": style, "expected": expected, "answer": answer, "best": best,
            "latency_ms": latency}


def test_metrics_on_hand_built_outcomes():
    outcomes = [
        outcome("reworded", "A", "A", "A", latency=10),            # right
        outcome("reworded", "B", None, "B", latency=20),           # right first, not answered
        outcome("reworded", "C", "D", "D", "phone", latency=30),   # answered wrong
        outcome("reworded", "E", None, None, "phone", latency=40),  # nothing
        outcome("near", None, "A", "A", latency=50),               # near-miss answered
        outcome("near", None, None, "B", "phone", latency=60),
        outcome("far", None, None, None, latency=70),
        outcome("far", None, None, "C", "phone", latency=80),
    ]
    dups = [
        {"expected": "A", "flagged": ["A"]},        # true positive
        {"expected": "B", "flagged": ["C"]},        # flagged, wrong entry: false positive, missed
        {"expected": "C", "flagged": []},           # missed
        {"expected": None, "flagged": ["D"]},       # false positive
        {"expected": None, "flagged": []},          # true negative
    ]
    r = compute_metrics(outcomes, dups)
    assert r["top1"] == 0.5 and r["answered_right"] == 0.25 and r["answered_wrong"] == 0.25
    assert r["near_false_answer"] == 0.5 and r["far_false_answer"] == 0.0
    assert r["dup_precision"] == round(1 / 3, 4) and r["dup_recall"] == round(1 / 3, 4)
    assert r["latency_ms"] == {"p50": 45.0, "p95": 76.5}
    acc, phone = r["by_style"]["accented"], r["by_style"]["phone"]
    assert (acc["top1"], acc["answered_right"], acc["near_false_answer"]) == (1.0, 0.5, 1.0)
    assert (phone["top1"], phone["answered_wrong"], phone["n_far"]) == (0.0, 0.5, 1)


def test_metrics_with_nothing_to_measure_are_null_not_errors():
    r = compute_metrics([], [])
    assert r["top1"] is None and r["dup_precision"] is None and r["latency_ms"]["p50"] is None


def entry(i):
    return SimpleNamespace(id=i)


def hit(confidence):
    return SimpleNamespace(confidence=confidence)


def test_ask_outcome_reads_the_answer_else_the_first_related_entry():
    answered = SimpleNamespace(answer=(entry(7), hit(0.9)), related=[(entry(3), hit(0.4))])
    assert ask_outcome(answered) == (7, 7, 0.9)
    related_only = SimpleNamespace(answer=None, related=[(entry(3), hit(0.6)), (entry(4), hit(0.3))])
    assert ask_outcome(related_only) == (None, 3, 0.6)
    assert ask_outcome(SimpleNamespace(answer=None, related=[])) == (None, None, None)


def test_duplicate_flags_read_is_duplicate_not_the_score():
    assert duplicate_flags([{"entry_id": 1, "score": 0.5, "is_duplicate": True},
                            {"entry_id": 2, "score": 0.99, "is_duplicate": False}]) == [1]


def test_threshold_sweep_answers_the_best_candidate_when_it_reaches_the_threshold():
    outcomes = [
        {**outcome("reworded", "A", None, "A"), "confidence": 0.65},   # right, below 0.7
        {**outcome("reworded", "B", "C", "C"), "confidence": 0.8},     # wrong at both
        {**outcome("near", None, None, "A"), "confidence": 0.62},      # near-miss
        {**outcome("far", None, None, None), "confidence": None},      # nothing retrieved
    ]
    at = {row["threshold"]: row for row in threshold_sweep(outcomes, (0.6, 0.7))}
    assert (at[0.6]["answered_right"], at[0.6]["answered_wrong"], at[0.6]["near_false_answer"]) == (0.5, 0.5, 1.0)
    assert (at[0.7]["answered_right"], at[0.7]["answered_wrong"], at[0.7]["near_false_answer"]) == (0.0, 0.5, 0.0)
    assert at[0.6]["far_false_answer"] == 0.0


def test_repository_set_has_the_promised_shape():
    data = load_qa_eval(REPO_SET)
    counts = data.counts()
    assert counts["entries"] >= 80 and counts["reworded"] >= 200
    assert counts["near"] >= 60 and counts["far"] >= 40 and counts["duplicates"] >= 40
    styles = [q.style for q in data.questions if q.kind == "reworded"]
    assert 0.4 <= styles.count("phone") / len(styles) <= 0.6
    positives = sum(d.duplicate_of is not None for d in data.duplicates)
    assert 0.4 <= positives / len(data.duplicates) <= 0.6
    assert all(q.close_to for q in data.questions if q.kind == "near")
    fields = {e.field for e in data.entries}
    assert {"dân sự", "hình sự", "hành chính", "hôn nhân và gia đình", "thi hành án"} <= fields
    texts = [q.question for q in data.questions] + [e.question for e in data.entries]
    assert len(texts) == len(set(texts)), "a question appears twice"


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    return path


FIXTURE = [
    {"type": "entry", "key": "K1", "field": "dân sự",
     "question": "Thời hạn kháng cáo bản án dân sự sơ thẩm là bao lâu?",
     "answer": "15 ngày kể từ ngày tuyên án theo khoản 1 Điều 273 BLTTDS 2015.",
     "citation": "Điều 273 BLTTDS 2015", "article_ids": ["37.5.LQ.273"]},
    {"type": "entry", "key": "K2", "field": "hình sự",
     "question": "Thời hạn tạm giam bị can để điều tra là bao lâu?",
     "answer": "Không quá 02, 03 hoặc 04 tháng tùy loại tội theo Điều 173 BLTTHS 2015.",
     "citation": "Điều 173 BLTTHS 2015", "article_ids": []},
    {"type": "reworded", "entry": "K1", "style": "accented",
     "question": "Bản án dân sự sơ thẩm thì kháng cáo trong bao nhiêu ngày?"},
    {"type": "reworded", "entry": "K2", "style": "phone", "question": "tam giam bi can de dieu tra bao lau"},
    {"type": "near", "close_to": "K1", "differs": "hành chính", "style": "accented",
     "question": "Thời hạn kháng nghị giám đốc thẩm bản án hành chính?"},
    {"type": "far", "style": "phone", "question": "gia vang hom nay bao nhieu"},
    {"type": "duplicate", "duplicate_of": "K1", "close_to": "K1",
     "question": "Thời hạn kháng cáo bản án sơ thẩm dân sự là mấy ngày?", "answer": "15 ngày."},
    {"type": "duplicate", "duplicate_of": None, "close_to": "K2",
     "question": "Thời hạn tạm giữ người bị bắt khẩn cấp là bao lâu?", "answer": "03 ngày."},
]


def test_loader_reads_the_fixture_and_refuses_bad_references(tmp_path):
    data = load_qa_eval(write(tmp_path / "ok.jsonl", FIXTURE))
    assert data.counts() == {"entries": 2, "duplicates": 2, "reworded": 2, "near": 1, "far": 1}
    bad = FIXTURE + [{"type": "reworded", "entry": "K9", "style": "phone", "question": "x y z"}]
    with pytest.raises(DatasetError, match="K9"):
        load_qa_eval(write(tmp_path / "bad.jsonl", bad))
    with pytest.raises(DatasetError, match="style"):
        load_qa_eval(write(tmp_path / "style.jsonl", FIXTURE[:2] + [
            {"type": "far", "style": "telex", "question": "abc"}]))


def test_cli_runs_on_a_fresh_knowledge_base_and_prints_json_only(tmp_path, e5_model_dir, monkeypatch):
    from api.cli import app
    from assistant.settings import get_settings

    monkeypatch.setenv("TROLY_DATA_DIR", str(tmp_path / "untouched"))
    monkeypatch.setenv("TROLY_MODEL_PATH", str(e5_model_dir))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["eval-qa", str(write(tmp_path / "set.jsonl", FIXTURE)),
                                          "--json", "--workdir", str(tmp_path / "work")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # stdout holds the JSON object and nothing else
    keys = {"top1", "answered_right", "answered_wrong", "near_false_answer", "far_false_answer",
            "dup_precision", "dup_recall", "latency_ms", "by_style"}
    assert keys <= set(report)
    assert report["counts"]["entries"] == 2 and report["by_style"]["phone"]["n_reworded"] == 1
    assert report["far_false_answer"] == 0.0
    assert set(report["latency_ms"]) == {"p50", "p95"}
    assert list((tmp_path / "work").iterdir()) == []  # the temporary data directory is gone
    assert not (tmp_path / "untouched").exists()      # the installation's data dir is not used


def test_cli_reports_a_missing_file_in_vietnamese(tmp_path):
    from api.cli import app

    result = CliRunner().invoke(app, ["eval-qa", str(tmp_path / "none.jsonl"), "--json"])
    assert result.exit_code == 2 and "Không tìm thấy tệp" in result.output


def test_the_text_report_shows_the_threshold_sweep(capsys, monkeypatch):
    from api.cli_eval import _print_table

    monkeypatch.setenv("COLUMNS", "200")  # one table row per line

    outcomes = [{**outcome("reworded", "A", "A", "A"), "confidence": 0.9},
                {**outcome("far", None, None, "B", "phone"), "confidence": 0.55}]
    report = {**compute_metrics(outcomes, []), "counts": {}, "answer_threshold": 0.72,
              "threshold_sweep": threshold_sweep(outcomes, (0.5, 0.6))}
    _print_table("set.jsonl", report)
    out = capsys.readouterr().out
    assert "0.72)" in out and "Nếu ngưỡng trả lời là" in out  # the title wraps at the table's width
    row_05 = next(line for line in out.splitlines() if "0.50" in line)
    row_06 = next(line for line in out.splitlines() if "0.60" in line)
    assert "100.0 %" in row_05 and row_05.count("100.0 %") == 2  # answered right, unrelated answered
    assert row_06.count("100.0 %") == 1
