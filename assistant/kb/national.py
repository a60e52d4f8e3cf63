"""A national data set, generated reproducibly from a seed (``troly demo national``).

Why: the assistant serves the whole court system after the 2025 reform — the Supreme
People's Court, 3 high courts, 34 provincial courts, 355 regional courts, ~12,000
accounts, 5–6 thousand questions a day. Statistics, search and load are measured on
that shape (docs/benchmarks.md), not on the 8-court demo.

What it writes (into an empty database): the court hierarchy with names in the official
pattern ("Tòa án nhân dân khu vực 3 - Bắc Ninh"); users in a realistic role mix;
Q&A entries reworded and recombined from the demo's procedural topics
(:mod:`assistant.kb.demo`) with statuses and review history in realistic shares; usage
events over one calendar year with weekday and office-hour patterns, a long tail of
repeated questions, feedback and the unanswered queue; then the statistics rollups.
Rows go in with Core ``executemany`` (SQLite) or ``COPY`` (PostgreSQL, psycopg) in
chunks. The entries are *not* put into the search index (``--index`` does it).

Same seed and scale → same rows (ids included), on either database.
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, func, select, text

from assistant.kb import rollups
from assistant.kb.demo import DEMO_PASSWORD, ENTRIES
from assistant.kb.models import (
    FIELDS,
    Court,
    Feedback,
    QAEntry,
    QARevision,
    UnansweredAsker,
    UnansweredQuestion,
    UsageEvent,
    User,
    question_hash,
)

# --- the court system after the 2025 reform ------------------------------------------

HIGH_COURTS = [("CC-HN", "Hà Nội"), ("CC-DN", "Đà Nẵng"), ("CC-HCM", "Thành phố Hồ Chí Minh")]
# (province, high court, is a city, relative size used for the number of regional courts)
PROVINCES = [
    ("Hà Nội", "CC-HN", True, 3.4), ("Cao Bằng", "CC-HN", False, 0.6),
    ("Tuyên Quang", "CC-HN", False, 1.0), ("Lào Cai", "CC-HN", False, 1.0),
    ("Thái Nguyên", "CC-HN", False, 1.0), ("Điện Biên", "CC-HN", False, 0.6),
    ("Lai Châu", "CC-HN", False, 0.5), ("Sơn La", "CC-HN", False, 0.8),
    ("Lạng Sơn", "CC-HN", False, 0.7), ("Quảng Ninh", "CC-HN", False, 1.0),
    ("Phú Thọ", "CC-HN", False, 1.6), ("Bắc Ninh", "CC-HN", False, 1.3),
    ("Hưng Yên", "CC-HN", False, 1.3), ("Hải Phòng", "CC-HN", True, 1.6),
    ("Ninh Bình", "CC-HN", False, 1.4), ("Thanh Hóa", "CC-HN", False, 1.5),
    ("Nghệ An", "CC-HN", False, 1.5), ("Hà Tĩnh", "CC-HN", False, 0.9),
    ("Quảng Trị", "CC-DN", False, 0.9), ("Huế", "CC-DN", True, 0.8),
    ("Đà Nẵng", "CC-DN", True, 1.3), ("Quảng Ngãi", "CC-DN", False, 1.0),
    ("Gia Lai", "CC-DN", False, 1.3), ("Khánh Hòa", "CC-DN", False, 1.0),
    ("Đắk Lắk", "CC-DN", False, 1.2), ("Lâm Đồng", "CC-HCM", False, 1.4),
    ("Thành phố Hồ Chí Minh", "CC-HCM", True, 4.8), ("Đồng Nai", "CC-HCM", False, 1.3),
    ("Tây Ninh", "CC-HCM", False, 1.2), ("Cần Thơ", "CC-HCM", True, 1.2),
    ("Vĩnh Long", "CC-HCM", False, 1.2), ("Đồng Tháp", "CC-HCM", False, 1.2),
    ("Cà Mau", "CC-HCM", False, 0.9), ("An Giang", "CC-HCM", False, 1.3),
]
REGIONAL_COURTS = 355

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
            "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương", "Lâm", "Mai")
MIDDLE = ("Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quốc", "Thu", "Anh", "Xuân", "Hoài")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng",
         "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phúc", "Quân",
         "Quỳnh", "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Trung", "Tú", "Tuấn", "Vân", "Việt", "Yến")

# rewording of the demo topics: how judges actually phrase a question
OPENERS = ("", "", "Cho hỏi: ", "Xin hỏi ", "Theo BLTTDS 2015, ", "Trong thực tiễn xét xử, ",
           "Đồng chí cho hỏi ", "Hỏi về thủ tục: ")
CONTEXTS = ("", "", "", " (vụ án có đương sự ở nước ngoài)", " trong trường hợp đương sự là người chưa thành niên",
            " khi vụ án đã được thụ lý", " đối với vụ án xét xử theo thủ tục rút gọn",
            " khi có yêu cầu của Viện kiểm sát", " sau khi sáp nhập Tòa án khu vực",
            " nếu đương sự có đơn đề nghị", " trong giai đoạn phúc thẩm")
UNANSWERABLE = (
    "ủy thác tư pháp ra nước ngoài mất bao lâu", "thủ tục công nhận bản án của tòa án nước ngoài",
    "án phí đối với tranh chấp tài sản chung sau ly hôn có yếu tố nước ngoài",
    "xử lý vật chứng là tiền ảo trong vụ án hình sự", "thẩm quyền giải quyết tranh chấp tên miền",
    "thời hạn giải quyết khiếu nại quyết định thi hành án hành chính",
    "hòa giải trực tuyến có giá trị như hòa giải tại tòa không",
    "giám định ADN bắt buộc trong vụ án xác định cha con", "tạm đình chỉ khi đương sự xuất cảnh trái phép",
    "lấy lời khai người làm chứng qua video", "xét xử vắng mặt bị cáo đang bỏ trốn ở nước ngoài",
    "quyền kháng cáo của người đại diện theo ủy quyền đã hết hạn",
)
STATUS_SHARES = (("approved", 0.70), ("pending", 0.10), ("rejected", 0.07), ("draft", 0.08),
                 ("retired", 0.05))
REJECT_REASONS = ("Trích dẫn chưa đúng điều luật.", "Trùng với câu hỏi đã được duyệt.",
                  "Câu trả lời chưa đầy đủ, cần bổ sung trường hợp ngoại lệ.",
                  "Cần đối chiếu văn bản sửa đổi năm 2025.")


@dataclass(frozen=True)
class Scale:
    users: int
    entries: int
    events: int


SCALES = {
    "national": Scale(12_000, 50_000, 2_000_000),
    "small": Scale(1_200, 5_000, 200_000),
    "tiny": Scale(800, 300, 3_000),
}


@dataclass
class NationalReport:
    courts: dict[str, int] = field(default_factory=dict)  # level → count
    users: dict[str, int] = field(default_factory=dict)  # role → count
    entries: dict[str, int] = field(default_factory=dict)  # status → count
    revisions: int = 0
    events: int = 0
    feedback: int = 0
    unanswered: int = 0
    rollups: dict[str, int] = field(default_factory=dict)
    year: int = 2025


def _ascii(text_: str) -> str:
    folded = unicodedata.normalize("NFD", text_.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


def _province_code(name: str, used: set[str]) -> str:
    words = _ascii(name).replace("Thanh pho ", "").split()
    base = "".join(w[0] for w in words).upper()
    code, i = base, 1
    while code in used or code.startswith("CC"):
        i += 1
        code = f"{base}{i}"
    used.add(code)
    return code


def court_rows() -> list[dict]:
    """The 1 + 3 + 34 + 355 courts, parents first, ids 1…393."""
    rows = [dict(id=1, code="TANDTC", name="Tòa án nhân dân tối cao", level="tandtc", parent_id=None,
                 province=None)]
    high = {}
    for code, city in HIGH_COURTS:
        high[code] = len(rows) + 1
        rows.append(dict(id=high[code], code=code, name=f"Tòa án nhân dân cấp cao tại {city}",
                         level="cap_cao", parent_id=1, province=city))
    total = sum(p[3] for p in PROVINCES)
    shares = [REGIONAL_COURTS * p[3] / total for p in PROVINCES]
    counts = [max(1, int(s)) for s in shares]
    for i in sorted(range(len(PROVINCES)), key=lambda i: counts[i] - shares[i])[:REGIONAL_COURTS - sum(counts)]:
        counts[i] += 1  # largest remainders
    used: set[str] = set()
    provinces = []
    for (name, cc, city, _), n in zip(PROVINCES, counts, strict=True):
        code = _province_code(name, used)
        pid = len(rows) + 1
        kind = "" if name.startswith("Thành phố") else ("thành phố " if city else "tỉnh ")
        rows.append(dict(id=pid, code=code, name=f"Tòa án nhân dân {kind}{name}", level="tinh",
                         parent_id=high[cc], province=name))
        provinces.append((pid, code, name, n))
    for pid, code, name, n in provinces:
        short = name.removeprefix("Thành phố ")
        for k in range(1, n + 1):
            rows.append(dict(id=len(rows) + 1, code=f"{code}-KV{k}",
                             name=f"Tòa án nhân dân khu vực {k} - {short}", level="khu_vuc",
                             parent_id=pid, province=name))
    return rows


# --- writing ---------------------------------------------------------------------------

def _writer(conn: Connection) -> Callable[[object, list[str], Iterable[tuple]], None]:
    """Bulk writer: COPY on PostgreSQL (psycopg), executemany elsewhere."""
    if conn.dialect.name == "postgresql":
        def copy(table, cols, rows):
            raw = conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(cols)}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row([json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
                                  for v in row])
        return copy

    def many(table, cols, rows):
        batch = []
        stmt = table.insert()
        for row in rows:
            batch.append(dict(zip(cols, row, strict=True)))
            if len(batch) >= 20_000:
                conn.execute(stmt, batch)
                batch = []
        if batch:
            conn.execute(stmt, batch)
    return many


def _ts(conn: Connection, value: datetime | None):
    """Timestamps as the column type stores them (SQLite: naive UTC text via executemany)."""
    if value is None or conn.dialect.name == "postgresql":
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def generate(conn: Connection, *, scale: Scale, seed: int = 2025, year: int = 2025,
             password_hash: str, progress: Callable[[str, int], None] | None = None) -> NationalReport:
    """Fill an empty database. ``progress(step, advance)`` reports work done (rows)."""
    say = progress or (lambda _s, _n: None)
    if conn.execute(select(func.count()).select_from(Court.__table__)).scalar_one():
        from assistant.kb.errors import Conflict

        raise Conflict("Cơ sở dữ liệu đã có Tòa án; bộ dữ liệu toàn quốc chỉ tạo trên cơ sở dữ liệu trống.")
    rnd = random.Random(seed)
    write = _writer(conn)
    report = NationalReport(year=year)
    start = datetime(year, 1, 1, tzinfo=rollups.VN_TZ).astimezone(UTC)
    created_at = start - timedelta(days=30)

    # courts -------------------------------------------------------------------------
    courts = court_rows()
    ccols = ["id", "code", "name", "level", "parent_id", "province", "created_at"]
    write(Court.__table__, ccols, ((c["id"], c["code"], c["name"], c["level"], c["parent_id"],
                                    c["province"], _ts(conn, created_at)) for c in courts))
    for c in courts:
        report.courts[c["level"]] = report.courts.get(c["level"], 0) + 1
    say("courts", len(courts))

    # users --------------------------------------------------------------------------
    weight = {"tandtc": 40.0, "cap_cao": 25.0, "tinh": 7.0, "khu_vuc": 1.0}
    total_w = sum(weight[c["level"]] for c in courts)
    low = max(1, min(3, scale.users // len(courts)))
    per_court = [max(low, round(scale.users * weight[c["level"]] / total_w)) for c in courts]
    while sum(per_court) > scale.users and max(per_court) > low:
        per_court[per_court.index(max(per_court))] -= 1
    i = 0
    while sum(per_court) < scale.users:
        per_court[i % len(per_court)] += 1
        i += 1
    users = []  # (id, court_id, role, activity)
    ucols = ["id", "username", "full_name", "password_hash", "court_id", "role", "title", "is_active",
             "password_changed_at", "created_at"]
    rows = []
    uid = 0
    for court, n in zip(courts, per_court, strict=True):
        for k in range(n):
            uid += 1
            if uid == 1:
                role, title = "admin", "Quản trị viên"
            elif k == 0 and n >= 3:
                role, title = "court_admin", "Chánh Văn phòng"
            elif (k == 1 and n >= 4) or (court["level"] != "khu_vuc" and rnd.random() < 0.12):
                role, title = "reviewer", rnd.choice(("Thẩm phán", "Thẩm tra viên"))
            else:
                role = "judge"
                title = rnd.choices(("Thẩm phán", "Thư ký Tòa án", "Thẩm tra viên"), (0.72, 0.2, 0.08))[0]
            full = f"{rnd.choice(SURNAMES)} {rnd.choice(MIDDLE)} {rnd.choice(GIVEN)}"
            active = rnd.random() > 0.01
            # activity: a lognormal spread; ~15 % of judges never ask in the year
            activity = 0.0 if role in ("admin", "court_admin") or rnd.random() < 0.15 else rnd.lognormvariate(0, 1)
            users.append((uid, court["id"], role, activity if active else 0.0))
            report.users[role] = report.users.get(role, 0) + 1
            rows.append((uid, f"u{uid:05d}", full, password_hash, court["id"], role, title, active,
                         _ts(conn, created_at), _ts(conn, created_at)))
    write(User.__table__, ucols, rows)
    say("users", len(rows))

    # Q&A entries and their history ------------------------------------------------------
    authors = [u for u in users if u[2] in ("judge", "reviewer")]
    reviewers_by_court: dict[int, list[int]] = {}
    for u in users:
        if u[2] == "reviewer":
            reviewers_by_court.setdefault(u[1], []).append(u[0])
    parent = {c["id"]: c["parent_id"] for c in courts}
    all_reviewers = [u[0] for u in users if u[2] == "reviewer"]
    statuses, shares = zip(*STATUS_SHARES, strict=True)
    ecols = ["id", "question", "answer", "field", "tags", "article_ids", "citation_text", "status",
             "reject_reason", "author_id", "court_id", "reviewer_id", "source_unanswered_id",
             "created_at", "updated_at", "submitted_at", "approved_at", "version"]
    rcols = ["id", "entry_id", "version", "action", "user_id", "created_at", "snapshot"]
    entry_rows, rev_rows = [], []
    approved_questions: list[str] = []
    year_seconds = 365 * 86400
    rev_id = 0
    for eid in range(1, scale.entries + 1):
        author, court_id, _, _ = rnd.choice(authors)
        _, _, fld, question, answer, citation = rnd.choice(ENTRIES)
        if rnd.random() < 0.15:  # recombined: a topic's question about another field
            fld = rnd.choice(FIELDS)
        q = rnd.choice(OPENERS) + question.rstrip("?") + rnd.choice(CONTEXTS) + "?"
        if q[0].islower():
            q = q[0].upper() + q[1:]
        status = rnd.choices(statuses, shares)[0]
        created = start + timedelta(seconds=rnd.randrange(year_seconds - 20 * 86400))
        submitted = created + timedelta(hours=rnd.randint(0, 48)) if status != "draft" else None
        reviewer = None
        approved = None
        reason = None
        actions = [("create", author, created)]
        if submitted:
            actions.append(("submit", author, submitted))
        c = court_id
        while c is not None and c not in reviewers_by_court:
            c = parent.get(c)
        pool = reviewers_by_court.get(c) or all_reviewers
        decided = (submitted or created) + timedelta(hours=rnd.randint(2, 24 * 14))
        if status in ("approved", "retired", "rejected"):
            reviewer = rnd.choice(pool)
            if status == "rejected":
                reason = rnd.choice(REJECT_REASONS)
                actions.append(("reject", reviewer, decided))
            else:
                approved = decided
                actions.append(("approve", reviewer, decided))
                if status == "retired":
                    actions.append(("retire", reviewer, decided + timedelta(days=rnd.randint(5, 90))))
                else:
                    approved_questions.append(q)
        updated = actions[-1][2]
        version = len(actions)
        entry_rows.append((eid, q, answer, fld, [], [], citation, status, reason, author, court_id,
                           reviewer, None, _ts(conn, created), _ts(conn, updated), _ts(conn, submitted),
                           _ts(conn, approved), version))
        for v, (action, who, when) in enumerate(actions, start=1):
            rev_id += 1
            snap = {"question": q, "field": fld, "status": {"create": "draft", "submit": "pending",
                    "approve": "approved", "reject": "rejected", "retire": "retired"}[action],
                    "version": v}
            rev_rows.append((rev_id, eid, v, action, who, _ts(conn, when), snap))
        report.entries[status] = report.entries.get(status, 0) + 1
        if len(entry_rows) >= 10_000:
            write(QAEntry.__table__, ecols, entry_rows)
            write(QARevision.__table__, rcols, rev_rows)
            say("entries", len(entry_rows))
            report.revisions += len(rev_rows)
            entry_rows, rev_rows = [], []
    if entry_rows:
        write(QAEntry.__table__, ecols, entry_rows)
        write(QARevision.__table__, rcols, rev_rows)
        report.revisions += len(rev_rows)
        say("entries", len(entry_rows))

    # usage events: weekdays, office hours, a long tail of repeated questions -----------
    pool = sorted(set(approved_questions)) or [e[3] for e in ENTRIES]
    rnd.shuffle(pool)
    unknown = [rnd.choice(OPENERS).lower() + u + rnd.choice(CONTEXTS) for u in UNANSWERABLE
               for _ in range(40)]
    unknown = sorted(set(unknown))
    days = []
    day_w = []
    d = date(year, 1, 1)
    while d.year == year:
        w = (1.0, 1.0, 1.0, 1.0, 0.9, 0.12, 0.05)[d.weekday()]
        if date(year, 1, 25) <= d <= date(year, 2, 4):  # Tết
            w *= 0.15
        days.append(d)
        day_w.append(w)
        d += timedelta(days=1)
    hour_w = [0, 0, 0, 0, 0, 0, 0.1, 0.6, 1.6, 2.0, 1.8, 1.0, 0.3, 0.8, 1.6, 1.7, 1.3, 0.5, 0.15, 0.1,
              0.08, 0.05, 0.02, 0]
    askers = [u for u in users if u[3] > 0]
    asker_w = [u[3] for u in askers]
    # Zipf-like popularity over the pool: the first questions are asked thousands of times
    pop_w = [1.0 / (k + 1) ** 1.05 for k in range(len(pool))]
    vcols = ["id", "user_id", "court_id", "created_at", "query", "returned_ids", "best_score",
             "latency_ms", "answered"]
    fcols = ["id", "user_id", "entry_id", "article_id", "usage_event_id", "helpful", "comment", "created_at"]
    qcols = ["id", "question", "question_hash", "asked_by_id", "court_id", "usage_event_id", "status", "entry_id",
             "created_at", "answered_at", "last_asked_at"]
    # each item's first asker, as ``record_ask`` writes it: its counts equal a recount
    acols = ["item_id", "user_id", "times", "first_asked_at", "last_asked_at"]
    chunk = 100_000
    queued: set[str] = set()
    fb_id = un_id = 0
    ev_id = 0
    while ev_id < scale.events:
        n = min(chunk, scale.events - ev_id)
        who = rnd.choices(askers, asker_w, k=n)
        when_d = rnd.choices(days, day_w, k=n)
        when_h = rnd.choices(range(24), hour_w, k=n)
        picks = rnd.choices(range(len(pool)), pop_w, k=n)
        ev_rows, fb_rows, un_rows, asker_rows = [], [], [], []
        for j in range(n):
            ev_id += 1
            uid, court_id, _, _ = who[j]
            local = datetime(when_d[j].year, when_d[j].month, when_d[j].day, when_h[j],
                             rnd.randrange(60), rnd.randrange(60), tzinfo=rollups.VN_TZ)
            ts = local.astimezone(UTC)
            r = rnd.random()
            if r < 0.08:
                query, answered = rnd.choice(unknown), False
            elif r < 0.30:  # typed freely: the same topic in the judge's own words
                query = pool[picks[j]].rstrip("?").lower() + rnd.choice((" không", " thế nào", "", " ạ"))
                answered = rnd.random() < 0.8
            else:
                query, answered = pool[picks[j]], rnd.random() < 0.97
            score = round(rnd.uniform(0.55, 0.95) if answered else rnd.uniform(0.1, 0.5), 3)
            ev_rows.append((ev_id, uid, court_id, _ts(conn, ts), query, [], score,
                            rnd.randint(30, 400), answered))
            if answered and rnd.random() < 0.02:
                fb_id += 1
                helpful = rnd.random() < 0.82
                fb_rows.append((fb_id, uid, rnd.randint(1, scale.entries), None, ev_id, helpful,
                                None if helpful else "Chưa sát với tình huống.",
                                _ts(conn, ts + timedelta(minutes=2))))
            if not answered and query not in queued:
                queued.add(query)
                un_id += 1
                closed = rnd.random() < 0.2
                un_rows.append((un_id, query, question_hash(query), uid, court_id, ev_id,
                                "answered" if closed else "open", None, _ts(conn, ts),
                                _ts(conn, ts + timedelta(days=7)) if closed else None, _ts(conn, ts)))
                asker_rows.append((un_id, uid, 1, _ts(conn, ts), _ts(conn, ts)))
        write(UsageEvent.__table__, vcols, ev_rows)
        write(Feedback.__table__, fcols, fb_rows)
        write(UnansweredQuestion.__table__, qcols, un_rows)
        write(UnansweredAsker.__table__, acols, asker_rows)
        report.events += n
        report.feedback += len(fb_rows)
        report.unanswered += len(un_rows)
        say("events", n)

    if conn.dialect.name == "postgresql":
        for table in ("courts", "users", "qa_entries", "qa_revisions", "usage_events", "feedback",
                      "unanswered_questions"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
        conn.execute(text("ANALYZE"))
    report.rollups = rollups.rebuild(conn, progress=lambda step: say("rollups", 0))
    # the rollups were empty at the ANALYZE above: without statistics PostgreSQL read a
    # month's top questions by a bitmap scan and sort of all its rows, not off the index
    conn.execute(text("ANALYZE" if conn.dialect.name != "postgresql" else
                      "ANALYZE " + ", ".join(t.name for t in rollups.TABLES)))
    say("rollups", 1)
    return report


__all__ = ["DEMO_PASSWORD", "SCALES", "Scale", "court_rows", "generate"]
