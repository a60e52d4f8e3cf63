"""Usage and contribution statistics for court leaders, and their CSV/XLSX exports.

Why: leaders ask "how many of our 101 judges used it this quarter, who contributed,
what do they ask that we cannot answer?". Figures are filtered by court (including
all courts below it), field and period; periods are calendar periods in Vietnam time
(UTC+7): month, quarter, 6 months (half-year), year, or custom dates. Aggregation is
done in SQL with portable GROUP BY queries (no dialect date functions), so it is identical
on SQLite and PostgreSQL and its cost does not grow with the number of asks held in Python.
"""

from __future__ import annotations

import csv
import functools
import gc
import heapq
import io
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from time import monotonic
from typing import Any

from sqlalchemy import Connection, Date, bindparam, case, func, literal, select, type_coerce, union_all
from sqlalchemy.orm import Session

from assistant.kb.errors import Forbidden, InvalidInput
from assistant.kb.models import (
    COURT_LEVELS,
    Court,
    DirectoryVersion,
    StatsCourtMonthly,
    StatsDaily,
    StatsMonthly,
    StatsQuestionMonthly,
    StatsYearly,
    UnansweredQuestion,
    UsageEvent,
    User,
    UTCDateTime,
    as_utc,
)
from assistant.kb.rollups import ALL_COURTS, ASKS, question_key
from assistant.kb.services.courts import descendant_ids
from assistant.kb.services.qa import normalise_field, review_scope

VN_TZ = timezone(timedelta(hours=7))
PERIODS = ("month", "quarter", "half", "year", "custom")
CONTRIBUTOR_ROLES = ("judge", "reviewer")


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC
    label: str


def _local_midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=VN_TZ).astimezone(UTC)


EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def _check_dates(**dates: date | None) -> None:
    """Dates far outside the service's life overflowed period arithmetic into a 500
    (``ref=9999-12-15``, issue 11 finding 8); now a Vietnamese 422."""
    labels = {"ref": "Ngày tham chiếu", "date_from": "Ngày bắt đầu", "date_to": "Ngày kết thúc"}
    for name, value in dates.items():
        if value is not None and not EARLIEST <= value <= LATEST:
            raise InvalidInput(f"{labels[name]} phải trong khoảng {EARLIEST:%d/%m/%Y} – "
                               f"{LATEST:%d/%m/%Y}.")


def period_bounds(period: str, ref: date | None = None, date_from: date | None = None,
                  date_to: date | None = None) -> Period:
    _check_dates(ref=ref, date_from=date_from, date_to=date_to)
    ref = ref or datetime.now(VN_TZ).date()
    if period == "custom":
        if date_from is None or date_to is None:
            raise InvalidInput("Khoảng thời gian tùy chọn cần cả ngày bắt đầu và ngày kết thúc.")
        if date_to < date_from:
            raise InvalidInput("Ngày kết thúc phải sau hoặc bằng ngày bắt đầu.")
        return Period(_local_midnight(date_from), _local_midnight(date_to + timedelta(days=1)),
                      f"{date_from:%d/%m/%Y} – {date_to:%d/%m/%Y}")
    if period == "month":
        first, months = date(ref.year, ref.month, 1), 1
        label = f"Tháng {ref.month}/{ref.year}"
    elif period == "quarter":
        q = (ref.month - 1) // 3
        first, months = date(ref.year, q * 3 + 1, 1), 3
        label = f"Quý {q + 1}/{ref.year}"
    elif period == "half":
        h = (ref.month - 1) // 6
        first, months = date(ref.year, h * 6 + 1, 1), 6
        label = f"6 tháng {'đầu' if h == 0 else 'cuối'} năm {ref.year}"
    elif period == "year":
        first, months = date(ref.year, 1, 1), 12
        label = f"Năm {ref.year}"
    else:
        raise InvalidInput("Kỳ thống kê không hợp lệ. Chọn: month, quarter, half, year, custom.")
    y, m = divmod(first.month - 1 + months, 12)
    end = date(first.year + y, m + 1, 1)
    return Period(_local_midnight(first), _local_midnight(end), label)


