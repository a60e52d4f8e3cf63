"""Rollups = raw aggregation: random asks, contributions, edits and approvals written
through the ORM (as the services do) leave the rollup tables equal to a GROUP BY over
the raw rows; rebuild is idempotent; the national generator builds the 2025 court shape.
Runs on SQLite and, with TROLY_TEST_DATABASE_URL, on PostgreSQL."""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.kb import rollups
from assistant.kb.models import FIELDS, Court, QAEntry, QARevision, StatsQuestionMonthly, UsageEvent, User
from assistant.kb.national import REGIONAL_COURTS, Scale, court_rows
from assistant.kb.services import unanswered


def _random_activity(env, seed: int) -> None:
    rnd = random.Random(seed)
    users = list(env.users.items())
    with env.session() as s:
        court_of = {uid: s.get(User, uid).court_id for _, uid in users}
        base = datetime(2025, 1, 1, tzinfo=UTC)
        for _ in range(300):  # asks, several per flush, across day and month boundaries
            uid = rnd.choice(users)[1]
            s.add(UsageEvent(user_id=uid, court_id=court_of[uid],
                             created_at=base + timedelta(minutes=rnd.randrange(60 * 24 * 90)),
                             query=rnd.choice(["Thời hạn kháng cáo", "thời hạn kháng cáo", "Đình chỉ",
                                               "hoãn phiên tòa", f"câu {rnd.randrange(40)}"]),
                             returned_ids=[], best_score=0.5, latency_ms=3, answered=rnd.random() < 0.7))
            if rnd.random() < 0.2:
                s.flush()
        entries = []
        for _ in range(60):
            uid = rnd.choice(users)[1]
            created = base + timedelta(minutes=rnd.randrange(60 * 24 * 90))
            e = QAEntry(question="Câu hỏi ngẫu nhiên", answer="Trả lời", field=rnd.choice(FIELDS),
                        tags=[], article_ids=[], citation_text="", status="pending", author_id=uid,
                        court_id=court_of[uid], created_at=created, updated_at=created, version=1)
            s.add(e)
            entries.append(e)
        s.flush()
        for e in entries:  # approvals, a reviewer's field correction, retirements, a deletion
            r = rnd.random()
            if r < 0.5:
                e.status, e.approved_at = "approved", e.created_at + timedelta(days=rnd.randrange(40))
            if r < 0.2:
                e.field = rnd.choice(FIELDS)
            if 0.5 <= r < 0.6:
                e.status, e.approved_at = "retired", e.created_at + timedelta(days=2)
            s.add(QARevision(entry_id=e.id, version=2, action="edit", user_id=e.author_id, snapshot={}))
        s.flush()
        s.delete(entries[0])
        ev = s.scalars(select(UsageEvent).limit(3)).all()
        ev[0].created_at += timedelta(days=31)  # moved to another month
        s.delete(ev[1])


def _assert_consistent(env) -> None:
    with env.session() as s:
        diff = rollups.check(s.connection())
    assert diff == {"stats_daily": 0, "stats_monthly": 0, "stats_court_monthly": 0,
                    "stats_question_monthly": 0}, diff


def test_rollups_equal_raw_aggregation_on_random_data(env):
    for seed in (1, 2):
        _random_activity(env, seed)
        _assert_consistent(env)
    with env.session() as s:
        asked = s.scalar(select(func.sum(StatsQuestionMonthly.asked)).where(
            StatsQuestionMonthly.court_id == rollups.ALL_COURTS))
        assert asked == s.scalar(select(func.count()).select_from(UsageEvent))


def test_rebuild_is_idempotent_and_check_finds_damage(env):
    with env.session() as s:
        first = rollups.rebuild(s.connection())
    with env.session() as s:
        assert rollups.rebuild(s.connection()) == first
    _assert_consistent(env)
    with env.session() as s:
        s.execute(rollups.daily_t.update().where(rollups.daily_t.c.asked > 0).values(asked=999))
        assert rollups.check(s.connection())["stats_daily"] > 0
        rollups.rebuild(s.connection())
    _assert_consistent(env)


