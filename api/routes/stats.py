"""Statistics for court leaders and their CSV/XLSX export."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from api.deps import MAX_ID, SessionDep, StatsCacheDep, StatsUser
from assistant.kb.services import stats as svc

router = APIRouter(prefix="/stats", tags=["Thống kê"])

Period = Literal["month", "quarter", "half", "year", "custom"]


def _compute(cache, user, session, court_id, field, period, ref, date_from, date_to, judges_limit=None):
    return cache.page(session, user, court_id=court_id, field=field, period=period,
                      ref=ref, date_from=date_from, date_to=date_to, judges_limit=judges_limit)


@router.get("", summary="Thống kê sử dụng và đóng góp",
            description="Lọc theo Tòa án (gồm cấp dưới), lĩnh vực và kỳ: month (tháng), "
                        "quarter (quý), half (6 tháng), year (năm), custom (date_from–date_to). "
                        "`ref` chọn kỳ chứa ngày đó (mặc định hôm nay).")
def statistics(user: StatsUser, session: SessionDep, cache: StatsCacheDep,
               court_id: int | None = Query(None, ge=1, le=MAX_ID),
               field: str | None = Query(None, max_length=64),
               period: Period = Query("month"), ref: date | None = None,
               date_from: date | None = None, date_to: date | None = None) -> dict:
    return _compute(cache, user, session, court_id, field, period, ref, date_from, date_to,
                    judges_limit=svc.PAGE_JUDGES)


def _disposition(ascii_name: str, name: str) -> str:
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


@router.get("/export", summary="Xuất thống kê (csv hoặc xlsx)",
            description="xlsx: một sheet cho mỗi bảng; csv: một bảng (`table`).",
            responses={200: {"description": "Tệp xuất.", "content": {
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}})
def export(user: StatsUser, session: SessionDep, cache: StatsCacheDep,
           format: Literal["csv", "xlsx"] = Query("xlsx"),
           table: Literal["judges", "courts", "months", "most_asked", "unanswered"] = "judges",
           court_id: int | None = Query(None, ge=1, le=MAX_ID),
           field: str | None = Query(None, max_length=64),
           period: Period = Query("month"), ref: date | None = None,
           date_from: date | None = None, date_to: date | None = None) -> Response:
    stats = _compute(cache, user, session, court_id, field, period, ref, date_from, date_to)
    if format == "csv":
        return Response(svc.stats_csv(stats, table), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": _disposition(*svc.export_filename(stats, "csv", table))})
    # streamed to a temporary file (bounded memory), sent from disk, removed afterwards
    tmp = tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False)
    tmp.close()
    svc.stats_xlsx(stats, tmp.name)
    return FileResponse(
        tmp.name, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": _disposition(*svc.export_filename(stats, "xlsx"))},
        background=BackgroundTask(os.unlink, tmp.name))
