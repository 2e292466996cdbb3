"""The knowledge admin in headless Chromium, as an editor, on the real stack (tests/e2e): edit a
procedure's fee (with a validation error first), see the new version and its diff, revert;
import tests/data/importer/sample.csv with a preview, then confirm; unpublish and publish, with
the citizens' API following. Screenshots in test-artifacts/browser/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "importer" / "sample.csv"
EDITED = "1.004746"  # Đăng ký lại kết hôn: no conversation test relies on its wording
TOGGLED = "1.003677"  # Khai báo tạm vắng
NEW_FEE = "Miễn phí (đã đối chiếu, thử nghiệm trình duyệt)"


def _accept_dialogs(page: Any) -> None:
    page.on("dialog", lambda dialog: dialog.accept())


def test_editor_edits_a_fee_sees_the_diff_and_reverts(staff_page: Any, artifacts: Path) -> None:
    page = staff_page("editor")
    _accept_dialogs(page)
    page.goto("/staff/procedures")
    page.fill("input[name=q]", "dang ky lai ket hon")
    page.press("input[name=q]", "Enter")
    page.locator("#procedure-table a", has_text=EDITED).first.click()
    page.locator("#edit-link").click()
    page.locator("#procedure-form").wait_for()
    old_fee = page.input_value("input[name='channels-0-fee']")
    version = int(page.input_value("input[name=version]"))

    # A mistake first: the error sits next to the field and what was typed stays.
    page.fill("input[name='channels-0-fee_vnd']", "năm nghìn")
    page.fill("input[name='channels-0-fee']", NEW_FEE)
    page.click("#save-button")
    page.locator("#err-channels-0-fee_vnd").wait_for()
    assert "Phải là số nguyên" in page.inner_text("#err-channels-0-fee_vnd")
    assert page.input_value("input[name='channels-0-fee']") == NEW_FEE
    page.screenshot(path=str(artifacts / "admin-edit-error.png"), full_page=True)

    page.fill("input[name='channels-0-fee_vnd']", "0")
    page.fill("input[name=change_note]", "đối chiếu lệ phí")
    page.click("#save-button")
    page.locator(".adm-notice", has_text="Đã lưu").wait_for()
    assert NEW_FEE in page.inner_text("#channel-table")
    assert f"phiên bản {version + 1}" in page.inner_text(".adm-meta")

    page.locator("#history-link").click()
    page.locator("#field-diff").wait_for()
    assert f"So sánh phiên bản {version} với phiên bản {version + 1}" in page.inner_text("#diff-title")
    diff = page.inner_text("#field-diff")
    assert "Cách thức thực hiện" in diff and NEW_FEE in diff and old_fee in diff
    assert any(NEW_FEE in line for line in page.locator("#unified-diff .adm-d-add").all_inner_texts())
    assert "đối chiếu lệ phí" in page.inner_text("#version-table")
    page.screenshot(path=str(artifacts / "admin-history-diff.png"), full_page=True)

    page.locator(f"[data-revert='{version}']").click()
    page.locator(".adm-notice", has_text="Đã khôi phục").wait_for()
    assert f"khôi phục phiên bản {version}" in page.inner_text("#version-table")
    page.goto(f"/staff/procedures/{EDITED}")
    assert NEW_FEE not in page.inner_text("#channel-table") and old_fee in page.inner_text("#channel-table")
    page.screenshot(path=str(artifacts / "admin-reverted.png"), full_page=True)


def test_editor_imports_a_sheet_with_a_preview_then_confirms(staff_page: Any, artifacts: Path) -> None:
    page = staff_page("editor")
    page.goto("/staff/import")
    page.set_input_files("#f-file", str(SAMPLE))
    page.click("#preview-button")
    page.locator("#import-counts").wait_for()
    assert "Chưa có gì được ghi" in page.inner_text(".adm-notice")
    assert "2 thêm mới" in page.inner_text("#import-counts"), page.inner_text("main")
    assert page.locator("tr[data-code='9.000001']").count() == 1
    page.screenshot(path=str(artifacts / "admin-import-preview.png"), full_page=True)

    page.click("#commit-button")
    page.locator("#import-done").wait_for()
    assert "2 thêm mới" in page.inner_text("#import-done")
    page.screenshot(path=str(artifacts / "admin-import-done.png"), full_page=True)
    page.locator("a", has_text="9.000001").first.click()
    assert "Đăng ký thử nghiệm khai sinh" in page.inner_text("h1")


def test_editor_unpublishes_and_publishes(staff_page: Any, site: str, artifacts: Path) -> None:
    page = staff_page("editor")
    _accept_dialogs(page)
    page.goto(f"/staff/procedures/{TOGGLED}")
    page.click("#unpublish-button")
    page.locator(".adm-notice", has_text="Đã ngừng xuất bản").wait_for()
    assert "Chưa xuất bản" in page.inner_text("#publish-state")
    assert httpx.get(f"{site}/api/procedures/{TOGGLED}").status_code == 404
    page.screenshot(path=str(artifacts / "admin-unpublished.png"), full_page=True)

    page.goto("/staff/procedures?published=no")
    assert TOGGLED in page.inner_text("#procedure-table")

    page.goto(f"/staff/procedures/{TOGGLED}")
    page.click("#publish-button")
    page.locator(".adm-notice", has_text="Đã xuất bản").wait_for()
    assert httpx.get(f"{site}/api/procedures/{TOGGLED}").status_code == 200
