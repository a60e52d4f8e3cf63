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
import io
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from time import monotonic

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session


from assistant.kb.errors import Forbidden, InvalidInput
from assistant.kb.models import COURT_LEVELS, Court, QAEntry, UnansweredQuestion, UsageEvent, User
from assistant.kb.services.courts import descendant_ids
from assistant.kb.services.qa import normalise_field, review_scope
from assistant.kb.services.qa_io import append_text_row

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


def _in(ts: datetime | None, p: Period) -> bool:
    return ts is not None and p.start <= ts < p.end


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


def compute_statistics(session: Session, actor: User, *, court_id: int | None = None,
                       field: str | None = None, period: str = "month", ref: date | None = None,
                       date_from: date | None = None, date_to: date | None = None,
                       top: int = 10) -> dict:
    """All figures of one statistics page, aggregated in SQL (GROUP BY user/court/month).

    Why aggregates: usage events grow with every ask (101 judges asking daily is tens of
    thousands a year); loading them into Python made this endpoint the bottleneck of the
    load test (docs/reliability.md). Only users, courts and the open unanswered queue,
    which are small, are read as rows.
    """
    scope = scope_courts(session, actor, court_id)
    p = period_bounds(period, ref, date_from, date_to)
    field = normalise_field(field) if field else None
    months = _months(p)

    courts = {c.id: c for c in session.scalars(select(Court))}
    users = {u.id: u for u in session.scalars(_in_scope(select(User), User.court_id, scope))}

    def entry_counts(ts_column, *conditions):
        stmt = select(QAEntry.author_id, QAEntry.court_id, _month_bucket(ts_column, months).label("bucket"),
                      func.count())
        stmt = _in_scope(stmt, QAEntry.court_id, scope).where(ts_column >= p.start, ts_column < p.end, *conditions)
        if field:
            stmt = stmt.where(QAEntry.field == field)
        return list(session.execute(stmt.group_by(*stmt.selected_columns[:3])))

    contributed = entry_counts(QAEntry.created_at)
    approved = entry_counts(QAEntry.approved_at, QAEntry.status.in_(("approved", "retired")))
    ev_stmt = select(UsageEvent.user_id, UsageEvent.court_id,
                     _month_bucket(UsageEvent.created_at, months).label("bucket"), func.count(), _answered_sum())
    ev_stmt = _in_scope(ev_stmt, UsageEvent.court_id, scope).where(
        UsageEvent.created_at >= p.start, UsageEvent.created_at < p.end)
    events = list(session.execute(ev_stmt.group_by(*ev_stmt.selected_columns[:3])))

    c_by_user, c_by_court, a_by_user, a_by_court = Counter(), Counter(), Counter(), Counter()
    asks_by_user, asks_by_court = Counter(), Counter()
    series = [{"month": m, "contributed": 0, "approved": 0, "asked": 0, "unanswered": 0} for m in months]
    for author, court, bucket, n in contributed:
        c_by_user[author] += n
        c_by_court[court] += n
        series[bucket]["contributed"] += n
    for author, court, bucket, n in approved:
        a_by_user[author] += n
        a_by_court[court] += n
        series[bucket]["approved"] += n
    answered_total = 0
    for user, court, bucket, n, answered in events:
        asks_by_user[user] += n
        asks_by_court[court] += n
        series[bucket]["asked"] += n
        series[bucket]["unanswered"] += n - int(answered or 0)
        answered_total += int(answered or 0)
    last_active = _last_active(session, scope, field, p, list(users))

    # per judge -----------------------------------------------------------------
    judges = []
    for u in sorted(users.values(), key=lambda u: (u.court_id or 0, u.full_name)):
        if u.role not in CONTRIBUTOR_ROLES and not (c_by_user[u.id] or asks_by_user[u.id]):
            continue
        court = courts.get(u.court_id)
        la = last_active.get(u.id)
        judges.append({
            "user_id": u.id, "username": u.username, "full_name": u.full_name,
            "title": u.title or "", "court_code": court.code if court else "",
            "court_name": court.name if court else "", "contributed": c_by_user[u.id],
            "approved": a_by_user[u.id], "asked": asks_by_user[u.id],
            "last_active": la.isoformat() if la else None,
        })

    # per court -------------------------------------------------------------------
    court_ids = sorted(scope if scope is not None else courts.keys())
    per_court = []
    judges_in: dict[int, set[int]] = defaultdict(set)
    for u in users.values():
        if u.role == "judge" and u.is_active and u.court_id is not None:
            judges_in[u.court_id].add(u.id)
    users_asking = {uid for uid, n in asks_by_user.items() if n}
    for cid in court_ids:
        court = courts.get(cid)
        if court is None:
            continue
        n = len(judges_in[cid])
        used = len(judges_in[cid] & users_asking)
        per_court.append({
            "court_id": cid, "code": court.code, "name": court.name,
            "level": COURT_LEVELS.get(court.level, court.level), "judges": n, "judges_used": used,
            "usage": f"{used}/{n}", "contributed": c_by_court[cid], "approved": a_by_court[cid],
            "asked": asks_by_court[cid],
            "entries_per_judge": round(c_by_court[cid] / n, 2) if n else 0.0,
        })
    all_judges = set().union(*judges_in.values()) if judges_in else set()
    asked_total = sum(asks_by_court.values())
    totals = {
        "judges": len(all_judges), "judges_used": len(all_judges & users_asking),
        "usage": f"{len(all_judges & users_asking)}/{len(all_judges)}",
        "contributed": sum(c_by_court.values()), "approved": sum(a_by_court.values()),
        "asked": asked_total, "answered": answered_total, "unanswered": asked_total - answered_total,
    }

    top_contributors = sorted(
        (j for j in judges if j["contributed"] or j["approved"]),
        key=lambda j: (-j["approved"], -j["contributed"], j["full_name"]),
    )[:top]
    asked = _asked_questions(session, scope, p)
    most_asked = [{"question": q["question"], "count": q["count"], "answered": q["answered"]}
                  for q in sorted(asked.values(), key=lambda q: (-q["count"], q["key"]))[:top]]

    # plain rows, not ORM objects: the open queue can hold thousands of questions
    un_stmt = select(UnansweredQuestion.id, UnansweredQuestion.question, UnansweredQuestion.created_at)
    un_stmt = _in_scope(un_stmt, UnansweredQuestion.court_id, scope)
    unanswered = []
    for item_id, question, created_at in session.execute(un_stmt.where(UnansweredQuestion.status == "open")):
        count = asked[key]["count"] if (key := question.lower()) in asked else 0
        if _in(created_at, p) or count:
            unanswered.append({"id": item_id, "question": question, "count": count or 1})
    unanswered.sort(key=lambda d: (-d["count"], d["id"]))

    return {
        "period": {"label": p.label, "start": p.start.isoformat(), "end": p.end.isoformat()},
        "court_id": court_id, "field": field, "totals": totals, "judges": judges,
        "courts": per_court, "months": series,
        "top_contributors": top_contributors, "most_asked": most_asked,
        "unanswered": unanswered[:top],
    }


