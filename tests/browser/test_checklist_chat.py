"""The personal checklist in the widget, in headless Chromium against the real stack: the citizen
asks about birth registration, presses "Lập danh sách giấy tờ của tôi", answers the questions with
the buttons, gets the link to the list and opens its printable page.

Screenshot: checklist-chat.png in the artefacts (the README image with TTHC_README_IMAGES=1) (the chat with the questions answered and the list).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, Browser, readme_image
from tests.browser.test_widget import Widget

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

BIRTH_QUESTION = "khai sinh cần giấy tờ gì"
BIRTH_CHOICE = "Đăng ký khai sinh (1.001193)"
CHECKLIST_BUTTON = "Lập danh sách giấy tờ của tôi"
# The answers pressed, by a phrase of each question; any other question is skipped.
ANSWERS = {
    "bỏ rơi": "Không",
    "mang thai hộ": "Không",
    "Ai sẽ đi": "Cha hoặc mẹ của trẻ",
    "theo cách nào": "Nộp trực tiếp",
}
SCREENSHOT = "checklist-chat.png"  # also the README's image (tests/browser/conftest.readme_image)
MAX_QUESTIONS = 8
TALL = {**DESKTOP, "height": 1000}  # room for the questions and the list in the screenshot


def press(widget: Widget, title: str) -> None:
    chip = widget.page.locator("tthc-chat-widget .quick button.chip:not([disabled])", has_text=title).last
    chip.wait_for()
    widget.wait_idle()
    chip.click()


def list_link(widget: Widget) -> Any:
    return widget.page.locator("tthc-chat-widget .msg.bot a[href*='/checklists/']")


def test_a_checklist_in_the_chat_then_its_printable_page(browser: Browser, artifacts: Path) -> None:
    page = browser.page(TALL)
    widget = Widget(page).open_page()
    widget.open()
    widget.ask(BIRTH_QUESTION)
    press(widget, BIRTH_CHOICE)
    widget.bot_messages.filter(has_text="Giấy chứng sinh").first.wait_for()
    press(widget, CHECKLIST_BUTTON)

    asked: list[str] = []
    for _ in range(MAX_QUESTIONS):
        widget.wait_idle()
        if list_link(widget).count():
            break
        question = widget.bot_messages.last.text_content() or ""
        asked.append(question)
        answer = next((label for phrase, label in ANSWERS.items() if phrase in question), "Bỏ qua")
        press(widget, answer)
        widget.page.wait_for_function(
            "n => document.querySelector('tthc-chat-widget').shadowRoot.querySelectorAll('.msg.user').length > n",
            arg=len(asked) + 2,  # the question asked, the choice, the checklist button, then each answer
        )
    else:
        raise AssertionError(f"the questions did not end: {asked}")
    assert any("bỏ rơi" in q for q in asked), asked

    listed = widget.bot_messages.filter(has_text="Danh sách giấy tờ của anh/chị").last
    listed.wait_for()
    text = listed.text_content() or ""
    assert "Đăng ký khai sinh" in text and "Cần chuẩn bị" in text and "Nơi nộp" in text
    assert "Cách nộp: Nộp trực tiếp" in text and "phường Bến Thành" in text  # the demo page's data-unit
    link = list_link(widget).last
    href = link.get_attribute("href") or ""
    assert href.startswith(browser.base_url + "/checklists/"), href
    assert link.get_attribute("target") == "_blank"

    # The last answers and the start of the list in view.
    listed.evaluate("e => { e.scrollIntoView({block: 'start'}); e.closest('.scroller').scrollTop -= 170; }")
    page.screenshot(path=str(artifacts / SCREENSHOT))
    readme_image(artifacts / SCREENSHOT)

    with page.context.expect_page() as opened:
        link.click()
    printable = opened.value
    printable.wait_for_load_state()
    assert printable.url == href
    body = printable.locator("body").text_content() or ""
    assert "Đăng ký khai sinh" in body and "1.001193" in body
    assert printable.get_by_role("button", name="In danh sách").is_visible()
    pdf = printable.locator("a[href$='.pdf']").first
    assert (pdf.get_attribute("href") or "").endswith(".pdf")
