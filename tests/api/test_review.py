"""Review queue and actions, index sync, and the two-reviewer race."""

import threading

from tests.api.helpers import approved_entry, make_entry

R = "/api/v1/review"


def test_queue_requires_reviewer(env):
    assert env.client.get(f"{R}/queue").status_code == 401
    r = env.client.get(f"{R}/queue", headers=env.h("judge1"))
    assert r.status_code == 403 and r.json()["detail"] == "Bạn không có quyền thực hiện thao tác này."
    assert env.client.get(f"{R}/queue", headers=env.h("hnadmin")).status_code == 403


def test_queue_lists_pending_only(env):
    p = make_entry(env, submit=True)
    d = make_entry(env)
    r = env.client.get(f"{R}/queue", headers=env.h("reviewer"))
    ids = [i["id"] for i in r.json()["items"]]
    assert p["id"] in ids and d["id"] not in ids
    assert all(i["status"] == "pending" for i in r.json()["items"])


def test_approve_upserts_into_index(env):
    p = make_entry(env, submit=True)
    r = env.client.post(f"{R}/{p['id']}/approve", headers=env.h("reviewer"), json={"version": p["version"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "approved" and body["approved_at"] and body["version"] == p["version"] + 1
    assert str(p["id"]) in env.search.qa_entry_ids()
    indexed = env.search.qa[str(p["id"])]
    assert indexed.article_ids == ("37.5.LQ.273",) and indexed.court_code == "HN-KV1"


def test_judge_cannot_approve(env):
    p = make_entry(env, submit=True)
    assert env.client.post(f"{R}/{p['id']}/approve", headers=env.h("judge2")).status_code == 403
    assert env.client.post(f"{R}/{p['id']}/approve").status_code == 401


def test_approve_draft_is_conflict(env):
    d = make_entry(env)
    r = env.client.post(f"{R}/{d['id']}/approve", headers=env.h("reviewer"))
    assert r.status_code == 409 and "Bản nháp" in r.json()["detail"]


def test_approve_with_stale_version_is_conflict(env):
    p = make_entry(env, submit=True)
    env.client.patch(f"/api/v1/qa/{p['id']}", headers=env.h("judge1"), json={"answer": "Sửa lại"})
    r = env.client.post(f"{R}/{p['id']}/approve", headers=env.h("reviewer"), json={"version": p["version"]})
    assert r.status_code == 409
    assert env.search.qa[str(p["id"])].status == "pending"  # indexed for the duplicate check only


def test_reject_requires_reason(env):
    p = make_entry(env, submit=True)
    r = env.client.post(f"{R}/{p['id']}/reject", headers=env.h("reviewer"), json={})
    assert r.status_code == 422 and "lý do" in r.json()["detail"]
    r = env.client.post(f"{R}/{p['id']}/reject", headers=env.h("reviewer"), json={"reason": "  "})
    assert r.status_code == 422 and "không được để trống" in r.json()["detail"]
    r = env.client.post(f"{R}/{p['id']}/reject", headers=env.h("reviewer"),
                        json={"reason": "Căn cứ chưa chính xác"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert str(p["id"]) in env.search.deletes


def test_retire_removes_from_index(env):
    a = approved_entry(env)
    assert str(a["id"]) in env.search.qa_entry_ids()
    assert env.client.post(f"{R}/{a['id']}/retire", headers=env.h("judge1")).status_code == 403
    r = env.client.post(f"{R}/{a['id']}/retire", headers=env.h("reviewer"),
                        json={"reason": "Luật đã sửa đổi"})
    assert r.status_code == 200 and r.json()["status"] == "retired"
    assert str(a["id"]) not in env.search.qa_entry_ids()
    assert env.client.post(f"{R}/{a['id']}/retire", headers=env.h("reviewer")).status_code == 409


def test_reviewer_edits_approved_entry_and_index_follows(env):
    a = approved_entry(env)
    r = env.client.patch(f"{R}/{a['id']}", headers=env.h("reviewer"),
                         json={"answer": "Thời hạn kháng cáo là 15 ngày.", "version": a["version"]})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert env.search.qa[str(a["id"])].answer == "Thời hạn kháng cáo là 15 ngày."
    detail = env.client.get(f"/api/v1/qa/{a['id']}", headers=env.h("judge1")).json()
    assert detail["revisions"][-1]["action"] == "review_edit"
    assert env.client.patch(f"{R}/{a['id']}", headers=env.h("judge1"), json={"answer": "x"}).status_code == 403


def test_index_failure_rolls_back_approval(env):
    p = make_entry(env, submit=True)
    env.search.fail_upserts = True
    try:
        r = env.client.post(f"{R}/{p['id']}/approve", headers=env.h("reviewer"))
    finally:
        env.search.fail_upserts = False
    assert r.status_code == 503 and "chỉ mục" in r.json()["detail"]
    again = env.client.get(f"/api/v1/qa/{p['id']}", headers=env.h("reviewer")).json()
    assert again["status"] == "pending" and again["version"] == p["version"]


def test_two_reviewers_race_exactly_one_wins(env):
    for _ in range(3):
        p = make_entry(env, submit=True)
        barrier = threading.Barrier(2)
        results: list[int] = []

        def approve(who, p=p, barrier=barrier, results=results):
            barrier.wait()
            r = env.client.post(f"{R}/{p['id']}/approve", headers=env.h(who),
                                json={"version": p["version"]})
            results.append(r.status_code)

        threads = [threading.Thread(target=approve, args=(w,)) for w in ("reviewer", "reviewer2")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(results) == [200, 409], results
        detail = env.client.get(f"/api/v1/qa/{p['id']}", headers=env.h("reviewer")).json()
        assert [r["action"] for r in detail["revisions"]].count("approve") == 1


def test_race_at_service_level(env):
    """Both sessions read the entry before either writes: the conditional UPDATE decides."""
    from assistant.kb.errors import Conflict
    from assistant.kb.models import User
    from assistant.kb.services.qa import approve_entry, get_entry

    p = make_entry(env, submit=True)
    s1, s2 = env.session_factory(), env.session_factory()
    try:
        r1, r2 = s1.get(User, env.users["reviewer"]), s2.get(User, env.users["reviewer2"])
        v1, v2 = get_entry(s1, p["id"]).version, get_entry(s2, p["id"]).version
        approve_entry(s1, env.search, r1, p["id"], v1)
        s1.commit()
        try:
            approve_entry(s2, env.search, r2, p["id"], v2)
            raise AssertionError("second approval should conflict")
        except Conflict:
            s2.rollback()
    finally:
        s1.close()
        s2.close()
