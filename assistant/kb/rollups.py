"""Statistics rollups: kept in step with every ask and contribution, rebuilt and checked
against the raw events on demand.

Why: statistics pages grouped every usage event of their period (22–26 s for the national
year at 2,000,000 events, issue 13). Here each write updates a few small rows in the same
transaction, and pages read only those (``assistant.kb.services.stats``).

How it stays correct:

* A SQLAlchemy ``after_flush`` listener sees every new/changed/deleted usage event,
  Q&A entry and Q&A revision, whatever code wrote it (the ask and review services, the
  demo, imports, tests), so the services need no call of their own.
* A new ask (an inserted usage event: what every POST /ask writes) *increments* its
  daily, monthly, yearly and court-month cells, one upsert statement each (``INSERT … ON
  CONFLICT DO UPDATE SET asked = asked + …``, on SQLite and PostgreSQL alike): an event is
  inserted once, and a rolled-back ask rolls its increments back too. Why: recounting the three
  cells took ~10 statements per ask, a quarter of the API process's time under load.
* Anything else — an event changed or deleted, every contribution and approval — *recounts*
  the daily cells from the raw rows of that (user, court, day), so a field edited by a
  reviewer moves its count and a cell can always be repaired; monthly cells are recounted
  from the daily ones, yearly and court-month cells from the monthly ones. A cell recounted in a
  flush is not also incremented (the recount already sees the flush's new rows).
* On PostgreSQL a recounted cell row is created if missing, then locked (``FOR UPDATE``)
  before its recount statement: under READ COMMITTED that statement sees every transaction
  that held the lock before, so concurrent asks of one judge or one court never lose a
  count. An increment locks its row by the upsert itself and adds to the latest committed
  value. Cells are written in one order (daily, monthly, yearly, court-month; sorted
  keys): no deadlock. On SQLite writers are serialised anyway.
* Question counts (the "most asked" and unanswered lists) are kept per court *subtree*:
  an ask counts under its court, every court above it and -1 (all courts), so any scope
  reads one key. They are incremented once per inserted event (an event is inserted once;
  a rolled-back ask rolls them back too).
* :func:`rebuild` recomputes everything from the raw tables with GROUP BY (also run by
  the migration that creates the tables); :func:`check` compares the tables with that
  recomputation and reports differing rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlalchemy import (
    Connection,
    Date,
    and_,
    bindparam,
    case,
    cast,
    delete,
    event,
    except_,
    func,
    literal,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session, attributes

from assistant.kb.models import (
    Court,
    QAEntry,
    QARevision,
    StatsCourtMonthly,
    StatsDaily,
    StatsMonthly,
    StatsQuestionMonthly,
    StatsYearly,
    UsageEvent,
)

VN_TZ = timezone(timedelta(hours=7))
ALL_COURTS = -1  # StatsQuestionMonthly.court_id of the rows summed over every court
APPROVED_STATUSES = ("approved", "retired")
ASKS = ""  # StatsDaily.field of the asks row

daily_t = StatsDaily.__table__
monthly_t = StatsMonthly.__table__
yearly_t = StatsYearly.__table__
court_t = StatsCourtMonthly.__table__
question_t = StatsQuestionMonthly.__table__
events_t = UsageEvent.__table__
entries_t = QAEntry.__table__
TABLES = (daily_t, monthly_t, yearly_t, court_t, question_t)


# --- small helpers ------------------------------------------------------------------

def local_day(ts: datetime) -> date:
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(VN_TZ).date()


def day_bounds(d: date) -> tuple[datetime, datetime]:
    start = datetime.combine(d, time(0), tzinfo=VN_TZ).astimezone(UTC)
    return start, start + timedelta(days=1)


def month_of(d: date) -> date:
    return d.replace(day=1)


def next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def year_of(d: date) -> date:
    return date(d.year, 1, 1)


def question_key(question: str) -> tuple[str, str]:
    """(md5 of the folded question, folded question): questions differing only in case are one."""
    key = question.lower()
    return hashlib.md5(key.encode("utf-8")).hexdigest(), key


def _eq(column, value: int):
    """``column = value``, 0 meaning NULL (the rollups' "none")."""
    return column.is_(None) if not value else column == value


def _dialect(conn: Connection) -> str:
    return conn.dialect.name


def dialect_insert(conn: Connection):
    """The ``insert`` construct with ``ON CONFLICT`` for the connection's database
    (SQLite or PostgreSQL): increments elsewhere (the unanswered queue) use it too."""
    if _dialect(conn) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _ensure_and_lock(conn: Connection, table, keys: list[dict]) -> None:
    """Create the missing cell rows (all zero), then lock them on PostgreSQL."""
    if not keys:
        return
    pk = [c.name for c in table.primary_key.columns]
    conn.execute(dialect_insert(conn)(table).on_conflict_do_nothing(index_elements=pk), keys)
    if _dialect(conn) == "postgresql":
        for key in keys:  # sorted by the caller: one lock order for every transaction
            conn.execute(select(literal(1)).select_from(table)
                         .where(*[table.c[k] == v for k, v in key.items()]).with_for_update())


# --- the listener -------------------------------------------------------------------

def _values(obj, name: str) -> list:
    """Current and previous values of an attribute (previous only when it changed)."""
    hist = attributes.get_history(obj, name, passive=attributes.PASSIVE_NO_INITIALIZE)
    out = [*hist.added, *hist.unchanged, *hist.deleted]
    return out or [getattr(obj, name, None)]


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _ctx) -> None:
    ask_cells: set[tuple[int, int, date]] = set()
    contrib_cells: set[tuple[int, int, date]] = set()
    questions: list[tuple[UsageEvent, int]] = []
    new_asks: list[tuple[int, int, datetime, bool]] = []
    entry_ids: set[int] = set()
    for obj in session.new:
        if isinstance(obj, UsageEvent):
            new_asks.append((obj.user_id or 0, obj.court_id or 0, obj.created_at, bool(obj.answered)))
            questions.append((obj, 1))
        elif isinstance(obj, QAEntry):
            contrib_cells |= _entry_cells(obj.author_id, obj.court_id, [obj.created_at], [obj.approved_at])
        elif isinstance(obj, QARevision):
            entry_ids.add(obj.entry_id)
    for obj in session.dirty:
        if isinstance(obj, UsageEvent) and session.is_modified(obj):
            before = {k: _before(obj, k) for k in ("created_at", "court_id", "query", "answered")}
            if any(before[k] != getattr(obj, k) for k in before):
                questions.append((_Old(**before), -1))
                questions.append((obj, 1))
            for u in _values(obj, "user_id"):
                for c in _values(obj, "court_id"):
                    for ts in _values(obj, "created_at"):
                        if ts is not None:
                            ask_cells.add((u or 0, c or 0, local_day(ts)))
        elif isinstance(obj, QAEntry) and session.is_modified(obj):
            for u in _values(obj, "author_id"):
                for c in _values(obj, "court_id"):
                    contrib_cells |= _entry_cells(u, c, _values(obj, "created_at"),
                                                  _values(obj, "approved_at"))
    for obj in session.deleted:
        if isinstance(obj, UsageEvent):
            ask_cells.add((obj.user_id or 0, obj.court_id or 0, local_day(obj.created_at)))
            questions.append((obj, -1))
        elif isinstance(obj, QAEntry):
            contrib_cells |= _entry_cells(obj.author_id, obj.court_id, [obj.created_at], [obj.approved_at])
    if not (ask_cells or contrib_cells or questions or entry_ids or new_asks):
        return
    conn = session.connection()
    if entry_ids:
        rows = conn.execute(select(entries_t.c.author_id, entries_t.c.court_id, entries_t.c.created_at,
                                   entries_t.c.approved_at).where(entries_t.c.id.in_(entry_ids)))
        for author, court, created, approved in rows:
            contrib_cells |= _entry_cells(author, court, [created], [approved])
    apply_changes(conn, ask_cells, contrib_cells,
                  [(e.created_at, e.court_id, e.query, e.answered, sign) for e, sign in questions],
                  new_asks)


