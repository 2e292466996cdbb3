"""What one import file may cost, checked while it is read (never after).

An upload is parsed in the API process: without limits a small crafted file (an XLSX whose
sheet declares millions of empty rows, a zip bomb, a CSV of endless lines) kept a worker busy
for minutes and grew the process by hundreds of megabytes. Every limit lives here, as a
constant: they bound what the importer accepts from anyone, so an operator has no reason to
raise them (split a bigger catalogue into several files instead).
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from knowledge.importer.rows import ImportFileError

# The national catalogue sample (2,642 procedures) is about 42 MB: it must fit in one file.
MAX_FILE_BYTES = 64 * 1024 * 1024
# Procedures per file. The preview's dry run and the commit hold the database's write lock
# while they compare/write each row (about 5 ms a row for national records), so the cap keeps
# that phase under SQLite's 30 s busy timeout that other writers (logins…) wait for.
MAX_ROWS = 5_000
# Sheet columns: the importer knows 20; headers beyond this are not a procedure sheet.
MAX_COLUMNS = 64
# One sheet cell: Excel's own limit, so anything Excel can save fits.
MAX_CELL_CHARS = 32_767
# One physical line of a CSV or JSONL file (the longest national record is about 185 KB).
MAX_LINE_CHARS = 1_000_000
# A run of this many empty sheet rows ends the sheet: Excel keeps formatted empty rows, and a
# crafted sheet can declare millions of them; reading stops there instead of walking them all.
MAX_EMPTY_RUN = 1_000
# XLSX (a zip of XML parts): total size once decompressed, the most a part may be compressed
# (ordinary sheets are 5-20 times; bombs are hundreds or a thousand times), and the size of the
# archive's directory (ZipFile loads every entry of it in memory before anything else).
MAX_XLSX_UNCOMPRESSED_BYTES = 128 * 1024 * 1024
MAX_XLSX_RATIO = 200
MAX_XLSX_DIRECTORY_BYTES = 1024 * 1024

_MB = 1024 * 1024
_EOCD = struct.Struct("<4s4H2LH")  # zip "end of central directory" record
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_CHUNK = 1024 * 1024


class ImportLimitError(ImportFileError):
    """The file exceeds what one import may cost; the message (Vietnamese) says which limit."""


def grouped(value: int) -> str:
    """5000 → "5.000" (Vietnamese digit grouping)."""
    return f"{value:,}".replace(",", ".")


def file_too_large(limit: int | None = None) -> ImportLimitError:
    limit = MAX_FILE_BYTES if limit is None else limit
    return ImportLimitError(f"Tệp lớn hơn giới hạn {limit // _MB} MB; hãy chia nhỏ tệp rồi nhập từng phần")


def check_file_size(path: Path) -> None:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise file_too_large()


def too_many_rows() -> ImportLimitError:
    return ImportLimitError(
        f"Tệp có hơn {grouped(MAX_ROWS)} thủ tục, quá giới hạn một lần nhập; "
        "hãy chia tệp thành nhiều phần rồi nhập từng phần"
    )


def too_many_columns(row: int) -> ImportLimitError:
    return ImportLimitError(
        f"Dòng {row} có hơn {MAX_COLUMNS} cột; bảng thủ tục chỉ dùng các cột code, name, levels… "
        "(xoá các cột thừa rồi tải lại)"
    )


def limited_lines(handle: TextIO) -> Iterator[str]:
    """The handle's lines, refusing one longer than MAX_LINE_CHARS before it is read whole."""
    line_number = 0
    while True:
        line = handle.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        line_number += 1
        if len(line) > MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise ImportLimitError(
                f"Dòng {line_number} của tệp dài hơn {grouped(MAX_LINE_CHARS)} ký tự (giới hạn); tệp có thể bị hỏng"
            )
        yield line


def check_xlsx_archive(path: Path) -> None:
    """Refuse an XLSX whose parts would cost too much to decompress, before openpyxl opens it:
    the archive directory's size, then the sizes each part declares (total and ratio), then the
    bytes each part really decompresses to (zipfile stops at the declared size and fails on the
    CRC when a part lies about it)."""
    _check_directory(path)
    bad_archive = ImportFileError("Không đọc được tệp Excel: tệp .xlsx bị hỏng hoặc không phải tệp Excel")
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            declared = sum(part.file_size for part in parts)
            if declared > MAX_XLSX_UNCOMPRESSED_BYTES:
                raise _too_big_uncompressed()
            for part in parts:
                if part.file_size > _MB and part.file_size > MAX_XLSX_RATIO * max(part.compress_size, 1):
                    raise ImportLimitError(
                        f"Tệp Excel có phần “{part.filename[:80]}” nén bất thường (hơn {MAX_XLSX_RATIO} lần) "
                        "nên không được đọc; hãy mở tệp bằng Excel, lưu lại rồi tải lên"
                    )
            total = 0
            for part in parts:
                with archive.open(part) as member:
                    while chunk := member.read(_CHUNK):
                        total += len(chunk)
                        if total > MAX_XLSX_UNCOMPRESSED_BYTES:
                            raise _too_big_uncompressed()
    except ImportLimitError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError) as exc:
        raise bad_archive from exc


def _too_big_uncompressed() -> ImportLimitError:
    return ImportLimitError(
        f"Tệp Excel khi giải nén lớn hơn {MAX_XLSX_UNCOMPRESSED_BYTES // _MB} MB (giới hạn); "
        "hãy chia tệp thành nhiều phần hoặc lưu dưới dạng CSV"
    )


def _check_directory(path: Path) -> None:
    """ZipFile reads the whole central directory into ZipInfo objects when it opens: a 64 MB
    file of tiny entries would take about a gigabyte. Read the end record ourselves first."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        tail_size = min(size, _EOCD.size + 65_535)  # the record, then a comment of at most 64 KB
        handle.seek(size - tail_size)
        tail = handle.read(tail_size)
    at = tail.rfind(_EOCD_SIGNATURE)
    if at < 0 or at + _EOCD.size > len(tail):
        return  # not a zip at all: zipfile says so, with the usual message
    directory_size = _EOCD.unpack_from(tail, at)[5]
    zip64 = at >= 20 and tail[at - 20 : at - 16] == _ZIP64_LOCATOR_SIGNATURE
    if zip64 or directory_size > MAX_XLSX_DIRECTORY_BYTES:
        raise ImportLimitError(
            "Tệp Excel có quá nhiều phần nén (hoặc dùng định dạng ZIP64) nên không được đọc; "
            "hãy mở tệp bằng Excel, lưu lại rồi tải lên"
        )
