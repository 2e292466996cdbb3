"""Knowledge admin pages (editors; admins pass): procedures (list, view, edit, create, history,
diff, revert, publish), the queue of records to check (quality flags, an editor's confirmation),
import with preview, service centres.

Server-rendered forms that work without JavaScript; admin.js only adds rows and confirmations.
Every change goes through a knowledge service that writes the version and the audit entry in the
same transaction; this module only translates between HTTP and those services.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from api.admin.checklists import router as checklists_router
from api.admin.forms import (
    CHANNEL_FIELD_LABELS,
    CHANNEL_OPTIONS,
    DEADLINE_KIND_OPTIONS,
    DOCUMENT_OPTIONS,
    FEE_KIND_OPTIONS,
    CentreForm,
    ProcedureForm,
)
from api.deps import EditorUser, SessionDep
from api.staff.security import StaffPrincipal
from api.staff.templating import render
from core.pagination import Page
from knowledge.centres import service as centres
from knowledge.checklists import editing as checklist_editing
from knowledge.importer import staging
from knowledge.importer.limits import MAX_ROWS, ImportLimitError, grouped
from knowledge.importer.rows import ImportFileError
from knowledge.importer.service import STATUS_LABELS
from knowledge.procedures import history, quality
from knowledge.procedures import service as procedures
from knowledge.procedures.facts import DEADLINE_KIND_LABELS, FEE_KIND_LABELS, QUALITY_FLAG_KINDS
from knowledge.procedures.models import CHANNEL_LABELS, DOCUMENT_KIND_LABELS, LEVEL_LABELS, LEVELS

router = APIRouter(tags=["staff: knowledge admin"], include_in_schema=False)
router.include_router(checklists_router)  # /staff/procedures/{code}/checklist (api/admin/checklists.py)


async def _form_data(request: Request) -> FormData:
    # Read in the event loop, so that the handlers can stay plain functions (run in the thread
    # pool) while they talk to the database.
    return await request.form()


Posted = Annotated[FormData, Depends(_form_data)]
PER_PAGE = 50
QUEUE_URL = "/staff/procedures/quality"  # records to check ("Cần kiểm tra")
ORIGIN_LABELS = {"seed": "tệp đã duyệt", "import": "nhập từ tệp", "admin": "biên tập viên"}
# Outcomes shown after a redirect: fixed texts chosen by key, so no user text travels in URLs.
NOTICES = {
    "saved": "Đã lưu: thủ tục có phiên bản mới.",
    "unchanged": "Không có thay đổi nào nên không tạo phiên bản mới.",
    "created": "Đã tạo thủ tục. Thủ tục chưa xuất bản thì công dân chưa thấy.",
    "created-published": "Đã tạo và xuất bản thủ tục.",
    "reverted": "Đã khôi phục: nội dung cũ được lưu thành một phiên bản mới.",
    "published": "Đã xuất bản: trợ lý trả lời công dân về thủ tục này.",
    "unpublished": "Đã ngừng xuất bản: trợ lý không còn trả lời công dân về thủ tục này.",
    "centre-saved": "Đã lưu trung tâm.",
    "centre-created": "Đã thêm trung tâm.",
    "centre-unchanged": "Không có thay đổi nào.",
    "confirmed": "Đã xác nhận đã kiểm tra: cảnh báo được gỡ, thủ tục có phiên bản mới (ghi trong lịch sử).",
    "confirm-unchanged": "Thủ tục này không còn cảnh báo nào nên không có gì để xác nhận.",
}
LABELS: dict[str, Any] = {
    "levels": LEVEL_LABELS,
    "channels": CHANNEL_LABELS,
    "documents": DOCUMENT_KIND_LABELS,
    "origins": ORIGIN_LABELS,
    "statuses": STATUS_LABELS,
    "fields": history.FIELD_LABELS,
    "fee_kinds": FEE_KIND_LABELS,
    "deadline_kinds": DEADLINE_KIND_LABELS,
    "flags": QUALITY_FLAG_KINDS,
}


def _page(
    request: Request, template: str, user: StaffPrincipal, status_code: int = 200, **context: Any
) -> HTMLResponse:
    notice = NOTICES.get(request.query_params.get("done", ""))
    return render(
        request,
        f"admin/templates/{template}",
        user,
        status_code=status_code,
        notice=notice,
        labels=LABELS,
        fmt=history.format_value,
        **context,
    )


def _redirect(url: str, done: str | None = None) -> RedirectResponse:
    return RedirectResponse(url + (f"?done={done}" if done else ""), status_code=303)


def _url(code: str, suffix: str = "") -> str:
    return f"/staff/procedures/{quote(code, safe='')}{suffix}"


def _not_found(request: Request, user: StaffPrincipal, message: str) -> HTMLResponse:
    return _page(request, "message.html", user, status_code=404, title="Không tìm thấy", message=message)


# --- procedures ----------------------------------------------------------------------------------


@router.get("/staff/procedures", response_class=HTMLResponse)
def procedure_list(
    request: Request,
    user: EditorUser,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    level: Annotated[str, Query(max_length=8)] = "",
    field: Annotated[str, Query(max_length=255)] = "",
    published: Annotated[str, Query(pattern=r"^(|yes|no)$")] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> HTMLResponse:
    result = procedures.browse(
        session,
        query=q,
        level=level if level in LEVELS else None,
        field=field or None,
        published={"yes": True, "no": False}.get(published),
        page=page,
        per_page=PER_PAGE,
    )
    filters = {"q": q, "level": level, "field": field, "published": published}
    return _page(
        request,
        "procedures_list.html",
        user,
        result=result,
        filters=filters,
        all_fields=procedures.fields(session),
        levels=LEVELS,
        query_for=lambda p: _query({**filters, "page": p}),
    )


def _query(params: dict[str, Any]) -> str:
    return "?" + urlencode({k: v for k, v in params.items() if v not in ("", None, 1)})


def _form_page(
    request: Request,
    user: StaffPrincipal,
    form: ProcedureForm,
    *,
    code: str | None,
    status_code: int = 200,
    problem: str | None = None,
    flags: list[quality.FlagView] | None = None,
) -> HTMLResponse:
    return _page(
        request,
        "procedure_form.html",
        user,
        status_code=status_code,
        form=form,
        code=code,
        problem=problem,
        levels=LEVELS,
        channel_options=CHANNEL_OPTIONS,
        document_options=DOCUMENT_OPTIONS,
        fee_kind_options=FEE_KIND_OPTIONS,
        deadline_kind_options=DEADLINE_KIND_OPTIONS,
        channel_field_labels=CHANNEL_FIELD_LABELS,
        flags=flags or [],
    )


# --- records to check: quality flags and an editor's confirmation --------------------------------


@router.get(QUEUE_URL, response_class=HTMLResponse)
def quality_queue(
    request: Request,
    user: EditorUser,
    session: SessionDep,
    kind: Annotated[str, Query(max_length=64)] = "",
    origin: Annotated[str, Query(pattern=r"^(|seed|import|admin)$")] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> HTMLResponse:
    """ "Cần kiểm tra": records with open quality flags, each linking to its edit page, with a
    confirmation once the editor has checked it against the source."""
    kind = kind if kind in QUALITY_FLAG_KINDS else ""
    listed = quality.flagged(
        session, kind=kind or None, origin=origin or None, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    result = Page(listed.rows, listed.total, page, PER_PAGE)
    filters = {"kind": kind, "origin": origin}
    return _page(
        request,
        "quality_queue.html",
        user,
        result=result,
        by_kind=listed.by_kind,
        flags_by_kind=listed.flags_by_kind,
        filters=filters,
        counts=quality.fact_counts(session),
        query_for=lambda p: QUEUE_URL + _query({**filters, "page": p}),
        kind_query=lambda k: QUEUE_URL + _query({"kind": k, "origin": origin}),
        fee_kinds=FEE_KIND_OPTIONS,
        deadline_kinds=DEADLINE_KIND_OPTIONS,
    )


@router.post("/staff/procedures/{code}/confirm", response_class=HTMLResponse)
def procedure_confirm(
    request: Request,
    user: EditorUser,
    session: SessionDep,
    code: str,
    note: Annotated[str, Form()] = "",
    expected_version: Annotated[int | None, Form()] = None,
    back: Annotated[str, Form()] = "",
) -> Response:
    """ "Xác nhận đã kiểm tra": clears the record's open flags (a new version, audited)."""
    back_url = _url(code) if back == "view" else QUEUE_URL
    try:
        outcome = quality.confirm(session, code, user, note or None, expected_version=expected_version)
        session.commit()
    except procedures.ProcedureNotFoundError as exc:
        session.rollback()
        return _not_found(request, user, str(exc))
    except (procedures.StaleVersionError, procedures.AliasConflictError, IntegrityError) as exc:
        session.rollback()
        message = str(exc) if not isinstance(exc, IntegrityError) else _alias_message(exc)
        return _page(
            request,
            "message.html",
            user,
            status_code=409,
            title="Chưa xác nhận được",
            message=message,
            back=back_url,
        )
    return _redirect(back_url, "confirmed" if outcome.changed else "confirm-unchanged")


