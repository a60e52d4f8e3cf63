"""The article re-ranker (second stage): its features, its model file, its place in the pipeline.

The candidates are real article documents (corpus.documents) parsed from a tiny pháp điển
page written here, so titles, part/chapter headings, topic and law are what indexing gives.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from haystack import Document

from assistant.article_rerank import (
    FEATURES,
    ArticleFeaturizer,
    ArticleReranker,
    RerankModel,
    question_facets,
)
from assistant.ranking_config import RankingConfig
from assistant.settings import Settings
from corpus.documents import LegalArticleToDocuments
from corpus.phapdien import parse_phapdien_text

PAGE_DS = """---
title: Tố tụng dân sự (mẫu)
---

## VĂN BẢN
# Tố tụng dân sự (mẫu)

Phần thứ hai

THỦ TỤC GIẢI QUYẾT VỤ ÁN TẠI TÒA ÁN CẤP SƠ THẨM

Chương XIV

PHIÊN TÒA SƠ THẨM

Điều 37.5.LQ.233. Thời hạn hoãn phiên tòa và quyết định hoãn phiên tòa

(Điều 233 Bộ luật số 92/2015/QH13 Tố tụng dân sự ngày 25/11/2015 của Quốc hội)

1. Thời hạn hoãn phiên tòa sơ thẩm không quá 01 tháng, kể từ ngày ra quyết định hoãn phiên tòa.

Phần thứ ba

THỦ TỤC GIẢI QUYẾT VỤ ÁN TẠI TÒA ÁN CẤP PHÚC THẨM

Chương XVI

TÍNH CHẤT CỦA XÉT XỬ PHÚC THẨM, KHÁNG CÁO, KHÁNG NGHỊ

Điều 37.5.LQ.273. Thời hạn kháng cáo

(Điều 273 Bộ luật số 92/2015/QH13 Tố tụng dân sự ngày 25/11/2015 của Quốc hội)

1. Thời hạn kháng cáo đối với bản án của Tòa án cấp sơ thẩm là 15 ngày, kể từ ngày tuyên án.

Chương XVII

THỦ TỤC XÉT XỬ PHÚC THẨM

Điều 37.5.LQ.296. Hoãn phiên tòa phúc thẩm

(Điều 296 Bộ luật số 92/2015/QH13 Tố tụng dân sự ngày 25/11/2015 của Quốc hội)

1. Phiên tòa phúc thẩm phải hoãn trong trường hợp quy định tại khoản 2 Điều 296; thời hạn hoãn không quá 01 tháng.

Chương XVIII

THỦ TỤC RÚT GỌN

Điều 37.5.LQ.322. Thời hạn kháng cáo, kháng nghị đối với bản án, quyết định theo thủ tục rút gọn

(Điều 322 Bộ luật số 92/2015/QH13 Tố tụng dân sự ngày 25/11/2015 của Quốc hội)

1. Thời hạn kháng cáo bản án sơ thẩm theo thủ tục rút gọn là 07 ngày, kể từ ngày tuyên án.
"""

PAGE_HC = """---
title: Tố tụng hành chính (mẫu)
---

## VĂN BẢN
# Tố tụng hành chính (mẫu)

Phần thứ ba

THỦ TỤC GIẢI QUYẾT VỤ ÁN TẠI TÒA ÁN CẤP PHÚC THẨM

Chương XIII

TÍNH CHẤT CỦA XÉT XỬ PHÚC THẨM, KHÁNG CÁO, KHÁNG NGHỊ

Điều 37.6.LQ.206. Thời hạn kháng cáo

(Điều 206 Luật số 93/2015/QH13 Tố tụng hành chính ngày 25/11/2015 của Quốc hội)