class _Old:
    """The values an event had before this flush changed it."""

    def __init__(self, **values) -> None:
        self.__dict__.update(values)


def _before(obj, name: str):
    hist = attributes.get_history(obj, name, passive=attributes.PASSIVE_NO_INITIALIZE)
    if hist.deleted:
        return hist.deleted[0]
    return getattr(obj, name)


def _entry_cells(author, court, created: Iterable, approved: Iterable) -> set[tuple[int, int, date]]:
    return {(author or 0, court or 0, local_day(ts)) for ts in (*created, *approved) if ts is not None}


def apply_changes(conn: Connection, ask_cells, contrib_cells, questions, new_asks=()) -> None:
    """Recount the given daily cells, the monthly and court-month cells above them, add
    the new asks to their cells (those not recounted) and add the question counts.
    ``questions``: (created_at, court_id, query, answered, ±1); ``new_asks``: (user_id,
    court_id, created_at, answered) of inserted usage events, 0 meaning none."""
    daily_inc: dict[tuple, list] = {}
    for user, court, created, answered in new_asks:
        key = (court, local_day(created), user)
        if (user, court, key[1]) not in ask_cells:  # a recount of the cell counts it already
            _add(daily_inc, key, answered, created)
    monthly: set[tuple[int, int, date, str]] = set()
    court_cells: set[tuple[int, date, str]] = set()
    daily_keys = [(court, day, user, False) for user, court, day in ask_cells]
    for court, day, user, increment in sorted([*daily_keys, *((*k, True) for k in daily_inc)]):
        if increment:
            _increment(conn, daily_t, dict(court_id=court, day=day, user_id=user, field=ASKS),
                       daily_inc[(court, day, user)])
        else:
            _recount_asks(conn, user, court, day)
            monthly.add((court, user, month_of(day), ASKS))
    for user, court, day in sorted(contrib_cells):
        for fld in _recount_contributions(conn, user, court, day):
            monthly.add((court, user, month_of(day), fld))
    monthly_inc: dict[tuple, list] = {}
    for (court, day, user), (n, answered, last) in daily_inc.items():
        if (court, user, month_of(day), ASKS) not in monthly:
            _add(monthly_inc, (court, user, month_of(day), ASKS), answered, last, n)
    yearly: set[tuple[int, int, date, str]] = set()
    for court, user, month, fld in sorted(monthly | set(monthly_inc)):
        if (court, user, month, fld) in monthly_inc:
            _increment(conn, monthly_t, dict(court_id=court, month=month, user_id=user, field=fld),
                       monthly_inc[(court, user, month, fld)])
            continue
        _recount_monthly(conn, court, user, month, fld)
        court_cells.add((court, month, fld))
        yearly.add((court, user, year_of(month), fld))
    yearly_inc: dict[tuple, list] = {}
    for (court, user, month, fld), (n, answered, last) in monthly_inc.items():
        if (court, user, year_of(month), fld) not in yearly:
            _add(yearly_inc, (court, user, year_of(month), fld), answered, last, n)
    for court, user, year, fld in sorted(yearly | set(yearly_inc)):
        if (court, user, year, fld) in yearly_inc:
            _increment(conn, yearly_t, dict(court_id=court, year=year, user_id=user, field=fld),
                       yearly_inc[(court, user, year, fld)])
        else:
            _recount_yearly(conn, court, user, year, fld)
    court_inc: dict[tuple, list] = {}
    for (court, _user, month, fld), (n, answered, last) in monthly_inc.items():
        if (court, month, fld) not in court_cells:
            _add(court_inc, (court, month, fld), answered, last, n)
    for court, month, fld in sorted(court_cells | set(court_inc)):
        if (court, month, fld) in court_inc:
            _increment(conn, court_t, dict(court_id=court, month=month, field=fld),
                       court_inc[(court, month, fld)])
        else:
            _recount_court(conn, court, month, fld)
    if questions:
        _add_questions(conn, questions)


