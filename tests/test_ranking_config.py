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
    assert r.rrf_k == DEFAULT_RRF_K


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
