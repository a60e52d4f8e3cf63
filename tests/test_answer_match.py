"""The answer matcher: legal facets, features, the calibrated model and its decisions.

Runs without the embedding model: vectors are the test fake's stand-in (tests/fakes.py).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from assistant.answer_match.facets import extract_facets, load_vocabulary
from assistant.answer_match.features import (
    FEATURES,
    SPECIAL_STAGES,
    Idf,
    QuestionAnalyzer,
    answer_shortfall,
    answer_strength,
)
from assistant.answer_match.model import MatchModel, load_model, next_model_path
from assistant.answer_match.thresholds import DEFAULT_MODEL, Thresholds, model_thresholds
from assistant.answer_match.training import (
    Query,
    TrainingEntry,
    TrainingSet,
    build_pairs,
    facet_swaps,
    make_queries,
    read_training,
    typing_styles,
)
from assistant.answer_match.verifier import AnswerVerifier
from tests.fakes import stand_in_vector


def facets(text: str) -> dict[str, set[str]]:
    return {k: set(v) for k, v in extract_facets(text).items()}


# ------------------------------------------------------------------ facets
@pytest.mark.parametrize("text", [
    "Thời hạn kháng cáo bản án dân sự sơ thẩm là bao lâu?",
    "thoi han khang cao ban an dan su so tham la bao lau",
    "THOI HAN KHANG CAO BAN AN DS SO THAM BAO LAU",
])
def test_facets_with_and_without_diacritics(text):
    f = facets(text)
    assert f["act"] == {"kháng cáo"} and f["stage"] == {"sơ thẩm"} and f["object"] == {"bản án"}
    assert f["asked"] == {"thời hạn"}
    if "DS" not in text:
        assert f["field"] == {"dân sự"}


def test_facets_from_abbreviations_and_law_names():
    assert facets("VKS khang nghi ban an phuc tham trong may ngay") == {
        "actor": {"viện kiểm sát"}, "act": {"kháng nghị"}, "stage": {"phúc thẩm"}, "object": {"bản án"},
        "asked": {"thời hạn"}}
    # "kháng nghị phúc thẩm" names the procedure of the protest, not the stage asked about
    assert "stage" not in facets("VKS khang nghi phuc tham trong may ngay")
    assert facets("Điều 273 BLTTDS")["field"] == {"dân sự"}
    assert facets("theo Bộ luật Tố tụng hình sự thì sao")["field"] == {"hình sự"}
    assert facets("Luật TTHC quy định thế nào")["field"] == {"hành chính"}


def test_phone_abbreviations_of_the_field_and_stage():
    """Judges type "hs", "ds", "gdt", "xx" on phones: read after "án", "vụ", "thẩm"… as the
    field; "hs" elsewhere is "hồ sơ" (trả hồ sơ), which says nothing about the field."""
    assert facets("han vks khang nghi ban an hs so tham")["field"] == {"hình sự"}
    assert facets("hoan phien toa hs so tham toi da")["field"] == {"hình sự"}
    assert facets("thoi han khang nghi gdt ban an ds")["stage"] == {"giám đốc thẩm"}
    assert facets("thoi han khang nghi gdt ban an ds")["field"] == {"dân sự"}
    assert "field" not in facets("tra hs de dieu tra bo sung")
    assert facets("an phi hs phuc tham bao nhieu")["field"] == {"hình sự"}
    assert facets("bi don vang mat lan 2 tai phien toa ds")["field"] == {"dân sự"}
    assert facets("bi don vang mat lan 2 tai phien toa ds")["party"] == {"bị đơn"}
    assert facets("thoi han vks khang nghi ban an hc so tham")["field"] == {"hành chính"}


def test_who_acts_is_not_whom_it_concerns():
    """Thẩm phán, HĐXX, VKS act in the proceedings; nguyên đơn, bị cáo are parties to it: a
    question naming one of each is no conflict ("Thẩm phán trả lại đơn" ~ "Tòa trả lại đơn
    cho người khởi kiện"), two different actors are (Thẩm phán ≠ Hội đồng xét xử)."""
    f = facets("Thẩm phán trả lại đơn khởi kiện cho người khởi kiện khi nào?")
    assert f["actor"] == {"thẩm phán"} and f["party"] == {"nguyên đơn"}
    assert facets("tham quyen ra qd dinh chi, tp hay hdxx")["actor"] == {"hội đồng xét xử"}
    assert facets("Nguyên đơn vắng mặt lần thứ hai")["occasion"] == {"lần thứ hai"}
    assert facets("bi don vang mat lan dau")["occasion"] == {"lần thứ nhất"}


def test_a_child_s_age_threshold_and_enforcement_of_a_civil_judgment():
    """The law's age thresholds are who the question is about (con dưới 36 tháng ≠ từ đủ 36
    tháng; "con" covers both); "thi hành bản án dân sự" is enforcement, not a civil case."""
    under = facets("Con dưới 36 tháng tuổi khi cha mẹ ly hôn thì giao cho ai nuôi?")["party"]
    over = facets("con tren 36 thang khi ly hon giao cho ai")["party"]
    assert under == {"con dưới 36 tháng tuổi"} and over == {"con từ đủ 36 tháng tuổi"}
    assert facets("Ly hôn thì giao con cho ai nuôi?")["party"] == {"con"}
    assert facets("Thời hiệu yêu cầu thi hành bản án dân sự là mấy năm?")["field"] == {"thi hành án"}
    assert facets("Người nghèo có được trợ giúp pháp lý miễn phí không?")["act"] == {"trợ giúp pháp lý"}


def test_a_stage_named_by_its_procedure_is_not_what_is_asked():
    """"theo thủ tục rút gọn" names a stage; it does not ask about a procedure (thủ tục), and
    "thụ lý" is an act that any stage begins with, not the filing stage itself."""
    f = facets("han khang cao ban an ds thu tuc rut gon")
    assert f["stage"] == {"rút gọn"} and "asked" not in f
    assert facets("Thủ tục giám đốc thẩm vụ án dân sự")["stage"] == {"giám đốc thẩm"}
    assert facets("Thủ tục nộp đơn khởi kiện thế nào?")["asked"] == {"thủ tục"}
    f = facets("Tòa phúc thẩm thụ lý vụ án dân sự rồi thì phải đưa ra xét xử trong bao lâu?")
    assert f["stage"] == {"phúc thẩm"} and "thụ lý" in f["act"]


def test_what_a_scenario_question_asks_is_read_from_its_whole_phrase():
    """Forms that judges' scenario questions use and that used to be read as something else
    (each found as a false facet conflict between a training question and its own entry):
    "chậm nhất khi nào" asks for a deadline, not a condition ("khi nào"); "quyền" inside
    "quyền sử dụng đất" asks about no right; "hết quyền yêu cầu" is a limitation period;
    "yêu cầu thi hành án" is civil enforcement; "rút quyết định truy tố" names the indictment,
    not the prosecution stage; "ai quyết định" is a narrower way to ask "thẩm quyền"."""
    assert facets("Tòa thụ lý ngày 01/6 thì hạn chuẩn bị xét xử chậm nhất khi nào?")["asked"] == {"thời hạn"}
    assert facets("toa thu ly ngay 01/3 thi cham nhat khi nao phai mo phien toa")["asked"] == {"thời hạn"}
    assert facets("Khi nào Tòa án đình chỉ giải quyết vụ án?")["asked"] == {"điều kiện, trường hợp"}
    assert facets("Tranh chấp quyền sử dụng đất thì nộp đơn ở Tòa án nơi nào?")["asked"] == {"thẩm quyền"}
    assert facets("Bị can có những quyền gì?")["asked"] == {"quyền, nghĩa vụ"}
    f = facets("Bản án dân sự có hiệu lực bao lâu thì hết quyền yêu cầu thi hành án?")
    assert "thi hành án" in f["field"] and "quyền, nghĩa vụ" not in f["asked"]
    assert "stage" not in facets("Viện kiểm sát rút quyết định truy tố thì Tòa án làm gì?")
    an, verifier = QuestionAnalyzer(), AnswerVerifier()
    row = dict(zip(FEATURES, verifier.features(
        an.view("tham quyen ra qd dinh chi vu an ds", stand_in_vector("q")),
        [an.view("Ai có thẩm quyền ra quyết định đình chỉ giải quyết vụ án dân sự?", stand_in_vector("q"))])[0],
        strict=False))
    assert row["conflict_asked"] == 0


def test_an_entry_on_a_special_procedure_the_question_does_not_name_counts_against():
    """A question naming no stage asks about the ordinary procedure: an entry on the appeal or
    the simplified procedure is marked (and said so in the reasons), the general one is not,
    nor is the appeal entry for a question that names the appeal."""
    an, verifier = QuestionAnalyzer(), AnswerVerifier()
    general = an.view("Thời hạn chuẩn bị xét xử vụ án hình sự là bao lâu?", stand_in_vector("g"))
    special = an.view("Thời hạn chuẩn bị xét xử phúc thẩm vụ án hình sự theo thủ tục rút gọn là bao lâu?",
                      stand_in_vector("s"))
    col = FEATURES.index("c_only_special_stage")
    stages = {value for (facet, value) in load_vocabulary().groups if facet == "stage"}
    assert SPECIAL_STAGES <= stages  # named as the vocabulary names them, or the feature never fires
    plain_q = an.view("toa an phai dua vu an hinh su ra xet xu trong bao lau ke tu ngay thu ly", stand_in_vector("q"))
    x = verifier.features(plain_q, [general, special])
    assert x[0, col] == 0 and x[1, col] == 1
    appeal_q = an.view("Tòa phúc thẩm phải đưa vụ án hình sự ra xét xử trong bao lâu?", stand_in_vector("q"))
    assert verifier.features(appeal_q, [special])[0, col] == 0
    verdict = verifier.verify(plain_q, [special])[0]
    assert any("không nêu thủ tục phúc thẩm, rút gọn" in r for r in verdict.reasons)


def test_longest_form_wins_within_a_facet():
    assert facets("Khi nào tạm đình chỉ giải quyết vụ án?")["act"] == {"tạm đình chỉ"}
    assert facets("Khi nào đình chỉ giải quyết vụ án?")["act"] == {"đình chỉ"}
    assert facets("tam dinh chi giai quyet vu an")["act"] == {"tạm đình chỉ"}
    assert facets("Tạm ứng án phí sơ thẩm vụ án lao động")["asked"] == {"tạm ứng án phí"}
    # a shorter form of *another* facet inside a longer one still counts
    assert facets("án phí phúc thẩm hành chính")["stage"] == {"phúc thẩm"}


def test_folded_text_ignores_one_syllable_forms():
    # "toi" (tôi / tối / tội) must not say "criminal" in text typed without marks
    assert "field" not in facets("toi muon hoi ve thu tuc")
    assert facets("Bị cáo phạm tội gì")["field"] == {"hình sự"}


# ------------------------------------------------------------------ features
def test_pair_features_see_facet_conflicts_and_articles():
    an = QuestionAnalyzer()
    q = an.view("Thời hạn kháng cáo bản án dân sự sơ thẩm", stand_in_vector("x"),
                articles=["37.5.LQ.273", "37.6.LQ.333"])
    civil = an.view("Thời hạn kháng cáo bản án sơ thẩm là bao lâu?", stand_in_vector("y"),
                    articles=["37.5.LQ.273"], entry_field="dân sự")
    criminal = an.view("Thời hạn kháng cáo bản án sơ thẩm là bao lâu?", stand_in_vector("y"),
                       articles=["37.6.LQ.333"], entry_field="hình sự")
    verifier = AnswerVerifier()
    x = dict(zip(FEATURES, verifier.features(q, [civil])[0], strict=False))
    assert x["conflict_field"] == 0 and x["agree_field"] == 1 and x["article_rr"] == 1.0
    x = dict(zip(FEATURES, verifier.features(q, [criminal])[0], strict=False))
    assert x["conflict_field"] == 1 and x["article_rr"] == 0.5
    verdicts = verifier.verify(q, [civil, criminal])
    assert verdicts[0].confidence > verdicts[1].confidence
    assert "khác lĩnh vực: dân sự ≠ hình sự" in verdicts[1].reasons


def test_abbreviations_are_read_in_place_by_the_facet_reader():
    """"ds" after "thi hành án" completes *thi hành án dân sự* (its own field), it does not
    add a separate "dân sự"; lower-case "qd" is a quyết định."""
    f = facets("thoi han tu nguyen thi hanh an ds")
    assert f["field"] == {"thi hành án"} and f["stage"] == {"thi hành án"}
    assert facets("khang cao qd tam dinh chi vu an ds")["object"] == {"quyết định"}
    assert facets("Khi nào tạm đình chỉ xét xử phúc thẩm vụ án dân sự?")["act"] == {"tạm đình chỉ"}
    assert facets("vks dinh chi vu an giai doan truy to khi nao")["field"] == {"hình sự"}


def test_a_wider_party_is_no_conflict_but_a_different_one_is():
    an = QuestionAnalyzer()
    verifier = AnswerVerifier()
    q = an.view("Đương sự khiếu nại việc trả lại đơn khởi kiện trong bao lâu?", stand_in_vector("q"))
    plaintiff = an.view("Người khởi kiện khiếu nại việc trả lại đơn khởi kiện trong bao lâu?",
                        stand_in_vector("q"))
    defendant = an.view("Bị đơn khiếu nại việc trả lại đơn khởi kiện trong bao lâu?", stand_in_vector("q"))
    x = verifier.features(an.view("Nguyên đơn khiếu nại việc trả lại đơn khởi kiện trong bao lâu?",
                                  stand_in_vector("q")), [plaintiff, defendant, q])
    row = [dict(zip(FEATURES, r, strict=False)) for r in x]
    assert row[0]["conflict_party"] == 0 and row[1]["conflict_party"] == 1
    assert row[2]["conflict_party"] == 0 and row[2]["c_extra_facets"] == 0  # đương sự covers it


def test_a_conflicting_sibling_is_no_rival_in_the_margins():
    """The civil entry's lead is measured against the other candidate that does not
    conflict with the question (a weak one), not against its criminal sibling, which is
    almost as close in words but states another field."""
    an = QuestionAnalyzer()
    def view(text):
        return an.view(text, stand_in_vector(text))
    q = view("thoi han chuan bi xet xu phuc tham vu an dan su")
    civil = view("Thời hạn chuẩn bị xét xử phúc thẩm vụ án dân sự là bao lâu?")
    criminal = view("Thời hạn chuẩn bị xét xử phúc thẩm vụ án hình sự là bao lâu?")
    weak = view("Thời hạn chuẩn bị xét xử là bao lâu?")
    x = AnswerVerifier().features(q, [civil, criminal, weak])
    lex, lead = FEATURES.index("lex_cos"), FEATURES.index("lex_margin")
    assert x[1, FEATURES.index("conflict_field")] == 1 and x[2, FEATURES.index("conflict_field")] == 0
    assert x[0, lead] == pytest.approx(min(0.5, x[0, lex] - x[2, lex]) * min(1.0, x[0, lex] / 0.5))
    assert x[0, lead] > x[0, lex] - x[1, lex] + 0.05  # more than the gap to the sibling
    assert x[1, lead] <= 0  # a conflicting candidate never leads


def test_the_answer_covers_what_the_entry_question_does_not_say():
    """A scenario question repeats the answer's words ("rút toàn bộ yêu cầu khởi kiện"), not
    the entry's question ("khi nào đình chỉ…"): answer_cover counts them, answer_gain is the
    part only the answer covers; an entry without answer text gains nothing."""
    an = QuestionAnalyzer()
    q = an.view("Người khởi kiện rút toàn bộ yêu cầu khởi kiện thì Tòa án ra quyết định gì?", stand_in_vector("q"))
    text = "Khi nào Tòa án đình chỉ giải quyết vụ án dân sự?"
    with_answer = an.view(text, stand_in_vector("c"), answer=(
        "Theo điểm c khoản 1 Điều 217 BLTTDS, Tòa án ra quyết định đình chỉ khi người khởi kiện rút "
        "toàn bộ yêu cầu khởi kiện."))
    bare = an.view(text, stand_in_vector("c"))
    rows = [dict(zip(FEATURES, r, strict=False)) for r in AnswerVerifier().features(q, [with_answer, bare])]
    assert rows[0]["answer_cover"] > 0.8 > rows[1]["answer_cover"]
    assert rows[0]["answer_gain"] == pytest.approx(rows[0]["answer_cover"] - (1 - rows[0]["query_uncovered"]))
    assert rows[1]["answer_gain"] == pytest.approx(0, abs=1e-12)
    assert rows[1]["answer_cover"] == pytest.approx(1 - rows[1]["query_uncovered"])


def test_the_answers_words_count_as_far_as_the_answer_reads_like_the_question():
    """An unrelated question ("trợ cấp thất nghiệp") shares words with a long answer listing
    many cases (the fee exemptions: "… trợ cấp mất việc làm …"); those words only count when
    the answer itself is close to the question (e5 cosine above an unrelated level, 0.85)."""
    an = QuestionAnalyzer()
    q = an.view("Điều kiện hưởng trợ cấp thất nghiệp là gì?", [1.0, 0.0, 0.0])
    answer = ("Người lao động khởi kiện đòi tiền lương, trợ cấp mất việc làm, trợ cấp thôi việc, "
              "bảo hiểm thất nghiệp được miễn nộp tiền tạm ứng án phí.")
    text = "Những trường hợp nào được miễn nộp tiền tạm ứng án phí?"
    close, half, unrelated = (an.view(text, [0.0, 1.0, 0.0], answer=answer, answer_vector=v)
                              for v in ([1.0, 0.0, 0.0], [0.89, math.sqrt(1 - 0.89 ** 2), 0.0], [0.8, 0.6, 0.0]))
    rows = [dict(zip(FEATURES, r, strict=False)) for r in AnswerVerifier().features(q, [close, half, unrelated])]
    assert rows[0]["answer_gain"] > 0.3
    assert rows[1]["answer_gain"] == pytest.approx(rows[0]["answer_gain"] * 0.5, abs=1e-6)
    assert rows[2]["answer_gain"] == 0.0
    assert rows[2]["answer_cover"] == pytest.approx(1 - rows[2]["query_uncovered"])
    assert answer_strength(q, an.view(text, answer=answer)) == 1.0  # indexed before answers were embedded


def test_the_answer_shortfall_measures_each_answer_against_the_closest():
    an = QuestionAnalyzer()
    q = an.view("Người khởi kiện không nộp tạm ứng án phí thì sao?", [1.0, 0.0, 0.0])
    close = an.view("A?", [0.0, 1.0, 0.0], answer_vector=[1.0, 0.0, 0.0])
    near = an.view("B?", [0.0, 1.0, 0.0], answer_vector=[0.99, 0.141, 0.0])  # cosine 0.99: 0.2 of the cap
    far = an.view("C?", [0.0, 1.0, 0.0], answer_vector=[0.0, 0.0, 1.0])
    bare = an.view("D?", [0.0, 1.0, 0.0])  # indexed before answers were embedded: neutral
    np.testing.assert_allclose(answer_shortfall(q, [close, near, far, bare]),
                               [0.0, -0.2, -1.0, 0.0], atol=1e-3)
    assert answer_shortfall(q, [bare, bare]).tolist() == [0.0, 0.0]
    assert answer_shortfall(an.view("E?"), [close, far]).tolist() == [0.0, 0.0]  # the question has no vector


def test_the_answer_orders_the_candidates_but_never_moves_the_confidence():
    an = QuestionAnalyzer()
    q = an.view("Thời hạn kháng cáo bản án dân sự sơ thẩm", stand_in_vector("thời hạn kháng cáo"))
    text = "Thời hạn kháng cáo bản án dân sự sơ thẩm là bao lâu?"
    covering = an.view(text, stand_in_vector(text), entry_id="1", answer_vector=q.vector)
    other = an.view(text + " ", stand_in_vector(text), entry_id="2",
                    answer_vector=stand_in_vector("án phí hình sự"))
    plain, weighted = AnswerVerifier(), AnswerVerifier()
    plain.model.answer_weight, weighted.model.answer_weight = 0.0, 4.0
    a, b = plain.verify(q, [other, covering]), weighted.verify(q, [other, covering])
    assert [v.confidence for v in a] == [v.confidence for v in b]
    assert a[0].rank == a[1].rank  # the same question twice: only the answers differ
    assert b[1].rank == pytest.approx(b[0].rank + 4.0, abs=1e-3)


def test_calibration_chooses_how_much_the_answer_orders():
    """Held-out scores where the right entry trails a sibling and its answer is the closer:
    the weight that puts it first is chosen; when the answers tell nothing, none is."""
    from assistant.answer_match.training import PairSet, choose_answer_weight

    queries = [Query(f"q{i}", "right", "positive", "accented") for i in range(4)]
    pairs = PairSet(x=np.zeros((8, len(FEATURES))), y=np.asarray([1, 0] * 4),
                    query=np.repeat(np.arange(4), 2), entry=np.asarray([0, 1] * 4),
                    queries=queries, entry_ids=["right", "sibling"],
                    shortfall=np.asarray([0.0, -1.0] * 4))
    scores = np.asarray([0.80, 0.85] * 4)
    assert choose_answer_weight(pairs, scores, Thresholds(0.7, 0.2, 0.9)) > 0
    pairs.shortfall = np.zeros(8)
    assert choose_answer_weight(pairs, scores, Thresholds(0.7, 0.2, 0.9)) == 0.0


def test_a_lead_counts_as_far_as_the_similarity_is_high():
    """The best of unrelated entries leads the others but is still unrelated: its lead is
    scaled down by its own low similarity. A lone candidate (a young knowledge base) leads
    an unrelated entry's level, and a twin (the same question entered twice) is no rival."""
    an = QuestionAnalyzer()
    verifier = AnswerVerifier()
    q = an.view("quy dinh ve bao hiem xa hoi bat buoc cho nguoi lao dong", stand_in_vector("q"))
    near = an.view("Thời hiệu yêu cầu giải quyết tranh chấp lao động là bao lâu?", stand_in_vector("q"))
    far = an.view("Điều kiện hưởng án treo là gì?", stand_in_vector("z"))
    x = verifier.features(q, [near, far])
    lex, lead = FEATURES.index("lex_cos"), FEATURES.index("lex_margin")
    assert 0 < x[0, lex] < 0.5
    assert x[0, lead] == pytest.approx((x[0, lex] - x[1, lex]) * x[0, lex] / 0.5)
    same = "Thời hạn kháng cáo bản án hình sự sơ thẩm là bao lâu?"
    asked = an.view("Thời hạn kháng cáo bản án hình sự sơ thẩm bao nhiêu ngày?", stand_in_vector(same))
    alone = verifier.features(asked, [an.view(same, stand_in_vector(same))])
    assert alone[0, FEATURES.index("dense_margin")] > 0 and alone[0, lead] > 0
    twins = verifier.features(asked, [an.view(same, stand_in_vector(same), entry_id="1"),
                                      an.view(same, stand_in_vector(same), entry_id="2")])
    np.testing.assert_allclose(twins[0], twins[1])
    np.testing.assert_allclose(twins[0], alone[0])


def test_a_question_about_what_follows_an_act_conflicts_less():
    """"… rút toàn bộ yêu cầu khởi kiện thì Tòa án ra quyết định gì?" names the triggering act
    (rút đơn); the entry that answers it names the decision (đình chỉ). That act conflict is
    its own, weaker feature; the same two acts asked side by side stay a plain conflict."""
    an = QuestionAnalyzer()
    entry = an.view("Những trường hợp nào Tòa án đình chỉ giải quyết vụ án dân sự?", stand_in_vector("e"))
    verifier = AnswerVerifier()
    asks_what_follows = an.view("Nguyên đơn rút đơn khởi kiện thì Tòa án ra quyết định gì?", stand_in_vector("q"))
    asks_about_the_act = an.view("Thủ tục rút đơn khởi kiện của nguyên đơn?", stand_in_vector("q"))
    rows = [dict(zip(FEATURES, verifier.features(q, [entry])[0], strict=False))
            for q in (asks_what_follows, asks_about_the_act)]
    assert rows[0]["conflict_act"] == 0 and rows[0]["conflict_act_consequence"] == 1
    assert rows[1]["conflict_act"] == 1 and rows[1]["conflict_act_consequence"] == 0


def test_fitted_weights_keep_the_side_their_evidence_points_to():
    """Hard negatives share facets with the question, so agreement can look like evidence
    against a match in the sample; the fit holds such a weight at zero (assistant.logistic)."""
    from assistant.answer_match.features import FEATURE_SIGNS
    from assistant.logistic import fit_logistic

    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 2))
    y = (x[:, 0] - 0.8 * x[:, 1] + rng.normal(scale=0.5, size=400) > 0).astype(float)
    free = fit_logistic(x, y)
    held = fit_logistic(x, y, signs=[1, 1])
    assert free.weights[1] < 0 and held.weights[1] == 0 and held.weights[0] > 0
    np.testing.assert_allclose(fit_logistic(x, y, signs=[0, 0]).weights, free.weights)
    signs = dict(zip(FEATURES, FEATURE_SIGNS, strict=True))
    assert signs["agree_actor"] == 1 and signs["conflict_occasion"] == -1 and signs["answer_cover"] == 1
    model = MatchModel.load(DEFAULT_MODEL)
    for name, w in zip(model.features, model.weights, strict=True):
        assert signs[name] * w >= 0, name