def _add(deltas: dict[tuple, list], key: tuple, answered: int, last: datetime, n: int = 1) -> None:
    """Accumulate [asked, answered, last ask] of ``key``."""
    row = deltas.setdefault(key, [0, 0, last])
    row[0] += n
    row[1] += int(answered)
    row[2] = max(row[2], last)


_UPSERTS: dict[tuple[str, str], object] = {}


def _increment_statement(conn: Connection, table):
    """``INSERT … ON CONFLICT (key) DO UPDATE`` adding asked/answered and keeping the
    latest ``last_at`` — built once per dialect and table (SQLAlchemy then reuses its
    compiled form)."""
    key = (_dialect(conn), table.name)
    stmt = _UPSERTS.get(key)
    if stmt is None:
        ins = dialect_insert(conn)(table)
        t, new = table.c, ins.excluded
        values = {"asked": t.asked + new.asked, "answered": t.answered + new.answered}
        if "last_at" in t:
            values["last_at"] = case((t.last_at.is_(None) | (new.last_at > t.last_at), new.last_at),
                                     else_=t.last_at)
        stmt = _UPSERTS[key] = ins.on_conflict_do_update(
            index_elements=[c.name for c in table.primary_key.columns], set_=values)
    return stmt


def _increment(conn: Connection, table, key: dict, delta: list) -> None:
    asked, answered, last = delta
    row = dict(key, asked=asked, answered=answered, contributed=0, approved=0)
    if "last_at" in table.c:
        row["last_at"] = last
    conn.execute(_increment_statement(conn, table), row)


