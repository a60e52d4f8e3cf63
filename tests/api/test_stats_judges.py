"""The judge table of a statistics page against a plain recomputation, and the page cut to
its first judges equal to the full page cut afterwards.

Why: ``compute_statistics(…, judges_limit=N)`` builds only the rows the API sends (a national
page has 10,487 judges) while the court table, the totals and ``judges_total`` still count
every judge; the exports use the full table. Random judges (shared and case-varied names,
inactive ones, one without a court), asks and contributions over 2025; every scope, period
and field below, on SQLite and, with TROLY_TEST_DATABASE_URL, PostgreSQL. The reference
sums the rollup rows in Python, as the page did before it was sped up (issue 13).
"""

import random
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from assistant.kb.models import FIELDS, Court, QAEntry, StatsDaily, StatsMonthly, UsageEvent, User
from assistant.kb.services.stats import (
    PAGE_JUDGES,
    StatisticsCache,
    compute_statistics,
    period_bounds,
    scope_courts,
)

NAMES = ["Nguyễn Văn An", "nguyễn văn an", "Trần Thị Bình", "Lê Văn Cường", "Đặng Thị Hoa",
         "Bùi Văn Khánh", "Ngô Thị Lan", "Đỗ Văn Minh", "Ánh Dương"]
VN_OFFSET = timedelta(hours=7)


@pytest.fixture(scope="module", autouse=True)
def activity(env):
    rnd = random.Random(13)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    with env.session() as s:
        courts = list(env.courts.values())
        for i in range(70):
            s.add(User(username=f"tp{i:03d}", full_name=rnd.choice(NAMES), password_hash="x",
                       role=rnd.choice(["judge"] * 5 + ["reviewer"]), title=rnd.choice([None, "Thẩm phán"]),
                       court_id=None if i == 0 else rnd.choice(courts), is_active=rnd.random() > 0.15))
        s.flush()
        users = s.scalars(select(User)).all()
        for _ in range(400):
            u = rnd.choice(users)
            s.add(UsageEvent(user_id=u.id, court_id=u.court_id, query=f"câu {rnd.randrange(30)}",
                             created_at=base + timedelta(minutes=rnd.randrange(60 * 24 * 365)),
                             returned_ids=[], best_score=0.5, latency_ms=3, answered=rnd.random() < 0.6))
        for _ in range(120):
            u = rnd.choice(users)
            created = base + timedelta(minutes=rnd.randrange(60 * 24 * 330))
            approved = rnd.random() < 0.5
            s.add(QAEntry(question="Câu hỏi đóng góp", answer="Trả lời", field=rnd.choice(FIELDS), tags=[],
                          article_ids=[], citation_text="", status="approved" if approved else "pending",
                          author_id=u.id, court_id=u.court_id, created_at=created, updated_at=created,
                          approved_at=created + timedelta(days=rnd.randrange(20)) if approved else None,
                          version=1))


def _natural(name: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name.lower()))


def _reference(s, actor, **filters) -> tuple[list[dict], Counter, list[tuple]]:
    """(judge rows, {"judges", "judges_used"}, contributors' (approved, contributed, name))
    summed in Python from the rollup rows of the period."""
    scope = scope_courts(s, actor, filters.get("court_id"))
    p = period_bounds(filters["period"], filters.get("ref"), filters.get("date_from"), filters.get("date_to"))
    first, end = (p.start + VN_OFFSET).date(), (p.end + VN_OFFSET).date()
    table, col = (StatsMonthly, "month") if first.day == 1 and end.day == 1 else (StatsDaily, "day")
    field = filters.get("field")
    per_user: dict[int, list] = {}
    for r in s.scalars(select(table)):
        if not first <= getattr(r, col) < end or (scope is not None and r.court_id not in scope):
            continue
        if field and r.field not in ("", field):
            continue
        acc = per_user.setdefault(r.user_id, [0, 0, 0, None])
        acc[0] += r.asked
        acc[1] += r.contributed
        acc[2] += r.approved
        if r.last_at is not None and (acc[3] is None or r.last_at > acc[3]):
            acc[3] = r.last_at
    courts = {c.id: c for c in s.scalars(select(Court))}
    users = [u for u in s.scalars(select(User)) if scope is None or u.court_id in scope]
    judges, counts = [], Counter()
    for u in users:
        asked, contributed, approved, last = per_user.get(u.id, [0, 0, 0, None])
        if u.role != "judge" or (not u.is_active and not (asked or contributed)):
            continue
        if u.is_active and u.court_id is not None:
            counts["judges"] += 1
            counts["judges_used"] += asked > 0
        court = courts.get(u.court_id)
        judges.append({
            "user_id": u.id, "username": u.username, "full_name": u.full_name, "title": u.title or "",
            "court_id": u.court_id, "court_code": court.code if court else "",
            "court_name": court.name if court else "", "used": asked > 0,
            "status": "Đã sử dụng" if asked > 0 else "Chưa sử dụng", "asked": asked,
            "contributed": contributed, "approved": approved,
            "last_active": last.isoformat() if last else None})
    judges.sort(key=lambda j: (_natural(j["court_name"]) if j["court_id"] in courts else (),
                               j["full_name"].lower(), j["user_id"]))
    names = {u.id: u.full_name for u in users}
    contributors = sorted(((-a, -c, names[uid]) for uid, (_, c, a, _) in per_user.items()
                           if (c or a) and uid in names))
    return judges, counts, contributors