class StatisticsCache:
    """Statistics pages computed in the last ``ttl`` seconds, per viewer scope and filters.

    Why: a page scans the period's usage events (tens of ms once a province has a month
    of asks), and leaders open it together — at the monthly meeting, or a dashboard left
    refreshing. Figures a few seconds old are as good to them, and the CPU goes to the
    judges' asks instead. ``ttl`` 0 turns it off. Callers must not modify a returned page.
    """

    def __init__(self, ttl: float, size: int = 256) -> None:
        self.ttl = float(ttl)
        self.size = size
        self._pages: dict[tuple, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    def page(self, session: Session, actor: User, **filters) -> dict:
        """:func:`compute_statistics` for ``actor`` and ``filters``, reused while fresh."""
        if self.ttl <= 0:
            return compute_statistics(session, actor, **filters)
        filters["ref"] = filters.get("ref") or datetime.now(VN_TZ).date()  # "today" is in the key
        key = (actor.role, actor.court_id, *sorted(filters.items()))
        now = monotonic()
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


def _last_active(session: Session, scope: set[int] | None, field: str | None, p: Period,
                 user_ids: list[int]) -> dict[int, datetime]:
    """user id → latest ask or contribution before the period's end.

    The latest ask is looked up per user, newest first along the (user_id, created_at)
    index: a few index steps per user, where a GROUP BY read every usage event ever
    recorded (the only part of a page whose cost grew with all history, not the period).
    """
    latest = select(UsageEvent.created_at).where(UsageEvent.user_id == User.id, UsageEvent.created_at < p.end)
    latest = _in_scope(latest, UsageEvent.court_id, scope).order_by(UsageEvent.created_at.desc()).limit(1)
    asks = select(User.id, latest.scalar_subquery()).where(User.id.in_(user_ids))
    writes = _in_scope(select(QAEntry.author_id, func.max(QAEntry.created_at)), QAEntry.court_id, scope)
    writes = writes.where(QAEntry.created_at < p.end)
    if field:
        writes = writes.where(QAEntry.field == field)
    out: dict[int, datetime] = {}
    for stmt in (asks, writes.group_by(QAEntry.author_id)):
        for uid, ts in session.execute(stmt):
            if ts is not None and (uid not in out or ts > out[uid]):
                out[uid] = ts
    return out


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


def stats_xlsx(stats: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    summary = wb.active
    summary.title = "Tổng hợp"
    summary.append(["Kỳ thống kê", stats["period"]["label"]])
    labels = {"judges": "Số Thẩm phán", "judges_used": "Số Thẩm phán đã sử dụng",
              "usage": "Tỷ lệ sử dụng", "contributed": "Số câu hỏi đóng góp",
              "approved": "Số câu được duyệt", "asked": "Số lượt hỏi",
              "answered": "Số lượt có trả lời", "unanswered": "Số lượt chưa trả lời được"}
    for key, label in labels.items():
        summary.append([label, stats["totals"][key]])
    summary["A1"].font = Font(bold=True)
    for key, (title, columns) in TABLES.items():
        ws = wb.create_sheet(title)
        ws.append([label for _, label in columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in stats[key]:
            append_text_row(ws, [_fmt(row.get(k)) for k, _ in columns])  # text cells: no formula
        for i, (_, label) in enumerate(columns, start=1):
            ws.column_dimensions[ws.cell(1, i).column_letter].width = max(12, min(60, len(label) + 4))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