def test_national_court_shape():
    rows = court_rows()
    levels = [r["level"] for r in rows]
    assert (levels.count("tandtc"), levels.count("cap_cao"), levels.count("tinh"),
            levels.count("khu_vuc")) == (1, 3, 34, REGIONAL_COURTS)
    names = {r["name"] for r in rows}
    assert "Tòa án nhân dân khu vực 3 - Bắc Ninh" in names
    assert "Tòa án nhân dân Thành phố Hồ Chí Minh" in names and "Tòa án nhân dân tỉnh Cà Mau" in names
    assert len({r["code"] for r in rows}) == len(rows)
    by_id = {r["id"]: r for r in rows}
    for r in rows:  # parents first, and the level below the parent's
        if r["parent_id"]:
            assert r["parent_id"] < r["id"]
            assert (by_id[r["parent_id"]]["level"], r["level"]) in {
                ("tandtc", "cap_cao"), ("cap_cao", "tinh"), ("tinh", "khu_vuc")}


def test_generator_tiny_scale(tmp_path):
    """Counts, shares and the consistency of its rollups and queue counts; the same seed
    gives the same rows."""
    from assistant.kb.db import make_engine, upgrade_database
    from assistant.kb.national import generate

    def build(name):
        url = f"sqlite:///{tmp_path / name}"
        upgrade_database(url)
        engine = make_engine(url)
        with engine.begin() as conn:
            report = generate(conn, scale=Scale(900, 200, 2000), seed=7, password_hash="x")
        return engine, report

    engine, report = build("a.db")
    assert report.courts == {"tandtc": 1, "cap_cao": 3, "tinh": 34, "khu_vuc": 355}
    assert sum(report.users.values()) == 900 and report.users["judge"] > 0.5 * 900
    assert sum(report.entries.values()) == 200 and report.entries["approved"] > report.entries["pending"]
    assert report.events == 2000 and report.unanswered > 0 and report.revisions > 200
    with engine.connect() as conn:
        assert all(v == 0 for v in rollups.check(conn).values())
        assert conn.scalar(select(func.count()).select_from(Court)) == 393
        hours = [r[0] for r in conn.execute(select(UsageEvent.created_at))]
        office = sum(1 for h in hours if 7 <= h.astimezone(rollups.VN_TZ).hour < 18)
        weekend = sum(1 for h in hours if h.astimezone(rollups.VN_TZ).weekday() >= 5)
        assert office > 0.85 * len(hours) and weekend < 0.1 * len(hours)
        first = conn.execute(select(UsageEvent.query, UsageEvent.user_id).order_by(UsageEvent.id).limit(50)).all()
    with Session(engine) as s:  # queue items come with their asker: counts = a recount
        assert unanswered.count_mismatches(s) == []
    engine2, _ = build("b.db")
    with engine2.connect() as conn:
        again = conn.execute(select(UsageEvent.query, UsageEvent.user_id).order_by(UsageEvent.id).limit(50)).all()
        assert again == first
    engine.dispose()
    engine2.dispose()


def test_top_questions_equal_a_full_group_by(env):
    """The bounded top-k read of the question rollup (per-month index lists + a bound)
    gives the same ranking as grouping every row, for all courts and for a subtree."""
    from datetime import date

    from assistant.kb.services.stats import _top_questions

    rnd = random.Random(5)
    with env.session() as s:
        uid = env.users["judge1"]
        court = s.get(User, uid).court_id
        for i in range(400):  # a long tail: question j asked about 1/j as often
            j = int(1 / max(rnd.random(), 0.01))
            s.add(UsageEvent(user_id=uid, court_id=court, query=f"câu hỏi đuôi dài {j}",
                             created_at=datetime(2024, 1 + i % 12, 3, 3, tzinfo=UTC),
                             returned_ids=[], best_score=0.5, latency_ms=1, answered=j % 3 == 0))
    q = StatsQuestionMonthly
    with env.session() as s:
        for key in (rollups.ALL_COURTS, env.courts["HN"], court):
            full = s.execute(select(q.qhash, func.sum(q.asked)).where(
                q.court_id == key, q.month >= date(2024, 1, 1), q.month < date(2025, 1, 1))
                .group_by(q.qhash)).all()
            expected = sorted(((h, n) for h, n in full), key=lambda r: (-r[1], r[0]))[:5]
            got = _top_questions(s, key, date(2024, 1, 1), date(2025, 1, 1), 5)
            assert sorted(((h, v["count"]) for h, v in got.items()), key=lambda r: (-r[1], r[0])) == expected
            odd = {h for h, _ in full[::2]}
            got = _top_questions(s, key, date(2024, 1, 1), date(2025, 1, 1), 3, accept=odd.__contains__)
            expected = sorted(((h, n) for h, n in full if h in odd), key=lambda r: (-r[1], r[0]))[:3]
            assert sorted(((h, v["count"]) for h, v in got.items()), key=lambda r: (-r[1], r[0])) == expected
