"""Admin spreadsheets (CSV or Excel .xlsx): one procedure per row. Format: README.md here.

Columns the sheet does not have are left as they are in the database when a procedure is
updated; a column that is present but empty clears that field.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from knowledge.importer import limits
from knowledge.importer._text import clean, folded
from knowledge.importer.legal_basis import NUMBER as _LEGAL_NUMBER
from knowledge.importer.rows import ImportFileError, ParsedRow, RowError, validation_error
from knowledge.procedures.schemas import ProcedureRecord


class SheetFormatError(ImportFileError):
    """The sheet as a whole cannot be read (missing required columns, unreadable file)."""


REQUIRED_COLUMNS = ("code", "name", "levels")
COLUMNS = (
    "code",
    "name",
    "levels",
    "field",
    "agency",
    "receiving_place",
    "aliases",
    "steps",
    "documents",
    "channels",
    "online_url",
    "source_url",
    "last_verified",
    # optional extras
    "official_name",
    "applicants",
    "publishing_decision",
    "conditions",
    "result",
    "legal_basis",
    "source_note",
)
# Vietnamese headers admins tend to write, folded (no diacritics, "_" for spaces).
HEADER_ALIASES = {
    "ma": "code",
    "ma_thu_tuc": "code",
    "ten": "name",
    "ten_thu_tuc": "name",
    "cap": "levels",
    "cap_thuc_hien": "levels",
    "level": "levels",
    "linh_vuc": "field",
    "co_quan": "agency",
    "co_quan_thuc_hien": "agency",
    "noi_tiep_nhan": "receiving_place",
    "dia_chi_tiep_nhan": "receiving_place",
    "ten_goi_khac": "aliases",
    "alias": "aliases",
    "trinh_tu": "steps",
    "trinh_tu_thuc_hien": "steps",
    "cac_buoc": "steps",
    "thanh_phan_ho_so": "documents",
    "ho_so": "documents",
    "giay_to": "documents",
    "cach_thuc": "channels",
    "cach_thuc_thuc_hien": "channels",
    "hinh_thuc_nop": "channels",
    "link_truc_tuyen": "online_url",
    "nop_truc_tuyen": "online_url",
    "nguon": "source_url",
    "link_nguon": "source_url",
    "ngay_doi_chieu": "last_verified",
    "ngay_kiem_tra": "last_verified",
    "ten_day_du": "official_name",
    "doi_tuong": "applicants",
    "doi_tuong_thuc_hien": "applicants",
    "quyet_dinh": "publishing_decision",
    "so_quyet_dinh": "publishing_decision",
    "dieu_kien": "conditions",
    "yeu_cau_dieu_kien": "conditions",
    "ket_qua": "result",
    "can_cu_phap_ly": "legal_basis",
    "ghi_chu_nguon": "source_note",
}

LEVEL_WORDS = {
    "xa": "xa", "cap xa": "xa", "phuong": "xa", "dac khu": "xa",
    "tinh": "tinh", "cap tinh": "tinh",
    "bo": "bo", "cap bo": "bo", "trung uong": "bo", "cap trung uong": "bo",
    "khac": "khac", "co quan khac": "khac",
}  # fmt: skip
DOCUMENT_KINDS = {
    "original": "original", "ban chinh": "original", "chinh": "original",
    "copy": "copy", "ban sao": "copy", "sao": "copy",
    "certified_copy": "certified_copy", "ban sao chung thuc": "certified_copy",
    "ban sao co chung thuc": "certified_copy", "sao chung thuc": "certified_copy",
    "present": "present", "xuat trinh": "present", "ban xuat trinh": "present",
    "electronic": "electronic", "ban dien tu": "electronic", "dien tu": "electronic",
}  # fmt: skip
CHANNEL_KINDS = {
    "in_person": "in_person", "truc tiep": "in_person", "nop truc tiep": "in_person",
    "online": "online", "truc tuyen": "online", "nop truc tuyen": "online",
    "post": "post", "buu chinh": "post", "dich vu buu chinh": "post", "qua buu chinh": "post",
}  # fmt: skip
TRUE_WORDS = {"", "true", "yes", "y", "1", "x", "co", "bat buoc"}
FALSE_WORDS = {"false", "no", "n", "0", "khong", "khong bat buoc", "tuy chon", "tuy truong hop"}


# --------------------------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return clean(value, multiline=True)


def _lines(value: Any) -> list[str]:
    text = _text(value)
    return [line.strip() for line in text.split("\n") if line.strip()] if text else []


def _cells(line: str, width: int, what: str, index: int) -> list[str | None]:
    parts = [p.strip() for p in line.split("|")]
    if len(parts) > width:
        raise RowError(
            f"{what} dòng {index}: quá {width} cột (ngăn cách bằng “|”)",
            f"{what}[{index}]: expected at most {width} '|'-separated fields, got {len(parts)}",
        )
    return [p or None for p in parts] + [None] * (width - len(parts))


def parse_code(value: Any) -> str | None:
    """Excel turns "1.000490" into the number 1.00049: put the six digits back."""
    if isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, int):
        return str(value)
    text = clean(value)
    return text.lstrip("'").strip() if text else None


def parse_levels(value: Any) -> list[str]:
    levels: list[str] = []
    for part in re.split(r"[,;\n]", _text(value) or ""):
        key = folded(part)
        if not key:
            continue
        level = LEVEL_WORDS.get(key)
        if level is None:
            raise RowError(
                f"Cấp thực hiện không hợp lệ: “{part.strip()}” (dùng xa, tinh, bo, khac hoặc Cấp xã, Cấp tỉnh…)",
                f"levels: unknown level {part.strip()!r}",
            )
        if level not in levels:
            levels.append(level)
    return levels


def parse_list(value: Any) -> list[str]:
    """Newline-separated; a single-line cell is split on ";"."""
    text = _text(value)
    if not text:
        return []
    parts = text.split("\n") if "\n" in text else text.split(";")
    return [p.strip() for p in parts if p.strip()]


def _int(value: str | None, what: str) -> int | None:
    if value is None:
        return None
    digits = re.sub(r"(?i)\s*(đồng|đ|vnđ|vnd)$", "", value).replace(".", "").replace(",", "").replace(" ", "")
    if not digits.isdigit():
        raise RowError(f"{what} phải là số nguyên: “{value}”", f"{what}: not an integer {value!r}")
    return int(digits)


def _float(value: str | None, what: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError:
        raise RowError(f"{what} phải là số: “{value}”", f"{what}: not a number {value!r}") from None


def _bool(value: str | None, what: str) -> bool:
    key = folded(value or "")
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    raise RowError(f"{what} phải là có/không: “{value}”", f"{what}: not a boolean {value!r}")


def parse_documents(value: Any) -> list[dict[str, Any]]:
    """One per line: ``name | kind | count | required | condition`` (optional 6th: form)."""
    documents = []
    for i, line in enumerate(_lines(value), start=1):
        name, kind, count, required, condition, form = _cells(line, 6, "Hồ sơ", i)
        if not name:
            raise RowError(f"Hồ sơ dòng {i}: thiếu tên giấy tờ", f"documents[{i}]: empty name")
        kind_code = None
        if kind:
            kind_code = DOCUMENT_KINDS.get(folded(kind))
            if kind_code is None:
                raise RowError(
                    f"Hồ sơ dòng {i}: loại giấy tờ “{kind}” không hợp lệ "
                    "(bản chính, bản sao, bản sao chứng thực, xuất trình, bản điện tử)",
                    f"documents[{i}].kind: unknown {kind!r}",
                )
        documents.append(
            {
                "name": name,
                "form": form,
                "kind": kind_code,
                "count": _int(count, f"Hồ sơ dòng {i}: số lượng"),
                "required": _bool(required, f"Hồ sơ dòng {i}: bắt buộc"),
                "condition": condition,
            }
        )
    return documents


def parse_channels(value: Any) -> list[dict[str, Any]]:
    """One per line: ``kind | processing_time | processing_days | fee | fee_vnd | note``."""
    channels = []
    for i, line in enumerate(_lines(value), start=1):
        kind, time, days, fee, fee_vnd, note = _cells(line, 6, "Cách thức nộp", i)
        kind_code = CHANNEL_KINDS.get(folded(kind or ""))
        if kind_code is None:
            raise RowError(
                f"Cách thức nộp dòng {i}: hình thức “{kind or ''}” không hợp lệ (trực tiếp, trực tuyến, bưu chính)",
                f"channels[{i}].kind: unknown {kind!r}",
            )
        channels.append(
            {
                "kind": kind_code,
                "processing_time": time,
                "processing_days": _float(days, f"Cách thức nộp dòng {i}: số ngày"),
                "fee": fee,
                "fee_vnd": _int(fee_vnd, f"Cách thức nộp dòng {i}: phí (đồng)"),
                "note": note,
            }
        )
    return channels


def parse_legal_basis(value: Any) -> list[dict[str, Any]]:
    """One per line: ``number | title`` (either may be left out)."""
    items = []
    for i, line in enumerate(_lines(value), start=1):
        first, second = _cells(line, 2, "Căn cứ pháp lý", i)
        if second is None and first and not _LEGAL_NUMBER.fullmatch(first):
            first, second = None, first
        items.append({"number": first, "title": second})
    return items


def parse_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise RowError(
        f"Ngày đối chiếu không hợp lệ: “{text}” (dùng 2026-11-22 hoặc 22/11/2026)", f"last_verified: {text!r}"
    )


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------

_PARSERS = {
    "levels": parse_levels,
    "aliases": parse_list,
    "steps": parse_list,
    "documents": parse_documents,
    "channels": parse_channels,
    "legal_basis": parse_legal_basis,
    "last_verified": parse_date,
    "code": parse_code,
}


def _column_name(header: Any) -> tuple[str, str | None]:
    """The header as written, and the field it names (``None``: a column the importer ignores)."""
    raw = clean(header) or ""
    key = re.sub(r"[\s\-]+", "_", folded(raw))
    return raw, key if key in COLUMNS else HEADER_ALIASES.get(key)


def map_headers(headers: Iterable[Any]) -> tuple[list[str | None], list[str]]:
    """Column index → field name (``None`` for ignored columns), plus the ignored header names.

    Unknown columns (an office's own notes…) are ignored and reported; two columns naming the
    same field are refused, since either could be the one the editor meant."""
    mapped: list[str | None] = []
    ignored: list[str] = []
    for header in headers:
        raw, name = _column_name(header)
        if name is not None and name in mapped:
            raise SheetFormatError(f"Cột “{raw}” lặp lại (cột {name})")
        mapped.append(name)
        if name is None and raw:
            ignored.append(raw)
    missing = [c for c in REQUIRED_COLUMNS if c not in mapped]
    if missing:
        raise SheetFormatError(f"Thiếu cột bắt buộc: {', '.join(missing)} (dòng tiêu đề phải có code, name, levels)")
    return mapped, ignored


def ignored_column_note(header: str) -> str:
    return f"Cột “{header}” không được dùng và đã bỏ qua"


def sheet_record(values: dict[str, Any]) -> ProcedureRecord:
    data: dict[str, Any] = {}
    for name, value in values.items():
        parser = _PARSERS.get(name)
        data[name] = parser(value) if parser else _text(value)
    if not data.get("code"):
        raise RowError("Thiếu mã thủ tục", "code is empty")
    if not data.get("name"):
        raise RowError("Thiếu tên thủ tục", "name is empty")
    if not data.get("levels"):
        raise RowError("Thiếu cấp thực hiện", "levels is empty")
    try:
        return ProcedureRecord.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from exc


def _is_empty(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _rows(table: Iterator[tuple[int, list[Any]]], notes: list[str]) -> Iterator[ParsedRow]:
    try:
        header_row = next(table, None)
        if header_row is None:
            raise SheetFormatError("Tệp trống (không có dòng tiêu đề)")
        _check_width(header_row)
        columns, ignored = map_headers(header_row[1])
        notes.extend(ignored_column_note(name) for name in dict.fromkeys(ignored))
        present = frozenset(c for c in columns if c)
        empty_run = 0
        for number, cells in table:
            _check_width((number, cells))
            if all(_is_empty(c) for c in cells):
                empty_run += 1
                if empty_run >= limits.MAX_EMPTY_RUN:
                    # Trailing empty rows are not rows: stop here rather than walk millions of them.
                    notes.append(
                        f"Đã dừng đọc ở dòng {number} vì gặp {limits.grouped(empty_run)} dòng trống liên tiếp; "
                        "nếu còn thủ tục ở các dòng sau, hãy xoá các dòng trống rồi tải lại"
                    )
                    return
                continue
            empty_run = 0
            values = {name: cells[i] if i < len(cells) else None for i, name in enumerate(columns) if name}
            parsed = ParsedRow(number, fields=present)
            try:
                parsed.code = parse_code(values.get("code"))
                _check_cells(values)
                parsed.record = sheet_record(values)
            except RowError as exc:
                parsed.error = exc
            yield parsed
    finally:
        close = getattr(table, "close", None)
        if close is not None:
            close()  # closes the workbook / file now, not when the generator is collected


def _check_width(row: tuple[int, list[Any]]) -> None:
    number, cells = row
    if len(cells) > limits.MAX_COLUMNS and not all(_is_empty(c) for c in cells[limits.MAX_COLUMNS :]):
        raise limits.too_many_columns(number)


def _check_cells(values: dict[str, Any]) -> None:
    for name, value in values.items():
        if isinstance(value, str) and len(value) > limits.MAX_CELL_CHARS:
            raise RowError(
                f"Ô cột {name} dài hơn {limits.grouped(limits.MAX_CELL_CHARS)} ký tự (giới hạn)",
                f"{name}: {len(value)} characters, limit {limits.MAX_CELL_CHARS}",
            )


def _delimiter(header_line: str) -> str:
    """The separator that splits the header into the most known columns (then the most columns).

    Guessed from the header alone, but the rows are then read by the csv module's own quoting
    rules (cells in double quotes may hold separators, line breaks and doubled quotes)."""

    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        return sum(1 for c in cells if _column_name(c)[1]), len(cells)

    return max(",;\t", key=score)  # max keeps the first of equals: "," by default


def _csv_table(path: Path) -> Iterator[tuple[int, list[Any]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = limits.limited_lines(handle)
        reader: Any = None
        try:
            first = next(lines, None)
            if first is None:
                return
            reader = csv.reader(itertools.chain([first], lines), csv.excel, delimiter=_delimiter(first))
            # Spreadsheet numbering: the header is row 1, so the first procedure is row 2.
            yield from enumerate(reader, start=1)
        except UnicodeDecodeError as exc:
            raise SheetFormatError("Tệp CSV phải được lưu với bảng mã UTF-8 (Excel: “CSV UTF-8”)") from exc
        except csv.Error as exc:
            # The csv module's own field limit (131,072 characters) is the only error it raises
            # on text that reached it: a cell four times longer than any Excel cell.
            raise limits.ImportLimitError(
                f"Không đọc được tệp CSV gần dòng {reader.line_num if reader else 1}: một ô quá dài hoặc hỏng ({exc})"
            ) from exc


def _xlsx_table(path: Path) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook  # only needed for Excel files

    limits.check_xlsx_archive(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise SheetFormatError(f"Không đọc được tệp Excel: {exc}") from exc
    try:
        names = {folded(n).replace(" ", "_"): n for n in book.sheetnames}
        wanted = next((names[k] for k in ("procedures", "thu_tuc") if k in names), None)
        sheet = book[wanted] if wanted else book.worksheets[0]
        # Read at most one column past the limit (so a wider sheet is noticed, not walked): the
        # read-only sheet pads every row to this width. Rows are streamed; _rows stops at a long
        # run of empty ones, so a dimension declaring millions of rows costs nothing.
        width = sheet.max_column if sheet.max_column and sheet.max_column <= limits.MAX_COLUMNS else None
        for number, cells in enumerate(
            sheet.iter_rows(max_col=width or limits.MAX_COLUMNS + 1, values_only=True), start=1
        ):
            yield number, list(cells)
    finally:
        book.close()


def iter_csv(path: Path, notes: list[str] | None = None) -> Iterator[ParsedRow]:
    """One ParsedRow per non-empty row; file-level remarks (ignored columns…) go to ``notes``."""
    yield from _rows(_csv_table(path), [] if notes is None else notes)


def iter_xlsx(path: Path, notes: list[str] | None = None) -> Iterator[ParsedRow]:
    yield from _rows(_xlsx_table(path), [] if notes is None else notes)
