"""Logging in to the staff pages in Chromium, and a role being refused a page it may not use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Browser
from tests.staff.accounts import STAFF_PASSWORDS, STAFF_USERNAMES

pytestmark = pytest.mark.browser


def test_login_with_a_wrong_then_the_right_password(browser: Browser, artifacts: Path) -> None:
    page = browser.page()
    page.goto("/staff/console")
    page.wait_for_url("**/staff/login?next=%2Fstaff%2Fconsole")
    page.get_by_label("Tên đăng nhập").fill(STAFF_USERNAMES["agent"])
    page.get_by_label("Mật khẩu").fill("khong-dung-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in alert.text_content()
    assert page.get_by_label("Tên đăng nhập").input_value() == STAFF_USERNAMES["agent"]
    assert page.get_by_label("Mật khẩu").input_value() == ""
    page.screenshot(path=str(artifacts / "staff-login-wrong.png"))

    page.get_by_label("Mật khẩu").fill(STAFF_PASSWORDS["agent"])
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/staff/console")
    nav = page.get_by_role("navigation", name="Chức năng")
    assert nav.get_by_role("link", name="Bàn trực tổng đài").is_visible()
    assert nav.get_by_role("link", name="Thủ tục").count() == 0  # not an editor
    assert "Cán bộ tổng đài (thử nghiệm)" in page.locator(".staff-user").text_content()

    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/staff/login")
    page.goto("/staff/console")
    page.wait_for_url("**/staff/login?next=%2Fstaff%2Fconsole")


def test_an_agent_is_refused_the_knowledge_admin(staff_page: Any, artifacts: Path) -> None:
    page = staff_page("agent")
    response = page.goto("/staff/procedures")
    assert response is not None and response.status == 403
    alert = page.get_by_role("alert")
    assert "Không được phép" in alert.text_content()
    assert "Cán bộ tổng đài" in alert.text_content() and "Biên tập viên" in alert.text_content()
    page.screenshot(path=str(artifacts / "staff-refused.png"))
    # The menu offers only what the role may use.
    links = page.get_by_role("navigation", name="Chức năng").get_by_role("link").all_text_contents()
    assert links == ["Bàn trực tổng đài"]


def test_the_home_page_lists_an_admins_tools(staff_page: Any) -> None:
    page = staff_page("admin")
    tiles = page.locator(".staff-tiles a").all_text_contents()
    for expected in ("Bàn trực tổng đài", "Thủ tục", "Thống kê", "Tài khoản", "Nhật ký thay đổi", "Học từ hội thoại"):
        assert expected in tiles