# ------------------------------------------------------------------ training data
def test_repeated_candidate_views_are_built_once_and_equal_a_fresh_view():
    """Candidate views are cached by their text inputs; the vector and ``extra`` stay per call."""
    text = "Thời hạn kháng cáo bản án dân sự sơ thẩm là bao lâu?"
    kwargs = dict(law_keys=["BLTTDS"], articles=["37.5.LQ.273"], entry_field="dân sự", entry_id="7")
    cached = QuestionAnalyzer()
    first = cached.view(text, stand_in_vector(text), **kwargs)
    first.extra["citations"] = {"37.5.LQ.273": "Điều 273"}
    again = cached.view(text, stand_in_vector("khác"), **kwargs)
    fresh = QuestionAnalyzer().view(text, stand_in_vector("khác"), **kwargs)
    assert cached._text_view.cache_info().hits == 1
    for name in ("text", "facets", "tokens", "bigrams", "law_keys", "articles", "article_numbers", "entry_id",
                 "status", "entry_field"):  # QuestionView compares by identity (eq=False)
        assert getattr(again, name) == getattr(fresh, name), name
    assert np.array_equal(again.vector, fresh.vector)
    assert not np.array_equal(again.vector, first.vector)
    assert again.extra == {} and first.tokens is again.tokens
    assert cached.view(text, None, **(kwargs | {"status": "pending"})).status == "pending"


