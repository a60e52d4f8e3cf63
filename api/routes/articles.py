"""Legal articles for the web pages: citation autocomplete in the contribution and review
forms, and the full text behind "xem toàn văn".

Why here, under /api/v1 and in the OpenAPI schema (they used to be hidden routes of the
web router): they return JSON to any signed-in caller, so they are part of the API
contract — documented, and fuzzed by tests/api/test_fuzz_api.py like every other route.
"""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import CurrentUser, SearchDep
from api.schemas import UIArticleOut
from assistant.kb.errors import NotFound

router = APIRouter(prefix="/ui/articles", tags=["Giao diện web"])

MAX_ARTICLE_ID = 64  # longer than any id of the pháp điển or of an uploaded document


@router.get("", response_model=list[UIArticleOut], summary="Gợi ý điều luật khi trích dẫn",
            description="Tám điều luật gần nhất với từ ngữ đã gõ (ô trích dẫn của biểu mẫu đóng góp "
                        "và duyệt).")
def article_suggestions(_: CurrentUser, search: SearchDep,
                        q: str = Query(min_length=2, max_length=200, description="Từ ngữ đã gõ.")
                        ) -> list[UIArticleOut]:
    return [UIArticleOut.of(a) for a in search.search_articles(q, top_k=8)]


@router.get("/{article_id:path}", response_model=UIArticleOut, summary="Toàn văn một điều luật",
            description="Mã điều luật có thể chứa dấu '/' và ':' (điều luật của văn bản tải lên, "
                        "ví dụ `326/2016/UBTVQH14:12`).")
def article(article_id: str, _: CurrentUser, search: SearchDep) -> UIArticleOut:
    found = search.get_article(article_id) if 0 < len(article_id) <= MAX_ARTICLE_ID else None
    if found is None:
        raise NotFound("Không tìm thấy điều luật.")
    return UIArticleOut.of(found)
