"""One ranking config: defaults live in RankingConfig only; settings override them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from assistant.ranking_config import RankingConfig
from assistant.settings import Settings


def test_defaults_are_production_values_and_qdrants_rrf_constant():
    from indexing.qdrant_schema import DEFAULT_RRF_K

    r = RankingConfig()
    assert (r.mode, r.candidates, r.fusion, r.rrf_weights, r.dbsf_weights, r.law_boost, r.title_weight) == (
        "hybrid", 100, "dbsf", None, (1.0, 2.0), 0.5, 0.15)
    assert (r.guidance_penalty, r.field_conflict, r.act_conflict) == (0.3, 0.2, 0.2)
    assert r.rrf_k == DEFAULT_RRF_K and r.exact_legal is True


def test_settings_default_to_the_config_and_read_troly_ranking_env(monkeypatch):
    assert Settings(_env_file=None).ranking == RankingConfig()
    monkeypatch.setenv("TROLY_RANKING_FUSION", "rrf")
    monkeypatch.setenv("TROLY_RANKING_RRF_WEIGHTS", "[1, 2]")
    monkeypatch.setenv("TROLY_RANKING_LAW_BOOST", "0")
    r = Settings(_env_file=None).ranking
    assert (r.fusion, r.rrf_weights, r.law_boost, r.title_weight) == ("rrf", (1.0, 2.0), 0.0, 0.15)
    monkeypatch.setenv("TROLY_RANKING_DBSF_WEIGHTS", "[1, 1]")  # equal weights = Qdrant's own DBSF
    monkeypatch.setenv("TROLY_RANKING_FIELD_CONFLICT", "0")
    r = Settings(_env_file=None).ranking
    assert (r.dbsf_weights, r.field_conflict, r.guidance_penalty) == ((1.0, 1.0), 0.0, 0.3)


@pytest.mark.parametrize("bad", [{"ranking_fusion": "max"}, {"ranking_mode": "x"}, {"ranking_candidates": 0},
                                 {"ranking_law_boost": -1}, {"ranking_dbsf_weights": (1, -1)},
                                 {"ranking_dbsf_weights": (0, 0)}, {"ranking_field_conflict": 1.0},
                                 {"ranking_guidance_penalty": -0.1}])
def test_bad_ranking_settings_are_refused_at_load(bad):
    with pytest.raises(ValidationError):
        Settings(_env_file=None, **bad)


def test_config_is_frozen_and_eval_overrides_only_what_is_given():
    r = RankingConfig()
    with pytest.raises(AttributeError):
        r.fusion = "rrf"  # type: ignore[misc]
    assert r.override(mode="dense", fusion=None, law_boost=None) == RankingConfig(mode="dense")
    assert r.as_dict()["law_boost"] == 0.5


def test_the_legal_exact_scan_is_a_ranking_option_that_reaches_the_retriever(monkeypatch, e5_model_dir, tmp_path):
    """Exact by default (the ranking never depends on the HNSW build); a library near a
    million points turns it off with TROLY_RANKING_EXACT_LEGAL=false."""
    from assistant.engine_factory import open_store
    from assistant.query_pipeline import build_query_pipeline
    from indexing.embedders import text_embedder

    store = open_store(Settings(_env_file=None, data_dir=tmp_path))

    def legal_retriever_exact(ranking: RankingConfig) -> bool:
        pipe = build_query_pipeline(store, text_embedder(e5_model_dir), ranking)
        return pipe.get_component("articles_retriever").exact

    assert legal_retriever_exact(Settings(_env_file=None).ranking) is True
    monkeypatch.setenv("TROLY_RANKING_EXACT_LEGAL", "false")
    ranking = Settings(_env_file=None).ranking
    assert ranking.exact_legal is False and legal_retriever_exact(ranking) is False
    store.close()
