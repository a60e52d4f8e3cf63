"""Metrics and question-file readers of the evaluation harness."""

import json

import pytest

from eval.datasets import DatasetError, read_questions
from eval.metrics import macro_f2, metrics_by_source, retrieval_metrics


def test_retrieval_metrics_by_hand():
    gold = [["a"], ["b"], ["c", "d"], ["e"]]
    ranked = [["a", "x"], ["x", "b"], ["y", "z"], ["1", "2", "3", "4", "5", "e"]]
    m = retrieval_metrics(gold, ranked)
    assert m["n"] == 4
    assert m["recall@1"] == pytest.approx(1 / 4)
    assert m["recall@5"] == pytest.approx(2 / 4)
    assert m["recall@10"] == pytest.approx(3 / 4)
    assert m["mrr@10"] == pytest.approx((1 + 1 / 2 + 0 + 1 / 6) / 4)


def test_duplicates_in_a_ranking_do_not_count_twice():
    assert retrieval_metrics([["a"]], [["x", "x", "x", "x", "x", "a"]])["recall@5"] == 1.0


def test_by_source_and_macro_f2():
    by = metrics_by_source(["s1", "s2"], [["a"], ["b"]], [["a"], ["x"]])
    assert by["s1"]["recall@1"] == 1.0 and by["s2"]["recall@1"] == 0.0
    assert macro_f2([["a"], ["b", "c"]], [["a"], ["b"]]) == pytest.approx((1 + 5 * 0.5 / (4 + 0.5)) / 2)


def test_read_jsonl_and_alqac(tmp_path):
    jl = tmp_path / "q.jsonl"
    jl.write_text(
        json.dumps({"question": "Thời hạn kháng cáo?", "gold": [{"pd_id": "37.5.LQ.273"}], "source": "x"}) + "\n"
        + json.dumps({"question": "Trả lại đơn?", "gold": ["37.5.LQ.192"]}) + "\n",
        encoding="utf-8",
    )
    qs = read_questions(jl)
    assert [q.gold for q in qs] == [("37.5.LQ.273",), ("37.5.LQ.192",)] and qs[0].source == "x"
    aq = tmp_path / "train.json"
    gold = [{"law_id": "L", "article_id": "3", "id": "L-3"}]
    aq.write_text(json.dumps([{"question_id": "1", "text": "Hỏi?", "relevant_articles": gold}]))
    assert read_questions(aq)[0].gold == ("L-3",)


@pytest.mark.parametrize("line", ["not json", json.dumps({"gold": ["a"]}), json.dumps({"question": "q", "gold": []})])
def test_bad_question_lines_name_the_line(tmp_path, line):
    f = tmp_path / "bad.jsonl"
    f.write_text(line + "\n")
    with pytest.raises(DatasetError, match="bad.jsonl:1"):
        read_questions(f)