def test_typing_styles_and_swaps():
    styles = dict(typing_styles("Viện kiểm sát kháng nghị bản án sơ thẩm vụ án dân sự trong bao lâu?"))
    assert styles["folded"].startswith("vien kiem sat khang nghi")
    assert "VKS" in styles["abbreviated"] and "vụ án ds" in styles["abbreviated"]
    import random

    swaps = facet_swaps("Thời hạn kháng cáo bản án dân sự sơ thẩm là bao lâu?", random.Random(1), limit=6)
    assert swaps and all(s != "Thời hạn kháng cáo bản án dân sự sơ thẩm là bao lâu?" for s, _ in swaps)
    assert len({what.split(":")[0] for _, what in swaps}) == len(swaps)  # one facet each


def test_shipped_training_file_is_well_formed():
    data = read_training()
    assert len(data.entries) >= 60 and len(data.unrelated) >= 10
    assert len({e.id for e in data.entries}) == len(data.entries)
    assert all(len(e.rewordings) >= 2 for e in data.entries)


# ------------------------------------------------------------------ calibration
FIXTURE = TrainingSet([
    TrainingEntry("a", "Thời hạn kháng cáo bản án dân sự sơ thẩm là bao lâu?", "dân sự", "",
                  ["Bản án dân sự sơ thẩm được kháng cáo trong mấy ngày?",
                   "Kháng cáo bản án sơ thẩm vụ án dân sự trong thời hạn nào?"]),
    TrainingEntry("b", "Khi nào Tòa án tạm đình chỉ giải quyết vụ án dân sự?", "dân sự", "",
                  ["Các trường hợp tạm đình chỉ giải quyết vụ án dân sự?",
                   "Căn cứ để tạm đình chỉ giải quyết vụ án dân sự là gì?"]),
    TrainingEntry("c", "Thời hạn tạm giam bị can để điều tra là bao lâu?", "hình sự", "",
                  ["Bị can bị tạm giam để điều tra tối đa bao lâu?",
                   "Tạm giam trong giai đoạn điều tra kéo dài mấy tháng?"]),
    TrainingEntry("d", "Ai phải nộp tiền tạm ứng án phí sơ thẩm dân sự?", "dân sự", "",
                  ["Nghĩa vụ nộp tạm ứng án phí sơ thẩm thuộc về ai?",
                   "Nguyên đơn có phải nộp tạm ứng án phí sơ thẩm không?"]),
], ["Thủ tục đăng ký kết hôn với người nước ngoài?"])


