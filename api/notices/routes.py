"""Notices over HTTP: what the widget shows (``GET /api/notices``, public) and the editors' pages
(``/staff/notices``: list, create, edit, withdraw; editor role, admins pass).

The rules live in knowledge/notices/service.py (which notices fit a unit and a procedure, checks,
audit); this module only translates. Server-rendered forms that work without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from api.deps import EditorUser, SessionDep
from api.notices.forms import FIELD_LABELS, NoticeForm
from api.staff.security import StaffPrincipal
from api.staff.templating import render
from core.db import utcnow
from knowledge.notices import service
from knowledge.notices.models import SEVERITIES, SEVERITY_LABELS
from knowledge.units.models import AdministrativeUnit
from servicedesk.conversations.units import official_unit

router = APIRouter()

LIST_URL = "/staff/notices"
MAX_UNIT_CHARS = 120  # as the widget's data-unit (api/chat/schemas.py)
DONE = {
    "created": "Đã đăng thông báo.",
    "saved": "Đã lưu thông báo.",
    "unchanged": "Không có thay đổi nào.",
    "withdrawn": "Đã gỡ thông báo: người dân không còn thấy nó.",
}


# --- public: the notices of a unit ----------------------------------------------------------------


class UnitInfo(BaseModel):
    code: str = Field(description="Official code of the current unit")
    name: str
    province: str


class PublicNotice(BaseModel):
    id: int
    title: str
    body: str
    severity: str = Field(description="info | warning")
    ends_at: dt.datetime = Field(description="When it stops showing (UTC)")
    until: str = Field(description="The same in Vietnamese, Vietnam time: “đến hết ngày 02/09/2026”")
    text: str = Field(description="The notice as the assistant says it")


class NoticesResponse(BaseModel):
    unit: UnitInfo | None = Field(description="The unit the page's text names, or null when it names none")
    notices: list[PublicNotice]


def unit_info(session: Session, text: str | None) -> UnitInfo | None:
    unit = official_unit(session, text)
    return UnitInfo(code=unit.code, name=unit.name, province=unit.province_name) if unit else None


@router.get("/api/notices", response_model=NoticesResponse, tags=["notices"])
def public_notices(
    session: SessionDep,
    response: Response,
    unit: Annotated[
        str | None,
        Query(max_length=MAX_UNIT_CHARS, description="Mã đơn vị, hoặc tên xã/phường hiện hành hay trước sáp nhập"),
    ] = None,
    procedure: Annotated[str | None, Query(max_length=32, description="Mã thủ tục, nếu hỏi về một thủ tục")] = None,
) -> NoticesResponse:
    """The notices valid now for the widget's unit (its data-unit: a code or a current or former
    name). Notices for chosen units show only with one of them; without a recognised unit, only
    the notices for every unit."""
    found = unit_info(session, unit)
    notices = service.active_notices(session, unit_code=found.code if found else None, procedure_code=procedure)
    response.headers["Cache-Control"] = "public, max-age=60"
    return NoticesResponse(
        unit=found,
        notices=[
            PublicNotice(
                id=n.id,
                title=n.title,
                body=n.body,
                severity=n.severity,
                ends_at=n.ends_at,
                until=service.until_text(n.ends_at),
                text=service.notice_text(n),
            )
            for n in notices
        ],
    )


# --- editors' pages -------------------------------------------------------------------------------


async def _form_data(request: Request) -> FormData:
    return await request.form()


Posted = Annotated[FormData, Depends(_form_data)]


def _page(
    request: Request, template: str, user: StaffPrincipal, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return render(
        request,
        f"notices/templates/{template}",
        user,
        status_code=status_code,
        notice_done=DONE.get(request.query_params.get("done", "")),
        severities=SEVERITIES,
        severity_labels=SEVERITY_LABELS,
        status_labels=service.STATUS_LABELS,
        **context,
    )


def _unit_names(session: Session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = session.execute(
        select(AdministrativeUnit.code, AdministrativeUnit.name, AdministrativeUnit.level).where(
            AdministrativeUnit.code.in_(codes), AdministrativeUnit.status == "current"
        )
    )
    return {code: name for code, name, _level in rows}


def _local(moment: dt.datetime) -> str:
    return f"{service.vietnam_time(moment):%H:%M %d/%m/%Y}"


@router.get(LIST_URL, response_class=HTMLResponse, include_in_schema=False)
def notice_list(request: Request, user: EditorUser, session: SessionDep) -> HTMLResponse:
    notices = service.list_notices(session)
    now = utcnow()
    names = _unit_names(session, {code for n in notices for code in n.unit_codes or []})
    rows = [
        {
            "notice": n,
            "status": service.status_of(n, now),
            "starts": _local(n.starts_at),
            "until": service.until_text(n.ends_at),
            "units": [f"{names.get(c, c)} ({c})" for c in n.unit_codes or []],
        }
        for n in notices
    ]
    return _page(request, "notices_list.html", user, rows=rows)


def _form_page(
    request: Request,
    user: StaffPrincipal,
    form: NoticeForm,
    *,
    notice_id: int | None,
    status_code: int = 200,
    problem: str | None = None,
) -> HTMLResponse:
    return _page(
        request,
        "notice_form.html",
        user,
        status_code=status_code,
        form=form,
        notice_id=notice_id,
        problem=problem,
    )


def _refused(form: NoticeForm, exc: service.NoticeInvalid) -> str | None:
    """Puts the service's message beside its field; returns it when it belongs to no field."""
    name = {"ends_at": "ends_date", "starts_at": "starts_date"}.get(exc.field or "", exc.field or "")
    if name in FIELD_LABELS:
        form.errors[name] = exc.message
        return None
    return exc.message


