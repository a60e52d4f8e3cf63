"""Shared helpers for the API tests (entries in a given state)."""

from __future__ import annotations


def make_entry(env, who: str = "judge1", *, submit: bool = False, **over) -> dict:
    body = {"question": "Thời hạn kháng cáo bản án sơ thẩm dân sự là bao lâu?",
            "answer": "15 ngày kể từ ngày tuyên án (khoản 1 Điều 273 BLTTDS).",
            "field": "dân sự", "citation_text": "khoản 1 Điều 273 BLTTDS", "submit": submit}
    body.update(over)
    r = env.client.post("/api/v1/qa", json=body, headers=env.h(who))
    assert r.status_code == 201, r.text
    return r.json()


def approved_entry(env, who: str = "judge1", **over) -> dict:
    e = make_entry(env, who, submit=True, **over)
    r = env.client.post(f"/api/v1/review/{e['id']}/approve", headers=env.h("reviewer"))
    assert r.status_code == 200, r.text
    return r.json()


def clear_login_failures(env) -> None:
    """Forget every counted failed login (they live in the database, issue 11)."""
    from sqlalchemy import delete

    from assistant.kb.models import LoginFailure

    with env.session() as s:
        s.execute(delete(LoginFailure))
