"""Rollups = raw aggregation: random asks, contributions, edits and approvals written
through the ORM (as the services do) leave the rollup tables equal to a GROUP BY over
the raw rows; rebuild is idempotent; the national generator builds the 2025 court shape.
Runs on SQLite and, with TROLY_TEST_DATABASE_URL, on PostgreSQL."""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.kb import rollups
from assistant.kb.models import (
    FIELDS,
    Court,
    QAEntry,
    QARevision,
    StatsQuestionMonthly,
    UnansweredQuestion,
    UsageEvent,
    User,
)
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
    assert diff == {"stats_daily": 0, "stats_monthly": 0, "stats_yearly": 0, "stats_court_monthly": 0,
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
    gives the same ranking as grouping every row, for all courts and for a subtree, also
    when only some questions are admitted (the open queue items)."""
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


def test_page_lists_equal_a_raw_aggregation_on_random_data(env):
    """The "most asked" and "not yet answered" lists of a statistics page (read from the
    question rollup) equal counting the raw usage events of the period and scope: random
    asks with a long tail and case variants across the courts and months of 2023, open
    queue items from several courts; the whole country and one province, by year and by
    quarter. Ties at the cut may be broken either way, so the counts are compared in order
    and each listed question's figures exactly."""
    from datetime import date

    from assistant.kb.services import unanswered as queue
    from assistant.kb.services.stats import compute_statistics, period_bounds

    rnd = random.Random(11)
    pool = [f"Câu hỏi thống kê số {j} về thời hạn tố tụng?" for j in range(40)]
    with env.session() as s:
        users = [s.get(User, uid) for uid in env.users.values()]
        for i in range(700):
            u = rnd.choice(users)
            text = pool[min(int(rnd.paretovariate(1.2)) - 1, len(pool) - 1)]
            s.add(UsageEvent(user_id=u.id, court_id=u.court_id, query=text.upper() if i % 9 == 0 else text,
                             created_at=datetime(2023, 1, 1, tzinfo=UTC) + timedelta(minutes=rnd.randrange(525_600)),
                             returned_ids=[], best_score=0.3, latency_ms=1, answered=rnd.random() < 0.4))
            if i % 50 == 0:
                s.flush()
        for j in range(0, 40, 3):  # open items for a third of the questions, asked in various courts
            queue.record_ask(s, users[j % len(users)], pool[j])
    with env.session() as s:
        admin = s.get(User, env.users["admin"])
        items = s.execute(select(UnansweredQuestion.question, UnansweredQuestion.court_id).where(
            UnansweredQuestion.status == "open")).all()
        for court_id in (None, env.courts["HN"]):
            scope = None if court_id is None else _subtree(s, court_id)
            for period in ("year", "quarter"):
                page = compute_statistics(s, admin, court_id=court_id, period=period, ref=date(2023, 5, 20), top=5)
                p = period_bounds(period, date(2023, 5, 20))
                raw: dict[str, list[int]] = {}
                events = select(UsageEvent.query, UsageEvent.answered, UsageEvent.court_id).where(
                    UsageEvent.created_at >= p.start, UsageEvent.created_at < p.end)
                for query, answered, court in s.execute(events):
                    if scope is None or court in scope:
                        row = raw.setdefault(query.lower(), [0, 0])
                        row[0] += 1
                        row[1] += int(answered)
                counts = sorted((n for n, _ in raw.values()), reverse=True)
                assert [q["count"] for q in page["most_asked"]] == counts[:5]
                for q in page["most_asked"]:
                    assert [q["count"], q["answered"]] == raw[q["question"].lower()]
                open_counts = {t.lower(): raw.get(t.lower(), [0])[0] for t, c in items
                               if scope is None or c in scope}
                listed = [q["count"] for q in page["unanswered"]]
                assert listed == sorted((n for n in open_counts.values() if n), reverse=True)[:5]
                for q in page["unanswered"]:
                    assert q["count"] == open_counts[q["question"].lower()]


def _subtree(s, court_id: int) -> set[int]:
    out, frontier = {court_id}, [court_id]
    while frontier:
        frontier = [c.id for c in s.scalars(select(Court).where(Court.parent_id.in_(frontier)))]
        out.update(frontier)
    return out


def test_top_questions_of_a_flat_spread_and_of_one_month(env):
    """Months holding more questions than the first lists take (the bound is not met at
    once, so the lists grow) and a one-month period (its list is its totals) still give
    a full GROUP BY's ranking."""
    from datetime import date

    from assistant.kb.services.stats import _top_questions

    rnd = random.Random(8)
    uid = env.users["judge3"]
    with env.session() as s:
        court = s.get(User, uid).court_id
        for i in range(900):  # 150 questions, each asked once to three times a month
            s.add(UsageEvent(user_id=uid, court_id=court, query=f"câu hỏi dàn trải {rnd.randrange(150)}",
                             created_at=datetime(2022, 1 + i % 3, 5, 3, tzinfo=UTC),
                             returned_ids=[], best_score=0.5, latency_ms=1, answered=i % 2 == 0))
    q = StatsQuestionMonthly
    with env.session() as s:
        for first, end in ((date(2022, 1, 1), date(2022, 4, 1)), (date(2022, 2, 1), date(2022, 3, 1))):
            full = s.execute(select(q.qhash, func.sum(q.asked), func.sum(q.answered)).where(
                q.court_id == court, q.month >= first, q.month < end).group_by(q.qhash)).all()
            expected = sorted(((h, n, a) for h, n, a in full), key=lambda r: (-r[1], r[0]))[:8]
            got = _top_questions(s, court, first, end, 8)
            assert sorted(((h, v["count"], v["answered"]) for h, v in got.items()),
                          key=lambda r: (-r[1], r[0])) == expected
            # admitted: only the least asked (the lists grow); ties at the cut go either way
            rare = {h for h, n, _ in full if n <= 2}
            got = _top_questions(s, court, first, end, 8, accept=rare.__contains__)
            assert sorted((v["count"] for v in got.values()), reverse=True) == sorted(
                (n for h, n, _ in full if h in rare), reverse=True)[:8]
            assert {(h, v["count"], v["answered"]) for h, v in got.items()} <= {tuple(r) for r in full}


def test_year_rollup_pages_equal_a_raw_aggregation_across_years(env):
    """Pages of whole years (read from the yearly rollup), of whole years with months around
    them (yearly + monthly rows), of months within a year (monthly) and of mid-month ranges
    (daily) give each judge, court and total the figures of a plain count of the raw usage
    events and Q&A entries: random asks from mid-2024 to early 2026 written through the ORM
    in several flushes, contributions approved across the new year, an ask moved from
    December into January and one deleted, a reviewer's field correction; the whole country,
    one province, with and without a field; and the rollups equal the rebuild (check)."""
    from datetime import date

    from assistant.kb.services.stats import _user_sources, compute_statistics, period_bounds, scope_courts

    rnd = random.Random(2026)
    judges = [env.users[u] for u in ("judge1", "judge2", "judge3", "reviewer")]
    base = datetime(2024, 6, 1, tzinfo=UTC)
    span = 60 * 24 * 670  # to the end of March 2026
    with env.session() as s:
        court_of = {uid: s.get(User, uid).court_id for uid in judges}
        for i in range(400):
            uid = rnd.choice(judges)
            s.add(UsageEvent(user_id=uid, court_id=court_of[uid], query=f"câu hỏi năm {rnd.randrange(30)}",
                             created_at=base + timedelta(minutes=rnd.randrange(span)),
                             returned_ids=[], best_score=0.5, latency_ms=2, answered=rnd.random() < 0.6))
            if i % 37 == 0:
                s.flush()
        new_year = datetime(2024, 12, 31, 16, 30, tzinfo=UTC)  # 23:30 on 31/12 in Vietnam
        moved = UsageEvent(user_id=judges[0], court_id=court_of[judges[0]], query="câu hỏi năm 1",
                           created_at=new_year, returned_ids=[], best_score=0.5, latency_ms=2, answered=True)
        gone = UsageEvent(user_id=judges[1], court_id=court_of[judges[1]], query="câu hỏi năm 2",
                          created_at=new_year, returned_ids=[], best_score=0.5, latency_ms=2, answered=False)
        s.add_all([moved, gone])
        entries = []
        for _ in range(50):
            uid = rnd.choice(judges)
            created = base + timedelta(minutes=rnd.randrange(span))
            e = QAEntry(question="Câu hỏi đóng góp qua năm", answer="Trả lời", field=rnd.choice(FIELDS[:3]),
                        tags=[], article_ids=[], citation_text="", status="pending", author_id=uid,
                        court_id=court_of[uid], created_at=created, updated_at=created, version=1)
            s.add(e)
            entries.append(e)
        s.flush()
        for e in entries:
            if rnd.random() < 0.6:  # some approved after the new year
                e.status, e.approved_at = "approved", e.created_at + timedelta(days=rnd.randrange(60))
            if rnd.random() < 0.2:
                e.field = rnd.choice(FIELDS[:3])
        s.flush()
        moved.created_at = new_year + timedelta(hours=1)  # into 2025 (Vietnam time)
        s.delete(gone)
    _assert_consistent(env)

    def raw(s, scope, p, field):
        """user id → [asked, contributed, approved, last active]; court id → [asked, answered]."""
        users: dict[int, list] = {}
        courts: dict[int, list[int]] = {}
        for uid, court, created, answered in s.execute(select(
                UsageEvent.user_id, UsageEvent.court_id, UsageEvent.created_at, UsageEvent.answered)):
            if p.start <= created < p.end and (scope is None or court in scope):
                row = users.setdefault(uid, [0, 0, 0, None])
                row[0] += 1
                row[3] = max(row[3] or created, created)
                acc = courts.setdefault(court, [0, 0])
                acc[0] += 1
                acc[1] += int(answered)
        for e in s.scalars(select(QAEntry)):
            if (scope is not None and e.court_id not in scope) or (field and e.field != field):
                continue
            if p.start <= e.created_at < p.end:
                row = users.setdefault(e.author_id, [0, 0, 0, None])
                row[1] += 1
                row[3] = max(row[3] or e.created_at, e.created_at)
            if e.approved_at and p.start <= e.approved_at < p.end and e.status in rollups.APPROVED_STATUSES:
                users.setdefault(e.author_id, [0, 0, 0, None])[2] += 1
        return users, courts

    cases = [
        {"period": "year", "ref": date(2025, 6, 1)},  # one whole year: yearly rows only
        {"period": "year", "ref": date(2024, 2, 1), "field": "dân sự"},  # a year that began mid-data
        {"period": "half", "ref": date(2025, 9, 1)},  # months within a year: monthly rows
        {"period": "custom", "date_from": date(2024, 7, 1), "date_to": date(2025, 12, 31)},  # months + a year
        {"period": "custom", "date_from": date(2024, 11, 1), "date_to": date(2026, 2, 28)},  # months, year, months
        {"period": "custom", "date_from": date(2024, 12, 15), "date_to": date(2026, 1, 10)},  # mid-month: daily
        {"period": "custom", "date_from": date(2025, 3, 1), "date_to": date(2025, 8, 31), "field": "hình sự"},
    ]
    with env.session() as s:
        admin = s.get(User, env.users["admin"])
        assert [len(_user_sources(None, "month", date(2024, 11, 1), date(2026, 3, 1))),
                len(_user_sources(None, "month", date(2025, 1, 1), date(2026, 1, 1)))] == [3, 1]
        for court in (None, env.courts["HN"]):
            for filters in cases:
                scope = scope_courts(s, admin, court)
                p = period_bounds(filters["period"], filters.get("ref"), filters.get("date_from"),
                                  filters.get("date_to"))
                page = compute_statistics(s, admin, court_id=court, **filters)
                users, courts = raw(s, scope, p, filters.get("field"))
                assert users, filters
                for j in page["judges"]:
                    asked, contributed, approved, last = users.get(j["user_id"], [0, 0, 0, None])
                    assert (j["asked"], j["contributed"], j["approved"], j["last_active"]) == (
                        asked, contributed, approved, last.isoformat() if last else None), (court, filters, j)
                assert page["totals"]["asked"] == sum(a for a, _ in courts.values())
                assert page["totals"]["answered"] == sum(n for _, n in courts.values())
                assert page["totals"]["contributed"] == sum(u[1] for u in users.values())
                assert page["totals"]["approved"] == sum(u[2] for u in users.values())
                used = {j["user_id"] for j in page["judges"] if j["used"]}
                assert used == {j["user_id"] for j in page["judges"] if users.get(j["user_id"], [0])[0]}
