"""Statistics against hand-computed fixtures, and their CSV/XLSX exports.

Fixture (Vietnam time, UTC+7); reference date 2025-05-15:
  E1 judge1 HN-KV1 dân sự   created 05-02 approved 05-10
  E2 judge1 HN-KV1 hình sự  created 04-20 approved 05-03
  E3 judge1 HN-KV1 dân sự   created 05-20 pending
  E4 judge2 HN-KV2 dân sự   created 02-10 approved 02-15
  E5 judge3 BN-KV1 lao động created 05-30 23:30 (still May in Vietnam) draft
  E6 judge3 BN-KV1 dân sự   created 06-01 00:30 (= 05-31 17:30 UTC) draft
  U1 judge1 05-05 "thời hạn kháng cáo" answered; U2 judge1 05-06 "Thời hạn kháng cáo" answered
  U3 judge2 05-07 "hoãn phiên tòa" unanswered (queued); U4 judge2 03-01 answered; U5 judge3 06-10 answered
"""

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from assistant.kb.models import QAEntry, UnansweredQuestion, UsageEvent

VN = timezone(timedelta(hours=7))
S = "/api/v1/stats"


def vn(*args):
    return datetime(2025, *args, tzinfo=VN)


@pytest.fixture(scope="module", autouse=True)
def data(env):
    u, c = env.users, env.courts
    entries = [
        ("judge1", "HN-KV1", "dân sự", vn(5, 2, 9), "approved", vn(5, 10, 9)),
        ("judge1", "HN-KV1", "hình sự", vn(4, 20, 9), "approved", vn(5, 3, 9)),
        ("judge1", "HN-KV1", "dân sự", vn(5, 20, 9), "pending", None),
        ("judge2", "HN-KV2", "dân sự", vn(2, 10, 9), "approved", vn(2, 15, 9)),
        ("judge3", "BN-KV1", "lao động", vn(5, 30, 23, 30), "draft", None),
        ("judge3", "BN-KV1", "dân sự", vn(6, 1, 0, 30), "draft", None),
    ]
    events = [
        ("judge1", "HN-KV1", vn(5, 5, 10), "thời hạn kháng cáo", True),
        ("judge1", "HN-KV1", vn(5, 6, 10), "Thời hạn kháng cáo", True),
        ("judge2", "HN-KV2", vn(5, 7, 10), "hoãn phiên tòa", False),
        ("judge2", "HN-KV2", vn(3, 1, 10), "tạm đình chỉ", True),
        ("judge3", "BN-KV1", vn(6, 10, 10), "thời hạn kháng cáo", True),
    ]
    with env.session() as s:
        for i, (who, court, field, created, status, approved) in enumerate(entries, 1):
            s.add(QAEntry(question=f"Câu hỏi thống kê số {i}", answer="Trả lời", field=field,
                          tags=[], article_ids=[], citation_text="", status=status,
                          author_id=u[who], court_id=c[court], created_at=created,
                          updated_at=created, approved_at=approved, version=1))
        for who, court, when, query, answered in events:
            s.add(UsageEvent(user_id=u[who], court_id=c[court], created_at=when, query=query,
                             returned_ids=[], best_score=0.9 if answered else 0.1, latency_ms=5,
                             answered=answered))
        s.add(UnansweredQuestion(question="hoãn phiên tòa", asked_by_id=u["judge2"],
                                 court_id=c["HN-KV2"], created_at=vn(5, 7, 10)))


def get(env, who="admin", **params):
    r = env.client.get(S, params=params, headers=env.h(who))
    assert r.status_code == 200, r.text
    return r.json()


def test_month_totals_and_per_judge(env):
    st = get(env, period="month", ref="2025-05-15")
    assert st["period"]["label"] == "Tháng 5/2025"
    assert st["totals"] == {"judges": 3, "judges_used": 2, "usage": "2/3", "contributed": 3,
                            "approved": 2, "asked": 3, "answered": 2, "unanswered": 1}
    by = {j["username"]: j for j in st["judges"]}
    assert (by["judge1"]["contributed"], by["judge1"]["approved"], by["judge1"]["asked"]) == (2, 2, 2)
    assert (by["judge2"]["contributed"], by["judge2"]["approved"], by["judge2"]["asked"]) == (0, 0, 1)
    assert (by["judge3"]["contributed"], by["judge3"]["approved"], by["judge3"]["asked"]) == (1, 0, 0)
    assert datetime.fromisoformat(by["judge1"]["last_active"]) == vn(5, 20, 9)
    assert datetime.fromisoformat(by["judge3"]["last_active"]) == vn(5, 30, 23, 30)
    # only judges are listed and counted in "X/Y Thẩm phán" (reviewers and admins are not)
    assert "reviewer2" not in by and "reviewer" not in by and "admin" not in by
    assert [by[u]["status"] for u in ("judge1", "judge2", "judge3")] == [
        "Đã sử dụng", "Đã sử dụng", "Chưa sử dụng"]