def _recount_asks(conn: Connection, user: int, court: int, day: date) -> None:
    start, end = day_bounds(day)
    _ensure_and_lock(conn, daily_t, [dict(court_id=court, day=day, user_id=user, field=ASKS)])
    ev = events_t.c
    where = and_(_eq(ev.user_id, user), _eq(ev.court_id, court), ev.created_at >= start, ev.created_at < end)
    conn.execute(update(daily_t).where(daily_t.c.court_id == court, daily_t.c.day == day,
                                       daily_t.c.user_id == user, daily_t.c.field == ASKS).values(
        asked=select(func.count()).where(where).scalar_subquery(),
        answered=select(func.coalesce(func.sum(case((ev.answered, 1), else_=0)), 0)).where(where).scalar_subquery(),
        last_at=select(func.max(ev.created_at)).where(where).scalar_subquery(),
    ))


def _recount_contributions(conn: Connection, user: int, court: int, day: date) -> set[str]:
    """Recount every field's contribution row of one (user, court, day); return the fields."""
    start, end = day_bounds(day)
    q = entries_t.c
    mine = and_(_eq(q.author_id, user), _eq(q.court_id, court))
    created = and_(q.created_at >= start, q.created_at < end)
    approved = and_(q.approved_at >= start, q.approved_at < end, q.status.in_(APPROVED_STATUSES))
    fields = set(conn.scalars(select(q.field).where(mine, created | approved).distinct()))
    d = daily_t.c
    cell = and_(d.court_id == court, d.day == day, d.user_id == user, d.field != ASKS)
    fields |= set(conn.scalars(select(d.field).where(cell)))
    if not fields:
        return fields
    _ensure_and_lock(conn, daily_t, [dict(court_id=court, day=day, user_id=user, field=f)
                                     for f in sorted(fields)])
    same_field = q.field == d.field
    conn.execute(update(daily_t).where(cell).values(
        contributed=select(func.count()).where(mine, created, same_field).scalar_subquery(),
        approved=select(func.count()).where(mine, approved, same_field).scalar_subquery(),
        last_at=select(func.max(q.created_at)).where(mine, created, same_field).scalar_subquery(),
    ))
    return fields


def _sum(col):
    return func.coalesce(func.sum(col), 0)


def _recount_monthly(conn: Connection, court: int, user: int, month: date, fld: str) -> None:
    _ensure_and_lock(conn, monthly_t, [dict(court_id=court, month=month, user_id=user, field=fld)])
    d = daily_t.c
    src = and_(d.court_id == court, d.user_id == user, d.field == fld, d.day >= month,
               d.day < next_month(month))
    m = monthly_t.c
    conn.execute(update(monthly_t).where(m.court_id == court, m.month == month, m.user_id == user,
                                         m.field == fld).values(
        **{k: select(_sum(d[k])).where(src).scalar_subquery()
           for k in ("asked", "answered", "contributed", "approved")},
        last_at=select(func.max(d.last_at)).where(src).scalar_subquery()))


def _recount_yearly(conn: Connection, court: int, user: int, year: date, fld: str) -> None:
    _ensure_and_lock(conn, yearly_t, [dict(court_id=court, year=year, user_id=user, field=fld)])
    m = monthly_t.c
    src = and_(m.court_id == court, m.user_id == user, m.field == fld, m.month >= year,
               m.month < date(year.year + 1, 1, 1))
    y = yearly_t.c
    conn.execute(update(yearly_t).where(y.court_id == court, y.year == year, y.user_id == user,
                                        y.field == fld).values(
        **{k: select(_sum(m[k])).where(src).scalar_subquery()
           for k in ("asked", "answered", "contributed", "approved")},
        last_at=select(func.max(m.last_at)).where(src).scalar_subquery()))