@router.get("/staff/procedures/new", response_class=HTMLResponse)
def procedure_new(request: Request, user: EditorUser) -> HTMLResponse:
    return _form_page(request, user, ProcedureForm.blank(), code=None)


@router.post("/staff/procedures/new", response_class=HTMLResponse)
def procedure_create(request: Request, user: EditorUser, session: SessionDep, posted: Posted) -> Response:
    form = ProcedureForm.from_form(posted)
    record = form.to_record()
    if record is None:
        return _form_page(request, user, form, code=None, status_code=422)
    try:
        note = form.values.get("change_note") or None
        procedures.create(session, record, actor=user, published=form.published, note=note)
        session.commit()
    except procedures.ProcedureExistsError as exc:
        session.rollback()
        form.errors["code"] = str(exc)
        return _form_page(request, user, form, code=None, status_code=409)
    except (procedures.AliasConflictError, IntegrityError) as exc:
        session.rollback()
        form.errors["aliases"] = _alias_message(exc)
        return _form_page(request, user, form, code=None, status_code=409)
    return _redirect(_url(record.code), "created-published" if form.published else "created")


def _alias_message(exc: Exception) -> str:
    if isinstance(exc, procedures.AliasConflictError):
        return str(exc)
    return "Có người vừa lưu cùng lúc hoặc tên gọi đã dùng cho thủ tục khác; hãy tải lại trang rồi thử lại."