def _fit_fixture():
    an = QuestionAnalyzer()
    queries = make_queries(FIXTURE)

    def view(text):
        return an.view(text, stand_in_vector(text))

    entry_views = [an.view(e.question, stand_in_vector(e.question), entry_field=e.field)
                   for e in FIXTURE.entries]
    idf = Idf.fit([e.question for e in FIXTURE.entries])
    pairs = build_pairs(queries, [view(q.text) for q in queries], FIXTURE.entries, entry_views, idf)
    labelled = pairs.y >= 0
    model = MatchModel.fit(pairs.x[labelled], pairs.y[labelled], idf=idf)
    return model, pairs, queries


def test_calibration_separates_rewordings_from_facet_swaps():
    model, pairs, queries = _fit_fixture()
    scores = model.predict(pairs.x)
    own = {e.id: i for i, e in enumerate(FIXTURE.entries)}
    pos, swap = [], []
    for s, qi, ei in zip(scores, pairs.query, pairs.entry, strict=False):
        q = queries[qi]
        if own.get(q.entry) != ei:
            continue
        (pos if q.kind == "positive" else swap if q.kind == "swap" else []).append(s)
    assert pos and swap
    assert np.median(pos) > 0.7 > 0.3 > np.median(swap)
    assert np.mean(pos) - np.mean(swap) > 0.5
    # conflicting facets weigh against a match
    weights = dict(zip(model.features, model.weights, strict=False))
    assert sum(weights[f"conflict_{f}"] for f in ("field", "act", "stage", "asked")) < 0