def test_month_per_court_and_lists(env):
    st = get(env, period="month", ref="2025-05-15")
    courts = {c["code"]: c for c in st["courts"]}
    assert (courts["HN-KV1"]["usage"], courts["HN-KV1"]["contributed"], courts["HN-KV1"]["approved"],
            courts["HN-KV1"]["asked"], courts["HN-KV1"]["entries_per_judge"]) == ("1/1", 2, 2, 2, 2.0)
    assert (courts["HN-KV2"]["usage"], courts["HN-KV2"]["asked"]) == ("1/1", 1)
    assert (courts["BN-KV1"]["usage"], courts["BN-KV1"]["contributed"]) == ("0/1", 1)
    # the tree: a provincial court's row totals its regional courts
    assert (courts["HN"]["usage"], courts["HN"]["contributed"], courts["HN"]["asked"]) == ("2/2", 2, 3)
    assert (courts["BN"]["usage"], courts["TANDTC"]["usage"], courts["TANDTC"]["contributed"]) == (
        "0/1", "2/3", 3)
    assert [(c["code"], c["depth"]) for c in st["courts"]] == [
        ("TANDTC", 0), ("CC-HN", 1), ("HN", 2), ("HN-KV1", 3), ("HN-KV2", 3), ("BN", 2), ("BN-KV1", 3)]
    assert st["months"] == [{"month": "2025-05", "contributed": 3, "approved": 2, "asked": 3,
                             "unanswered": 1}]
    assert st["most_asked"] == [{"question": "thời hạn kháng cáo", "count": 2, "answered": 2},
                                {"question": "hoãn phiên tòa", "count": 1, "answered": 0}]
    assert [(x["question"], x["count"]) for x in st["unanswered"]] == [("hoãn phiên tòa", 1)]
    assert [t["username"] for t in st["top_contributors"]] == ["judge1", "judge3"]


def test_quarter_filtered_by_court_with_descendants(env):
    st = get(env, period="quarter", ref="2025-05-15", court_id=env.courts["HN"])
    assert st["period"]["label"] == "Quý 2/2025"
    t = st["totals"]
    assert (t["contributed"], t["approved"], t["asked"], t["usage"]) == (3, 2, 3, "2/2")
    assert [m["month"] for m in st["months"]] == ["2025-04", "2025-05", "2025-06"]
    assert [(m["contributed"], m["approved"], m["asked"]) for m in st["months"]] == [
        (1, 0, 0), (2, 2, 3), (0, 0, 0)]
    assert {c["code"] for c in st["courts"]} == {"HN", "HN-KV1", "HN-KV2"}


def test_year_by_field_half_and_custom(env):
    st = get(env, period="year", ref="2025-05-15", field="dan su")
    assert (st["field"], st["totals"]["contributed"], st["totals"]["approved"]) == ("dân sự", 4, 2)
    assert len(st["months"]) == 12
    st = get(env, period="half", ref="2025-05-15")
    assert st["period"]["label"] == "6 tháng đầu năm 2025"
    assert (st["totals"]["contributed"], st["totals"]["asked"]) == (6, 5)  # all of Jan–Jun
    st = get(env, period="custom", date_from="2025-05-31", date_to="2025-06-01")
    assert (st["totals"]["contributed"], st["totals"]["asked"]) == (1, 0)


def test_stats_permissions_and_bad_input(env):
    assert env.client.get(S).status_code == 401
    assert env.client.get(S, headers=env.h("judge1")).status_code == 403
    st = get(env, "hnadmin", period="month", ref="2025-05-15")
    assert {c["code"] for c in st["courts"]} == {"HN", "HN-KV1", "HN-KV2"}
    r = env.client.get(S, params={"court_id": env.courts["BN"]}, headers=env.h("hnadmin"))
    assert r.status_code == 403 and "Tòa án mình" in r.json()["detail"]
    for params, needle in [({"period": "week"}, "kỳ thống kê"), ({"ref": "15/05/2025"}, "YYYY-MM-DD"),
                           ({"period": "custom"}, "ngày bắt đầu"),
                           ({"period": "custom", "date_from": "2025-06-01", "date_to": "2025-05-01"}, "sau"),
                           ({"field": "thuế"}, "Lĩnh vực")]:
        r = env.client.get(S, params=params, headers=env.h("admin"))
        assert r.status_code == 422 and needle in r.json()["detail"], (params, r.json())