@router.get("/staff/procedures/{code}", response_class=HTMLResponse)
def procedure_view(request: Request, user: EditorUser, session: SessionDep, code: str) -> HTMLResponse:
    procedure = procedures.get_by_code(session, code, include_unpublished=True)
    if procedure is None:
        return _not_found(request, user, f"Không có thủ tục mã {code} trong kho tri thức.")
    record = procedures.to_record(procedure)
    return _page(
        request,
        "procedure_view.html",
        user,
        procedure=procedure,
        record=record,
        version=procedures.current_version(procedure),
        latest=procedure.versions[-1] if procedure.versions else None,
        flags=quality.open_flags(procedure),
    )


@router.get("/staff/procedures/{code}/edit", response_class=HTMLResponse)
def procedure_edit(request: Request, user: EditorUser, session: SessionDep, code: str) -> HTMLResponse:
    procedure = procedures.get_by_code(session, code, include_unpublished=True)
    if procedure is None:
        return _not_found(request, user, f"Không có thủ tục mã {code} trong kho tri thức.")
    form = ProcedureForm.from_record(procedures.to_record(procedure), version=procedures.current_version(procedure))
    return _form_page(request, user, form, code=procedure.code, flags=quality.open_flags(procedure))


@router.post("/staff/procedures/{code}/edit", response_class=HTMLResponse)
def procedure_save(request: Request, user: EditorUser, session: SessionDep, posted: Posted, code: str) -> Response:
    procedure = procedures.get_by_code(session, code, include_unpublished=True)
    if procedure is None:
        return _not_found(request, user, f"Không có thủ tục mã {code} trong kho tri thức.")
    form = ProcedureForm.from_form(posted)
    form.values["code"] = procedure.code
    flags = quality.open_flags(procedure)
    record = form.to_record(code=procedure.code)
    if record is None:
        return _form_page(request, user, form, code=procedure.code, status_code=422, flags=flags)
    try:
        outcome = procedures.edit(
            session,
            procedure.code,
            checklist_editing.keep_checklist(procedure, quality.keep_open_flags(procedure, record)),
            actor=user,
            expected_version=form.version,
            note=form.values.get("change_note") or None,
        )
        session.commit()
    except procedures.StaleVersionError as exc:
        session.rollback()
        return _form_page(request, user, form, code=procedure.code, status_code=409, problem=str(exc), flags=flags)
    except (procedures.AliasConflictError, IntegrityError) as exc:
        session.rollback()
        if isinstance(exc, IntegrityError):
            return _form_page(
                request, user, form, code=procedure.code, status_code=409, problem=_alias_message(exc), flags=flags
            )
        form.errors["aliases"] = str(exc)
        return _form_page(request, user, form, code=procedure.code, status_code=409, flags=flags)
    return _redirect(_url(procedure.code), "saved" if outcome.changed else "unchanged")


