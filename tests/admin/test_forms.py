"""The edit forms: browser fields ⇄ records, Vietnamese errors next to the right field, typed
values kept."""

from __future__ import annotations

import datetime as dt

from starlette.datastructures import FormData

from api.admin.forms import CentreForm, ProcedureForm
from knowledge.procedures.schemas import ProcedureRecord

RECORD = ProcedureRecord.model_validate(
    {
        "code": "9.000001",
        "name": "Đăng ký thử nghiệm khai sinh",
        "levels": ["xa"],
        "aliases": ["thử khai sinh"],
        "steps": ["Nộp hồ sơ.", "Nhận kết quả."],
        "channels": [
            {
                "kind": "in_person",
                "processing_time": "3 ngày làm việc",
                "processing_days": 3,
                "fee": "Miễn phí",
                "fee_vnd": 0,
            }
        ],
        "documents": [
            {"name": "Tờ khai", "kind": "original", "count": 1},
            {
                "name": "Văn bản ủy quyền",
                "kind": "original",
                "count": 1,
                "required": False,
                "condition": "Trường hợp ủy quyền",
            },
        ],
        "legal_basis": [{"number": "123/2015/NĐ-CP", "title": "Nghị định hộ tịch"}],
        "source_url": "https://dichvucong.gov.vn/p/9.000001",
        "last_verified": "2026-11-01",
    }
)


def _post(form: ProcedureForm, **changes: str | list[str]) -> FormData:
    """What a browser posts for ``form`` (as rendered), with some fields changed."""
    items: list[tuple[str, str]] = [(k, v) for k, v in form.values.items()]
    items += [("levels", level) for level in form.levels]
    for kind in form.rows:
        for i, row in enumerate(form.rows_for_display(kind)):
            for name, value in row.items():
                if name == "required":
                    if value == "1":
                        items.append((f"{kind}-{i}-required", "1"))
                else:
                    items.append((f"{kind}-{i}-{name}", value))
    result = dict()
    for key, value in changes.items():
        result[key] = value
    merged = [(k, v) for k, v in items if k not in result]
    for key, value in result.items():
        for v in value if isinstance(value, list) else [value]:
            merged.append((key, v))
    return FormData(merged)


def test_round_trip_keeps_every_field() -> None:
    form = ProcedureForm.from_record(RECORD, version=4)
    posted = ProcedureForm.from_form(_post(form))
    assert posted.version == 4
    assert posted.to_record(code="9.000001") == RECORD


def test_blank_rows_are_dropped_and_numbers_read_like_people_write_them() -> None:
    form = ProcedureForm.from_record(RECORD, version=1)
    posted = ProcedureForm.from_form(
        _post(
            form,
            **{"channels-0-fee": "20.000 đồng", "channels-0-fee_vnd": "20.000", "channels-0-processing_days": "1,5"},
        )
    )
    record = posted.to_record(code="9.000001")
    assert record is not None, posted.errors
    assert record.channels[0].fee_vnd == 20000 and record.channels[0].processing_days == 1.5
    assert len(record.channels) == 1 and len(record.documents) == 2  # the spare blank rows are ignored
    assert record.documents[1].required is False


def test_errors_are_vietnamese_and_sit_next_to_their_field() -> None:
    form = ProcedureForm.from_record(RECORD, version=1)
    posted = ProcedureForm.from_form(
        _post(
            form,
            name="Đk",
            levels=[],
            **{
                "channels-0-fee_vnd": "hai mươi nghìn",
                "documents-1-name": "",
                "documents-1-count": "-1",
                "source_url": "dichvucong.gov.vn",
                "last_verified": (dt.date.today() + dt.timedelta(days=3)).isoformat(),
            },
        )
    )
    assert posted.to_record(code="9.000001") is None
    errors = posted.errors
    assert errors["name"] == "Cần ít nhất 3 ký tự"
    assert errors["levels"] == "Chọn ít nhất một"
    assert errors["channels-0-fee_vnd"] == "Phải là số nguyên"
    assert errors["documents-1-count"] == "Không được là số âm"
    assert "https://" in errors["source_url"]
    assert "tương lai" in errors["last_verified"]
    # What was typed stays in the form for correction.
    assert posted.rows["channels"][0]["fee_vnd"] == "hai mươi nghìn"
    assert posted.values["source_url"] == "dichvucong.gov.vn"


