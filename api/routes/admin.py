"""Courts and users administration (admin; court admins for their own courts' users)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, UploadFile

from api.deps import AdminUser, CurrentUser, ItemId, ManagerUser, SessionDep, SettingsDep
from api.schemas import (
    CourtImportOut,
    CourtIn,
    CourtOut,
    CourtUpdateIn,
    UserCreateIn,
    UserOut,
    UserUpdateIn,
)
from assistant.kb.errors import InvalidInput
from assistant.kb.services import courts as court_svc
from assistant.kb.services import users as user_svc

router = APIRouter(tags=["Quản trị"])


@router.get("/courts", response_model=list[CourtOut], summary="Danh sách Tòa án")
def list_courts(_: CurrentUser, session: SessionDep) -> list[CourtOut]:
    return [CourtOut.model_validate(c) for c in court_svc.list_courts(session)]


@router.post("/courts", response_model=CourtOut, status_code=201, summary="Thêm Tòa án")
def create_court(body: CourtIn, _: AdminUser, session: SessionDep) -> CourtOut:
    return CourtOut.model_validate(court_svc.create_court(session, **body.model_dump()))


@router.patch("/courts/{court_id}", response_model=CourtOut, summary="Sửa Tòa án")
def update_court(court_id: ItemId, body: CourtUpdateIn, _: AdminUser,
                 session: SessionDep) -> CourtOut:
    return CourtOut.model_validate(court_svc.update_court(
        session, court_id, **body.model_dump(exclude_unset=True)))


@router.post("/courts/import", response_model=CourtImportOut, summary="Nhập Tòa án từ CSV",
             description="Cột: code, name, level, parent_code, province; Tòa cấp trên đứng trước.")
def import_courts(_: AdminUser, session: SessionDep, settings: SettingsDep,
                  file: Annotated[UploadFile, File()]) -> CourtImportOut:
    data = file.file.read(settings.upload_max_bytes + 1)
    if len(data) > settings.upload_max_bytes or not data:
        raise InvalidInput("Tệp rỗng hoặc quá lớn.")
    report = court_svc.import_courts_csv(session, data)
    return CourtImportOut(created=report.created, errors=report.errors)


@router.get("/users", response_model=list[UserOut], summary="Danh sách người dùng")
def list_users(user: ManagerUser, session: SessionDep) -> list[UserOut]:
    return [UserOut.of(u) for u in user_svc.list_users(session, user)]


@router.post("/users", response_model=UserOut, status_code=201, summary="Tạo người dùng")
def create_user(body: UserCreateIn, user: ManagerUser, session: SessionDep) -> UserOut:
    return UserOut.of(user_svc.create_user(session, actor=user, **body.model_dump()))


@router.patch("/users/{user_id}", response_model=UserOut, summary="Sửa / khóa người dùng")
def update_user(user_id: ItemId, body: UserUpdateIn, user: ManagerUser,
                session: SessionDep) -> UserOut:
    return UserOut.of(user_svc.update_user(session, user, user_id,
                                           **body.model_dump(exclude_unset=True)))