@router.get("/staff/procedures/{code}/history", response_class=HTMLResponse)
def procedure_history(
    request: Request,
    user: EditorUser,
    session: SessionDep,
    code: str,
    from_version: Annotated[int | None, Query(alias="from", ge=1)] = None,
    to_version: Annotated[int | None, Query(alias="to", ge=1)] = None,
) -> HTMLResponse:
    procedure = procedures.get_by_code(session, code, include_unpublished=True)
    if procedure is None:
        return _not_found(request, user, f"Không có thủ tục mã {code} trong kho tri thức.")
    timeline = history.version_history(procedure, from_version, to_version)
    return _page(
        request,
        "procedure_history.html",
        user,
        procedure=procedure,
        entries=timeline.entries,
        latest=timeline.latest,
        diff=timeline.diff,
        numbers=timeline.numbers,
    )


@router.post("/staff/procedures/{code}/revert/{version}", response_class=HTMLResponse)
def procedure_revert(
    request: Request,
    user: EditorUser,
    session: SessionDep,
    code: str,
    version: int,
    expected_version: Annotated[int | None, Form()] = None,
) -> Response:
    try:
        outcome = procedures.revert(session, code, version, actor=user, expected_version=expected_version)
        session.commit()
    except (procedures.ProcedureNotFoundError, procedures.VersionNotFoundError) as exc:
        session.rollback()
        return _not_found(request, user, str(exc))
    except (procedures.StaleVersionError, procedures.AliasConflictError, IntegrityError, ValueError) as exc:
        session.rollback()
        message = str(exc) if not isinstance(exc, IntegrityError) else _alias_message(exc)
        return _page(
            request,
            "message.html",
            user,
            status_code=409,
            title="Không khôi phục được",
            message=message,
            back=_url(code, "/history"),
        )
    return _redirect(_url(code, "/history"), "reverted" if outcome.changed else "unchanged")


def _set_published(request: Request, user: StaffPrincipal, session: Session, code: str, published: bool) -> Response:
    try:
        procedures.publish(session, code, published, actor=user)
        session.commit()
    except procedures.ProcedureNotFoundError as exc:
        session.rollback()
        return _not_found(request, user, str(exc))
    return _redirect(_url(code), "published" if published else "unpublished")


@router.post("/staff/procedures/{code}/publish", response_class=HTMLResponse)
def procedure_publish(request: Request, user: EditorUser, session: SessionDep, code: str) -> Response:
    return _set_published(request, user, session, code, True)


@router.post("/staff/procedures/{code}/unpublish", response_class=HTMLResponse)
def procedure_unpublish(request: Request, user: EditorUser, session: SessionDep, code: str) -> Response:
    return _set_published(request, user, session, code, False)


# --- import with preview -------------------------------------------------------------------------


def _import_page(
    request: Request, user: StaffPrincipal, *, status_code: int = 200, error: str | None = None, **context: Any
) -> HTMLResponse:
    return _page(
        request,
        "import_upload.html",
        user,
        status_code=status_code,
        error=error,
        max_mb=staging.MAX_UPLOAD_BYTES // (1024 * 1024),
        max_rows=grouped(MAX_ROWS),
        **context,
    )


@router.get("/staff/import", response_class=HTMLResponse)
def import_form(request: Request, user: EditorUser) -> HTMLResponse:
    return _import_page(request, user)


@router.post("/staff/import", response_class=HTMLResponse)
def import_upload(
    request: Request,
    user: EditorUser,
    session: SessionDep,
    file: Annotated[UploadFile | None, File()] = None,
    allow_partial: Annotated[str, Form()] = "",
    overwrite_curated: Annotated[str, Form()] = "",
) -> Response:
    options = staging.ImportOptions(allow_partial=allow_partial == "1", overwrite_curated=overwrite_curated == "1")
    if file is None or not file.filename:
        error = "Hãy chọn một tệp .csv, .xlsx, .json hoặc .jsonl."
        return _import_page(request, user, status_code=422, error=error, options=options)
    try:
        staged = staging.stage_upload(
            session, file.file, file.filename, actor=user, options=options, max_bytes=staging.MAX_UPLOAD_BYTES
        )
    except ImportLimitError as exc:  # too big, too many rows, a zip bomb… (knowledge/importer/limits.py)
        session.rollback()
        return _import_page(request, user, status_code=413, error=str(exc), options=options)
    except ImportFileError as exc:
        session.rollback()
        return _import_page(request, user, status_code=422, error=str(exc), options=options)
    session.rollback()  # the dry run wrote nothing; end the read transaction
    return RedirectResponse(f"/staff/import/{staged.token}", status_code=303)


