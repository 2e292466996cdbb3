"""The "Cần kiểm tra" queue of the knowledge admin (records with open quality flags), the editor's
confirmation, and the edit form's per-channel fact fields, through HTTP (in-process app on a
private copy of the seeded staff database)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from core.db import session_scope
from knowledge.procedures import quality
from knowledge.procedures import service as procedures
from knowledge.procedures.facts import FEE_KIND_LABELS, QUALITY_FLAG_KINDS
from tests.admin.conftest import FLAGGED, OTHER
from tests.admin.test_routes import _csrf, _csrf_any, _edit_form
from tests.staff.conftest import login


def _audit(action: str, entity_id: str) -> list[Any]:
    from core.audit.models import AuditEntry

    with session_scope() as session:
        return list(
            session.scalars(select(AuditEntry).where(AuditEntry.action == action, AuditEntry.entity_id == entity_id))
        )


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_the_queue_lists_flagged_records_for_editors_and_admins(flagged: Any, role: str) -> None:
    login(flagged, role)
    page = flagged.get("/staff/procedures/quality")
    assert page.status_code == 200
    text = page.text
    assert "Cần kiểm tra" in text and "2 thủ tục cần kiểm tra" in text
    assert f'href="/staff/procedures/{FLAGGED}/edit"' in text and f"Thủ tục thử hàng đợi {FLAGGED}" in text
    assert QUALITY_FLAG_KINDS["fee_free_contradicted"] in text and "Thông tư 244/2016/TT-BTC" in text
    assert QUALITY_FLAG_KINDS["deadline_unit_lost"] in text
    assert f'action="/staff/procedures/{FLAGGED}/confirm"' in text and "Xác nhận đã kiểm tra" in text
    assert "nhập từ tệp" in text  # the origin, in Vietnamese
    assert 'id="fact-counts-fee"' in text and FEE_KIND_LABELS["unclear"] in text

    only = flagged.get("/staff/procedures/quality", params={"kind": "deadline_unit_lost"}).text
    assert "1 thủ tục cần kiểm tra" in only and OTHER in only and f"/staff/procedures/{FLAGGED}/edit" not in only
    assert "0 thủ tục cần kiểm tra" in flagged.get("/staff/procedures/quality", params={"origin": "seed"}).text


@pytest.mark.parametrize("role", ["agent", "analyst"])
def test_other_roles_are_refused_the_queue_and_the_confirmation(flagged: Any, role: str) -> None:
    login(flagged, role)
    token = _csrf_any(flagged)
    assert flagged.get("/staff/procedures/quality", follow_redirects=False).status_code == 403
    refused = flagged.post(f"/staff/procedures/{FLAGGED}/confirm", data={"csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 403
    with session_scope() as session:
        assert quality.open_flags(procedures.require(session, FLAGGED))


def test_anonymous_visitors_are_sent_to_log_in(flagged: Any) -> None:
    response = flagged.get("/staff/procedures/quality", follow_redirects=False)
    assert response.status_code == 303 and "/staff/login" in response.headers["location"]


def test_confirm_needs_the_csrf_token(flagged: Any) -> None:
    login(flagged, "editor")
    assert flagged.post(f"/staff/procedures/{FLAGGED}/confirm", data={"note": "x"}).status_code == 403


def test_confirm_clears_the_flags_with_a_version_and_an_audit_entry(flagged: Any) -> None:
    login(flagged, "editor")
    token = _csrf(flagged)
    response = flagged.post(
        f"/staff/procedures/{FLAGGED}/confirm",
        data={"csrf_token": token, "note": "Đã đối chiếu mô tả phí", "expected_version": "1"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/staff/procedures/quality?done=confirmed"
    queue = flagged.get(response.headers["location"]).text
    assert "Đã xác nhận đã kiểm tra" in queue and "1 thủ tục cần kiểm tra" in queue
    assert f"/staff/procedures/{FLAGGED}/edit" not in queue

    history = flagged.get(f"/staff/procedures/{FLAGGED}/history").text
    assert "Đã đối chiếu mô tả phí" in history and "đã kiểm tra với nguồn" in history
    (entry,) = _audit(quality.CONFIRM_ACTION, FLAGGED)
    assert entry.actor_role == "editor" and entry.after["quality_flags"] == []

    again = flagged.post(
        f"/staff/procedures/{FLAGGED}/confirm", data={"csrf_token": token, "back": "view"}, follow_redirects=False
    )
    assert again.headers["location"] == f"/staff/procedures/{FLAGGED}?done=confirm-unchanged"


def test_confirm_from_the_procedure_page_and_a_stale_confirmation(flagged: Any) -> None:
    login(flagged, "editor")
    token = _csrf(flagged)
    view = flagged.get(f"/staff/procedures/{OTHER}").text
    assert 'id="quality-flags"' in view and QUALITY_FLAG_KINDS["deadline_unit_lost"] in view
    assert 'name="back" value="view"' in view
    stale = flagged.post(f"/staff/procedures/{OTHER}/confirm", data={"csrf_token": token, "expected_version": "7"})
    assert stale.status_code == 409 and "đã được sửa thành phiên bản" in stale.text
    done = flagged.post(
        f"/staff/procedures/{OTHER}/confirm",
        data={"csrf_token": token, "expected_version": "1", "back": "view"},
        follow_redirects=False,
    )
    assert done.headers["location"] == f"/staff/procedures/{OTHER}?done=confirmed"
    assert 'id="quality-flags"' not in flagged.get(done.headers["location"]).text
    missing = flagged.post("/staff/procedures/9.599999/confirm", data={"csrf_token": token})
    assert missing.status_code == 404 and "Không có thủ tục mã 9.599999" in missing.text


def test_the_edit_form_round_trips_the_channel_fact_fields_and_keeps_the_flags(flagged: Any) -> None:
    login(flagged, "editor")
    token = _csrf(flagged)
    form = _edit_form(flagged, FLAGGED)
    assert form["channels-0-fee_kind"] == "unclear" and form["channels-0-deadline_kind"] == "working_days"
    for name in ("fee_unit", "fee_basis", "condition"):
        assert form[f"channels-0-{name}"] == ""
    page = flagged.get(f"/staff/procedures/{FLAGGED}/edit").text
    assert FEE_KIND_LABELS["by_regulation"] in page and "Điều kiện phân biệt" in page
    assert 'id="quality-flags"' in page  # the open flags are shown while editing

    form.update(
        {
            "csrf_token": token,
            "channels-0-fee": "Lệ phí theo Thông tư 244/2016/TT-BTC",
            "channels-0-fee_kind": "by_regulation",
            "channels-0-fee_basis": "Thông tư 244/2016/TT-BTC",
            "channels-0-condition": "nộp tại Sở Tư pháp",
            "channels-1-kind": "online",
            "channels-1-fee": "200.000 đồng/bản",
            "channels-1-fee_kind": "amount",
            "channels-1-fee_vnd": "200.000",
            "channels-1-fee_unit": "bản",
            "channels-1-deadline_kind": "same_day",
            "channels-1-processing_time": "Trong ngày",
        }
    )
    saved = flagged.post(f"/staff/procedures/{FLAGGED}/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text

    with session_scope() as session:
        record = procedures.to_record(procedures.require(session, FLAGGED))
    first, second = record.channels
    assert (first.fee_kind, first.fee_basis, first.condition, first.fee_vnd) == (
        "by_regulation",
        "Thông tư 244/2016/TT-BTC",
        "nộp tại Sở Tư pháp",
        None,
    )
    assert (second.kind, second.fee_kind, second.fee_vnd, second.fee_unit, second.deadline_kind) == (
        "online",
        "amount",
        200000,
        "bản",
        "same_day",
    )
    assert [f.kind for f in record.quality_flags] == ["fee_free_contradicted"]  # only a confirmation clears them

    again = _edit_form(flagged, FLAGGED)
    assert again["channels-1-fee_unit"] == "bản" and again["channels-0-condition"] == "nộp tại Sở Tư pháp"
    again["csrf_token"] = token
    unchanged = flagged.post(f"/staff/procedures/{FLAGGED}/edit", data=again, follow_redirects=False)
    assert unchanged.headers["location"].endswith("?done=unchanged")  # the form round-trips exactly


def test_the_kinds_need_their_values_said_next_to_the_cell(flagged: Any) -> None:
    login(flagged, "editor")
    token = _csrf(flagged)
    form = _edit_form(flagged, FLAGGED)
    form.update({"csrf_token": token, "channels-0-fee_kind": "by_regulation", "channels-0-deadline_kind": "days"})
    form["channels-0-processing_days"] = ""
    refused = flagged.post(f"/staff/procedures/{FLAGGED}/edit", data=form)
    assert refused.status_code == 422
    text = refused.text
    assert 'id="err-channels-0-fee_basis"' in text and "quy định mức thu" in text
    assert 'id="err-channels-0-processing_days"' in text and "cần số ngày" in text
    assert re.search(r'<option value="by_regulation" selected>', text)  # what was chosen is kept


def test_the_form_round_trips_guidance_and_every_channel_fact() -> None:
    from api.admin.forms import ProcedureForm
    from knowledge.procedures.schemas import ProcedureRecord
    from tests.admin.test_forms import _post

    record = ProcedureRecord.model_validate(
        {
            "code": "9.500003",
            "name": "Cấp phiếu lý lịch tư pháp (thử)",
            "levels": ["tinh"],
            "channels": [
                {
                    "kind": "in_person",
                    "fee": "200.000 đồng/lần/người",
                    "fee_vnd": 200000,
                    "fee_unit": "người",
                    "fee_kind": "amount",
                    "processing_time": "10 ngày làm việc",
                    "processing_days": 10,
                    "deadline_kind": "working_days",
                },
                {
                    "kind": "in_person",
                    "fee": "Theo Thông tư 244/2016/TT-BTC",
                    "fee_kind": "by_regulation",
                    "fee_basis": "Thông tư 244/2016/TT-BTC",
                    "condition": "tại cơ quan đại diện Việt Nam ở nước ngoài",
                    "processing_time": "5",
                    "deadline_kind": "unclear",
                    "note": "Cổng ghi “5”, không có đơn vị.",
                },
            ],
            "documents": [{"name": "Tờ khai", "kind": "original", "count": 1}],
            "guidance": ["Lưu ý: nộp bản sao thì mang bản chính để đối chiếu.\nDòng thứ hai.", "Hướng dẫn khác."],
        }
    )
    form = ProcedureForm.from_record(record, version=3)
    posted = ProcedureForm.from_form(_post(form))
    assert posted.to_record(code="9.500003") == record, posted.errors

    wrong = ProcedureForm.from_form(
        _post(form, **{"channels-0-fee_kind": "free", "channels-1-deadline_kind": "same_day"})
    )
    assert wrong.to_record(code="9.500003") is None
    assert wrong.errors["channels-0-fee_vnd"] == "Loại phí “Miễn phí”: để trống số tiền hoặc ghi 0"
    blank_kinds = ProcedureForm.from_form(_post(form, **{"channels-0-fee_kind": "", "channels-0-deadline_kind": ""}))
    chosen = blank_kinds.to_record(code="9.500003")
    assert chosen is not None and (chosen.channels[0].fee_kind, chosen.channels[0].deadline_kind) == (
        "unknown",
        "unknown",
    )
