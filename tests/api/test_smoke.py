from tests.api.helpers import make_entry


def test_healthz(env):
    r = env.client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_create(env):
    e = make_entry(env)
    assert e["article_ids"] == ["37.5.LQ.273"]