CASES = [
    ("admin", {"period": "year", "ref": date(2025, 6, 1)}),
    ("admin", {"period": "quarter", "ref": date(2025, 8, 9), "field": "dân sự"}),
    ("admin", {"period": "month", "ref": date(2025, 3, 3), "court_id": "HN"}),
    ("admin", {"period": "custom", "date_from": date(2025, 2, 10), "date_to": date(2025, 7, 20)}),
    ("hnadmin", {"period": "half", "ref": date(2025, 2, 1)}),
    ("hnadmin", {"period": "year", "ref": date(2025, 2, 1), "court_id": "HN-KV1"}),
]


@pytest.mark.parametrize("who,filters", CASES)
def test_judge_table_equals_a_plain_recomputation_and_the_cut_page_the_cut_table(env, who, filters):
    filters = {**filters, **({"court_id": env.courts[filters["court_id"]]} if "court_id" in filters else {})}
    with env.session() as s:
        actor = s.get(User, env.users[who])
        full = compute_statistics(s, actor, **filters)
        judges, counts, contributors = _reference(s, actor, **filters)
        assert len(judges) > 5
        assert full["judges"] == judges
        assert full["judges_total"] == len(judges)
        assert (full["totals"]["judges"], full["totals"]["judges_used"]) == (counts["judges"], counts["judges_used"])
        assert [(-c["approved"], -c["contributed"], c["full_name"]) for c in full["top_contributors"]] \
            == contributors[:10]
        for limit in (0, 1, 7, len(judges), len(judges) + 5, PAGE_JUDGES):
            cut = compute_statistics(s, actor, judges_limit=limit, **filters)
            assert cut == {**full, "judges": full["judges"][:limit]}
            assert cut["judges_total"] == len(judges)


def test_cached_page_and_export_are_kept_apart(env):
    """The API's page (cut) and the export (every judge) of the same filters are two cache
    entries: an export after a page view still holds every judge."""
    with env.session() as s:
        admin = s.get(User, env.users["admin"])
        cache = StatisticsCache(ttl=60)
        page = cache.page(s, admin, period="year", ref=date(2025, 6, 1), judges_limit=3)
        export = cache.page(s, admin, period="year", ref=date(2025, 6, 1))
        assert len(page["judges"]) == 3 and len(export["judges"]) == export["judges_total"] > 3


def test_pages_pause_the_garbage_collector_and_give_it_back(env):
    """A page runs with the cyclic collector off and leaves it as it found it: on after a
    page (also one that fails, also when two overlap in threads: on only when the last ends),
    off after a page if it was off before."""
    import gc
    import threading

    from assistant.kb.errors import InvalidInput
    from assistant.kb.services.stats import _gc_paused

    seen = []
    with env.session() as s:
        admin = s.get(User, env.users["admin"])
        assert gc.isenabled()
        compute_statistics(s, admin, period="year", ref=date(2025, 6, 1))
        assert gc.isenabled()
        with pytest.raises(InvalidInput):
            compute_statistics(s, admin, period="tuần")
        assert gc.isenabled()
        gc.disable()
        try:
            compute_statistics(s, admin, period="year", ref=date(2025, 6, 1))
            assert not gc.isenabled()
        finally:
            gc.enable()

    inside, leave = threading.Event(), threading.Event()

    @_gc_paused
    def first():
        seen.append(gc.isenabled())
        inside.set()
        leave.wait()

    @_gc_paused
    def second():
        seen.append(gc.isenabled())

    t = threading.Thread(target=first)
    t.start()
    inside.wait()
    try:
        second()  # ends while ``first`` is still inside: the collector stays off
        assert not gc.isenabled()
    finally:
        leave.set()
        t.join()
    assert seen == [False, False] and gc.isenabled()