@router.get("/staff/import/{token}", response_class=HTMLResponse)
def import_preview(request: Request, user: EditorUser, token: str) -> HTMLResponse:
    try:
        staged = staging.load(token, actor=user)
    except staging.StagingError as exc:
        return _import_page(request, user, status_code=410, error=str(exc))
    report = staged.report
    groups = {status: [r for r in report["rows"] if r["status"] == status] for status in STATUS_LABELS}
    return _page(request, "import_preview.html", user, staged=staged, report=report, groups=groups)


@router.post("/staff/import/{token}/commit", response_class=HTMLResponse)
def import_commit(request: Request, user: EditorUser, session: SessionDep, token: str) -> Response:
    try:
        report = staging.commit_staged(session, token, actor=user)
        session.commit()
    except staging.StagingError as exc:
        session.rollback()
        return _import_page(request, user, status_code=409, error=str(exc))
    except (ImportFileError, IntegrityError):
        session.rollback()
        return _import_page(
            request,
            user,
            status_code=409,
            error="Không ghi được vì kho thủ tục vừa thay đổi; không có gì được ghi. Hãy xem trước lại.",
        )
    staging.discard(token)
    data = report.to_dict()
    return _page(request, "import_result.html", user, report=data, filename=data["path"].rsplit("/", 1)[-1])


# --- service centres -----------------------------------------------------------------------------


@router.get("/staff/centres", response_class=HTMLResponse)
def centre_list(
    request: Request,
    user: EditorUser,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> HTMLResponse:
    result = centres.browse(session, query=q, page=page, per_page=PER_PAGE)
    return _page(
        request, "centres_list.html", user, result=result, q=q, query_for=lambda p: _query({"q": q, "page": p})
    )


def _centre_page(
    request: Request,
    user: StaffPrincipal,
    form: CentreForm,
    *,
    centre_id: int | None,
    status_code: int = 200,
    unit_label: str | None = None,
) -> HTMLResponse:
    return _page(
        request,
        "centre_form.html",
        user,
        status_code=status_code,
        form=form,
        centre_id=centre_id,
        levels=LEVELS,
        unit_label=unit_label,
    )


@router.get("/staff/centres/new", response_class=HTMLResponse)
def centre_new(request: Request, user: EditorUser) -> HTMLResponse:
    return _centre_page(request, user, CentreForm.blank(), centre_id=None)


@router.post("/staff/centres/new", response_class=HTMLResponse)
def centre_create(request: Request, user: EditorUser, session: SessionDep, posted: Posted) -> Response:
    form = CentreForm.from_form(posted)
    data = form.to_input()
    if data is None:
        return _centre_page(request, user, form, centre_id=None, status_code=422)
    try:
        centre = centres.create(session, data, actor=user)
        session.commit()
    except centres.CentreCheckError as exc:
        session.rollback()
        form.errors.update(exc.errors)
        return _centre_page(request, user, form, centre_id=None, status_code=422)
    return _redirect(f"/staff/centres/{centre.id}/edit", "centre-created")


@router.get("/staff/centres/{centre_id}/edit", response_class=HTMLResponse)
def centre_edit(request: Request, user: EditorUser, session: SessionDep, centre_id: int) -> HTMLResponse:
    try:
        centre = centres.get(session, centre_id)
    except centres.CentreNotFoundError as exc:
        return _not_found(request, user, str(exc))
    return _centre_page(
        request,
        user,
        CentreForm.from_centre(centre),
        centre_id=centre_id,
        unit_label=centres.unit_label(session, centre.unit_code),
    )


@router.post("/staff/centres/{centre_id}/edit", response_class=HTMLResponse)
def centre_save(request: Request, user: EditorUser, session: SessionDep, posted: Posted, centre_id: int) -> Response:
    form = CentreForm.from_form(posted)
    data = form.to_input()
    if data is None:
        return _centre_page(request, user, form, centre_id=centre_id, status_code=422)
    try:
        _, changed = centres.update(session, centre_id, data, actor=user)
        session.commit()
    except centres.CentreNotFoundError as exc:
        session.rollback()
        return _not_found(request, user, str(exc))
    except centres.CentreCheckError as exc:
        session.rollback()
        form.errors.update(exc.errors)
        return _centre_page(request, user, form, centre_id=centre_id, status_code=422)
    return _redirect(f"/staff/centres/{centre_id}/edit", "centre-saved" if changed else "centre-unchanged")
