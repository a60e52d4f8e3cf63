"""Thư viện: approved entries by lĩnh vực and tag, one entry per page, and suggestions
of approved questions while the judge types (cheap: no search engine, no usage event)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import MAX_ID, CurrentUser, EntryId, SessionDep
from api.schemas import LibraryEntryOut, LibraryListOut, SuggestionOut
from assistant.kb.services import library as svc
from assistant.kb.services.qa import normalise_field

router = APIRouter(prefix="/library", tags=["Thư viện"])


@router.get("", response_model=LibraryListOut, summary="Duyệt các câu hỏi – trả lời đã duyệt",
            description="Lọc theo lĩnh vực, thẻ và từ ngữ; kèm số câu theo lĩnh vực và theo thẻ.")
def browse(user: CurrentUser, session: SessionDep,
           field: str | None = Query(None, max_length=64, description="Lĩnh vực."),
           tag: str | None = Query(None, max_length=64, description="Thẻ."),
           q: str | None = Query(None, max_length=200, description="Từ ngữ trong câu hỏi."),
           limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0, le=MAX_ID)
           ) -> LibraryListOut:
    items, total, fields, tags = svc.browse(
        session, field=normalise_field(field) if field else None,
        tag=tag.strip().lower() if tag and tag.strip() else None, text=q, limit=limit, offset=offset)
    return LibraryListOut(total=total, items=[LibraryEntryOut.of(e) for e in items],
                          fields=fields, tags=tags)


@router.get("/suggest", response_model=list[SuggestionOut],
            summary="Gợi ý câu hỏi đã duyệt khi đang gõ",
            description="Câu hỏi đã duyệt chứa mọi từ đã gõ (từ cuối có thể chưa gõ hết), có "
                        "dấu hay không dấu. Không tính là một lượt hỏi.")
def suggest(user: CurrentUser, session: SessionDep,
            q: str = Query(min_length=1, max_length=200, description="Phần câu hỏi đã gõ."),
            limit: int = Query(svc.MAX_SUGGESTIONS, ge=1, le=svc.MAX_SUGGESTIONS)
            ) -> list[SuggestionOut]:
    return [SuggestionOut(entry_id=r.id, question=r.question, field=r.field, url=f"/thu-vien/{r.id}")
            for r in svc.suggest(session, q, limit)]


@router.get("/{entry_id}", response_model=LibraryEntryOut, summary="Một câu hỏi – trả lời đã duyệt")
def entry(entry_id: EntryId, user: CurrentUser, session: SessionDep) -> LibraryEntryOut:
    return LibraryEntryOut.of(svc.approved_entry(session, entry_id))
