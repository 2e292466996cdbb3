"""The analytics page in headless Chromium, as an analyst: charts drawn from the locally served
Chart.js, tables beside them, no request leaving the server, no console error, and the CSV link
downloads the same numbers. Real stack (tests/e2e)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy.orm import sessionmaker

from core.db import make_engine
from core.privacy import sender_hash

pytestmark = pytest.mark.browser

# Turns keep official unit codes; the page and the CSV show the unit's name. Only this test writes
# this unit, so its figures are known whatever else the stack's store holds.
UNIT, UNIT_NAME = "26732", "Đặc khu Côn Đảo"


def _add_activity(stack: Any) -> None:
    """Three days of made-up activity in one unit (the store keeps naive UTC)."""
    from servicedesk.conversations.models import ConversationTurn
    from servicedesk.handoff.models import HandoffRequest
    from servicedesk.ratings.models import Rating

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    engine = make_engine(f"sqlite:///{stack.config.data_dir / 'tthc.sqlite3'}")
    try:
        with sessionmaker(bind=engine).begin() as session:
            for day in range(3):
                at = now - dt.timedelta(days=day, minutes=5)
                for n in range(day + 2):
                    sender = f"web-analytics-{day}-{n}"
                    session.add(
                        ConversationTurn(
                            at=at,
                            sender_hash=sender_hash(sender),
                            channel="web" if n % 2 else "zalo",
                            unit_code=UNIT,
                            intent="ask_fee" if n % 2 else "ask_documents",
                            confidence=0.9,
                            procedure_code="1.001193",
                            fallback=n == 3,
                            needs_review=False,
                            text_redacted=None,
                            handled_by="bot",
                        )
                    )
                    session.add(
                        Rating(
                            score=5 - n % 3,
                            channel="web" if n % 2 else "zalo",
                            sender_hash=sender_hash(sender),
                            created_at=at,
                        )
                    )
                session.add(
                    HandoffRequest(
                        sender_id=f"web-analytics-{day}-0",
                        channel="zalo",
                        status="taken",
                        created_at=at,
                        taken_at=at + dt.timedelta(seconds=90),
                    )
                )
    finally:
        engine.dispose()


def test_analyst_sees_charts_and_downloads_the_csv(staff_page: Any, stack: Any, artifacts: Path) -> None:
    _add_activity(stack)
    page = staff_page("analyst")
    origin = urlsplit(stack.config.api_url).netloc
    outside: list[str] = []
    console_errors: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if urlsplit(r.url).netloc not in (origin, "") else None)
    # The browser's own favicon request is not the page's doing.
    page.on(
        "console",
        lambda m: (
            console_errors.append(m.text)
            if m.type == "error" and not (m.location or {}).get("url", "").endswith("/favicon.ico")
            else None
        ),
    )

    page.goto("/staff/analytics")
    page.locator("#analytics[data-loaded='true']").wait_for()
    assert page.evaluate("typeof window.Chart.register") == "function", "the vendored Chart.js did not load"
    for canvas in ("chart-days", "chart-procedures", "chart-intents", "chart-ratings", "chart-channels"):
        drawn = page.evaluate(
            """id => { const c = document.getElementById(id); const chart = window.Chart.getChart(c);
                       return Boolean(chart) && c.width > 0 && c.height > 0; }""",
            canvas,
        )
        assert drawn, f"{canvas} was not drawn"

    # narrow to the test's unit: its figures are known whatever else the stack's store holds
    assert page.locator(f"#filter-unit option[value='{UNIT}']").inner_text() == UNIT_NAME
    page.select_option("#filter-unit", UNIT)
    page.click("#analytics-filters button[type=submit]")
    page.locator("#analytics-status", has_text="Đã cập nhật").wait_for()
    page.wait_for_function("document.querySelector('[data-total=conversations]').textContent === '9'")
    assert page.locator("[data-total=messages]").inner_text() == "9"
    assert page.locator("[data-total=handoffs]").inner_text() == "3"
    assert page.locator("[data-total=wait_median_seconds]").inner_text() == "1 phút 30 giây"
    assert "1.001193" in page.locator("#table-procedures").inner_text()
    assert "Hỏi phí, lệ phí" in page.locator("#table-intents").inner_text()
    assert "unit=" in (page.get_attribute("#analytics-csv", "href") or "")
    page.screenshot(path=str(artifacts / "analytics.png"), full_page=True)

    with page.expect_download() as download_info:
        page.click("#analytics-csv")
    download = download_info.value
    assert download.suggested_filename.startswith("thong-ke-tro-ly-") and download.suggested_filename.endswith(".csv")
    content = Path(download.path()).read_text(encoding="utf-8")
    assert content.startswith("\ufeffMục,Khóa,Tên,Chỉ số,Giá trị")
    assert f"Phạm vi,unit,Đơn vị,,{UNIT_NAME}" in content
    assert f"Theo đơn vị,{UNIT},{UNIT_NAME},Số tin nhắn,9" in content
    assert "Tổng quan,conversations," in content

    assert outside == [], f"requests left the server: {outside}"
    assert console_errors == [], f"console errors: {console_errors}"


def test_agent_is_refused_the_analytics_page(staff_page: Any) -> None:
    page = staff_page("agent")
    response = page.goto("/staff/analytics")
    assert response is not None and response.status == 403