def test_model_round_trips_through_dict_and_file(tmp_path):
    model, pairs, _ = _fit_fixture()
    model.thresholds, model.answer_weight = Thresholds(0.81, 0.27, 0.75), 2.5
    again = MatchModel.from_dict(json.loads(json.dumps(model.to_dict())))
    np.testing.assert_allclose(again.predict(pairs.x), model.predict(pairs.x), atol=1e-5)
    assert again.thresholds == model.thresholds and again.idf.table == model.idf.table
    assert again.answer_weight == 2.5
    # versioned in the data directory: the newest wins; the shipped default until then
    assert load_model(tmp_path).source == str(DEFAULT_MODEL)
    first = model.save(next_model_path(tmp_path))
    second = again.save(next_model_path(tmp_path))
    assert (first.name, second.name) == ("model-v1.json", "model-v2.json")
    assert load_model(tmp_path).source == str(second)
    assert model_thresholds(tmp_path) == Thresholds(0.81, 0.27, 0.75)
    verifier = AnswerVerifier.from_dict(AnswerVerifier(model_path=str(second)).to_dict())
    assert verifier.model.thresholds == Thresholds(0.81, 0.27, 0.75)


def test_shipped_model_is_calibrated_with_thresholds():
    model = MatchModel.load(DEFAULT_MODEL)
    assert model.features == FEATURES
    t = model.thresholds
    assert 0 < t.related < t.answer < 1 and 0 < t.duplicate < 1
    assert model.info.get("held_out"), "fit by `troly model calibrate`, with its held-out measurement"