def test_a_row_emptied_by_the_editor_is_dropped_and_errors_follow_the_rows_shown() -> None:
    form = ProcedureForm.from_record(RECORD, version=1)
    blank_first = {"documents-0-name": "", "documents-0-kind": "", "documents-0-count": "", "documents-1-count": "x"}
    data = _post(form, **blank_first)
    posted = ProcedureForm.from_form(data)
    assert posted.to_record(code="9.000001") is None
    # The emptied first row is gone from the redisplayed form; the error sits on the row that moved up.
    assert [row["name"] for row in posted.rows["documents"]] == ["Văn bản ủy quyền"]
    assert set(posted.errors) == {"documents-0-count"}


def test_channel_row_without_a_kind_is_an_error_not_silently_dropped() -> None:
    form = ProcedureForm.from_record(RECORD, version=1)
    posted = ProcedureForm.from_form(_post(form, **{"channels-1-fee": "50.000 đồng"}))
    assert posted.to_record(code="9.000001") is None
    assert posted.errors["channels-1-kind"] == "Chọn hình thức nộp"


def test_new_procedure_code_format_is_checked() -> None:
    form = ProcedureForm.blank()
    posted = ProcedureForm.from_form(FormData([("code", "ABC"), ("name", "Thủ tục mới"), ("levels", "xa")]))
    assert posted.to_record() is None
    assert posted.errors["code"].startswith("Mã thủ tục có dạng 1.001193")
    assert form.version == 0


def test_vietnamese_date_format_is_accepted() -> None:
    form = ProcedureForm.from_record(RECORD, version=1)
    posted = ProcedureForm.from_form(_post(form, last_verified="02/11/2026"))
    record = posted.to_record(code="9.000001")
    assert record is not None and record.last_verified == dt.date(2026, 11, 2)


def _centre(**changes: str | list[str]) -> CentreForm:
    data = {
        "unit_code": "26743",
        "name": "Trung tâm Phục vụ hành chính công phường Bến Thành",
        "phone": "028 3829 1234, 1900 1234",
        "email": "tiepnhan@benthanh.gov.vn",
        "hours": "Thứ Hai – Thứ Sáu 7:30–11:30, 13h00-17h00",
        "receives_levels": ["xa"],
        "extra_procedures": "1.001193\n1.000656",
    }
    data.update(changes)
    items = [(k, v) for k, value in data.items() for v in (value if isinstance(value, list) else [value])]
    return CentreForm.from_form(FormData(items))


def test_centre_form_accepts_real_formats() -> None:
    form = _centre()
    data = form.to_input()
    assert data is not None, form.errors
    assert data.extra_procedures == ["1.001193", "1.000656"]
    assert data.receives_levels == ["xa"]


def test_centre_form_refuses_bad_phone_email_hours() -> None:
    for field, value, expected in [
        ("phone", "12345", "Số điện thoại “12345” không hợp lệ"),
        ("phone", "0283829123x", "không hợp lệ"),
        ("email", "tiepnhan@", "Địa chỉ thư điện tử không hợp lệ"),
        ("hours", "Giờ hành chính", "ít nhất một khoảng giờ"),
        ("hours", "7:30–25:00", "không có thật"),
        ("hours", "13:30–11:00", "kết thúc trước khi bắt đầu"),
        ("unit_code", "BT", "2–5 chữ số"),
        ("extra_procedures", "1.00119", "không đúng dạng"),
    ]:
        form = _centre(**{field: value})
        assert form.to_input() is None, (field, value)
        assert expected in form.errors[field], (field, form.errors)
        assert form.values[field] == value


def test_browser_line_breaks_do_not_count_as_changes() -> None:
    multi = RECORD.model_copy(
        update={"conditions": "Điều kiện một.\nĐiều kiện hai.", "agency": "Ủy ban nhân dân\ncấp xã"}
    )
    form = ProcedureForm.from_record(multi, version=1)
    posted = _post(form)
    crlf = FormData([(k, v.replace("\n", "\r\n")) for k, v in posted.multi_items()])
    assert ProcedureForm.from_form(crlf).to_record(code="9.000001") == multi


def test_multi_line_steps_and_notes_survive_a_save() -> None:
    """National catalogue steps span several lines; an input would flatten them."""
    multi = RECORD.model_copy(
        update={
            "steps": ["Bước 1: Nộp hồ sơ.\nHồ sơ nộp tại bộ phận một cửa.", "Bước 2: Nhận kết quả."],
            "channels": [
                RECORD.channels[0].model_copy(update={"note": "Lệ phí cấp lần đầu\nNộp tại bộ phận một cửa."})
            ],
        }
    )
    form = ProcedureForm.from_record(multi, version=1)
    assert ProcedureForm.from_form(_post(form)).to_record(code="9.000001") == multi