def _months(period: Period) -> list[str]:
    out, d = [], period.start.astimezone(VN_TZ).date().replace(day=1)
    last = (period.end - timedelta(seconds=1)).astimezone(VN_TZ).date()
    while d <= last:
        out.append(f"{d:%Y-%m}")
        d = date(d.year + (d.month // 12), d.month % 12 + 1, 1)
    return out[:120]


def scope_courts(session: Session, actor: User, court_id: int | None) -> set[int] | None:
    """Court ids the figures cover (None = all courts), checking the actor may see them."""
    if actor.role == "admin" or (actor.role == "reviewer" and review_scope(session, actor) is None):
        return descendant_ids(session, court_id) if court_id is not None else None
    if actor.role in ("court_admin", "reviewer") and actor.court_id is not None:
        allowed = descendant_ids(session, actor.court_id)
        if court_id is None:
            return allowed
        if court_id not in allowed:
            raise Forbidden("Bạn chỉ xem được thống kê của Tòa án mình và Tòa án cấp dưới.")
        return descendant_ids(session, court_id)
    raise Forbidden("Bạn không có quyền xem thống kê.")


def _rows(conn: Connection, stmt) -> list[tuple]:
    """A statement's rows as plain tuples, fetched in batches.

    Why: SQLAlchemy's rows are objects the garbage collector tracks; the national year's
    ~33,000 (users, per-user sums, open items) alive at once made the page pay a full
    collection of the process's heap every time (20–60 ms here, more in the API process).
    Tuples of plain values leave the collector's lists at its first pass, and each batch
    of row objects dies before it is promoted."""
    out: list[tuple] = []
    for batch in conn.execute(stmt).partitions(500):
        out.extend(map(tuple, batch))
    return out


def _month_bucket(column, months: list[str]):
    """SQL expression numbering the month (0 = first of ``months``) a timestamp falls in.

    Portable CASE over the month boundaries in Vietnam time, so GROUP BY gives the time
    series on SQLite and PostgreSQL alike (no dialect date functions).
    """
    bounds = [_local_midnight(date.fromisoformat(m + "-01")) for m in months[1:]]
    if not bounds:
        return literal(0)
    return case(*[(column < b, i) for i, b in enumerate(bounds)], else_=len(bounds))


def _in_scope(stmt, column, scope: set[int] | None):
    return stmt if scope is None else stmt.where(column.in_(scope))


def _answered_sum():
    return func.sum(case((UsageEvent.answered, 1), else_=0))


def _natural(name: str) -> tuple:
    """Sort key putting "khu vực 2" before "khu vực 10"."""
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name.lower()))


def _rollup_source(p: Period):
    """(user table, court table, time column name, first, end) for a period: month-aligned
    periods read the monthly rollups (the per-user sums read their whole calendar years from
    the yearly one: :func:`_user_sources`), other (custom) ranges the daily ones."""
    first = p.start.astimezone(VN_TZ).date()
    end = p.end.astimezone(VN_TZ).date()
    if first.day == 1 and end.day == 1:
        return StatsMonthly, StatsCourtMonthly, "month", first, end
    return StatsDaily, None, "day", first, end


_GC_LOCK = threading.Lock()
_gc_pauses = [0, False]  # pages computing now; whether the collector was on before the first


