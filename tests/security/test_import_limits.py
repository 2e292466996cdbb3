"""Finding 3: an upload must not lock out everyone else nor cost unbounded time and memory.

The preview of a small crafted XLSX (millions of empty rows) held SQLite's write lock for the
whole parse (132 s): staff logins failed with 500 "database is locked". Now the file is parsed
with no lock held, within the caps of knowledge/importer/limits.py, checked while reading.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy.orm import Session

from core.audit.actor import Actor
from knowledge.importer import ImportFileError, import_file
from tests.staff.accounts import STAFF_PASSWORDS, STAFF_USERNAMES
from tests.staff.conftest import login

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["code", "name", "levels"]
REAL_ROWS = [["9.000101", "Thủ tục thử một", "xa"], ["9.000102", "Thủ tục thử hai", "tinh"]]
EMPTY_ROWS = 4_000_000


def _xlsx_with_empty_rows(path: Path, empty_row: Callable[[int], bytes]) -> Path:
    """An openpyxl workbook (header + two procedures) whose sheet then gets millions of empty
    rows and a dimension that declares them, as Excel writes formatted empty rows."""
    book = Workbook()
    sheet = book.active
    sheet.title = "procedures"
    for row in [HEADER, *REAL_ROWS]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    last = len(REAL_ROWS) + 1 + EMPTY_ROWS
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename != "xl/worksheets/sheet1.xml":
                out.writestr(info, data)
                continue
            head, tail = data.split(b"</sheetData>")
            head = re.sub(rb'<dimension ref="[^"]+"\s*/>', f'<dimension ref="A1:C{last}"/>'.encode(), head)
            with out.open(info.filename, "w", force_zip64=True) as part:
                part.write(head)
                for start in range(len(REAL_ROWS) + 2, last + 1, 100_000):
                    part.write(b"".join(empty_row(n) for n in range(start, min(start + 100_000, last + 1))))
                part.write(b"</sheetData>" + tail)
    return path


def _in_time(work: Callable[[], Any], seconds: float) -> tuple[Any, float, int]:
    """Run ``work`` in a daemon thread (the old code takes minutes: the test must not wait for
    it); its result (or exception), the time it took and the tracemalloc peak in bytes."""
    box: list[Any] = []

    def run() -> None:
        try:
            box.append(work())
        except Exception as exc:  # noqa: BLE001 - the caller asserts on it
            box.append(exc)

    tracemalloc.start()
    started = time.perf_counter()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert not thread.is_alive(), f"still reading the file after {seconds} s"
    return box[0], elapsed, peak


def test_finding_3_xlsx_with_4m_empty_rows_is_reduced_to_its_real_rows_quickly(
    session: Session, tmp_path: Path
) -> None:
    path = _xlsx_with_empty_rows(tmp_path / "trong.xlsx", lambda n: b'<row r="%d"/>' % n)
    assert path.stat().st_size < 12 * 1024 * 1024  # ~10 MB on disk, 71 MB of sheet XML

    report, elapsed, peak = _in_time(lambda: import_file(session, path, actor=Actor("bientap"), dry_run=True), 30)

    assert not isinstance(report, BaseException), report
    assert [(r.row, r.code, r.status) for r in report.rows] == [(2, "9.000101", "added"), (3, "9.000102", "added")]
    assert any("dòng trống liên tiếp" in note for note in report.notes)
    assert elapsed < 15, elapsed  # about 1.5 s here (the old code: minutes)
    assert peak < 64 * 1024 * 1024, peak  # about 10 MB here


def test_finding_3_zip_bomb_is_refused_before_it_is_decompressed(session: Session, tmp_path: Path) -> None:
    # 24 MB of "<row/>" compressed into ~40 KB: a 600-fold part.
    path = _xlsx_with_empty_rows(tmp_path / "bom.xlsx", lambda n: b"<row/>")
    assert path.stat().st_size < 100 * 1024

    result, elapsed, _peak = _in_time(lambda: import_file(session, path, actor=Actor("bientap"), dry_run=True), 30)

    assert isinstance(result, ImportFileError), result
    assert "nén bất thường" in str(result)
    assert elapsed < 10, elapsed


def _csv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write("code,name,levels\n")
        for i in range(rows):
            out.write(f"9.{100000 + i:06d},Thủ tục thử số {i},xa\n")
    return path


def test_finding_3_too_many_rows_are_refused_while_reading(session: Session, tmp_path: Path) -> None:
    from knowledge.importer import limits

    # Forty times the cap: counting stops at the cap + 1 instead of parsing (and comparing) it all.
    path = _csv(tmp_path / "nhieu.csv", limits.MAX_ROWS * 40)

    result, elapsed, _peak = _in_time(lambda: import_file(session, path, actor=Actor("bientap"), dry_run=True), 60)

    assert isinstance(result, limits.ImportLimitError), result
    assert f"hơn {limits.grouped(limits.MAX_ROWS)} thủ tục" in str(result)
    assert elapsed < 20, elapsed


def test_finding_3_preview_page_and_cli_explain_the_refusal(staff_client: Any, tmp_path: Path) -> None:
    from knowledge.importer import limits

    path = _csv(tmp_path / "nhieu.csv", limits.MAX_ROWS + 1)
    login(staff_client, "editor")
    token = re.search(r'name="csrf_token" value="([^"]+)"', staff_client.get("/staff/import").text)
    assert token
    with path.open("rb") as handle:
        page = staff_client.post(
            "/staff/import", data={"csrf_token": token.group(1)}, files={"file": ("nhieu.csv", handle, "text/csv")}
        )
    assert page.status_code == 413
    assert "hơn 5.000 thủ tục" in page.text and "chia tệp" in page.text

    env = {**os.environ, "TTHC_DATA_DIR": str(tmp_path / "cli-data"), "COLUMNS": "200"}
    cli = subprocess.run(
        [sys.executable, "-m", "cli", "kb", "import", str(path), "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert cli.returncode == 2, cli.stdout + cli.stderr
    assert "hơn 5.000 thủ tục" in cli.stdout


def _form_token(html: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    return token.group(1)


def test_finding_3_logins_and_writes_keep_working_while_a_preview_parses(
    staff_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the editor's preview is in the middle of reading a large valid file, an officer logs
    in and another unit of work writes: both succeed at once (the old preview held the write
    lock for the whole parse, so the login waited 30 s and failed with "database is locked")."""
    from fastapi.testclient import TestClient

    from core import db
    from core.audit.models import AuditEntry
    from knowledge.importer import sheets

    path = _csv(tmp_path / "lon.csv", 2_000)
    parsing, other_done = threading.Event(), threading.Event()
    observed: dict[str, Any] = {}
    real_sheet_record = sheets.sheet_record
    calls = [0]

    def sheet_record_pausing_midway(values: dict[str, Any]) -> Any:
        calls[0] += 1
        if calls[0] == 1_000:  # half the file read: let the others in, then go on
            parsing.set()
            other_done.wait(60)
        return real_sheet_record(values)

    monkeypatch.setattr(sheets, "sheet_record", sheet_record_pausing_midway)

    def others() -> None:
        parsing.wait(60)
        officer = TestClient(staff_client.app, raise_server_exceptions=False)
        started = time.perf_counter()
        try:
            form = officer.get("/staff/login")
            response = officer.post(
                "/staff/login",
                data={
                    "username": STAFF_USERNAMES["agent"],
                    "password": STAFF_PASSWORDS["agent"],
                    "csrf_token": _form_token(form.text),
                },
                follow_redirects=False,
            )
            observed["login"] = (response.status_code, response.text[:200])
            observed["login_seconds"] = time.perf_counter() - started
            started = time.perf_counter()
            with db.session_scope() as session:
                session.add(AuditEntry(at=db.utcnow(), actor="khac", action="thu.ghi", entity_type="thu"))
            observed["write_seconds"] = time.perf_counter() - started
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            observed["error"] = repr(exc)
        finally:
            other_done.set()

    login(staff_client, "editor")
    token = _form_token(staff_client.get("/staff/import").text)
    thread = threading.Thread(target=others, daemon=True)
    thread.start()
    with path.open("rb") as handle:
        preview = staff_client.post(
            "/staff/import",
            data={"csrf_token": token},
            files={"file": ("lon.csv", handle, "text/csv")},
            follow_redirects=False,
        )
    thread.join(60)

    assert parsing.is_set(), "the preview never reached the middle of the file"
    assert "error" not in observed, observed
    assert observed["login"][0] == 303, observed["login"]
    assert observed["login_seconds"] < 10, observed
    assert observed["write_seconds"] < 10, observed
    assert preview.status_code == 303, preview.text[:500]
    assert "Thêm mới (2000)" in staff_client.get(preview.headers["location"]).text