def _recount_court(conn: Connection, court: int, month: date, fld: str) -> None:
    _ensure_and_lock(conn, court_t, [dict(court_id=court, month=month, field=fld)])
    m = monthly_t.c
    src = and_(m.court_id == court, m.month == month, m.field == fld)
    c = court_t.c
    conn.execute(update(court_t).where(c.court_id == court, c.month == month, c.field == fld).values(
        **{k: select(_sum(m[k])).where(src).scalar_subquery()
           for k in ("asked", "answered", "contributed", "approved")}))


def _chains_statement():
    """The chains of the courts bound as ``courts`` up to the root, one recursive query.

    Built once: an ask reads its court's chain, and building the recursive CTE (its
    column collections) cost more CPU than running it (~1 ms per ask under cProfile)."""
    c = Court.__table__.c
    up = select(c.id, c.parent_id).where(c.id.in_(bindparam("courts", expanding=True))).cte(
        "up", recursive=True)
    up = up.union(select(c.id, c.parent_id).join(up, c.id == up.c.parent_id))
    return select(up.c.id, up.c.parent_id)


_CHAINS = _chains_statement()


def court_scopes(conn: Connection, courts: Iterable[int] | None = None) -> Callable[[int], tuple[int, ...]]:
    """court id → the question-rollup keys an ask there counts under: the court, every
    court above it (each key means "this court and the courts below it"), and -1 (all).
    ``courts``: only these courts will be asked about — their chains are read by one
    recursive query instead of the whole court table (an ask needs one chain)."""
    if courts is None:
        c = Court.__table__.c
        parent = dict(conn.execute(select(c.id, c.parent_id)).all())
    else:
        parent = dict(conn.execute(_CHAINS, {"courts": sorted(set(courts))}).all())

    def scopes(court: int) -> tuple[int, ...]:
        out, seen = [ALL_COURTS], set()
        while court and court not in seen:
            seen.add(court)
            out.append(court)
            court = parent.get(court)
        return tuple(out) if len(out) > 1 else (ALL_COURTS, 0)

    return scopes


def _add_questions(conn: Connection, questions) -> None:
    deltas: dict[tuple[int, date, str], list] = {}
    scopes = court_scopes(conn, [court for _, court, _, _, _ in questions if court])
    for created, court, query, answered, sign in questions:
        qhash, _ = question_key(query)
        month = month_of(local_day(created))
        for scope in scopes(court or 0):
            row = deltas.setdefault((scope, month, qhash), [query, 0, 0])
            row[1] += sign
            row[2] += sign * int(bool(answered))
    rows = [dict(court_id=scope, month=month, qhash=qhash, question=query, asked=asked, answered=answered)
            for (scope, month, qhash), (query, asked, answered) in sorted(deltas.items())]
    conn.execute(_increment_statement(conn, question_t), rows)  # one round trip, rows in key order


# --- rebuild and check --------------------------------------------------------------

def _day_expr(conn: Connection, column):
    """SQL: the Vietnam-time calendar day of a UTC timestamp column."""
    if _dialect(conn) == "postgresql":
        return cast(func.timezone("UTC", column) + literal_column("interval '7 hours'"), Date)
    return func.date(column, "+7 hours")


def _month_expr(conn: Connection, day_column):
    if _dialect(conn) == "postgresql":
        return cast(func.date_trunc("month", day_column), Date)
    return func.strftime("%Y-%m-01", day_column)


def _year_expr(conn: Connection, day_column):
    if _dialect(conn) == "postgresql":
        return cast(func.date_trunc("year", day_column), Date)
    return func.strftime("%Y-01-01", day_column)