def _gc_paused(fn):
    """Run ``fn`` with the cyclic garbage collector off (back on when the last such call in
    any thread ends, if it was on before).

    Why: a national page allocates ~80,000 container objects (rows, tuples, dicts) that it
    mostly frees by reference counting; with the collector on, they triggered ~110 young
    collections per page, and those cost 25–35 ms of the page's ~125 ms of CPU (PostgreSQL,
    national year; section timers). Nothing a page builds is cyclic garbage, so nothing is
    lost: the collector runs at its next allocation after the page."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        with _GC_LOCK:
            if _gc_pauses[0] == 0:
                _gc_pauses[1] = gc.isenabled()
                gc.disable()
            _gc_pauses[0] += 1
        try:
            return fn(*args, **kwargs)
        finally:
            with _GC_LOCK:
                _gc_pauses[0] -= 1
                if _gc_pauses[0] == 0 and _gc_pauses[1]:
                    gc.enable()

    return run


def _user_sources(user_t, tcol: str, first: date, end: date) -> list[tuple[Any, str, date, date]]:
    """(table, time column, first, end) pieces whose per-user rows add up to the period.

    Month-aligned periods read the whole calendar years they cover from the yearly rollup
    and the months around them from the monthly one; other ranges the daily rows. Why: the
    national year page summed the year's 170,832 monthly user rows on every view (50–70 ms
    of PostgreSQL CPU, ~135 ms on SQLite); a year is 38,421 yearly rows."""
    if tcol != "month":
        return [(user_t, tcol, first, end)]
    y0 = first if first.month == 1 else date(first.year + 1, 1, 1)
    y1 = date(end.year, 1, 1)
    if y0 >= y1:
        return [(user_t, tcol, first, end)]
    pieces = [(StatsMonthly, "month", first, y0)] if first < y0 else []
    pieces.append((StatsYearly, "year", y0, y1))
    return pieces + ([(StatsMonthly, "month", y1, end)] if y1 < end else [])


@dataclass(eq=False)
class _Directory:
    """Every court and account as a page reads them, kept while the database's
    :class:`DirectoryVersion` token is unchanged."""

    token: str
    courts: dict[int, dict]  # id → {id, code, name, level, parent_id}
    court_order: dict[int, tuple]  # id → natural sort key of its name
    users: dict[int, tuple]  # id → (id, username, full_name, title, court_id, role, is_active)
    judges: list[tuple[int, int | None, bool]]  # (id, court_id, is_active): the judge table's order


_DIRECTORIES: dict[str, _Directory] = {}  # per database URL, this process


def _directory(conn: Connection) -> _Directory:
    """The courts and accounts, read again only when a trigger has changed the token.

    Why: the national page read 12,000 accounts and 393 courts on every view (~10 ms of
    client CPU, and the backend's) and sorted 10,487 judges; they change a few times a day.
    The token is read first, then the rows: rows at least as new as their token, so a kept
    directory is never older than the database at that token (a change after the read sets
    another random token; a rolled-back change's token is never seen again)."""
    token = conn.execute(select(DirectoryVersion.token).where(DirectoryVersion.id == 1)).scalar()
    key = str(conn.engine.url)
    kept = _DIRECTORIES.get(key)
    if kept is not None and token is not None and kept.token == token:
        return kept
    courts = {cid: {"id": cid, "code": code, "name": name, "level": level, "parent_id": parent}
              for cid, code, name, level, parent in conn.execute(
                  select(Court.id, Court.code, Court.name, Court.level, Court.parent_id)).all()}
    court_order = {cid: _natural(c["name"]) for cid, c in courts.items()}
    users = {row[0]: row for row in _rows(conn, select(
        User.id, User.username, User.full_name, User.title, User.court_id, User.role, User.is_active))}
    # sort keys are unique (the user id ends them): a scope's judges keep this order
    order = sorted((court_order.get(cid, ()), full_name.lower(), uid)
                   for uid, _, full_name, _, cid, role, _ in users.values() if role == "judge")
    judges = [(uid, users[uid][4], users[uid][6]) for _, _, uid in order]
    directory = _Directory(token or "", courts, court_order, users, judges)
    if token is not None:
        if len(_DIRECTORIES) >= 8:  # tests open many databases
            _DIRECTORIES.clear()
        _DIRECTORIES[key] = directory
    return directory


@_gc_paused
def compute_statistics(session: Session, actor: User, *, court_id: int | None = None,
                       field: str | None = None, period: str = "month", ref: date | None = None,
                       date_from: date | None = None, date_to: date | None = None,
                       top: int = 10, judges_limit: int | None = None) -> dict:
    """All figures of one statistics page, read from the rollups (``assistant.kb.rollups``).

    Why rollups: grouping the usage events of a national year took 22–26 s (issue 13);
    the rollups hold at most one row per (court, month, user, field), so a page costs
    the same after a year of asks as after a week. Users and courts come from the
    process's copy, read again when they change (:func:`_directory`: a national page
    covers 12,000 accounts); the large results are read as tuples (:func:`_rows`).

    ``judges_limit``: only the first N rows of the judge table are built (the API page
    shows :data:`PAGE_JUDGES`); ``judges_total``, the court table and the totals still
    count every judge. None (the exports) builds every row. Why: a national page has
    10,487 judges, and the API sends 1,000 of them.
    """
    scope = scope_courts(session, actor, court_id)
    p = period_bounds(period, ref, date_from, date_to)
    field = normalise_field(field) if field else None
    months = _months(p)
    month_index = {(int(m[:4]), int(m[5:])): i for i, m in enumerate(months)}
    user_t, court_t, tcol, first, end = _rollup_source(p)

    conn = session.connection()
    directory = _directory(conn)
    courts, court_order = directory.courts, directory.court_order
    users = directory.users if scope is None else {
        uid: u for uid, u in directory.users.items() if u[4] in scope}

    fields = (ASKS, field) if field else None

    def scoped(stmt, table):
        stmt = _in_scope(stmt, table.court_id, scope)
        stmt = stmt.where(getattr(table, tcol) >= first, getattr(table, tcol) < end)
        return stmt.where(table.field.in_(fields)) if fields else stmt

    # per court and month --------------------------------------------------------------
    src = court_t or user_t
    stmt = scoped(select(src.court_id, getattr(src, tcol), func.sum(src.asked), func.sum(src.answered),
                         func.sum(src.contributed), func.sum(src.approved)), src)
    court_sums: dict[int, list[int]] = {}
    series: list[dict[str, Any]] = [{"month": m, "contributed": 0, "approved": 0, "asked": 0, "unanswered": 0}
                                   for m in months]
    for cid, when, asked, answered, contributed, approved in _rows(
            conn, stmt.group_by(src.court_id, getattr(src, tcol))):
        when = when if isinstance(when, date) else date.fromisoformat(when)
        row = series[month_index.get((when.year, when.month), len(months) - 1)]
        asked, answered = int(asked or 0), int(answered or 0)
        contributed, approved = int(contributed or 0), int(approved or 0)
        row["asked"] += asked
        row["unanswered"] += asked - answered
        row["contributed"] += contributed
        row["approved"] += approved
        acc = court_sums.setdefault(cid, [0, 0, 0, 0])
        acc[0] += asked
        acc[1] += answered
        acc[2] += contributed
        acc[3] += approved

    # per user: (asked, contributed, approved, last active) -------------------------------
    # (last active read as stored and converted to UTC for the rows built only)
    def piece(table, col: str, lo: date, hi: date):
        stmt = _in_scope(select(table.user_id, table.asked, table.contributed, table.approved,
                                type_coerce(table.last_at, UTCDateTime.impl).label("last_at")),
                         table.court_id, scope)
        stmt = stmt.where(getattr(table, col) >= lo, getattr(table, col) < hi)
        return stmt.where(table.field.in_(fields)) if fields else stmt

    pieces = _user_sources(user_t, tcol, first, end)
    if len(pieces) == 1:
        table, col, lo, hi = pieces[0]
        last_at = type_coerce(func.max(table.last_at), UTCDateTime.impl)
        stmt = _in_scope(select(table.user_id, func.sum(table.asked), func.sum(table.contributed),
                                func.sum(table.approved), last_at), table.court_id, scope)
        stmt = stmt.where(getattr(table, col) >= lo, getattr(table, col) < hi)
        stmt = (stmt.where(table.field.in_(fields)) if fields else stmt).group_by(table.user_id)
    else:
        u = union_all(*[piece(*p) for p in pieces]).subquery()
        stmt = select(u.c.user_id, func.sum(u.c.asked), func.sum(u.c.contributed), func.sum(u.c.approved),
                      type_coerce(func.max(u.c.last_at), UTCDateTime.impl)).group_by(u.c.user_id)
    # (the sums of NOT NULL integer columns: ints already, on SQLite and PostgreSQL)
    per_user = {row[0]: row[1:] for row in _rows(conn, stmt)}

    # the judge table: every judge ordered and counted per court, rows built for the first
    # ``judges_limit`` only (sort keys are unique: the user id ends them)
    empty = (0, 0, 0, None)
    judges_in: dict[int, int] = Counter()
    used_in: dict[int, int] = Counter()
    ordered = []
    for uid, cid, active in directory.judges:  # already in the table's order
        if scope is not None and cid not in scope:
            continue
        fig = per_user.get(uid, empty)
        if not active and not (fig[0] or fig[1]):
            continue
        if active and cid is not None:
            judges_in[cid] += 1
            used_in[cid] += fig[0] > 0
        ordered.append(uid)
    judges = []
    for uid in ordered if judges_limit is None else ordered[:max(judges_limit, 0)]:
        _, username, full_name, title, cid, _, _ = users[uid]
        asked, contributed, approved, last = per_user.get(uid, empty)
        court = courts.get(cid) or {}
        judges.append({
            "user_id": uid, "username": username, "full_name": full_name, "title": title or "",
            "court_id": cid, "court_code": court.get("code", ""), "court_name": court.get("name", ""),
            "used": asked > 0, "status": "Đã sử dụng" if asked > 0 else "Chưa sử dụng",
            "asked": asked, "contributed": contributed, "approved": approved,
            "last_active": last.isoformat() if (last := as_utc(last)) else None,
        })

    # court tree: each row totals its own figures and those of every court below it ----
    in_scope = [cid for cid in courts if scope is None or cid in scope]
    children: dict[int | None, list[int]] = defaultdict(list)
    for cid in in_scope:
        parent = courts[cid]["parent_id"]
        children[parent if parent in courts and (scope is None or parent in scope) else None].append(cid)
    per_court = []

    nothing = (0, 0, 0, 0)

    def walk(cid: int, depth: int) -> list[int]:
        # [asked, answered, contributed, approved, judges, judges used] of the subtree
        total = [*court_sums.get(cid, nothing), judges_in[cid], used_in[cid]]
        row = {"court_id": cid, "code": courts[cid]["code"], "name": courts[cid]["name"],
               "level": COURT_LEVELS.get(courts[cid]["level"], courts[cid]["level"]),
               "parent_id": courts[cid]["parent_id"], "depth": depth}
        per_court.append(row)
        kids = sorted(children.get(cid, []), key=court_order.__getitem__)
        row["children"] = len(kids)
        for kid in kids:
            total = [a + b for a, b in zip(total, walk(kid, depth + 1), strict=True)]
        asked, _, contributed, approved, n, used = total
        row.update(judges=n, judges_used=used, usage=f"{used}/{n}", contributed=contributed,
                   approved=approved, asked=asked, entries_per_judge=round(contributed / n, 2) if n else 0.0)
        return total

    for root in sorted(children.get(None, []), key=court_order.__getitem__):
        walk(root, 0)

    n_judges, n_used = sum(judges_in.values()), sum(used_in.values())
    all_figs = [0, 0, 0, 0]  # asked, answered, contributed, approved
    for cid, figs in court_sums.items():
        if scope is None or cid in scope:
            all_figs = [a + b for a, b in zip(all_figs, figs, strict=True)]
    all_asked, all_answered, all_contributed, all_approved = all_figs
    totals = {
        "judges": n_judges, "judges_used": n_used, "usage": f"{n_used}/{n_judges}",
        "contributed": all_contributed, "approved": all_approved,
        "asked": all_asked, "answered": all_answered, "unanswered": all_asked - all_answered,
    }

    # the top contributors (position in the per-user rows breaks full ties, as a stable sort);
    # only users approved at least as often as the top-th are keyed: when that count is above
    # 0, every one of the top has it (~100 keyed instead of ~11,400 nationally)
    approved_counts = [fig[2] for uid, fig in per_user.items() if uid in users]
    floor = sorted(approved_counts)[-top] if 0 < top <= len(approved_counts) else 0
    ranked = heapq.nsmallest(top, ((-approved, -contributed, users[uid][2], i, uid)
                                   for i, (uid, (_, contributed, approved, _)) in enumerate(per_user.items())
                                   if approved >= floor and (contributed or approved) and uid in users))
    contributors = []
    for minus_approved, minus_contributed, _, _, uid in ranked:
        u = users[uid]
        court = courts.get(u[4]) or {}
        contributors.append({"user_id": uid, "username": u[1], "full_name": u[2], "title": u[3] or "",
                             "court_name": court.get("name", ""), "contributed": -minus_contributed,
                             "approved": -minus_approved})

    items = _open_items(session, scope, p)
    root = None if scope is None else (court_id if court_id is not None else actor.court_id)
    if tcol == "month":
        key = ALL_COURTS if root is None else root
        asked = _top_questions(session, key, first, end, top)
        open_hashes = {qhash for *_, qhash in items}
        # nothing asked in the period under this key: no open question was either
        asked_open = (_top_questions(session, key, first, end, top, accept=open_hashes.__contains__)
                      if asked else {})
    else:  # custom ranges: the period's events, grouped (bounded by the range)
        asked = asked_open = _asked_questions(session, scope, p)
    most_asked = [{"question": q["question"], "count": q["count"], "answered": q["answered"]}
                  for q in sorted(asked.values(), key=lambda q: (-q["count"], q["key"]))[:top]]
    unanswered = _unanswered(items, p, asked_open, top)

    if scope is None:
        scope_name = "Tất cả Tòa án"
    else:
        scope_name = courts.get(root, {}).get("name", "Tất cả Tòa án")
    return {
        "period": {"label": p.label, "start": p.start.isoformat(), "end": p.end.isoformat()},
        "scope": {"court_id": court_id, "name": scope_name},
        "court_id": court_id, "field": field, "totals": totals, "judges": judges,
        "judges_total": len(ordered), "courts": per_court, "months": series,
        "top_contributors": contributors, "most_asked": most_asked, "unanswered": unanswered,
    }


# judge rows a statistics page sends (a national page covers ~10,000; the exports hold every
# judge, the UI asks to pick a court): ``compute_statistics(…, judges_limit=PAGE_JUDGES)``
PAGE_JUDGES = 1000


def _month_starts(first: date, end: date) -> list[date]:
    months, m = [], first
    while m < end:
        months.append(m)
        m = date(m.year + m.month // 12, m.month % 12 + 1, 1)
    return months


_TOP_LISTS: dict[int, tuple] = {}


def _top_lists(n_months: int):
    """(lists, totals) for ``n_months`` months, built once per month count with bound
    parameters (key, m0…, lim). Every month's top ``lim`` rows are one member of a UNION
    ALL; ``lists`` gives each month's row count and ``lim``-th count (one month: its rows,
    which are its totals), ``totals`` the candidates' sums over the months, selecting them
    again inside the database instead of sending hundreds of hashes back as parameters."""
    built = _TOP_LISTS.get(n_months)
    if built is None:
        q = StatsQuestionMonthly
        key, months = bindparam("key"), [bindparam(f"m{i}", type_=Date) for i in range(n_months)]
        tops = [select(q.month, q.qhash, q.asked, q.answered).where(q.court_id == key, q.month == m)
                .order_by(q.asked.desc()).limit(bindparam("lim")).subquery() for m in months]
        lists = union_all(*[select(t.c.month, t.c.qhash, t.c.asked, t.c.answered) for t in tops]).subquery()
        totals = (select(q.qhash, func.sum(q.asked), func.sum(q.answered))
                  .where(q.court_id == key, q.month.in_(months), q.qhash.in_(select(lists.c.qhash)))
                  .group_by(q.qhash))
        rows = (select(lists.c.month, lists.c.qhash, lists.c.asked, lists.c.answered) if n_months == 1
                else select(lists.c.month, func.count(), func.min(lists.c.asked)).group_by(lists.c.month))
        built = _TOP_LISTS[n_months] = (rows, totals)
    return built


def _top_questions(session: Session, key: int, first: date, end: date, k: int,
                   accept=None) -> dict[str, dict]:
    """The ``k`` most asked questions of whole months under one question-rollup key
    (a court subtree, or -1 for all courts), optionally only those ``accept(qhash)`` admits.

    Why not one GROUP BY: the national year holds ~250,000 (month, question) rows. Each
    month's top M rows come off the (court, month, asked) index; their exact totals are
    summed; no question outside those lists can total more than the sum over months of
    each list's M-th count, so once the k-th total reaches that bound the answer is exact.
    Otherwise M grows (a full GROUP BY is the last resort). Each round is two statements
    whatever the months (:func:`_top_lists`; it was one per month plus the candidates'
    totals with every candidate's hash as a parameter: ~30 statements for a year page, most
    of its CPU spent rendering those parameters).
    """
    q = StatsQuestionMonthly
    months = _month_starts(first, end)
    conn = session.connection()
    limit = max(8 * k, 64)
    while True:
        if limit > 20000:  # pathological spread: group everything
            ranked = _ranked(conn.execute(select(q.qhash, func.sum(q.asked), func.sum(q.answered))
                                          .where(q.court_id == key, q.month >= first, q.month < end)
                                          .group_by(q.qhash)), accept)
            break
        lists, sums = _top_lists(len(months))
        params = {"key": key, "lim": limit, **{f"m{i}": m for i, m in enumerate(months)}}
        rows = conn.execute(lists, params).all()
        if not rows:
            return {}
        totals: Iterable[tuple]
        if len(months) == 1:  # the month's list is its totals
            full = [min(r[2] for r in rows)] if len(rows) == limit else []
            totals = [(h, n, a) for _, h, n, a in rows]
        else:
            full = [least for _, count, least in rows if count == limit]
            totals = conn.execute(sums, params).all()
        bound, complete = sum(full), not full
        ranked = _ranked(totals, accept)
        if complete or (len(ranked) >= k and ranked[k - 1][1] >= bound):
            break
        limit *= 4
    top = ranked[:k]
    if not top:
        return {}
    wording: dict[str, tuple] = {}
    for qhash, month, question in conn.execute(
            select(q.qhash, q.month, q.question).where(q.court_id == key, q.month.in_(months),
                                                       q.qhash.in_([t[0] for t in top]))):
        month = month if isinstance(month, date) else date.fromisoformat(month)
        if qhash not in wording or (month, question) < wording[qhash]:
            wording[qhash] = (month, question)
    return {h: {"key": wording[h][1].lower(), "qhash": h, "question": wording[h][1], "count": n,
                "answered": a} for h, n, a in top}


def _ranked(totals: Iterable, accept=None) -> list[tuple[str, int, int]]:
    """(qhash, asked, answered) of the questions asked at least once (and admitted by
    ``accept``), most asked first."""
    return sorted(((h, int(n), int(a or 0)) for h, n, a in totals if n and (accept is None or accept(h))),
                  key=lambda r: (-r[1], r[0]))


def _open_items(session: Session, scope: set[int] | None, p: Period) -> list[tuple]:
    """Open queue items as (id, question, first queued in the period: 1 or 0, qhash), by id:
    each question hashed once for the page (the national queue holds ~5,100 open items).
    The period is compared in SQL: no datetime is built for an item."""
    q = UnansweredQuestion
    queued = case(((q.created_at >= p.start) & (q.created_at < p.end), 1), else_=0)
    stmt = _in_scope(select(q.id, q.question, queued), q.court_id, scope).where(q.status == "open")
    return [(item_id, question, queued, _question_hash(question)) for item_id, question, queued
            in _rows(session.connection(), stmt.order_by(q.id))]


@lru_cache(maxsize=32768)
def _question_hash(question: str) -> str:
    """:func:`question_key`'s hash, remembered: every page hashes every open queue item
    (~5,000 nationally: ~10 ms) and the queue changes a few items at a time."""
    return question_key(question)[0]


def _unanswered(items: list[tuple], p: Period, asked: dict[str, dict], top: int) -> list[dict]:
    """Open queue items, most asked in the period first (items first queued in the
    period and not among the counted questions follow, counted once)."""
    counts = {q.get("qhash") or question_key(q["question"])[0]: q["count"] for q in asked.values()}
    out: dict[str, dict] = {}
    for item_id, question, queued, qhash in items:
        count = counts.get(qhash, 0)
        if qhash not in out and (count or queued):
            out[qhash] = {"id": item_id, "question": question, "count": count or 1}
    return sorted(out.values(), key=lambda d: (-d["count"], d["id"]))[:top]


class StatisticsCache:
    """Statistics pages computed in the last ``ttl`` seconds, per viewer scope and filters.

    Why: a page scans the period's usage events (tens of ms once a province has a month
    of asks), and leaders open it together — at the monthly meeting, or a dashboard left
    refreshing. Figures a few seconds old are as good to them, and the CPU goes to the
    judges' asks instead. ``ttl`` 0 turns it off. Callers must not modify a returned page.
    """

    def __init__(self, ttl: float, size: int = 256, clock: Callable[[], float] = monotonic) -> None:
        self.ttl = float(ttl)
        self.size = size
        self.clock = clock  # seconds; tests pass their own
        self._pages: dict[tuple, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def page(self, session: Session, actor: User, **filters) -> dict:
        """:func:`compute_statistics` for ``actor`` and ``filters``, reused while fresh."""
        if self.ttl <= 0:
            return compute_statistics(session, actor, **filters)
        filters["ref"] = filters.get("ref") or datetime.now(VN_TZ).date()  # "today" is in the key
        key = (actor.role, actor.court_id, *sorted(filters.items()))
        now = self.clock()
        with self._lock:
            hit = self._pages.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        page = compute_statistics(session, actor, **filters)
        with self._lock:
            self._pages.pop(key, None)  # re-inserted last: the dict stays oldest first
            self._pages[key] = (now, page)
            while len(self._pages) > self.size:
                del self._pages[next(iter(self._pages))]
        return page


def _asked_questions(session: Session, scope: set[int] | None, p: Period) -> dict[str, dict]:
    """Questions of the period, case-insensitively merged, each shown as first asked.

    SQL groups exact strings (its lower() is ASCII-only in SQLite, wrong for "Đ"); the
    case merge of the far fewer groups happens here. Questions are stored normalised
    (ask cleans them), so lower() is the whole key.
    """
    stmt = select(UsageEvent.query, func.count(), _answered_sum(), func.min(UsageEvent.id))
    stmt = _in_scope(stmt, UsageEvent.court_id, scope).where(
        UsageEvent.created_at >= p.start, UsageEvent.created_at < p.end)
    merged: dict[str, dict] = {}
    for query, n, answered, first_id in session.execute(stmt.group_by(UsageEvent.query)):
        key = query.lower()
        row = merged.setdefault(key, {"key": key, "question": query, "first": first_id, "count": 0, "answered": 0})
        row["count"] += n
        row["answered"] += int(answered or 0)
        if first_id < row["first"]:
            row["question"], row["first"] = query, first_id
    return merged


# --- exports ------------------------------------------------------------------------

JUDGE_COLUMNS = [("full_name", "Họ và tên"), ("username", "Tên đăng nhập"),
                 ("title", "Chức danh"), ("court_name", "Tòa án"),
                 ("contributed", "Số câu hỏi đóng góp"), ("approved", "Số câu được duyệt"),
                 ("asked", "Số lượt hỏi"), ("last_active", "Hoạt động gần nhất")]
COURT_COLUMNS = [("name", "Tòa án"), ("code", "Mã"), ("level", "Cấp"),
                 ("judges", "Số Thẩm phán"), ("judges_used", "Số Thẩm phán đã sử dụng"),
                 ("usage", "Tỷ lệ sử dụng"), ("contributed", "Số câu hỏi đóng góp"),
                 ("approved", "Số câu được duyệt"), ("entries_per_judge", "Câu hỏi / Thẩm phán"),
                 ("asked", "Số lượt hỏi")]
MONTH_COLUMNS = [("month", "Tháng"), ("contributed", "Đóng góp"), ("approved", "Được duyệt"),
                 ("asked", "Lượt hỏi"), ("unanswered", "Chưa trả lời được")]
ASKED_COLUMNS = [("question", "Câu hỏi"), ("count", "Số lượt hỏi"), ("answered", "Số lượt có trả lời")]
UNANSWERED_COLUMNS = [("question", "Câu hỏi chưa có lời giải đáp"), ("count", "Số lượt hỏi")]

TABLES = {
    "judges": ("Thẩm phán", JUDGE_COLUMNS),
    "courts": ("Tòa án", COURT_COLUMNS),
    "months": ("Theo tháng", MONTH_COLUMNS),
    "most_asked": ("Hỏi nhiều nhất", ASKED_COLUMNS),
    "unanswered": ("Chưa trả lời", UNANSWERED_COLUMNS),
}


def _fmt(value):
    if value is None:
        return ""
    if isinstance(value, str) and len(value) >= 19 and value[10] == "T":
        try:
            return datetime.fromisoformat(value).astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")
        except ValueError:
            return value
    return value


def _safe_cell(value):
    """Neutralise spreadsheet formulas in user text (CSV/XLSX injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def stats_csv(stats: dict, table: str = "judges") -> bytes:
    if table not in TABLES:
        raise InvalidInput("Bảng thống kê không hợp lệ. Chọn: " + ", ".join(TABLES) + ".")
    _, columns = TABLES[table]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([label for _, label in columns])
    for row in stats[table]:
        writer.writerow([_safe_cell(_fmt(row.get(k))) for k, _ in columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 correctly


NUMBER = "[$-42A]#,##0"  # Vietnamese locale: 1.234
DECIMAL = "[$-42A]#,##0.00"  # 2,50
DATETIME = "dd/mm/yyyy hh:mm"
XLSX_TABLES = {
    "judges": ("Thẩm phán", [("full_name", "Họ và tên"), ("username", "Tên đăng nhập"),
                             ("title", "Chức danh"), ("court_name", "Tòa án"),
                             ("status", "Tình trạng sử dụng"), ("asked", "Số lượt hỏi"),
                             ("contributed", "Số câu hỏi đóng góp"), ("approved", "Số câu được duyệt"),
                             ("last_active", "Hoạt động gần nhất")]),
    "courts": ("Tòa án", COURT_COLUMNS),
    "months": ("Theo tháng", MONTH_COLUMNS),
    "most_asked": ("Hỏi nhiều nhất", ASKED_COLUMNS),
    "unanswered": ("Chưa trả lời", UNANSWERED_COLUMNS),
}


def _slug(text: str) -> str:
    from corpus.vietnamese import fold_diacritics

    return re.sub(r"[^a-z0-9]+", "-", fold_diacritics(text).lower().replace("đ", "d")).strip("-")


def export_filename(stats: dict, ext: str, table: str | None = None) -> tuple[str, str]:
    """(ASCII name, Vietnamese name) of an export: "Thống kê - <court> - <period>.xlsx"."""
    scope, period = stats["scope"]["name"], stats["period"]["label"]
    parts = ["Thống kê", scope, period] + ([TABLES[table][0]] if table else [])
    name = " - ".join(parts).replace("/", "-")
    return f"{_slug(name)}.{ext}", f"{name}.{ext}"


def _local_datetime(value: str | None):
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(VN_TZ).replace(tzinfo=None)


def stats_xlsx(stats: dict, target) -> None:
    """Write the workbook to ``target`` (a path or binary file) with openpyxl's streaming
    writer: rows go to disk as they are produced, so memory stays flat for the ~10,000
    judges of a national export. Each sheet: a title row naming scope and period, a
    bold header row that stays frozen, filters, numbers and dates as real cells."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    title = f"Thống kê sử dụng Trợ lý ảo – {stats['scope']['name']} – {stats['period']['label']}"
    if stats.get("field"):
        title += f" – lĩnh vực {stats['field']}"
    wb = Workbook(write_only=True)
    bold, big = Font(bold=True), Font(bold=True, size=13)

    def cell(ws, value, fmt=None, font=None):
        c = WriteOnlyCell(ws, value=value)
        if c.data_type == "f":  # a text cell is shown as written and never evaluated
            c.data_type = "s"
        if fmt:
            c.number_format = fmt
        if font:
            c.font = font
        return c

    def typed(ws, key, value):
        if key == "last_active":
            return cell(ws, _local_datetime(value), DATETIME)
        if key == "name" and isinstance(value, str):
            return cell(ws, value)
        if isinstance(value, bool):
            return cell(ws, "Có" if value else "Không")
        if isinstance(value, float):
            return cell(ws, value, DECIMAL)
        if isinstance(value, int):
            return cell(ws, value, NUMBER)
        return cell(ws, "" if value is None else value)

    summary = wb.create_sheet("Tổng hợp")
    summary.column_dimensions["A"].width = 34
    summary.column_dimensions["B"].width = 24
    summary.append([cell(summary, title, font=big)])
    summary.append([cell(summary, "Kỳ thống kê", font=bold), cell(summary, stats["period"]["label"])])
    summary.append([cell(summary, "Phạm vi", font=bold), cell(summary, stats["scope"]["name"])])
    labels = {"judges": "Số Thẩm phán", "judges_used": "Số Thẩm phán đã sử dụng",
              "usage": "Tỷ lệ sử dụng", "contributed": "Số câu hỏi đóng góp",
              "approved": "Số câu được duyệt", "asked": "Số lượt hỏi",
              "answered": "Số lượt có trả lời", "unanswered": "Số lượt chưa trả lời được"}
    for key, label in labels.items():
        summary.append([cell(summary, label, font=bold), typed(summary, key, stats["totals"][key])])
    for key, (sheet, columns) in XLSX_TABLES.items():
        ws = wb.create_sheet(sheet)
        rows = stats[key]
        for i, (k, label) in enumerate(columns, start=1):
            longest = max([len(label)] + [len(str(r.get(k) or "")) for r in rows[:200]])
            ws.column_dimensions[get_column_letter(i)].width = max(10, min(60, longest + 2))
        ws.freeze_panes = "A3"
        last = get_column_letter(len(columns))
        ws.auto_filter.ref = f"A2:{last}{len(rows) + 2}"
        ws.append([cell(ws, f"{sheet} – {title}", font=big)])
        ws.append([cell(ws, label, font=bold) for _, label in columns])
        for r in rows:
            values = []
            for k, _ in columns:
                v = r.get(k)
                if key == "courts" and k == "name":
                    v = "    " * r.get("depth", 0) + v  # the tree, indented
                values.append(typed(ws, k, v))
            ws.append(values)
    wb.save(target)
