"""A statistics page keeps the courts and accounts it read (per process) while the database's
directory token is unchanged; any change to a user or a court, committed by the services or by
plain SQL, shows on the next page, and a rolled-back change never does.

Why: reading 12,000 accounts and 393 courts was ~10 ms of every national page (issue 13
item 2). Each page below is compared with the same page computed with nothing kept. SQLite
and, with TROLY_TEST_DATABASE_URL, PostgreSQL (statement triggers there, row triggers on
SQLite: migration 0013).
"""

from datetime import date

from sqlalchemy import select, text

from assistant.kb.models import DirectoryVersion, User
from assistant.kb.services import stats
from assistant.kb.services.courts import create_court, update_court
from assistant.kb.services.stats import compute_statistics
from assistant.kb.services.users import create_user, update_user

FILTERS = dict(period="year", ref=date(2025, 6, 1))


def _page(env, **filters):
    with env.session() as s:
        admin = s.get(User, env.users["admin"])
        return compute_statistics(s, admin, **(filters or FILTERS))


def _fresh_page(env, **filters):
    stats._DIRECTORIES.clear()
    return _page(env, **filters)


def _judge(page, user_id):
    return next(j for j in page["judges"] if j["user_id"] == user_id)


def _court(page, code):
    return next(c for c in page["courts"] if c["code"] == code)


def _token(env):
    with env.session() as s:
        return s.scalar(select(DirectoryVersion.token))


def test_unchanged_directory_is_kept_and_read_again_after_any_change(env):
    first = _page(env)
    kept = list(stats._DIRECTORIES.values())
    assert _page(env) == first and list(stats._DIRECTORIES.values()) == kept  # nothing changed: kept
    judge1 = env.users["judge1"]

    # a renamed judge (the service): shown, and placed by the new name, on the next page
    token = _token(env)
    with env.session() as s:
        admin = s.get(User, env.users["admin"])
        update_user(s, admin, judge1, full_name="Yên Văn Tân")
    assert _token(env) != token
    page = _page(env)
    assert _judge(page, judge1)["full_name"] == "Yên Văn Tân"
    assert page == _fresh_page(env)

    # the same by plain SQL (no ORM event sees it): title and role
    with env.session() as s:
        s.execute(text("UPDATE users SET title = 'Phó Chánh án' WHERE id = :id"), {"id": judge1})
    assert _judge(_page(env), judge1)["title"] == "Phó Chánh án"
    with env.session() as s:
        s.execute(text("UPDATE users SET role = 'reviewer' WHERE id = :id"), {"id": judge1})
    page = _page(env)
    assert judge1 not in {j["user_id"] for j in page["judges"]} and page == _fresh_page(env)
    with env.session() as s:
        s.execute(text("UPDATE users SET role = 'judge' WHERE id = :id"), {"id": judge1})

    # a judge moved to another court: the row and both courts' counts
    before = _page(env)
    with env.session() as s:
        admin = s.get(User, env.users["admin"])
        update_user(s, admin, judge1, court_id=env.courts["BN-KV1"])
    page = _page(env)
    assert _judge(page, judge1)["court_code"] == "BN-KV1"
    assert _court(page, "BN-KV1")["judges"] == _court(before, "BN-KV1")["judges"] + 1
    assert _court(page, "HN-KV1")["judges"] == _court(before, "HN-KV1")["judges"] - 1
    assert page == _fresh_page(env)

    # a court renamed, then moved under another court: names and the tree
    with env.session() as s:
        update_court(s, env.courts["BN-KV1"], name="Tòa án nhân dân khu vực 9 - Bắc Ninh")
    page = _page(env)
    assert _judge(page, judge1)["court_name"] == "Tòa án nhân dân khu vực 9 - Bắc Ninh"
    with env.session() as s:
        update_court(s, env.courts["BN-KV1"], parent_id=env.courts["HN"])
    page = _page(env)
    moved = _court(page, "BN-KV1")
    assert moved["parent_id"] == env.courts["HN"] and moved["depth"] == _court(page, "HN")["depth"] + 1
    assert page == _fresh_page(env)

    # a new court and a new judge in it; then the judge deleted
    with env.session() as s:
        create_court(s, name="Tòa án nhân dân khu vực 3 - Hà Nội", code="HN-KV3", level="khu_vuc",
                     parent_code="HN")
        new = create_user(s, username="judge_new", full_name="Ánh Dương", password="mat-khau-dai-1",
                          role="judge", court_code="HN-KV3", title="Thẩm phán").id
    page = _page(env)
    assert _judge(page, new)["court_code"] == "HN-KV3" and _court(page, "HN-KV3")["judges"] == 1
    with env.session() as s:
        s.execute(text("DELETE FROM users WHERE id = :id"), {"id": new})
    page = _page(env)
    assert new not in {j["user_id"] for j in page["judges"]} and page == _fresh_page(env)

    # a court admin's page (a scope) reads the same kept directory
    with env.session() as s:
        hnadmin = s.get(User, env.users["hnadmin"])
        scoped = compute_statistics(s, hnadmin, **FILTERS)
    stats._DIRECTORIES.clear()
    with env.session() as s:
        assert compute_statistics(s, s.get(User, env.users["hnadmin"]), **FILTERS) == scoped


def test_a_rolled_back_change_is_never_shown_to_the_next_page(env):
    judge2 = env.users["judge2"]
    name = _judge(_page(env), judge2)["full_name"]
    with env.session_factory() as s:
        admin = s.get(User, env.users["admin"])
        update_user(s, admin, judge2, full_name="Tên chưa lưu")
        # the changing transaction sees its own change (and may keep that directory) …
        assert _judge(compute_statistics(s, admin, **FILTERS), judge2)["full_name"] == "Tên chưa lưu"
        s.rollback()
    # … which the database never held: the next page reads the committed name
    page = _page(env)
    assert _judge(page, judge2)["full_name"] == name and page == _fresh_page(env)
    # nor after another change is committed (a counter would give it the rolled-back value)
    with env.session() as s:
        s.execute(text("UPDATE users SET title = 'Thẩm phán sơ cấp' WHERE id = :id"), {"id": judge2})
    page = _page(env)
    assert _judge(page, judge2)["full_name"] == name and _judge(page, judge2)["title"] == "Thẩm phán sơ cấp"
    assert page == _fresh_page(env)
