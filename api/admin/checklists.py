"""The editors' checklist page of a procedure (``/staff/procedures/{code}/checklist``): the
questions that tell the source's cases apart, and for each document which answers make it apply.

Saved through knowledge/checklists/editing.py as a new procedure version (audited
``procedure.checklist``, refused when someone saved since), like every other procedure edit."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from api.deps import EditorUser, SessionDep
from api.staff.security import StaffPrincipal
from api.staff.templating import render
from knowledge.checklists import editing
from knowledge.checklists import service as checklists
from knowledge.procedures import service as procedures
from knowledge.procedures.models import CHANNEL_LABELS, DOCUMENT_KIND_LABELS, Procedure

router = APIRouter(tags=["staff: knowledge admin"], include_in_schema=False)

NOTICES = {
    "saved": "Đã lưu câu hỏi: thủ tục có phiên bản mới (xem trong lịch sử).",
    "unchanged": "Không có thay đổi nào nên không tạo phiên bản mới.",
}


async def _form_data(request: Request) -> FormData:
    return await request.form()


Posted = Annotated[FormData, Depends(_form_data)]


def _url(code: str) -> str:
    return f"/staff/procedures/{quote(code, safe='')}/checklist"


def _page(
    request: Request,
    user: StaffPrincipal,
    procedure: Procedure,
    *,
    questions: str,
    rules: list[str],
    form_urls: list[str],
    version: int,
    problems: list[str] | None = None,
    note: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "admin/templates/checklist_edit.html",
        user,
        status_code=status_code,
        procedure=procedure,
        questions=questions,
        rows=list(zip(procedure.documents, rules, form_urls, strict=True)),
        version=version,
        problems=problems or [],
        change_note=note,
        notice=NOTICES.get(request.query_params.get("done", "")),
        kind_labels=DOCUMENT_KIND_LABELS,
        channel_kinds=[(k, CHANNEL_LABELS.get(k, k)) for k in checklists.channel_kinds(procedure)],
        channel_key=checklists.CHANNEL_QUESTION,
        preview=checklists.questions(procedure),
    )


def _not_found(request: Request, user: StaffPrincipal, code: str) -> HTMLResponse:
    return render(
        request,
        "admin/templates/message.html",
        user,
        status_code=404,
        title="Không tìm thấy",
        message=f"Không có thủ tục mã {code} trong kho tri thức.",
    )


@router.get("/staff/procedures/{code}/checklist", response_class=HTMLResponse)
def checklist_edit(request: Request, user: EditorUser, session: SessionDep, code: str) -> HTMLResponse:
    procedure = procedures.get_by_code(session, code, include_unpublished=True)
    if procedure is None:
        return _not_found(request, user, code)
    return _page(
        request,
        user,
        procedure,
        questions=editing.questions_text(procedure.checklist_questions or []),
        rules=[editing.rule_text(d.applies_when) for d in procedure.documents],
        form_urls=[d.form_url or "" for d in procedure.documents],
        version=procedures.current_version(procedure),
    )


@router.post("/staff/procedures/{code}/checklist", response_class=HTMLResponse)
def checklist_save(request: Request, user: EditorUser, session: SessionDep, posted: Posted, code: str) -> Response:
    procedure = procedures.get_by_code(session, code, include_unpublished=True)
    if procedure is None:
        return _not_found(request, user, code)
    count = len(procedure.documents)
    questions_text = str(posted.get("questions") or "")
    rules_text = [str(posted.get(f"rule-{i}") or "") for i in range(count)]
    urls_text = [str(posted.get(f"form_url-{i}") or "").strip() for i in range(count)]
    note = str(posted.get("change_note") or "").strip()
    try:
        version = int(str(posted.get("version") or ""))
    except ValueError:
        version = procedures.current_version(procedure)

    def again(problems: list[str], status_code: int) -> HTMLResponse:
        session.rollback()
        return _page(
            request,
            user,
            procedure,
            questions=questions_text,
            rules=rules_text,
            form_urls=urls_text,
            version=version,
            problems=problems,
            note=note,
            status_code=status_code,
        )

    try:
        questions = editing.parse_questions(questions_text)
        rules: dict[int, dict[str, Any] | None] = {}
        problems: list[str] = []
        for i, text in enumerate(rules_text):
            try:
                rules[i] = editing.parse_rule(text, f"giấy tờ {i + 1}")
            except editing.ChecklistEditInvalid as exc:
                problems += exc.problems
        if problems:
            raise editing.ChecklistEditInvalid(problems)
        outcome = editing.save_mapping(
            session,
            procedure.code,
            questions=questions,
            rules=rules,
            form_urls={i: url or None for i, url in enumerate(urls_text)},
            actor=user,
            expected_version=version,
            note=note or None,
        )
        session.commit()
    except editing.ChecklistEditInvalid as exc:
        return again(exc.problems, 422)
    except procedures.StaleVersionError as exc:
        return again([str(exc)], 409)
    return RedirectResponse(_url(procedure.code) + f"?done={'saved' if outcome.changed else 'unchanged'}", 303)
