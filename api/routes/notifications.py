"""The signed-in user's notification inbox: list (paged), unread count for the header
badge, mark one or all as read. Every route sees only the caller's own notifications."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query

from api.deps import MAX_ID, CurrentUser, SessionDep
from api.schemas import MarkedOut, NotificationListOut, NotificationOut, UnreadOut
from assistant.kb.models import NOTIFICATION_KINDS
from assistant.kb.services import notifications as svc

router = APIRouter(prefix="/notifications", tags=["Thông báo"])


def _out(n) -> NotificationOut:
    return NotificationOut(id=n.id, kind=n.kind, title=NOTIFICATION_KINDS.get(n.kind, n.kind),
                           message=n.message, entry_id=n.entry_id, unanswered_id=n.unanswered_id,
                           actor_name=n.actor.full_name if n.actor else None,
                           created_at=n.created_at, read_at=n.read_at)


@router.get("", response_model=NotificationListOut, summary="Thông báo của tôi",
            description="Mới nhất trước; `unread=true` chỉ lấy thông báo chưa đọc.")
def list_notifications(user: CurrentUser, session: SessionDep,
                       unread: bool = Query(False, description="Chỉ thông báo chưa đọc."),
                       limit: int = Query(20, ge=1, le=100),
                       offset: int = Query(0, ge=0, le=MAX_ID)) -> NotificationListOut:
    items, total, unread_n = svc.list_notifications(session, user, unread_only=unread,
                                                    limit=limit, offset=offset)
    return NotificationListOut(total=total, unread=unread_n, items=[_out(n) for n in items])


@router.get("/unread-count", response_model=UnreadOut, summary="Số thông báo chưa đọc",
            description="Cho huy hiệu trên thanh tiêu đề.")
def unread_count(user: CurrentUser, session: SessionDep) -> UnreadOut:
    return UnreadOut(unread=svc.unread_count(session, user))


@router.post("/read-all", response_model=MarkedOut, summary="Đánh dấu tất cả đã đọc")
def read_all(user: CurrentUser, session: SessionDep) -> MarkedOut:
    return MarkedOut(updated=svc.mark_all_read(session, user))


@router.post("/{notification_id}/read", response_model=NotificationOut,
             summary="Đánh dấu một thông báo đã đọc",
             description="Thông báo của người khác → 404.")
def read_one(user: CurrentUser, session: SessionDep,
             notification_id: int = Path(ge=1, le=MAX_ID, description="Mã thông báo.")
             ) -> NotificationOut:
    return _out(svc.mark_read(session, user, notification_id))
