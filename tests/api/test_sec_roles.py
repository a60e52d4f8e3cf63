"""Finding 2 (high): who may grant which role, reviewers scoped to their court tree,
and separation of duties on approval.

Before: a court admin could make a judge of their court a reviewer (PATCH or POST), and a
reviewer read and decided on every court's drafts and statistics. The expectation below
is written out by hand, independently of ``users.GRANTS``: every actor × target role ×
target court, for creating an account, for changing an account's role, and for managing
(editing) an existing account.
"""

from __future__ import annotations

import itertools

import pytest

from assistant.kb.services.users import create_user
from tests.api.conftest import PASSWORD, issue_token
from tests.api.helpers import make_entry

API = "/api/v1"
ROLES = ("judge", "reviewer", "court_admin", "admin")
ACTORS = ("admin", "hnadmin", "reviewer", "judge1")
# target court relative to hnadmin / reviewer (both at HN): own, below, above, sibling, none
COURTS = ("HN", "HN-KV1", "CC-HN", "BN", None)


def expected(actor: str, role: str, court: str | None) -> bool:
    if actor == "admin":
        return True
    if actor == "hnadmin":  # court admin of HN: judges of HN and the courts below it only
        return role == "judge" and court in ("HN", "HN-KV1")
    return False  # reviewers and judges grant nothing


CASES = list(itertools.product(ACTORS, ROLES, COURTS))


def _court_id(env, court):
    return env.courts[court] if court else None


@pytest.mark.parametrize("actor,role,court", CASES)
def test_create_account_grant_table(env, actor, role, court):
    username = f"c-{actor}-{role}-{court or 'none'}".lower().replace("_", "")
    r = env.client.post(f"{API}/users", headers=env.h(actor), json={
        "username": username, "full_name": "Người Thử", "password": PASSWORD, "role": role,
        "court_id": _court_id(env, court)})
    if expected(actor, role, court):
        assert r.status_code == 201, r.text
        assert r.json()["role"] == role
    else:
        assert r.status_code == 403, r.text


@pytest.fixture(scope="module")
def accounts(env):
    """One existing account per (role, court), created by the trusted CLI path."""
    out = {}
    with env.session() as s:
        for role, court in itertools.product(ROLES, COURTS):
            username = f"t-{role}-{court or 'none'}".lower().replace("_", "")
            out[role, court] = create_user(s, username=username, full_name="Tài khoản thử",
                                           password=PASSWORD, role=role,
                                           court_id=_court_id(env, court)).id
    return out


@pytest.mark.parametrize("actor,role,court", CASES)
def test_change_role_grant_table(env, accounts, actor, role, court):
    """Promote (or keep) a judge of ``court`` to ``role``, then put it back."""
    uid = accounts["judge", court]
    r = env.client.patch(f"{API}/users/{uid}", headers=env.h(actor), json={"role": role})
    if expected(actor, role, court):
        assert r.status_code == 200 and r.json()["role"] == role, r.text
        assert env.client.patch(f"{API}/users/{uid}", headers=env.h("admin"),
                                json={"role": "judge"}).status_code == 200
    else:
        assert r.status_code == 403, r.text
        with env.session() as s:
            from assistant.kb.models import User

            assert s.get(User, uid).role == "judge"


@pytest.mark.parametrize("actor,role,court", CASES)
def test_manage_existing_account_table(env, accounts, actor, role, court):
    """Edit, reset or disable an account of ``role`` at ``court``: the same table (a court
    admin resetting a reviewer's password would otherwise take that reviewer's rights)."""
    uid = accounts[role, court]
    r = env.client.patch(f"{API}/users/{uid}", headers=env.h(actor), json={"title": "Đã sửa"})
    assert r.status_code == (200 if expected(actor, role, court) else 403), r.text


def test_court_admin_cannot_move_a_judge_out_of_scope(env, accounts):
    uid = accounts["judge", "HN-KV1"]
    r = env.client.patch(f"{API}/users/{uid}", headers=env.h("hnadmin"),
                         json={"court_id": env.courts["BN"]})
    assert r.status_code == 403


def test_reported_escalation_is_closed(env):
    """The probe's exact requests: PATCH {"role": "reviewer"} and a created reviewer."""
    r = env.client.patch(f"{API}/users/{env.users['judge1']}", headers=env.h("hnadmin"),
                         json={"role": "reviewer"})
    assert r.status_code == 403 and "quản trị hệ thống" in r.json()["detail"]
    r = env.client.post(f"{API}/users", headers=env.h("hnadmin"), json={
        "username": "reviewer.moi", "full_name": "X", "password": PASSWORD, "role": "reviewer",
        "court_id": env.courts["HN-KV1"]})
    assert r.status_code == 403


# --- reviewers are scoped to their court tree -----------------------------------------

@pytest.fixture(scope="module")
def top_reviewer(env):
    with env.session() as s:
        u = create_user(s, username="duyet.tandtc", full_name="Người duyệt TANDTC",
                        password=PASSWORD, role="reviewer", court_code="TANDTC")
        env.users["duyet.tandtc"] = u.id
        env.tokens["duyet.tandtc"] = issue_token(s, u)
    return "duyet.tandtc"