def _not_found(request: Request, user: StaffPrincipal, exc: service.NoticeNotFound) -> HTMLResponse:
    return render(
        request,
        "admin/templates/message.html",
        user,
        status_code=404,
        title="Không tìm thấy",
        message=exc.message,
        back=LIST_URL,
    )


@router.get(LIST_URL + "/new", response_class=HTMLResponse, include_in_schema=False)
def notice_new(request: Request, user: EditorUser) -> HTMLResponse:
    return _form_page(request, user, NoticeForm.blank(), notice_id=None)


@router.post(LIST_URL + "/new", response_class=HTMLResponse, include_in_schema=False)
def notice_create(request: Request, user: EditorUser, session: SessionDep, posted: Posted) -> Response:
    form = NoticeForm.from_form(posted)
    fields = form.to_fields()
    if fields is None:
        return _form_page(request, user, form, notice_id=None, status_code=422)
    try:
        service.create_notice(session, actor=user, **fields)
        session.commit()
    except service.NoticeInvalid as exc:
        session.rollback()
        problem = _refused(form, exc)
        return _form_page(request, user, form, notice_id=None, status_code=422, problem=problem)
    return RedirectResponse(f"{LIST_URL}?done=created", status_code=303)


@router.get(LIST_URL + "/{notice_id}/edit", response_class=HTMLResponse, include_in_schema=False)
def notice_edit(request: Request, user: EditorUser, session: SessionDep, notice_id: int) -> HTMLResponse:
    try:
        notice = service.get_notice(session, notice_id)
    except service.NoticeNotFound as exc:
        return _not_found(request, user, exc)
    problem = "Thông báo này đã gỡ nên không sửa được nữa." if notice.withdrawn_at else None
    return _form_page(request, user, NoticeForm.from_notice(notice), notice_id=notice_id, problem=problem)


@router.post(LIST_URL + "/{notice_id}/edit", response_class=HTMLResponse, include_in_schema=False)
def notice_save(request: Request, user: EditorUser, session: SessionDep, posted: Posted, notice_id: int) -> Response:
    form = NoticeForm.from_form(posted)
    fields = form.to_fields()
    if fields is None:
        return _form_page(request, user, form, notice_id=notice_id, status_code=422)
    try:
        _, changed = service.update_notice(session, notice_id, actor=user, **fields)
        session.commit()
    except service.NoticeNotFound as exc:
        session.rollback()
        return _not_found(request, user, exc)
    except service.NoticeInvalid as exc:
        session.rollback()
        problem = _refused(form, exc)
        return _form_page(request, user, form, notice_id=notice_id, status_code=422, problem=problem)
    return RedirectResponse(f"{LIST_URL}?done={'saved' if changed else 'unchanged'}", status_code=303)


@router.post(LIST_URL + "/{notice_id}/withdraw", response_class=HTMLResponse, include_in_schema=False)
def notice_withdraw(request: Request, user: EditorUser, session: SessionDep, notice_id: int) -> Response:
    try:
        service.withdraw_notice(session, notice_id, actor=user)
        session.commit()
    except service.NoticeNotFound as exc:
        session.rollback()
        return _not_found(request, user, exc)
    return RedirectResponse(f"{LIST_URL}?done=withdrawn", status_code=303)