# ------------------------------------------------------------------ decision
def test_civil_appeal_deadline_does_not_get_the_criminal_entry_as_answer():
    from assistant.kb.services.ask import CLOSEST_WITHOUT_ANSWER, decide
    from assistant.search_types import QAIndexEntry
    from tests.fakes import FakeSearchEngine

    search = FakeSearchEngine()
    search.upsert_qa([
        QAIndexEntry("1", "Thời hạn kháng cáo bản án hình sự sơ thẩm là bao lâu?", "15 ngày", "hình sự",
                     article_ids=("37.6.LQ.333",), citation_text="Điều 333 BLTTHS"),
        QAIndexEntry("2", "Thời hạn tạm giam bị can để điều tra là bao lâu?", "…", "hình sự",
                     article_ids=("37.6.LQ.173",)),
    ])

    class Entry:  # what decide() reads of a database row
        def __init__(self, i):
            self.id, self.status = i, "approved"

    hits = search.search_qa("Thời hạn kháng cáo bản án dân sự sơ thẩm là bao lâu?", top_k=5)
    criminal = next(h for h in hits if h.entry_id == "1")
    assert any("dân sự ≠ hình sự" in r for r in criminal.reasons)
    t = load_model().thresholds
    answer, related = decide(hits, {1: Entry(1), 2: Entry(2)}, t, 5)
    assert answer is None
    # without an answer the judge sees related entries, or else the closest few to open
    assert (all(h.confidence >= t.related for _, h in related)
            or len(related) <= CLOSEST_WITHOUT_ANSWER)
    # the same question about the criminal code is answered by it
    hits = search.search_qa("thoi han khang cao ban an hinh su so tham", top_k=5)
    answer, _ = decide(hits, {1: Entry(1), 2: Entry(2)}, t, 5)
    assert answer is not None and answer[0].id == 1


