"""Thread-pool hand-offs per request (issue 13 item 5: the API process's CPU per ask).

Why: FastAPI runs every plain ``def`` dependency and route in its thread pool, and each
hand-off (a future, waking a worker thread and then the event loop) cost more CPU than
the dependencies that only read ``app.state`` (settings, secret, engine, thresholds) or
compare a role. Those are ``async def`` in ``api/deps.py``; what blocks stays in the pool.
"""

from __future__ import annotations

import anyio.to_thread

from tests.api.helpers import approved_entry


def _count_handoffs(monkeypatch) -> list[str]:
    calls: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(func, *args, **kwargs):
        inner = getattr(func, "func", func)  # functools.partial → the function it wraps
        calls.append(getattr(inner, "__qualname__", type(inner).__name__))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return calls


def test_an_ask_hands_only_blocking_work_to_the_thread_pool(env, monkeypatch):
    approved_entry(env, question="Thời hạn kháng cáo bản án sơ thẩm là bao lâu?")
    calls = _count_handoffs(monkeypatch)
    r = env.client.post("/api/v1/ask", headers=env.h("judge1"),
                        json={"question": "Thời hạn kháng cáo bản án sơ thẩm?"})
    assert r.status_code == 200, r.text
    # the session opened and closed, the token's user read, the route, FastAPI's check of
    # the route's answer (it runs a plain route's response validation in the pool too)
    assert len(calls) == 5, calls
    assert "get_current_user" in calls, calls
    assert not {"get_settings", "get_search", "get_jwt_secret", "get_match_thresholds",
                "require_roles.<locals>.check"} & set(calls), calls


def test_a_role_check_and_a_missing_engine_still_answer_in_vietnamese(env, monkeypatch):
    """The async dependencies raise the same clear errors as before."""
    r = env.client.get("/api/v1/review/queue", headers=env.h("judge1"))
    assert r.status_code == 403
    assert "quyền" in r.json()["detail"]
    monkeypatch.setattr(env.client.app.state, "search_engine", None)
    r = env.client.post("/api/v1/ask", headers=env.h("judge1"), json={"question": "Thời hạn kháng cáo?"})
    assert r.status_code == 503
    assert "tìm kiếm" in r.json()["detail"]