def _expected_daily(conn: Connection):
    ev, q = events_t.c, entries_t.c
    day = _day_expr(conn, ev.created_at)
    asks = select(day.label("day"), func.coalesce(ev.user_id, 0).label("user_id"),
                  func.coalesce(ev.court_id, 0).label("court_id"), literal(ASKS).label("field"),
                  func.count().label("asked"), _sum(case((ev.answered, 1), else_=0)).label("answered"),
                  literal(0).label("contributed"), literal(0).label("approved"),
                  func.max(ev.created_at).label("last_at")).group_by(day, ev.user_id, ev.court_id)
    made = select(_day_expr(conn, q.created_at).label("day"), q.author_id.label("user_id"),
                  func.coalesce(q.court_id, 0).label("court_id"), q.field.label("field"),
                  literal(1).label("c"), literal(0).label("a"), q.created_at.label("last_at"))
    appr = select(_day_expr(conn, q.approved_at), q.author_id, func.coalesce(q.court_id, 0), q.field,
                  literal(0), literal(1), literal(None, type_=q.created_at.type)).where(
        q.approved_at.is_not(None), q.status.in_(APPROVED_STATUSES))
    u = union_all(made, appr).subquery()
    contrib = select(u.c.day, u.c.user_id, u.c.court_id, u.c.field, literal(0), literal(0),
                     _sum(u.c.c), _sum(u.c.a), func.max(u.c.last_at)).group_by(
        u.c.day, u.c.user_id, u.c.court_id, u.c.field)
    return union_all(asks, contrib)


COUNTS = ("asked", "answered", "contributed", "approved")


def _expected_monthly(conn: Connection):
    d = daily_t.c
    month = _month_expr(conn, d.day)
    return select(month.label("month"), d.user_id, d.court_id, d.field,
                  *[_sum(d[k]).label(k) for k in COUNTS], func.max(d.last_at).label("last_at")
                  ).group_by(month, d.user_id, d.court_id, d.field).having(_any(d))


def _expected_yearly(conn: Connection):
    m = monthly_t.c
    year = _year_expr(conn, m.month)
    return select(year.label("year"), m.user_id, m.court_id, m.field,
                  *[_sum(m[k]).label(k) for k in COUNTS], func.max(m.last_at).label("last_at")
                  ).group_by(year, m.user_id, m.court_id, m.field).having(_any(m))


YEARLY_COLUMNS = ["year", "user_id", "court_id", "field", *COUNTS, "last_at"]


def fill_yearly(conn: Connection) -> None:
    """Empty the yearly rollup and sum it from the monthly one (also run by the migration
    that creates it: an upgraded installation keeps its history)."""
    conn.execute(delete(yearly_t))
    conn.execute(yearly_t.insert().from_select(YEARLY_COLUMNS, _expected_yearly(conn)))


def _expected_court(conn: Connection):
    m = monthly_t.c
    return select(m.month, m.court_id, m.field, *[_sum(m[k]).label(k) for k in COUNTS]).group_by(
        m.month, m.court_id, m.field).having(_any(m))


def _any(c):
    """A group with something counted (recounts leave all-zero rows behind)."""
    return (func.sum(c.asked) + func.sum(c.contributed) + func.sum(c.approved)) > 0


def _expected_questions(conn: Connection, month: date | None = None):
    """(court_id, month, qhash) → [question, asked, answered], merged case-insensitively
    in Python (SQLite's lower() is ASCII-only); one month at a time keeps memory bounded."""
    ev = events_t.c
    mexpr = _month_expr(conn, _day_expr(conn, ev.created_at))
    stmt = select(mexpr, func.coalesce(ev.court_id, 0), ev.query, func.count(),
                  _sum(case((ev.answered, 1), else_=0)), func.min(ev.id))
    if month is not None:
        start, _ = day_bounds(month)
        end, _ = day_bounds(next_month(month))
        stmt = stmt.where(ev.created_at >= start, ev.created_at < end)
    out: dict[tuple[int, date, str], list] = {}
    scopes = court_scopes(conn)
    for m, court, query, n, answered, first in conn.execute(stmt.group_by(mexpr, ev.court_id, ev.query)):
        m = m if isinstance(m, date) else date.fromisoformat(m)
        qhash, _ = question_key(query)
        for scope in scopes(court):
            row = out.setdefault((scope, m, qhash), [query, 0, 0, first])
            row[1] += n
            row[2] += int(answered)
            if first < row[3]:
                row[0], row[3] = query, first
    return out


