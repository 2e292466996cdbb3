"""Personal checklists for citizens: save one (``POST /api/checklists``), read it as JSON, as a
printable page (``/checklists/{token}``) and as a PDF (``/checklists/{token}.pdf``).

The token is the only key: unguessable, kept ``checklist_retention_days``; the page holds no
personal data (answers about the case, a commune), so it can be opened on any device or printed
at the centre. The rules are in knowledge/checklists/service.py; this module only translates."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ConfigDict, Field

from api.checklists.pdf import checklist_pdf, plain_text
from api.deps import ContextDep, SessionDep
from api.errors import error_responses
from knowledge.checklists import service as checklists
from knowledge.procedures import service as procedures

router = APIRouter(tags=["checklists"])

TEMPLATES = Path(__file__).resolve().parent / "templates"
Token = Annotated[str, PathParam(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
VIETNAM = dt.timezone(dt.timedelta(hours=7))


class ChecklistRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    procedure_code: str = Field(min_length=1, max_length=64, description="Mã thủ tục, ví dụ 1.001193")
    answers: dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=40)]] = Field(
        default_factory=dict,
        max_length=checklists.MAX_ANSWERS,
        description='Mã câu hỏi → mã lựa chọn, hoặc "skip" khi bỏ qua; câu "_channel" là cách nộp',
    )
    unit_code: str | None = Field(default=None, max_length=8, description="Mã xã/phường hiện hành (nơi nộp)")


class ChecklistCreated(BaseModel):
    token: str
    url: str
    pdf_url: str


class ChecklistBody(BaseModel):
    token: str
    url: str
    pdf_url: str
    created_at: dt.datetime
    expires_at: dt.datetime
    procedure_changed: bool
    changed_note: str | None
    checklist: dict[str, Any]


@lru_cache
def _environment() -> Environment:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    environment.filters["plain"] = plain_text  # no emoji: the page's font has none, nor have printers
    return environment


def _local(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=dt.UTC).astimezone(VIETNAM).strftime("%d/%m/%Y")


@router.post(
    "/api/checklists",
    response_model=ChecklistCreated,
    status_code=201,
    responses=error_responses(404, 422, s404="Không có thủ tục mã này"),
)
def create_checklist(body: ChecklistRequest, session: SessionDep, context: ContextDep) -> ChecklistCreated:
    procedure = procedures.get_by_code(session, body.procedure_code)
    if procedure is None:
        raise procedures.ProcedureNotFoundError(body.procedure_code)
    saved = checklists.save_checklist(
        session, procedure, body.answers, unit_code=body.unit_code, settings=context.settings
    )
    session.commit()
    settings = context.settings
    return ChecklistCreated(
        token=saved.token,
        url=checklists.checklist_url(settings, saved.token),
        pdf_url=checklists.pdf_url(settings, saved.token),
    )


@router.get(
    "/api/checklists/{token}",
    response_model=ChecklistBody,
    responses=error_responses(404, s404="Không có danh sách này hoặc đã hết hạn"),
)
def read_checklist(token: Token, session: SessionDep, context: ContextDep) -> ChecklistBody:
    view = checklists.open_saved(session, token)
    settings = context.settings
    return ChecklistBody(
        token=token,
        url=checklists.checklist_url(settings, token),
        pdf_url=checklists.pdf_url(settings, token),
        created_at=view.saved.created_at,
        expires_at=view.saved.expires_at,
        procedure_changed=view.changed,
        changed_note=view.changed_note,
        checklist=view.checklist.to_dict(),
    )


# Declared before the page: "/checklists/{token}" would otherwise take "abc.pdf" as a token.
@router.get("/checklists/{token}.pdf", include_in_schema=False)
def checklist_as_pdf(token: Token, session: SessionDep, context: ContextDep) -> Response:
    view = checklists.open_saved(session, token)
    content = checklist_pdf(view, checklists.checklist_url(context.settings, token))
    filename = f"danh-sach-giay-to-{view.checklist.procedure_code}.pdf"
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f"inline; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "private, max-age=300",
        },
    )


@router.get("/checklists/{token}", response_class=HTMLResponse, include_in_schema=False)
def checklist_page(token: Token, session: SessionDep) -> HTMLResponse:
    view = checklists.open_saved(session, token)
    page = (
        _environment()
        .get_template("checklist_print.html")
        .render(
            view=view,
            c=view.checklist,
            pdf_href=f"/checklists/{token}.pdf",
            created=_local(view.saved.created_at),
            expires=_local(view.saved.expires_at),
        )
    )
    return HTMLResponse(page, headers={"Cache-Control": "private, max-age=300"})