def test_export_xlsx_is_a_report(env):
    """File named after court and period; title row; frozen header; filters; numbers as
    numbers and dates as dates in Vietnamese formats; only judges on the "Thẩm phán" sheet."""
    r = env.client.get(f"{S}/export", params={"format": "xlsx", "period": "quarter", "ref": "2025-05-15",
                                              "court_id": env.courts["HN"]}, headers=env.h("admin"))
    assert r.status_code == 200
    cd = r.headers["content-disposition"]
    assert 'filename="thong-ke-toa-an-nhan-dan-thanh-pho-ha-noi-quy-2-2025.xlsx"' in cd
    assert "filename*=UTF-8''Th%E1%BB%91ng%20k%C3%AA%20-%20T%C3%B2a%20%C3%A1n" in cd
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["Tổng hợp", "Thẩm phán", "Tòa án", "Theo tháng", "Hỏi nhiều nhất",
                             "Chưa trả lời"]
    ws = wb["Thẩm phán"]
    assert "Tòa án nhân dân thành phố Hà Nội" in ws["A1"].value and "Quý 2/2025" in ws["A1"].value
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref.startswith("A2:")
    rows = list(ws.values)
    assert rows[1][:5] == ("Họ và tên", "Tên đăng nhập", "Chức danh", "Tòa án", "Tình trạng sử dụng")
    assert {row[1] for row in rows[2:]} == {"judge1", "judge2"}  # no reviewers
    judge1 = next(row for row in ws.iter_rows(min_row=3) if row[1].value == "judge1")
    assert [c.value for c in judge1[4:8]] == ["Đã sử dụng", 2, 3, 2]
    assert judge1[5].data_type == "n" and "#,##0" in judge1[5].number_format
    assert judge1[8].is_date and judge1[8].value == datetime(2025, 5, 20, 9, 0)
    courts = list(wb["Tòa án"].values)
    assert courts[2][0] == "Tòa án nhân dân thành phố Hà Nội" and courts[2][3] == 2
    assert courts[3][0].startswith("    Tòa án nhân dân khu vực 1")
    summary = {row[0]: row[1] for row in wb["Tổng hợp"].values if len(row) > 1}
    assert summary["Tỷ lệ sử dụng"] == "2/2" and summary["Kỳ thống kê"] == "Quý 2/2025"
    assert summary["Số lượt hỏi"] == 3


def test_export_csv(env):
    r = env.client.get(f"{S}/export", params={"format": "csv", "table": "courts", "period": "month",
                                              "ref": "2025-05-15"}, headers=env.h("reviewer"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    # a reviewer sees their court tree (issue 11): the file is named after it
    assert "thong-ke-toa-an-nhan-dan-thanh-pho-ha-noi-thang-5-2025-toa-an.csv" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:6] == ["Tòa án", "Mã", "Cấp", "Số Thẩm phán", "Số Thẩm phán đã sử dụng", "Tỷ lệ sử dụng"]
    kv1 = next(x for x in rows if x[1] == "HN-KV1")
    assert kv1[5] == "1/1" and kv1[6] == "2"
    assert env.client.get(f"{S}/export", params={"table": "x"}, headers=env.h("admin")).status_code == 422
    assert env.client.get(f"{S}/export", headers=env.h("judge1")).status_code == 403


def test_pages_are_reused_for_the_cache_time_only(env):
    """The API's cache serves the same page within its TTL, per scope and filters; a
    StatisticsCache with a short TTL recomputes once it has passed, and TTL 0 never caches."""

    from assistant.kb.models import User
    from assistant.kb.services.stats import StatisticsCache

    assert env.client.app.state.stats_cache.ttl > 0
    before = get(env, ref="2025-05-15")["totals"]["asked"]
    with env.session() as s:
        s.add(UsageEvent(user_id=env.users["judge1"], court_id=env.courts["HN-KV1"],
                         created_at=vn(5, 16, 10), query="thời hiệu khởi kiện", returned_ids=[],
                         best_score=0.9, latency_ms=5, answered=True))
    assert get(env, ref="2025-05-15")["totals"]["asked"] == before  # same page, cached
    assert get(env, ref="2025-05-16")["totals"]["asked"] == before + 1  # other filters: fresh
    # another viewer's page is computed for them (Hà Nội's May: U1, U2, U3 and the new ask)
    assert get(env, "hnadmin", ref="2025-05-17")["totals"]["asked"] == 4
    with env.session() as s:
        admin = s.get(User, env.users["admin"])
        now = [100.0]
        short = StatisticsCache(ttl=0.2, clock=lambda: now[0])
        first = short.page(s, admin, ref=vn(5, 15).date())
        now[0] += 0.19
        assert short.page(s, admin, ref=vn(5, 15).date()) is first
        now[0] += 0.02
        assert short.page(s, admin, ref=vn(5, 15).date()) is not first
        small = StatisticsCache(ttl=60, size=2)  # fresh pages still make room for new ones
        for day in (15, 16, 17):
            small.page(s, admin, ref=vn(5, day).date())
        assert len(small._pages) == 2
        off = StatisticsCache(ttl=0)
        assert off.page(s, admin, ref=vn(5, 15).date()) is not off.page(s, admin, ref=vn(5, 15).date())
        assert off.page(s, admin, ref=vn(5, 15).date())["totals"]["asked"] == before + 1