def _event_months(conn: Connection) -> list[date]:
    ev = events_t.c
    lo, hi = conn.execute(select(func.min(ev.created_at), func.max(ev.created_at))).one()
    if lo is None:
        return []
    if isinstance(lo, str):
        lo, hi = datetime.fromisoformat(lo), datetime.fromisoformat(hi)
    m, last, out = month_of(local_day(lo)), month_of(local_day(hi)), []
    while m <= last:
        out.append(m)
        m = next_month(m)
    return out


def rebuild(conn: Connection, progress=None, *, yearly: bool = True) -> dict[str, int]:
    """Empty the rollups and recompute them from usage events and Q&A entries.

    ``progress(step: str)`` is called before each step (the CLI shows it). ``yearly=False``:
    leave the yearly table alone (migration 0005 runs before the one that creates it).
    """
    say = progress or (lambda _step: None)
    tables = TABLES if yearly else tuple(t for t in TABLES if t is not yearly_t)
    for table in tables:
        conn.execute(delete(table))
    say("ngày")
    cols = ["day", "user_id", "court_id", "field", *COUNTS, "last_at"]
    conn.execute(daily_t.insert().from_select(cols, _expected_daily(conn)))
    say("tháng")
    cols = ["month", "user_id", "court_id", "field", *COUNTS, "last_at"]
    conn.execute(monthly_t.insert().from_select(cols, _expected_monthly(conn)))
    if yearly:
        say("năm")
        fill_yearly(conn)
    conn.execute(court_t.insert().from_select(["month", "court_id", "field", *COUNTS], _expected_court(conn)))
    for month in _event_months(conn):
        say(f"câu hỏi {month:%m/%Y}")
        rows = [dict(court_id=k[0], month=k[1], qhash=k[2], question=v[0], asked=v[1], answered=v[2])
                for k, v in _expected_questions(conn, month).items()]
        for i in range(0, len(rows), 20000):
            conn.execute(question_t.insert(), rows[i:i + 20000])
    return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}


def _nonzero(table):
    return select(*[c for c in table.c]).where(
        (table.c.asked + table.c.contributed + table.c.approved) > 0)


def check(conn: Connection) -> dict[str, int]:
    """Rows that differ between each rollup table and its recomputation (0 everywhere = consistent)."""
    out: dict[str, int] = {}
    pairs = [(daily_t, _expected_daily(conn), ["day", "user_id", "court_id", "field", *COUNTS, "last_at"]),
             (monthly_t, _expected_monthly(conn), ["month", "user_id", "court_id", "field", *COUNTS, "last_at"]),
             (yearly_t, _expected_yearly(conn), YEARLY_COLUMNS),
             (court_t, _expected_court(conn), ["month", "court_id", "field", *COUNTS])]
    for table, expected, cols in pairs:
        exp = expected.subquery()
        have = _nonzero(table).subquery()
        a = select(*[exp.c[c] for c in cols])
        b = select(*[have.c[c] for c in cols])
        missing = conn.execute(select(func.count()).select_from(except_(a, b).subquery())).scalar_one()
        extra = conn.execute(select(func.count()).select_from(except_(b, a).subquery())).scalar_one()
        out[table.name] = missing + extra
    diff = 0
    qc = question_t.c
    for month in _event_months(conn):
        expected = _expected_questions(conn, month)
        have = {(c, m if isinstance(m, date) else date.fromisoformat(m), h): (n, a)
                for c, m, h, n, a in conn.execute(
                    select(qc.court_id, qc.month, qc.qhash, qc.asked, qc.answered)
                    .where(qc.month == month, qc.asked != 0))}
        keys = set(expected) | set(have)
        diff += sum(1 for k in keys if (tuple(expected[k][1:3]) if k in expected else None) != have.get(k))
    stray = conn.execute(select(func.count()).select_from(question_t).where(
        qc.asked != 0, qc.month.not_in(_event_months(conn) or [date(1900, 1, 1)]))).scalar_one()
    out[question_t.name] = diff + stray
    return out


def group_sizes(conn: Connection) -> dict[str, int]:
    return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES}


__all__ = ["ALL_COURTS", "ASKS", "VN_TZ", "apply_changes", "check", "day_bounds", "fill_yearly", "local_day",
           "month_of", "next_month", "question_key", "rebuild", "year_of"]
