"""/readyz, /metrics and the JSON access log (see api/observability.py)."""

from __future__ import annotations

import json
import logging

from api.observability import JsonFormatter


def test_readyz_ok_with_database_and_search(env):
    r = env.client.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready"


def test_readyz_503_without_search(env):
    app = env.client.app
    saved, app.state.search_engine = app.state.search_engine, None
    try:
        r = env.client.get("/readyz")
        assert r.status_code == 503 and r.json()["search"] == "không khả dụng"
    finally:
        app.state.search_engine = saved


def test_metrics_exposes_latency_asks_and_index_size(env):
    env.client.post("/api/v1/ask", json={"question": "Thời hạn kháng cáo?"}, headers=env.h("judge1"))
    text = env.client.get("/metrics", headers=env.h("admin")).text
    assert 'troly_http_request_duration_seconds_bucket{le="0.1",method="POST",route="/api/v1/ask"' in text
    assert 'troly_asks_total{outcome="ok"}' in text
    assert "troly_index_documents " in text


def test_access_log_is_json_with_request_id(env, caplog):
    caplog.set_level(logging.INFO, logger="troly.access")
    env.client.get("/healthz", headers={"X-Request-ID": "req-42"})
    rec = [r for r in caplog.records if r.name == "troly.access"][-1]
    line = json.loads(JsonFormatter().format(rec))
    assert line["request_id"] == "req-42" and line["status"] == 200
    assert line["route"] == "/healthz" and line["duration_ms"] >= 0