1. Thời hạn kháng cáo đối với bản án của Tòa án cấp sơ thẩm là 15 ngày, kể từ ngày tuyên án.
"""


def _candidates(*ids_and_scores: tuple[str, float]) -> list[Document]:
    """Article documents of the fixture pages, in the given order with the given fused scores."""
    articles = parse_phapdien_text(PAGE_DS, "ds.md") + parse_phapdien_text(PAGE_HC, "hc.md")
    docs = {d.id: d for d in LegalArticleToDocuments().run(articles)["documents"] if d.meta["kind"] == "article"}
    return [Document(id=i, content=docs[i].content, meta=dict(docs[i].meta), score=s) for i, s in ids_and_scores]


def _order(reranker: ArticleReranker, docs: list[Document], query: str, law_keys=None) -> list[str]:
    out = reranker.run(documents=docs, query=query, law_keys=law_keys or [], law_weights={})
    return [d.id for d in out["documents"]]


def test_fixture_pages_carry_their_headings_and_law():
    docs = _candidates(("37.5.LQ.322", 1.0), ("37.6.LQ.206", 1.0))
    assert "THỦ TỤC RÚT GỌN" in docs[0].meta["hierarchy"]
    assert "PHÚC THẨM" in docs[1].meta["hierarchy"] and docs[1].meta["topic"]


def test_appeal_against_a_first_instance_judgment_is_read_as_the_appeal_stage():
    facets = question_facets("thời hạn kháng cáo bản án sơ thẩm", [])
    assert facets["stage"] == frozenset({"phúc thẩm"}) and "kháng cáo" in facets["act"]
    assert question_facets("hoãn phiên tòa sơ thẩm", [])["stage"] == frozenset({"sơ thẩm"})


def test_wrong_stage_article_is_demoted():
    docs = _candidates(("37.5.LQ.296", 1.0), ("37.5.LQ.233", 0.95))
    assert _order(ArticleReranker(), docs, "Thời hạn hoãn phiên tòa sơ thẩm vụ án dân sự")[0] == "37.5.LQ.233"
    docs = _candidates(("37.5.LQ.233", 1.0), ("37.5.LQ.296", 0.95))
    assert _order(ArticleReranker(), docs, "hoãn phiên tòa phúc thẩm dân sự tối đa bao lâu")[0] == "37.5.LQ.296"


def test_field_disagreement_demotes_the_other_codes_article():
    docs = _candidates(("37.5.LQ.273", 1.0), ("37.6.LQ.206", 0.95))
    query = "Thời hạn kháng cáo bản án sơ thẩm vụ án hành chính"
    features = ArticleFeaturizer().matrix(docs, query)
    col = FEATURES.index("field_conflict")
    assert features[:, col].tolist() == [1.0, 0.0]
    assert _order(ArticleReranker(), docs, query)[0] == "37.6.LQ.206"


def test_reranker_keeps_the_candidates_and_cuts_to_top_k():
    docs = _candidates(("37.5.LQ.322", 1.0), ("37.5.LQ.273", 0.9), ("37.5.LQ.233", 0.5), ("37.6.LQ.206", 0.4))
    out = ArticleReranker(top_k=3).run(documents=docs, query="thời hạn kháng cáo")["documents"]
    assert len(out) == 3 and {d.id for d in out} <= {d.id for d in docs}
    assert all(0.0 < d.score < 1.0 for d in out) and out[0].score >= out[1].score >= out[2].score
    assert out[0].meta["article_id"] == out[0].id
    assert ArticleReranker().run(documents=[], query="x")["documents"] == []


def test_component_round_trips_through_to_dict(tmp_path):
    model = RerankModel.load()
    path = model.save(tmp_path / "m.json")
    component = ArticleReranker(top_k=7, model_path=str(path))
    data = component.to_dict()
    again = ArticleReranker.from_dict(data)
    assert (again.top_k, again.model_path, again.vocabulary_path) == (7, str(path), None)
    assert again.to_dict() == data
    np.testing.assert_allclose(again.model.weights, model.weights)


def test_shipped_weights_file_loads_and_was_fitted():
    model = RerankModel.load()
    assert model.features == FEATURES
    assert np.all(np.isfinite(model.weights)) and np.all(model.scale > 0)
    assert model.info["questions"] > 100 and model.info["train_mrr@10_after"] > model.info["train_mrr@10_before"]
    # Facet conflicts count against an article, agreement for it.
    w = dict(zip(model.features, model.weights, strict=True))
    assert w["field_conflict"] < 0 < w["field_agree"]


def test_a_file_of_another_kind_or_shape_is_refused(tmp_path):
    data = RerankModel.load().to_dict()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**data, "kind": "answer_match.logistic"}), "utf-8")
    with pytest.raises(ValueError, match="Không phải tệp mô hình"):
        RerankModel.load(bad)
    bad.write_text(json.dumps({**data, "weights": data["weights"][:-1]}), "utf-8")
    with pytest.raises(ValueError, match="hỏng"):
        RerankModel.load(bad)


def test_ranking_config_carries_the_second_stage(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="Không tìm thấy tệp mô hình"):
        RankingConfig(rerank_model=str(tmp_path / "missing.json"))
    with pytest.raises(ValueError):
        RankingConfig(rerank_candidates=0)
    monkeypatch.setenv("TROLY_RANKING_RERANK", "false")
    monkeypatch.setenv("TROLY_RANKING_RERANK_CANDIDATES", "12")
    r = Settings(_env_file=None).ranking
    assert (r.rerank, r.rerank_candidates, r.rerank_model) == (False, 12, None)
