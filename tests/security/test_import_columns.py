"""Finding 13: the importer refused unknown columns although its README says they are ignored
(``code,name,levels,foo,bar`` → "Cột “bar” lặp lại"), and split a quoted CSV cell holding
doubled quotes (the dialect was sniffed from the header line alone, which has no quotes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy.orm import Session

from core.audit.actor import Actor
from knowledge.importer import ImportFileError, import_file
from knowledge.procedures import service as procedures


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_finding_13_unknown_columns_are_ignored_with_a_warning(session: Session, tmp_path: Path) -> None:
    path = _write(tmp_path / "cot.csv", "code,name,levels,foo,bar\n9.000201,Thủ tục có cột lạ,xa,1,2\n")

    report = import_file(session, path, actor=Actor("bientap"))

    assert [(r.row, r.code, r.status) for r in report.rows] == [(2, "9.000201", "added")]
    assert report.notes == ["Cột “foo” không được dùng và đã bỏ qua", "Cột “bar” không được dùng và đã bỏ qua"]


def test_finding_13_unknown_columns_in_a_spreadsheet_too(session: Session, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["ma_thu_tuc", "ten_thu_tuc", "cap_thuc_hien", "Ghi chú", "Người nhập", None])
    sheet.append(["9.000202", "Thủ tục trong Excel", "Cấp xã", "x", "y", None])
    book.save(tmp_path / "cot.xlsx")

    report = import_file(session, tmp_path / "cot.xlsx", actor=Actor("bientap"), dry_run=True)

    assert [(r.code, r.status) for r in report.rows] == [("9.000202", "added")]
    assert report.notes == [
        "Cột “Ghi chú” không được dùng và đã bỏ qua",
        "Cột “Người nhập” không được dùng và đã bỏ qua",
    ]


@pytest.mark.parametrize(
    "header",
    ["code,name,levels,name", "code,name,levels,ten_thu_tuc", "ma,code,name,levels"],
)
def test_finding_13_a_known_column_given_twice_is_still_refused(session: Session, tmp_path: Path, header: str) -> None:
    path = _write(tmp_path / "lap.csv", header + "\n" + ",".join(["9.000203"] * len(header.split(","))) + "\n")
    with pytest.raises(ImportFileError, match="lặp lại"):
        import_file(session, path, actor=Actor("bientap"), dry_run=True)


TRICKY = (
    "code;name;levels;steps;receiving_place\n"
    '9.000204;"Đăng ký ""thử"" khai sinh; bản sao";xa;"Nộp tờ khai ""mẫu 01"", kèm giấy tờ.\n'
    'Nhận kết quả; ký ""đã nhận""";"Bộ phận ""một cửa"", tầng 1"\n'
)


def test_finding_13_quoted_cells_keep_doubled_quotes_separators_and_line_breaks(
    session: Session, tmp_path: Path
) -> None:
    path = _write(tmp_path / "ngoac.csv", TRICKY)

    report = import_file(session, path, actor=Actor("bientap"))

    assert [(r.row, r.code, r.status) for r in report.rows] == [(2, "9.000204", "added")], report.to_dict()
    record = procedures.to_record(procedures.require(session, "9.000204"))
    assert record.name == 'Đăng ký "thử" khai sinh; bản sao'
    assert record.steps == ['Nộp tờ khai "mẫu 01", kèm giấy tờ.', 'Nhận kết quả; ký "đã nhận"']
    assert record.receiving_place == 'Bộ phận "một cửa", tầng 1'


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_finding_13_the_separator_is_read_from_the_header(session: Session, tmp_path: Path, delimiter: str) -> None:
    cells: list[Any] = ["9.000205", 'Cấp ""bản sao"", trích lục', "xa, tinh"]
    row = delimiter.join(f'"{c}"' for c in cells)
    path = _write(tmp_path / "tach.csv", delimiter.join(["code", "name", "levels"]) + "\n" + row + "\n")

    report = import_file(session, path, actor=Actor("bientap"))

    assert [(r.code, r.status) for r in report.rows] == [("9.000205", "added")], report.to_dict()
    record = procedures.to_record(procedures.require(session, "9.000205"))
    assert record.name == 'Cấp "bản sao", trích lục'
    assert record.levels == ["xa", "tinh"]
