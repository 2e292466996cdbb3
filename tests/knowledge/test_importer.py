"""The procedure importer: flattened portal tables, sheets, and the one-transaction import."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.audit.actor import Actor
from knowledge.importer import ImportFileError, import_file
from knowledge.importer.catalogue import (
    catalogue_record,
    parse_channels,
    parse_documents,
    parse_legal_basis,
    parse_levels,
    parse_result,
    parse_steps,
)
from knowledge.importer.rows import RowError
from knowledge.procedures import service as procedures
from knowledge.procedures.models import Procedure, ProcedureVersion
from knowledge.procedures.schemas import ChannelRecord, DocumentRecord, LegalBasisRecord, ProcedureRecord

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "importer"
CH = "Hình thức nộpThời gianPhí, lệ phíMô tả"
DOC = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
LEGAL = "Tên văn bản pháp lýMã văn bản"


# --------------------------------------------------------------------------------------------
# Flattened tables
# --------------------------------------------------------------------------------------------


def test_channels_table_is_split_into_rows() -> None:
    text = (
        CH + "Trực tiếp7 Ngày làm việc20,000 Việt Nam Đồng(Lệ phí cấp lần đầu)Nộp tại bộ phận một cửa."
        "Trực tuyến5 Ngày làm việcMiễn phí"
        "Dịch vụ bưu chính1Không có thông tinKhông có thông tin"
    )
    assert parse_channels(text) == [
        ChannelRecord(
            kind="in_person",
            processing_time="7 ngày làm việc",
            processing_days=7,
            fee="20,000 Việt Nam Đồng",
            fee_vnd=20000,
            note="Lệ phí cấp lần đầu\nNộp tại bộ phận một cửa.",
            fee_kind="amount",
            deadline_kind="working_days",
        ),
        ChannelRecord(
            kind="online",
            processing_time="5 ngày làm việc",
            processing_days=5,
            fee="Miễn phí",
            fee_vnd=0,
            fee_kind="free",
            deadline_kind="working_days",
        ),
        # "1" without a unit: keep what the source says, no number of days, an unclear deadline;
        # no fee information.
        ChannelRecord(kind="post", processing_time="1 (không rõ đơn vị)", deadline_kind="unclear"),
    ]


def test_channel_description_naming_a_channel_does_not_start_a_row() -> None:
    text = CH + "Trực tuyếnKhông có thông tinKhông có thông tinTrực tuyến: nộp hồ sơ qua Cổng Dịch vụ công."
    assert parse_channels(text) == [ChannelRecord(kind="online", note="Trực tuyến: nộp hồ sơ qua Cổng Dịch vụ công.")]


def test_channel_fee_note_keeps_nested_brackets() -> None:
    text = CH + "Trực tiếp3 Ngày50,000 Việt Nam Đồng((Mức thu theo (Thông tư 1/2020/TT-BTC)))Trả kết quả tại chỗ"
    [channel] = parse_channels(text)
    assert channel.processing_time == "3 ngày" and channel.processing_days == 3
    assert channel.note == "Mức thu theo (Thông tư 1/2020/TT-BTC)\nTrả kết quả tại chỗ"


def test_hours_and_free_text_times_have_no_day_count() -> None:
    text = CH + "Trực tuyến8 GiờMiễn phí(Không có)Trực tiếpKhông phải trả kết quả cho người nộp thuếMiễn phí"
    assert parse_channels(text) == [
        ChannelRecord(
            kind="online",
            processing_time="8 giờ",
            fee="Miễn phí",
            fee_vnd=0,
            note="Không có",
            fee_kind="free",
            deadline_kind="same_day",
        ),
        ChannelRecord(
            kind="in_person",
            processing_time="Không phải trả kết quả cho người nộp thuế",
            fee="Miễn phí",
            fee_vnd=0,
            fee_kind="free",
        ),
    ]


def test_no_fee_amount_is_invented() -> None:
    warnings: list[str] = []
    text = (
        CH
        # "Miễn phí" next to a fee schedule is the portal's default, not a promise it is free
        + "Trực tiếp12 NgàyMiễn phí(Cho một loại hình: 8.000.000/lần; thêm một loại: 2.000.000/lần.)"
        # the unit-less time is glued to the amount: "1" + "20 VNĐ"
        + "Trực tuyến120 VNĐ(20.000 vnđ/tờ khai)"
        # a single amount in another currency
        + "Dịch vụ bưu chính6 Tháng100 USD(100 USD/thẻ.)"
    )
    schedule, glued, usd = parse_channels(text, warnings)
    assert (schedule.fee, schedule.fee_vnd) == ("Miễn phí", None)
    assert (glued.processing_time, glued.processing_days, glued.fee, glued.fee_vnd) == (
        "1 (không rõ đơn vị)",
        None,
        "20 VNĐ",
        None,
    )
    assert (usd.processing_time, usd.processing_days, usd.fee, usd.fee_vnd) == ("6 tháng", None, "100 USD", None)
    assert len(warnings) == 2
    # Issue 15: none of them reads as a firm VND amount or as free.
    assert [c.fee_kind for c in (schedule, glued, usd)] == ["unclear", "unclear", "amount"]
    assert usd.fee_unit == "thẻ"


def test_documents_table_with_counts_forms_and_a_case_heading() -> None:
    text = (
        "--" + DOC + "Tờ khai đăng ký (Mẫu 01).Mau01.docx1 bản chính"
        "Bản sao giấy khai sinh0 bản chính,1 bản sao"
        "Ảnh 4x61 bản chính,1 bản sao"  # a name ending in a digit, glued to the count
        "Giấy tờ chứng minh nơi cư trú (nếu có)1 bản sao"
        "* Trường hợp ủy quyền" + DOC + "Văn bản ủy quyền1 bản chính"
    )
    assert parse_documents(text) == [
        DocumentRecord(name="Tờ khai đăng ký (Mẫu 01)", form="Mau01.docx", kind="original", count=1),
        DocumentRecord(name="Bản sao giấy khai sinh", kind="copy", count=1),
        DocumentRecord(name="Ảnh 4x6 (1 bản chính, 1 bản sao)"),
        DocumentRecord(
            name="Giấy tờ chứng minh nơi cư trú (nếu có)", kind="copy", count=1, required=False, condition="Nếu có"
        ),
        DocumentRecord(
            name="Văn bản ủy quyền", kind="original", count=1, required=False, condition="Trường hợp ủy quyền"
        ),
    ]


def test_count_words_inside_a_document_name_are_not_counts() -> None:
    permit = "Giấy phép xây dựng (01 bản chính hoặc 01 bản sao có chứng thực)"
    text = "--" + DOC + permit + "1 bản chính- Đơn đề nghị;Mau 02.docx1 bản chính"
    assert parse_documents(text) == [
        DocumentRecord(name=permit, kind="original", count=1),
        DocumentRecord(name="Đơn đề nghị", form="Mau 02.docx", kind="original", count=1),
    ]


def test_documents_to_present_and_several_form_files() -> None:
    text = (
        "* Giấy tờ phải nộp:"
        + DOC
        + "Văn bản đề nghị theo Mẫu 03, Phụ lục I Nghị định số 23/2026/NĐ-CPMau03.docxMau04.docx1 bản chính"
        "* Giấy tờ phải xuất trình:" + DOC + "Thẻ căn cước1 bản chính"
    )
    requested, shown = parse_documents(text)
    assert requested.name == "Văn bản đề nghị theo Mẫu 03, Phụ lục I Nghị định số 23/2026/NĐ-CP"
    assert requested.form == "Mau03.docx, Mau04.docx" and requested.required
    assert (shown.name, shown.kind, shown.count, shown.required) == ("Thẻ căn cước", "present", 1, True)


def test_legal_basis_table() -> None:
    text = (
        LEGAL + "Luật Hộ tịch60/2014/QH13"
        "Nghị định 123/2015/NĐ-CP123/2015/NĐ-CP"  # the title ends with the number it is followed by
        "Luật Khiếu nại  năm 201102/2011/QH13"  # the title's year is glued to the number
        "Quyết định 53/2013/QĐ-TTg ngày 13/9/2013 của Thủ tướng53/2013/QĐ-TTg"
        "Thông tư liên tịch về bảo hiểm y tế09/2015/TTLT-BCA-BYT-BTC"
    )
    assert parse_legal_basis(text) == [
        LegalBasisRecord(number="60/2014/QH13", title="Luật Hộ tịch"),
        LegalBasisRecord(number="123/2015/NĐ-CP", title="Nghị định 123/2015/NĐ-CP"),
        LegalBasisRecord(number="02/2011/QH13", title="Luật Khiếu nại năm 2011"),
        LegalBasisRecord(number="53/2013/QĐ-TTg", title="Quyết định 53/2013/QĐ-TTg ngày 13/9/2013 của Thủ tướng"),
        LegalBasisRecord(number="09/2015/TTLT-BCA-BYT-BTC", title="Thông tư liên tịch về bảo hiểm y tế"),
    ]


def test_result_loses_the_portal_ui_text() -> None:
    text = (
        "Giấy khai sinhMã: KQ.G01.000001Bản sao Giấy khai sinh.Mã: KQ.G01.000002"
        "Từ khóaKhông có thông tinMô tảKhông có thông tin"
        "Chọn cơ quan thực hiệnTỉnh/ Thành phốBộ ngành-- Chọn --Nộp hồ sơ"
    )
    assert parse_result(text) == "Giấy khai sinh; Bản sao Giấy khai sinh"
    assert parse_result("Văn bản chấp thuậnTừ khóaKhông có thông tinMô tảCó hiệu lực 5 năm") == (
        "Văn bản chấp thuận\nCó hiệu lực 5 năm"
    )


def test_steps_group_lines_under_numbered_steps() -> None:
    text = "Bước 1: Nộp hồ sơ\n\n+ Nộp tại bộ phận một cửa\nBước 2: Nhận kết quả"
    assert parse_steps(text) == ["Bước 1: Nộp hồ sơ\n+ Nộp tại bộ phận một cửa", "Bước 2: Nhận kết quả"]
    assert parse_steps("Nộp hồ sơ\n\nNhận kết quả\n") == ["Nộp hồ sơ", "Nhận kết quả"]


def test_levels() -> None:
    assert parse_levels("Cấp xã, Cấp tỉnh, Cấp bộ, Cơ quan khác") == ["xa", "tinh", "bo", "khac"]
    with pytest.raises(RowError, match="Cấp huyện"):
        parse_levels("Cấp tỉnh, Cấp huyện")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(list("ábc1,.()0 /-") + [CH, DOC, LEGAL, "Trực tiếp", "1 bản chính", "Miễn phí", "Mã: KQ.1"])
    ).map("".join)
)
def test_table_parsers_never_crash(text: str) -> None:
    parse_channels(text)
    parse_documents(text)
    parse_legal_basis(text)
    parse_result(text)


# --------------------------------------------------------------------------------------------
# Catalogue records
# --------------------------------------------------------------------------------------------


def catalogue_row(code: str, **fields: str) -> dict[str, str]:
    row = {
        "ma_thu_tuc": code,
        "ten_thu_tuc": f"Thủ tục thử nghiệm {code}",
        "so_quyet_dinh": "1/QĐ-BTP",
        "cap_thuc_hien": "Cấp xã",
        "linh_vuc": "Hộ tịch",
        "doi_tuong_thuc_hien": "Công dân Việt Nam",
        "co_quan_co_tham_quyen": "",
        "co_quan_thuc_hien": "Ủy ban nhân dân cấp xã",
        "dia_chi_tiep_nhan": "",
        "trinh_tu_thuc_hien": "Bước 1: Nộp hồ sơ\nBước 2: Nhận kết quả",
        "cach_thuc_thuc_hien": CH + "Trực tiếp3 Ngày làm việcMiễn phíTrực tuyến3 Ngày làm việcMiễn phí",
        "thanh_phan_ho_so": "--" + DOC + "Tờ khai1 bản chính",
        "can_cu_phap_ly": LEGAL + "Luật Hộ tịch60/2014/QH13",
        "yeu_cau_dieu_kien": "Không có thông tin",
        "ket_qua_xu_ly": "Giấy chứng nhậnMã: KQ.1Từ khóaKhông có thông tinMô tảKhông có thông tin",
        "detail_url": f"https://dichvucong.gov.vn/thu-tuc-hanh-chinh/{code}",
    }
    row.update(fields)
    return row


def test_catalogue_record_fields() -> None:
    record = catalogue_record(catalogue_row("1.000001", cap_thuc_hien="Cấp tỉnh, Cấp xã"))
    assert record.code == "1.000001"
    assert record.name == "Thử nghiệm 1.000001" and record.official_name == "Thủ tục thử nghiệm 1.000001"
    assert record.levels == ["tinh", "xa"]
    assert record.agency == "Ủy ban nhân dân cấp xã"
    assert record.publishing_decision == "1/QĐ-BTP"
    assert record.steps == ["Bước 1: Nộp hồ sơ", "Bước 2: Nhận kết quả"]
    assert [c.kind for c in record.channels] == ["in_person", "online"]
    assert record.documents == [DocumentRecord(name="Tờ khai", kind="original", count=1)]
    assert record.legal_basis == [LegalBasisRecord(number="60/2014/QH13", title="Luật Hộ tịch")]
    assert record.result == "Giấy chứng nhận"
    assert record.online_url == record.source_url == "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/1.000001"


def test_khong_co_thong_tin_is_null() -> None:
    record = catalogue_record(
        catalogue_row(
            "1.000002",
            yeu_cau_dieu_kien="Không có thông tin",
            can_cu_phap_ly="Không có thông tin",
            dia_chi_tiep_nhan="",
            co_quan_thuc_hien="Không có thông tin",
            co_quan_co_tham_quyen="Sở Tư pháp",
            cach_thuc_thuc_hien=CH + "Dịch vụ bưu chínhKhông có thông tinKhông có thông tinKhông có thông tin",
            ket_qua_xu_ly="Không có thông tin",
        )
    )
    assert record.conditions is None and record.result is None and record.receiving_place is None
    assert record.legal_basis == []
    assert record.agency == "Sở Tư pháp"
    assert record.channels == [ChannelRecord(kind="post")]
    assert record.online_url is None


def test_local_variant_code_is_its_own_procedure() -> None:
    record = catalogue_record(catalogue_row("1.000494.000.00.00.H29"))
    assert record.code == "1.000494.000.00.00.H29"


# --------------------------------------------------------------------------------------------
# import_file
# --------------------------------------------------------------------------------------------


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored_codes(session: Session) -> list[str]:
    """What another connection sees: the import must not leave uncommitted state behind."""
    with Session(bind=session.get_bind()) as other:
        return sorted(other.scalars(select(Procedure.code)))


def versions(session: Session) -> int:
    with Session(bind=session.get_bind()) as other:
        return other.scalar(select(func.count()).select_from(ProcedureVersion)) or 0


def test_import_adds_then_reimport_is_unchanged(session: Session, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [catalogue_row("1.000001"), catalogue_row("1.000002")])
    calls: list[tuple[str, int, int]] = []
    report = import_file(session, path, actor=Actor("tester"), progress=lambda *a: calls.append(a))
    assert report.applied and [r.status for r in report.rows] == ["added", "added"]
    assert stored_codes(session) == ["1.000001", "1.000002"]
    assert ("parse", 2, 2) in calls and calls[-1] == ("apply", 2, 2)
    stored = procedures.get_by_code(session, "1.000001")
    assert stored is not None and stored.origin == "import"

    again = import_file(session, path, actor=Actor("tester"))
    assert [r.status for r in again.rows] == ["unchanged", "unchanged"]
    assert versions(session) == 2


def test_changed_row_is_updated_with_changed_fields_and_aliases_kept(session: Session, tmp_path: Path) -> None:
    procedures.upsert(
        session,
        catalogue_record(catalogue_row("1.000001")).model_copy(update={"aliases": ["làm thử"]}),
        actor=Actor("earlier import"),
        origin="import",
    )
    session.commit()
    changed = catalogue_row(
        "1.000001",
        cach_thuc_thuc_hien=CH + "Trực tiếp5 Ngày làm việc20,000 Việt Nam ĐồngTrực tuyến3 Ngày làm việcMiễn phí",
    )
    report = import_file(session, write_jsonl(tmp_path / "c.jsonl", [changed]), actor=Actor("tester"))
    [row] = report.rows
    assert row.status == "updated" and row.changed_fields == ["channels"]
    assert row.changes["channels"]["after"][0]["fee_vnd"] == 20000
    stored = procedures.to_record(procedures.get_by_code(session, "1.000001"))  # type: ignore[arg-type]
    assert stored.aliases == ["làm thử"] and stored.channels[0].processing_days == 5


def test_curated_records_are_kept_unless_overwrite_is_asked(session: Session, tmp_path: Path) -> None:
    curated = ProcedureRecord(
        code="1.000001", name="Đăng ký thử", levels=["xa"], aliases=["làm thử"], steps=["Một bước đã biên tập."]
    )
    procedures.upsert(session, curated, actor=Actor("seed"), origin="seed")
    session.commit()
    path = write_jsonl(tmp_path / "c.jsonl", [catalogue_row("1.000001")])
    [row] = import_file(session, path, actor=Actor("tester")).rows
    assert row.status == "kept" and "seed" in (row.reason or "") and "steps" in row.changed_fields
    assert procedures.to_record(procedures.get_by_code(session, "1.000001")) == curated  # type: ignore[arg-type]

    [row] = import_file(session, path, actor=Actor("tester"), overwrite_curated=True).rows
    assert row.status == "updated"
    stored = procedures.to_record(procedures.get_by_code(session, "1.000001"))  # type: ignore[arg-type]
    assert stored.steps == ["Bước 1: Nộp hồ sơ", "Bước 2: Nhận kết quả"] and stored.aliases == ["làm thử"]


def test_duplicate_codes_last_row_wins(session: Session, tmp_path: Path) -> None:
    rows = [catalogue_row("1.000001", ten_thu_tuc="Bản cũ"), catalogue_row("1.000002"), catalogue_row("1.000001")]
    report = import_file(session, write_jsonl(tmp_path / "c.jsonl", rows), actor=Actor("tester"))
    assert [(r.row, r.status) for r in report.rows] == [(1, "duplicate"), (2, "added"), (3, "added")]
    assert "dòng 3" in (report.duplicates[0].reason or "")
    assert any("1.000001" in note for note in report.notes)
    assert report.applied
    assert procedures.get_by_code(session, "1.000001").name == "Thử nghiệm 1.000001"  # type: ignore[union-attr]


def test_bad_rows_are_reported_and_nothing_is_applied(session: Session, tmp_path: Path) -> None:
    rows = [
        catalogue_row("1.000001"),
        '{"ma_thu_tuc": "1.000002", "ten_thu_tuc": ',  # malformed JSON
        catalogue_row(""),  # missing code
        catalogue_row("1.000004", cap_thuc_hien="Cấp huyện"),  # bad level
        catalogue_row("1-000005"),  # code not in the official pattern
        catalogue_row("1.000006"),
    ]
    report = import_file(session, write_jsonl(tmp_path / "c.jsonl", rows), actor=Actor("tester"))
    rejected = {r.row: r.reason or "" for r in report.rejected}
    assert sorted(rejected) == [2, 3, 4, 5]
    assert rejected[2].startswith("Dòng JSON hỏng")
    assert rejected[3].startswith("Thiếu mã thủ tục")
    assert "Cấp huyện" in rejected[4]
    assert "mã thủ tục" in rejected[5].lower() and "pattern" in rejected[5]
    assert not report.applied and "KHÔNG ghi" in report.summary()
    assert stored_codes(session) == [] and versions(session) == 0
    assert session.scalars(select(Procedure)).all() == []

    partial = import_file(session, tmp_path / "c.jsonl", actor=Actor("tester"), allow_partial=True)
    assert partial.applied and len(partial.rejected) == 4
    assert stored_codes(session) == ["1.000001", "1.000006"]


def test_dry_run_changes_nothing(session: Session, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [catalogue_row("1.000001")])
    preview = import_file(session, path, actor=Actor("tester"), dry_run=True)
    assert [r.status for r in preview.rows] == ["added"] and not preview.applied
    assert stored_codes(session) == []

    import_file(session, path, actor=Actor("tester"))
    write_jsonl(path, [catalogue_row("1.000001", linh_vuc="Chứng thực")])
    preview = import_file(session, path, actor=Actor("tester"), dry_run=True)
    [row] = preview.rows
    assert row.status == "updated" and row.changed_fields == ["field"]
    assert row.changes["field"] == {"before": "Hộ tịch", "after": "Chứng thực"}
    with Session(bind=session.get_bind()) as other:
        assert other.scalar(select(Procedure.field)) == "Hộ tịch"
    assert versions(session) == 1


def test_json_array_and_canonical_records(session: Session, tmp_path: Path) -> None:
    canonical = ProcedureRecord(code="1.000003", name="Thủ tục dạng chuẩn", levels=["bo"]).model_dump(mode="json")
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"procedures": [catalogue_row("1.000001"), canonical]}, ensure_ascii=False), "utf-8")
    report = import_file(session, path, actor=Actor("tester"))
    assert [(r.row, r.code, r.status) for r in report.rows] == [(1, "1.000001", "added"), (2, "1.000003", "added")]


def test_unreadable_files_raise(session: Session, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="Không tìm thấy"):
        import_file(session, tmp_path / "missing.jsonl", actor=Actor("tester"))
    (tmp_path / "c.txt").write_text("x", encoding="utf-8")
    with pytest.raises(ImportFileError, match="định dạng"):
        import_file(session, tmp_path / "c.txt", actor=Actor("tester"))


# --------------------------------------------------------------------------------------------
# Sheets
# --------------------------------------------------------------------------------------------


def test_csv_sample_import(session: Session) -> None:
    report = import_file(session, DATA_DIR / "sample.csv", actor=Actor("tester"))
    assert [(r.row, r.code, r.status) for r in report.rows] == [(2, "9.000001", "added"), (3, "9.000002", "added")]
    assert report.notes == ["Cột “ghi chú nội bộ” không được dùng và đã bỏ qua"]
    first = procedures.to_record(procedures.get_by_code(session, "9.000001"))  # type: ignore[arg-type]
    assert first.levels == ["xa"]
    assert sorted(first.aliases) == ["làm giấy khai sinh thử", "thử khai sinh"]
    assert len(first.steps) == 3
    assert first.documents == [
        DocumentRecord(
            name="Tờ khai đăng ký khai sinh",
            form="Mẫu tờ khai theo Thông tư 04/2024/TT-BTP",
            kind="original",
            count=1,
        ),
        DocumentRecord(name="Giấy chứng sinh", kind="original", count=1),
        DocumentRecord(
            name="Văn bản ủy quyền", kind="original", count=1, required=False, condition="Trường hợp ủy quyền"
        ),
    ]
    assert first.channels == [
        ChannelRecord(
            kind="in_person", processing_time="3 ngày làm việc", processing_days=3, fee="Miễn phí", fee_vnd=0
        ),
        ChannelRecord(
            kind="online",
            processing_time="3 ngày làm việc",
            processing_days=3,
            fee="Miễn phí",
            fee_vnd=0,
            note="Nộp qua Cổng Dịch vụ công quốc gia",
        ),
    ]
    assert first.last_verified == dt.date(2026, 11, 22)
    second = procedures.to_record(procedures.get_by_code(session, "9.000002"))  # type: ignore[arg-type]
    assert second.levels == ["tinh", "bo"] and second.steps == ["Nộp hồ sơ", "Nhận kết quả"]
    assert second.channels[0].fee_vnd == 20000 and second.last_verified == dt.date(2026, 11, 22)
    assert [r.status for r in import_file(session, DATA_DIR / "sample.csv", actor=Actor("tester")).rows] == [
        "unchanged",
        "unchanged",
    ]


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "procedures"
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_import_and_missing_columns_are_left_alone(session: Session, tmp_path: Path) -> None:
    header = ["code", "name", "levels", "field", "documents", "channels", "last_verified"]
    path = write_xlsx(
        tmp_path / "sheet.xlsx",
        [
            header,
            # Excel stored the code as a number: 1.000490 became 1.00049.
            [1.00049, "Cấp thử", "Cấp tỉnh", "Thử", "Đơn | bản chính | 1\nẢnh | bản sao | 2 | không | Nếu có",
             "bưu chính | 5 ngày | 5 | 50.000 đồng | 50000 | ", dt.datetime(2026, 11, 22)],
            [None, None, None, None, None, None, None],  # blank rows are skipped
            ["1.000491", "Cấp thử hai", "khac", None, None, None, None],
        ],
    )  # fmt: skip
    report = import_file(session, path, actor=Actor("tester"))
    assert [(r.row, r.code, r.status) for r in report.rows] == [(2, "1.000490", "added"), (4, "1.000491", "added")]
    stored = procedures.to_record(procedures.get_by_code(session, "1.000490"))  # type: ignore[arg-type]
    assert stored.documents[1] == DocumentRecord(name="Ảnh", kind="copy", count=2, required=False, condition="Nếu có")
    assert stored.channels == [
        ChannelRecord(kind="post", processing_time="5 ngày", processing_days=5, fee="50.000 đồng", fee_vnd=50000)
    ]
    assert stored.last_verified == dt.date(2026, 11, 22)

    # A sheet with only code, name, levels, field updates those and keeps documents and channels.
    narrow = write_xlsx(tmp_path / "narrow.xlsx", [header[:4], ["1.000490", "Cấp thử", "Cấp tỉnh", "Thử mới"]])
    [row] = import_file(session, narrow, actor=Actor("tester")).rows
    assert row.status == "updated" and row.changed_fields == ["field"]
    stored = procedures.to_record(procedures.get_by_code(session, "1.000490"))  # type: ignore[arg-type]
    assert stored.field == "Thử mới" and len(stored.documents) == 2 and len(stored.channels) == 1


def test_bad_sheet_rows_are_rejected_with_their_row_numbers(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "ma_thu_tuc;ten_thu_tuc;cap_thuc_hien;thanh_phan_ho_so;cach_thuc;aliases\n"
        "1.000001;Hợp lệ;xa;;;làm thử\n"
        "1.000002;Loại giấy tờ sai;xa;Đơn | bản nháp | 1;;\n"
        "1.000003;Cấp sai;huyện;;;\n"
        "1.000004;Hình thức sai;tinh;;qua điện thoại | 1 ngày;\n"
        "1.000005;Trùng tên gọi;tinh;;;Làm thử\n",
        encoding="utf-8",
    )
    report = import_file(session, path, actor=Actor("tester"))
    rejected = {r.row: r.reason or "" for r in report.rejected}
    assert sorted(rejected) == [3, 4, 5, 6]
    assert "bản nháp" in rejected[3] and "huyện" in rejected[4] and "qua điện thoại" in rejected[5]
    assert "Tên gọi đã dùng" in rejected[6] and "AliasConflictError" in rejected[6]
    assert not report.applied and stored_codes(session) == []


def test_sheet_without_required_columns_is_refused(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("code,name\n1.000001,Thiếu cấp\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="levels"):
        import_file(session, path, actor=Actor("tester"))


def test_cli_dry_run_and_rejection_exit_codes(session: Session, tmp_path: Path, monkeypatch) -> None:
    from sqlalchemy.orm import sessionmaker
    from typer.testing import CliRunner

    import core.db
    from cli.importer import app

    monkeypatch.setattr(core.db, "get_sessionmaker", lambda: sessionmaker(bind=session.get_bind()))
    runner = CliRunner()
    result = runner.invoke(app, ["import", str(DATA_DIR / "sample.csv"), "--dry-run", "--actor", "cli-test"])
    assert result.exit_code == 0, result.output
    assert "chạy thử" in result.output and "9.000001" in result.output
    assert stored_codes(session) == []

    bad = write_jsonl(tmp_path / "bad.jsonl", [catalogue_row("1.000001", cap_thuc_hien="Cấp huyện")])
    result = runner.invoke(app, ["import", str(bad)])
    assert result.exit_code == 1 and "Cấp huyện" in result.output


# --------------------------------------------------------------------------------------------
# The shared national sample
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_import_national_sample(session: Session, reference_dir: Path) -> None:
    path = reference_dir / "procedures" / "national-catalogue-sample.jsonl"
    started = time.perf_counter()
    report = import_file(session, path, actor=Actor("tester"))
    elapsed = time.perf_counter() - started
    reasons = [f"row {r.row} {r.code}: {r.reason}" for r in report.rejected]
    print(f"\n{report.summary()} in {elapsed:.1f}s; rejected: {reasons or 'none'}")
    assert len(report.added) >= 2600, reasons
    assert report.applied or report.rejected
    assert elapsed < 60
    with_channels = session.scalar(select(func.count()).select_from(Procedure).where(Procedure.channels.any()))
    with_documents = session.scalar(select(func.count()).select_from(Procedure).where(Procedure.documents.any()))
    assert with_channels >= 0.95 * len(report.added) and with_documents >= 0.95 * len(report.added)