def test_reviewer_sees_and_decides_only_in_own_court_tree(env, top_reviewer):
    hn = make_entry(env, "judge2", submit=True, question="Câu hỏi của Tòa khu vực 2 Hà Nội?")
    bn = make_entry(env, "judge3", submit=True, question="Câu hỏi của Tòa khu vực 1 Bắc Ninh?")
    queue = env.client.get(f"{API}/review/queue", params={"limit": 200},
                           headers=env.h("reviewer")).json()["items"]
    ids = {e["id"] for e in queue}
    assert hn["id"] in ids and bn["id"] not in ids
    listed = {e["id"] for e in env.client.get(f"{API}/qa", params={"limit": 200},
                                              headers=env.h("reviewer")).json()["items"]}
    assert bn["id"] not in listed
    # another court's pending entry does not exist for this reviewer
    assert env.client.get(f"{API}/qa/{bn['id']}", headers=env.h("reviewer")).status_code == 404
    for action, body in (("approve", {}), ("reject", {"reason": "Không"}), ("retire", {})):
        r = env.client.post(f"{API}/review/{bn['id']}/{action}", json=body,
                            headers=env.h("reviewer"))
        assert r.status_code == 404, (action, r.text)
    # the Supreme Court's reviewer sees and decides on all
    top = {e["id"] for e in env.client.get(f"{API}/review/queue", params={"limit": 200},
                                           headers=env.h(top_reviewer)).json()["items"]}
    assert {hn["id"], bn["id"]} <= top
    r = env.client.post(f"{API}/review/{bn['id']}/approve", headers=env.h(top_reviewer))
    assert r.status_code == 200, r.text
    # approved: everyone reads it, but only reviewers of its court tree retire or edit it
    assert env.client.get(f"{API}/qa/{bn['id']}", headers=env.h("reviewer")).status_code == 200
    r = env.client.post(f"{API}/review/{bn['id']}/retire", headers=env.h("reviewer"))
    assert r.status_code == 403
    r = env.client.patch(f"{API}/review/{bn['id']}", json={"answer": "Sửa ngoài phạm vi."},
                         headers=env.h("reviewer"))
    assert r.status_code == 403
    assert env.client.post(f"{API}/review/{hn['id']}/approve",
                           headers=env.h("reviewer")).status_code == 200


def test_reviewer_statistics_scoped(env, top_reviewer):
    r = env.client.get(f"{API}/stats", headers=env.h("reviewer"))
    assert r.status_code == 200
    codes = {c["code"] for c in r.json()["courts"]}
    assert codes == {"HN", "HN-KV1", "HN-KV2"}
    assert env.client.get(f"{API}/stats", params={"court_id": env.courts["BN"]},
                          headers=env.h("reviewer")).status_code == 403
    assert env.client.get(f"{API}/stats/export", params={"court_id": env.courts["BN"]},
                          headers=env.h("reviewer")).status_code == 403
    all_codes = {c["code"] for c in env.client.get(
        f"{API}/stats", headers=env.h(top_reviewer)).json()["courts"]}
    assert {"BN", "BN-KV1", "HN"} <= all_codes


def test_reviewer_feedback_scoped(env):
    bn = make_entry(env, "judge3", submit=True, question="Phản hồi của Tòa Bắc Ninh thế nào?")
    env.client.post(f"{API}/review/{bn['id']}/approve", headers=env.h("admin"))
    r = env.client.post(f"{API}/feedback", headers=env.h("judge3"),
                        json={"entry_id": bn["id"], "helpful": False, "comment": "bn-only"})
    assert r.status_code == 201
    comments = {f["comment"] for f in env.client.get(f"{API}/feedback",
                                                      headers=env.h("reviewer")).json()}
    assert "bn-only" not in comments
    comments = {f["comment"] for f in env.client.get(f"{API}/feedback",
                                                      headers=env.h("admin")).json()}
    assert "bn-only" in comments


# --- separation of duties -----------------------------------------------------------

def test_nobody_approves_own_entry_unless_allowed(env):
    own = make_entry(env, "reviewer", submit=True, question="Người duyệt tự soạn câu hỏi này?")
    r = env.client.post(f"{API}/review/{own['id']}/approve", headers=env.h("reviewer"))
    assert r.status_code == 403 and "tự duyệt" in r.json()["detail"]
    mine = make_entry(env, "admin", submit=True, question="Quản trị tự soạn câu hỏi này ư?")
    assert env.client.post(f"{API}/review/{mine['id']}/approve",
                           headers=env.h("admin")).status_code == 403
    r = env.client.post(f"{API}/review/{own['id']}/approve", headers=env.h("reviewer2"))
    assert r.status_code == 200
    # and no editing of one's own approved entry (it would go live unreviewed)
    r = env.client.patch(f"{API}/review/{own['id']}", json={"answer": "Tự sửa sau khi duyệt."},
                         headers=env.h("reviewer"))
    assert r.status_code == 403
    # an installation with a single reviewer may allow it
    env.settings.review_allow_self_approval = True
    try:
        r = env.client.post(f"{API}/review/{mine['id']}/approve", headers=env.h("admin"))
        assert r.status_code == 200, r.text
    finally:
        env.settings.review_allow_self_approval = False
