"""Usage and contribution statistics for court leaders, and their CSV/XLSX exports.

Why: leaders ask "how many of our 101 judges used it this quarter, who contributed,
what do they ask that we cannot answer?". Figures are filtered by court (including
all courts below it), field and period; periods are calendar periods in Vietnam time
(UTC+7): month, quarter, 6 months (half-year), year, or custom dates. Aggregation is
done in Python over the period's rows so that it is identical on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session


from assistant.kb.errors import Forbidden, InvalidInput
from assistant.kb.models import COURT_LEVELS, Court, QAEntry, UnansweredQuestion, UsageEvent, User
from assistant.kb.services.courts import descendant_ids
from assistant.kb.services.qa import normalise_field

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


def period_bounds(period: str, ref: date | None = None, date_from: date | None = None,
                  date_to: date | None = None) -> Period:
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


def _month_key(ts: datetime) -> str:
    return ts.astimezone(VN_TZ).strftime("%Y-%m")


def _months(period: Period) -> list[str]:
    out, d = [], period.start.astimezone(VN_TZ).date().replace(day=1)
    last = (period.end - timedelta(seconds=1)).astimezone(VN_TZ).date()
    while d <= last:
        out.append(f"{d:%Y-%m}")
        d = date(d.year + (d.month // 12), d.month % 12 + 1, 1)
    return out[:120]


def scope_courts(session: Session, actor: User, court_id: int | None) -> set[int] | None:
    """Court ids the figures cover (None = all courts), checking the actor may see them."""
    if actor.role in ("admin", "reviewer"):
        return descendant_ids(session, court_id) if court_id is not None else None
    if actor.role == "court_admin" and actor.court_id is not None:
        allowed = descendant_ids(session, actor.court_id)
        if court_id is None:
            return allowed
        if court_id not in allowed:
            raise Forbidden("Bạn chỉ xem được thống kê của Tòa án mình và Tòa án cấp dưới.")
        return descendant_ids(session, court_id)
    raise Forbidden("Bạn không có quyền xem thống kê.")


def _in(ts: datetime | None, p: Period) -> bool:
    return ts is not None and p.start <= ts < p.end


def compute_statistics(session: Session, actor: User, *, court_id: int | None = None,
                       field: str | None = None, period: str = "month", ref: date | None = None,
                       date_from: date | None = None, date_to: date | None = None,
                       top: int = 10) -> dict:
    scope = scope_courts(session, actor, court_id)
    p = period_bounds(period, ref, date_from, date_to)
    field = normalise_field(field) if field else None

    courts = {c.id: c for c in session.scalars(select(Court))}
    users_stmt = select(User)
    if scope is not None:
        users_stmt = users_stmt.where(User.court_id.in_(scope))
    users = {u.id: u for u in session.scalars(users_stmt)}

    entry_stmt = select(QAEntry)
    if scope is not None:
        entry_stmt = entry_stmt.where(QAEntry.court_id.in_(scope))
    if field:
        entry_stmt = entry_stmt.where(QAEntry.field == field)
    entries = list(session.scalars(entry_stmt))

    # Only the columns the figures need: building ORM objects for every usage event was
    # most of the cost of this endpoint under load (docs/reliability.md).
    ev_stmt = select(
        UsageEvent.user_id, UsageEvent.court_id, UsageEvent.created_at, UsageEvent.query, UsageEvent.answered
    ).where(UsageEvent.created_at < p.end)
    if scope is not None:
        ev_stmt = ev_stmt.where(UsageEvent.court_id.in_(scope))
    events_all = list(session.execute(ev_stmt))
    events = [e for e in events_all if e.created_at >= p.start]

    contributed = [e for e in entries if _in(e.created_at, p)]
    approved = [e for e in entries if e.status in ("approved", "retired") and _in(e.approved_at, p)]

    # per judge -----------------------------------------------------------------
    c_by_user = Counter(e.author_id for e in contributed)
    a_by_user = Counter(e.author_id for e in approved)
    asks_by_user = Counter(e.user_id for e in events)
    last_active: dict[int, datetime] = {}
    for e in events_all:
        if e.user_id is not None and (e.user_id not in last_active or e.created_at > last_active[e.user_id]):
            last_active[e.user_id] = e.created_at
    for e in entries:
        if e.created_at < p.end and (e.author_id not in last_active or e.created_at > last_active[e.author_id]):
            last_active[e.author_id] = e.created_at
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
    users_asking = {e.user_id for e in events}
    c_by_court = Counter(e.court_id for e in contributed)
    a_by_court = Counter(e.court_id for e in approved)
    asks_by_court = Counter(e.court_id for e in events)
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
    totals = {
        "judges": len(all_judges), "judges_used": len(all_judges & users_asking),
        "usage": f"{len(all_judges & users_asking)}/{len(all_judges)}",
        "contributed": len(contributed), "approved": len(approved), "asked": len(events),
        "answered": sum(1 for e in events if e.answered),
        "unanswered": sum(1 for e in events if not e.answered),
    }

    # time series -----------------------------------------------------------------
    months = {m: {"month": m, "contributed": 0, "approved": 0, "asked": 0, "unanswered": 0}
              for m in _months(p)}
    for e in contributed:
        if (row := months.get(_month_key(e.created_at))) is not None:
            row["contributed"] += 1
    for e in approved:
        if (row := months.get(_month_key(e.approved_at))) is not None:
            row["approved"] += 1
    for e in events:
        if (row := months.get(_month_key(e.created_at))) is not None:
            row["asked"] += 1
            row["unanswered"] += 0 if e.answered else 1

    top_contributors = sorted(
        (j for j in judges if j["contributed"] or j["approved"]),
        key=lambda j: (-j["approved"], -j["contributed"], j["full_name"]),
    )[:top]

    asked_counter: Counter[str] = Counter()
    answered_counter: Counter[str] = Counter()
    display: dict[str, str] = {}
    # Questions are stored normalised (ask cleans them), so lower() is the whole key.
    for e in events:
        key = e.query.lower()
        asked_counter[key] += 1
        answered_counter[key] += 1 if e.answered else 0
        display.setdefault(key, e.query)
    most_asked = [{"question": display[k], "count": n, "answered": answered_counter[k]}
                  for k, n in sorted(asked_counter.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]

    un_stmt = select(UnansweredQuestion).where(UnansweredQuestion.status == "open")
    if scope is not None:
        un_stmt = un_stmt.where(UnansweredQuestion.court_id.in_(scope))
    unanswered = []
    for item in session.scalars(un_stmt):
        key = item.question.lower()
        if _in(item.created_at, p) or asked_counter.get(key):
            unanswered.append({"id": item.id, "question": item.question,
                               "count": asked_counter.get(key, 0) or 1})
    unanswered.sort(key=lambda d: (-d["count"], d["id"]))

    return {
        "period": {"label": p.label, "start": p.start.isoformat(), "end": p.end.isoformat()},
        "court_id": court_id, "field": field, "totals": totals, "judges": judges,
        "courts": per_court, "months": list(months.values()),
        "top_contributors": top_contributors, "most_asked": most_asked,
        "unanswered": unanswered[:top],
    }


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
            ws.append([_safe_cell(_fmt(row.get(k))) for k, _ in columns])
        for i, (_, label) in enumerate(columns, start=1):
            ws.column_dimensions[ws.cell(1, i).column_letter].width = max(12, min(60, len(label) + 4))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