def test_unrelated_question_gets_nothing():
    from assistant.search_types import QAIndexEntry
    from tests.fakes import FakeSearchEngine

    search = FakeSearchEngine()
    search.upsert_qa([QAIndexEntry("1", "Thời hạn kháng cáo bản án hình sự sơ thẩm là bao lâu?", "…",
                                   "hình sự")])
    hits = search.search_qa("Thủ tục đăng ký kết hôn với người nước ngoài", top_k=5)
    assert all(h.confidence < load_model().thresholds.related for h in hits)


def test_query_kinds_in_training_set():
    kinds = {q.kind for q in make_queries(FIXTURE)}
    assert kinds == {"positive", "swap", "unrelated"}
    assert isinstance(make_queries(FIXTURE)[0], Query)


# ------------------------------------------------------------------ views stored in index points
def _fields(view) -> dict:
    from dataclasses import fields

    out = {}
    for f in fields(view):
        value = getattr(view, f.name)
        out[f.name] = value.tolist() if isinstance(value, np.ndarray) else value
    return out


STORED_CASES = [  # (question, law keys, field, answer)
    ("Thời hạn kháng cáo bản án dân sự sơ thẩm là bao lâu?", ("BLTTDS",), "dân sự",
     "15 ngày, kể từ ngày tuyên án (Điều 273 BLTTDS)."),
    ("thoi han khang cao ban an ds so tham bao lau", (), "", ""),
    ("Theo Điều 217 BLTTDS, HĐXX đình chỉ giải quyết vụ án khi nào?", ("BLTTDS",), "kinh doanh thương mại",
     "Khi người khởi kiện rút toàn bộ yêu cầu khởi kiện; VKS được gửi quyết định."),
    ("Án phí hình sự phúc thẩm do ai nộp?", ("BLTTHS", "NQ326"), "hình sự",
     "Bị cáo kháng cáo mà bản án bị giữ nguyên."),
]


