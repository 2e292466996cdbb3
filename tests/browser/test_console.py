"""The hotline console in headless Chromium against the real stack: an officer sees a web chat's
request appear live, takes it, replies; the citizen (the widget on another site, in another
browser profile) sees the reply and the hand-back. And the suggestion box shows procedure cards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.privacy import sender_hash
from tests.browser.conftest import Browser
from tests.browser.test_widget import Widget

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

ASK_FOR_A_PERSON = "cho tôi nói chuyện với cán bộ"
DURING = "Tôi muốn hỏi làm giấy khai sinh cho con cần những gì"
REPLY = "Chào anh/chị, em là cán bộ tổng đài. Anh/chị cần giấy chứng sinh của bé ạ."


def queue_item(console: Any, sender: str) -> Any:
    tag = "#" + sender_hash(sender)[:6]
    return console.locator("#queue li.queue-item", has_text=tag)


def test_officer_takes_over_a_web_chat_and_the_citizen_sees_the_reply(
    browser: Browser, staff_page: Any, foreign_site: str, artifacts: Path
) -> None:
    console = staff_page("agent")
    console.goto("/staff/console")
    console.locator("#stream-status", has_text="Đang cập nhật trực tiếp").wait_for()

    citizen_page = browser.page()
    citizen_page.goto(foreign_site)
    widget = Widget(citizen_page)
    widget.panel = citizen_page.get_by_role("dialog", name="Hỏi đáp thủ tục")  # the site's data-title
    widget.open()
    widget.ask(ASK_FOR_A_PERSON)
    widget.bot_messages.filter(has_text="cán bộ").first.wait_for()
    widget.wait_idle()
    sender = widget.sender()

    item = queue_item(console, sender)
    item.wait_for()  # appeared live, without reloading the console
    console.screenshot(path=str(artifacts / "console-queue.png"), full_page=True)
    item.get_by_role("button", name="Nhận").click()
    console.locator("#chat-log .line.notice", has_text="đã tham gia").wait_for()
    citizen_page.locator("tthc-chat-widget .msg.notice", has_text="đã tham gia").wait_for()

    widget.ask(DURING)
    console.locator("#chat-log .line.from-citizen", has_text=DURING).wait_for()
    assert console.locator("#suggest-q").input_value() == DURING  # prefilled with the citizen's words
    assert widget.bot_messages.filter(has_text="gián đoạn").count() == 0  # no apology while the officer answers

    console.get_by_label("Trả lời người dân").fill(REPLY)
    console.get_by_role("button", name="Gửi trả lời").click()
    officer_line = citizen_page.locator("tthc-chat-widget .msg.agent", has_text=REPLY)
    officer_line.wait_for()
    assert "Cán bộ" in officer_line.text_content()
    widget.scroll_to_end()
    citizen_page.screenshot(path=str(artifacts / "widget-officer-reply.png"))
    console.screenshot(path=str(artifacts / "console-conversation.png"), full_page=True)

    console.get_by_role("button", name="Trả lại cho trợ lý").click()
    citizen_page.locator("tthc-chat-widget .msg.notice", has_text="Trợ lý tự động tiếp tục").wait_for()
    item.wait_for(state="detached")

    # After a reload the citizen still sees the officer's reply (from Rasa's tracker), once.
    citizen_page.reload()
    widget.open()
    officer_line.wait_for()
    assert officer_line.count() == 1


def test_suggestions_for_a_callers_question(staff_page: Any, artifacts: Path) -> None:
    console = staff_page("agent")
    console.goto("/staff/console")
    console.get_by_label("Câu hỏi của người dân").fill("đăng ký khai sinh cần giấy tờ gì")
    cards = console.locator("#suggest-results li.suggestion")
    cards.first.wait_for()
    assert "khai sinh" in cards.first.text_content().lower()
    assert "gợi ý" in console.locator("#suggest-status").text_content()
    console.screenshot(path=str(artifacts / "console-suggestions.png"), full_page=True)
