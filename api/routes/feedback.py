"""Feedback on answers and articles ("hữu ích?")."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import MAX_ID, CurrentUser, ReviewerUser, SearchOptDep, SessionDep
from api.schemas import FeedbackIn, FeedbackOut
from assistant.kb.services import feedback as svc

router = APIRouter(prefix="/feedback", tags=["Đánh giá"])


@router.post("", response_model=FeedbackOut, status_code=201, summary="Gửi đánh giá",
             description="Cho một câu trả lời (`entry_id`) hoặc một điều luật (`article_id`).")
def give(body: FeedbackIn, user: CurrentUser, session: SessionDep,
         search: SearchOptDep) -> FeedbackOut:
    fb = svc.give_feedback(session, search, user, **body.model_dump())
    return FeedbackOut.model_validate(fb)


@router.get("", response_model=list[FeedbackOut], summary="Xem đánh giá (người duyệt)")
def list_feedback(user: ReviewerUser, session: SessionDep,
                  entry_id: int | None = Query(None, ge=1, le=MAX_ID),
                  helpful: bool | None = None,
                  limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=MAX_ID)
                  ) -> list[FeedbackOut]:
    return [FeedbackOut.model_validate(f).model_copy(
                update={"user_name": f.user.full_name if f.user else None,
                        "entry_question": f.entry.question if f.entry else None})
            for f in svc.list_feedback(session, user, entry_id=entry_id, helpful=helpful,
                                       limit=limit, offset=offset)]
