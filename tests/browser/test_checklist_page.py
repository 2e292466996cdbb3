"""A saved personal checklist's printable page in headless Chromium on the real stack: the
citizen's own documents, what may be needed, the fee and deadline of their channel, where to go,
the "In danh sách" button and the PDF link; the shipped Vietnamese font is the one in use, and
the print layout hides the buttons. The screenshot is the README's (docs/images/checklist-print.png)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.conftest import Browser, readme_image

pytestmark = pytest.mark.browser


def _save(site: str, **body: Any) -> dict[str, Any]:
    response = httpx.post(f"{site}/api/checklists", json=body, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def test_printable_page_of_a_saved_checklist(browser: Browser, site: str, artifacts: Path) -> None:
    saved = _save(
        site,
        procedure_code="1.004222",
        answers={"cho_o": "thue_muon", "_channel": "in_person"},
        unit_code="26743",
    )
    other = _save(site, procedure_code="1.004222", answers={"cho_o": "nha_minh", "_channel": "online"})

    page = browser.page()
    page.goto(f"/checklists/{saved['token']}")
    page.locator("#items").wait_for()
    items = page.inner_text("#items")
    assert "Hợp đồng, văn bản cho thuê, cho mượn, cho ở nhờ" in items
    assert "Tờ khai thay đổi thông tin cư trú" in items and "Mẫu CT01" in items
    assert "Giấy tờ chứng minh chỗ ở hợp pháp" not in page.inner_text("#checklist")
    channels = page.inner_text("#channels")
    assert "20.000 đồng" in channels and "7 ngày làm việc" in channels
    assert "Trung tâm Phục vụ hành chính công phường Bến Thành" in page.inner_text("#where")
    assert page.get_by_role("button", name="In danh sách").is_visible()
    assert page.locator("#pdf-link").get_attribute("href") == f"/checklists/{saved['token']}.pdf"
    # The page's own Vietnamese font (api/static/fonts) is loaded and used.
    assert page.evaluate("document.fonts.ready.then(() => document.fonts.check('16px \"DejaVu Sans\"'))")
    assert page.evaluate(
        "[...document.fonts].some(f => f.family.replace(/\"/g, '') === 'DejaVu Sans' && f.status === 'loaded')"
    )
    page.screenshot(path=str(artifacts / "checklist-print.png"), full_page=True)
    readme_image(artifacts / "checklist-print.png")

    # The print button opens the browser's print dialog (its handler is a file: no inline script).
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    page.get_by_role("button", name="In danh sách").click()
    assert page.evaluate("window.__printed") == 1

    # Printed: no buttons on paper.
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="In danh sách").is_visible()
    page.emulate_media(media="screen")

    # The PDF link answers a PDF.
    pdf = httpx.get(f"{site}/checklists/{saved['token']}.pdf", timeout=20)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")

    # Other answers, another list.
    page.goto(f"/checklists/{other['token']}")
    page.locator("#items").wait_for()
    assert "Giấy tờ chứng minh chỗ ở hợp pháp" in page.inner_text("#items")
    assert "Hợp đồng, văn bản cho thuê" not in page.inner_text("#checklist")
    assert "10.000 đồng" in page.inner_text("#channels")