@pytest.mark.parametrize(("text", "keys", "field", "answer"), STORED_CASES)
def test_a_view_read_from_its_stored_parts_equals_the_view_built_from_text(text, keys, field, answer):
    """What an index point stores (``text_parts``, JSON round trip) reads back as the very
    view the text gives: the verifier cannot tell which way a candidate's view was made."""
    an = QuestionAnalyzer()
    stored = json.loads(json.dumps(an.text_parts(text, keys, field, answer), ensure_ascii=False))
    assert stored["key"] == an.view_key
    common = {"law_keys": keys, "articles": ("37.5.LQ.273",), "entry_field": field, "entry_id": "7",
              "status": "pending", "answer": answer, "answer_vector": stand_in_vector(answer or "x")}
    built = an.view(text, stand_in_vector(text), **common)
    read = an.view(text, stand_in_vector(text), stored=stored, **common)
    assert _fields(read) == _fields(built)
    assert read.tokens and read.facets  # not two empty views
    # and a fresh analyzer (another process) reads it the same way
    assert _fields(QuestionAnalyzer().view(text, stand_in_vector(text), stored=stored, **common)) == _fields(built)


def test_a_view_stored_with_other_vocabularies_is_built_from_text(tmp_path):
    """A point written before the facet vocabulary (or the abbreviations) changed carries
    another key: its stored words and facets are not read, the text is."""
    an = QuestionAnalyzer()
    text, answer = STORED_CASES[0][0], STORED_CASES[0][3]
    stale = an.text_parts(text, ("BLTTDS",), "dân sự", answer) | {"tokens": ["khac"], "facets": {"act": ["khác"]}}
    for key in ("0" * 16, None):
        view = an.view(text, law_keys=("BLTTDS",), entry_field="dân sự", answer=answer, stored=stale | {"key": key})
        assert _fields(view) == _fields(an.view(text, law_keys=("BLTTDS",), entry_field="dân sự", answer=answer))
    # an edited vocabulary gives another key
    vocabulary = tmp_path / "facets.tsv"
    from importlib import resources

    source = resources.files("corpus").joinpath("data/legal_facets.tsv").read_text("utf-8")
    vocabulary.write_text(source + "act\tthử nghiệm\t\tthử nghiệm\n", "utf-8")
    assert QuestionAnalyzer(str(vocabulary)).view_key != an.view_key


def test_the_view_key_is_the_same_in_every_process():
    """The key is compared across processes (the one that wrote a point, the one that reads
    it): it must not depend on the order of a set, which string hashing changes per process."""
    import os
    import subprocess
    import sys

    code = "from assistant.answer_match.features import view_key; print(view_key())"
    keys = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
            for seed in ("1", "2", "3")}
    from assistant.answer_match.features import view_key

    assert keys == {view_key()}
