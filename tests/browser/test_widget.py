"""The embeddable chat widget in headless Chromium, on the demo commune page, against the real stack."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, Browser

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

BIRTH_QUESTION = "khai sinh cần giấy tờ gì"
BIRTH_CHOICE = "Đăng ký khai sinh (1.001193)"
XSS = "<img src=x onerror=window.__xss=1>"


class Widget:
    """The widget as a citizen sees it: locators by role and name (they pierce the shadow root)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.launcher = page.locator("tthc-chat-widget .launcher")
        self.panel = page.get_by_role("dialog", name="Trợ lý thủ tục hành chính")
        self.input = page.get_by_role("textbox", name="Câu hỏi của anh/chị")
        self.send_button = page.get_by_role("button", name="Gửi", exact=True)
        self.log = page.get_by_role("log")
        self.user_messages = page.locator("tthc-chat-widget .msg.user")
        self.bot_messages = page.locator("tthc-chat-widget .msg.bot")
        self.cards = page.locator("tthc-chat-widget article.card")

    def open_page(self, path: str = "/") -> Widget:
        self.page.goto(path)
        self.ready()
        return self

    def ready(self) -> None:
        """The widget is shown (its stylesheet has loaded)."""
        self.page.wait_for_function(
            "() => { const h = document.querySelector('tthc-chat-widget');"
            " return !!h && !h.shadowRoot.querySelector('.root').hidden; }"
        )

    def open(self) -> None:
        self.ready()
        if not self.panel.is_visible():  # after a reload it is open already
            self.launcher.click()
        self.panel.wait_for(state="visible")

    def ask(self, text: str) -> None:
        self.input.fill(text)
        self.input.press("Enter")

    def wait_idle(self) -> None:
        self.page.wait_for_function(
            "() => document.querySelector('tthc-chat-widget').shadowRoot.querySelector('.send').disabled === false"
        )

    def choice(self, title: str) -> Any:
        return self.page.locator("tthc-chat-widget .quick button.chip", has_text=title)

    def focused(self) -> str:
        """The class of the focused element inside the widget, or '' when focus is elsewhere."""
        return self.page.evaluate(
            """() => {
                const host = document.querySelector('tthc-chat-widget');
                if (document.activeElement !== host) return '';
                const inner = host.shadowRoot.activeElement;
                return inner ? inner.className : '';
            }"""
        )

    def scroll_to_end(self) -> None:
        self.page.locator("tthc-chat-widget .scroller").evaluate("e => { e.scrollTop = e.scrollHeight; }")

    def sender(self) -> str:
        return self.page.evaluate("() => localStorage.getItem('tthc-widget-sender')")

    def user_texts(self) -> list[str]:
        return [t.removeprefix("Anh/chị: ") for t in self.user_messages.all_text_contents()]


def horizontal_overflow(page: Any) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def assert_birth_answer(widget: Widget) -> None:
    """Documents answer and procedure card for birth registration (1.001193), rendered safely."""
    answer = widget.bot_messages.filter(has_text="Giấy chứng sinh")
    answer.first.wait_for()
    assert "1.001193" in answer.first.text_content()
    card = widget.cards.filter(has_text="Đăng ký khai sinh").first
    card.wait_for()
    assert "1.001193" in card.text_content()
    for label in ("Nộp trực tiếp", "Nộp trực tuyến", "Thời hạn", "Phí, lệ phí", "Miễn phí"):
        assert label in card.text_content(), label
    links = card.locator("a")
    names = [name.replace("\u00a0", " ") for name in links.all_inner_texts()]
    assert any(n.startswith("Nộp trực tuyến") for n in names) and any(n.startswith("Nguồn") for n in names), names
    for index in range(links.count()):
        link = links.nth(index)
        assert re.match(r"^https?://", link.get_attribute("href") or "")
        assert link.get_attribute("target") == "_blank"
        assert set((link.get_attribute("rel") or "").split()) >= {"noopener", "noreferrer"}


def test_conversation_with_choices_and_procedure_card(browser: Browser, artifacts: Path) -> None:
    page = browser.page(DESKTOP)
    widget = Widget(page).open_page()
    assert horizontal_overflow(page) <= 0
    widget.open()
    assert widget.focused() == "input"

    widget.input.fill(BIRTH_QUESTION)
    # Right after sending: send disabled, typing indicator shown, the message already visible.
    state = page.evaluate(
        """() => {
            const root = document.querySelector('tthc-chat-widget').shadowRoot;
            root.querySelector('.send').click();
            return {
                sendDisabled: root.querySelector('.send').disabled,
                typing: !root.querySelector('.typing-bubble').hidden,
                status: root.querySelector('.typing').textContent,
                lastUser: [...root.querySelectorAll('.msg.user')].pop().textContent,
            };
        }"""
    )
    assert state["sendDisabled"] and state["typing"], state
    assert "đang soạn" in state["status"]
    assert state["lastUser"].endswith(BIRTH_QUESTION)

    choice = widget.choice(BIRTH_CHOICE)
    choice.wait_for()
    widget.wait_idle()
    assert widget.page.locator("tthc-chat-widget .typing-bubble").is_hidden()
    choice.click()
    assert_birth_answer(widget)
    # The click shows the button's title as the citizen's words, never the intent payload.
    assert widget.user_texts() == [BIRTH_QUESTION, BIRTH_CHOICE]
    assert "/ask_" not in widget.log.text_content()
    assert choice.is_disabled()  # an answered choice cannot be sent again
    widget.wait_idle()
    widget.scroll_to_end()
    page.screenshot(path=str(artifacts / "desktop-conversation.png"))


def test_history_survives_a_reload(browser: Browser, api: Any) -> None:
    page = browser.page(DESKTOP)
    widget = Widget(page).open_page()
    widget.open()
    widget.ask(BIRTH_QUESTION)
    widget.choice(BIRTH_CHOICE).click()
    assert_birth_answer(widget)
    sender = widget.sender()
    assert re.fullmatch(r"web-[0-9a-f-]{36}", sender)
    history = api.get("/api/chat/history", params={"sender": sender}).json()
    assert history["available"] is True
    assert [m["text"] for m in history["messages"] if m["from"] == "user"] == [BIRTH_QUESTION, BIRTH_CHOICE]

    page.reload()
    widget.ready()
    assert widget.panel.is_visible()  # it stays open across a reload within the tab
    assert widget.sender() == sender
    assert_birth_answer(widget)
    assert widget.user_texts() == [BIRTH_QUESTION, BIRTH_CHOICE]
    assert widget.cards.count() == 1
    # The conversation goes on where it was: the assistant still knows the procedure.
    widget.ask("lệ phí bao nhiêu")
    widget.page.locator("tthc-chat-widget .msg.bot", has_text="Miễn phí").last.wait_for()
    assert widget.user_texts()[-1] == "lệ phí bao nhiêu"


def test_phone_layout(browser: Browser, artifacts: Path) -> None:
    page = browser.page(PHONE, mobile=True)
    widget = Widget(page).open_page()
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=str(artifacts / "phone-page.png"))
    widget.open()
    widget.panel.evaluate("e => Promise.all(e.getAnimations().map(a => a.finished))")
    box = widget.panel.bounding_box()
    assert box == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}, box
    assert horizontal_overflow(page) <= 0
    font_size = widget.input.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert font_size >= 16  # no zoom into the field on iOS

    widget.ask(BIRTH_QUESTION)
    widget.choice(BIRTH_CHOICE).tap()
    assert_birth_answer(widget)
    widget.wait_idle()
    for locator in (widget.input, widget.send_button, page.get_by_role("button", name="Đóng khung trò chuyện")):
        rect = locator.bounding_box()
        assert rect and rect["x"] >= 0 and rect["x"] + rect["width"] <= PHONE["width"], rect
        assert rect["y"] >= 0 and rect["y"] + rect["height"] <= PHONE["height"], rect
    widths = page.evaluate(
        """() => {
            const root = document.querySelector('tthc-chat-widget').shadowRoot;
            const scroller = root.querySelector('.scroller');
            return [scroller.scrollWidth, scroller.clientWidth];
        }"""
    )
    assert widths[0] <= widths[1], widths  # nothing in the conversation is wider than the screen
    assert horizontal_overflow(page) <= 0
    page.screenshot(path=str(artifacts / "phone-conversation.png"))
    widget.scroll_to_end()
    page.screenshot(path=str(artifacts / "phone-card.png"))


def test_desktop_layout(browser: Browser, artifacts: Path) -> None:
    page = browser.page(DESKTOP)
    widget = Widget(page).open_page()
    page.screenshot(path=str(artifacts / "desktop-page.png"))
    launcher = widget.launcher.bounding_box()
    assert launcher["x"] + launcher["width"] > DESKTOP["width"] - 40  # bottom right corner
    assert launcher["y"] + launcher["height"] > DESKTOP["height"] - 40
    widget.open()
    panel = widget.panel.bounding_box()
    assert 360 <= panel["width"] <= 440, panel  # a floating panel, the page stays usable
    assert panel["x"] + panel["width"] <= DESKTOP["width"] and panel["y"] >= 0
    assert panel["y"] + panel["height"] <= launcher["y"]  # above the launcher, not over it
    assert widget.launcher.is_visible()
    assert horizontal_overflow(page) <= 0
    # At most 2000 characters, like the API; a counter shows near the limit.
    widget.input.focus()
    page.keyboard.insert_text("a" * 2100)
    assert widget.input.input_value() == "a" * 2000
    assert page.locator("tthc-chat-widget .count").text_content() == "2000/2000 ký tự"
    widget.input.fill("")
    assert page.locator("tthc-chat-widget .count").is_hidden()
    # The suggested questions are real buttons and work.
    suggestion = widget.choice("Đăng ký khai sinh cần giấy tờ gì?")
    suggestion.click()
    widget.page.locator("tthc-chat-widget .msg.bot", has_text="Giấy chứng sinh").first.wait_for()
    page.screenshot(path=str(artifacts / "desktop-open.png"))


def test_keyboard_only(browser: Browser, artifacts: Path) -> None:
    page = browser.page(DESKTOP)
    widget = Widget(page).open_page()
    dialog = page.locator("tthc-chat-widget [role=dialog]")
    labelled_by = dialog.get_attribute("aria-labelledby")
    assert page.locator(f"tthc-chat-widget #{labelled_by}").text_content() == "Trợ lý thủ tục hành chính"
    log = page.locator("tthc-chat-widget [role=log]")
    assert log.get_attribute("aria-live") == "polite"

    for _ in range(30):
        page.keyboard.press("Tab")
        if widget.focused() == "launcher":
            break
    assert widget.focused() == "launcher", "Tab never reached the launcher"
    outline = widget.launcher.evaluate("e => getComputedStyle(e).outlineStyle + ' ' + getComputedStyle(e).outlineWidth")
    assert not outline.startswith("none"), f"no visible focus style on the launcher: {outline}"
    page.screenshot(path=str(artifacts / "desktop-launcher-focus.png"))
    assert widget.launcher.get_attribute("aria-expanded") == "false"

    page.keyboard.press("Enter")
    widget.panel.wait_for(state="visible")
    assert widget.launcher.get_attribute("aria-expanded") == "true"
    assert widget.focused() == "input"
    page.keyboard.type(BIRTH_QUESTION)
    page.keyboard.press("Enter")
    choice = widget.choice(BIRTH_CHOICE)
    choice.wait_for()
    widget.wait_idle()
    # Quick replies are reachable with Tab from the input (backwards) and work with the keyboard.
    for _ in range(20):
        page.keyboard.press("Shift+Tab")
        if (
            page.evaluate(
                "() => (document.querySelector('tthc-chat-widget').shadowRoot.activeElement || {}).textContent"
            )
            == BIRTH_CHOICE
        ):
            break
    page.keyboard.press("Enter")
    assert_birth_answer(widget)
    assert widget.focused() == "input"  # the chosen button is disabled: focus goes back to the input

    page.keyboard.press("Escape")
    widget.panel.wait_for(state="hidden")
    assert widget.focused() == "launcher"
    assert widget.launcher.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Space")
    widget.panel.wait_for(state="visible")
    assert widget.focused() == "input"
    page.keyboard.press("Escape")
    widget.panel.wait_for(state="hidden")
    assert widget.focused() == "launcher"


def test_text_is_never_html(browser: Browser) -> None:
    page = browser.page(DESKTOP)
    widget = Widget(page).open_page()
    widget.open()
    widget.ask(XSS)
    widget.wait_idle()
    widget.bot_messages.nth(1).wait_for()
    assert widget.user_texts() == [XSS]
    assert page.locator("tthc-chat-widget img").count() == 0
    assert page.evaluate("() => window.__xss") is None
    page.reload()  # the history is rendered as text too
    widget.open()
    widget.user_messages.first.wait_for()
    assert widget.user_texts() == [XSS]
    assert page.locator("tthc-chat-widget img").count() == 0
    assert page.evaluate("() => window.__xss") is None


def test_untrusted_replies_are_rendered_as_text(browser: Browser) -> None:
    """Whatever the server sends (text, button titles, cards, links) cannot run script."""
    page = browser.page(DESKTOP)
    widget = Widget(page).open_page()
    hostile = {
        "messages": [
            {"text": "<img src=x onerror=window.__xss=2> xem https://example.org/a?b=1."},
            {"text": "Chọn:", "buttons": [{"title": "<b onmouseover=window.__xss=3>đậm</b>", "payload": "/x"}]},
            {
                "custom": {
                    "type": "procedure_card",
                    "code": "<i>1</i>",
                    "name": "<script>window.__xss=4</script>",
                    "agency": "<svg onload=window.__xss=5>",
                    "levels": ["xa"],
                    "channels": [
                        {"label": "<u>x</u>", "processing_time": "<em>1</em>", "fee": "<a href=javascript:1>0</a>"},
                    ],
                    "online_url": "javascript:window.__xss=6",
                    "source_url": "data:text/html,<script>alert(1)</script>",
                }
            },
        ]
    }
    page.route(
        "**/api/chat",
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(hostile)),
    )
    widget.open()
    widget.ask("xin chào")
    widget.cards.first.wait_for()
    for tag in ("img", "b", "script", "svg[onload]", "i", "u", "em", "a[href^=javascript]", "a[href^=data]"):
        assert page.locator(f"tthc-chat-widget .log {tag}").count() == 0, tag
    assert "<img src=x onerror=window.__xss=2>" in widget.log.text_content()
    assert widget.cards.first.locator("a").count() == 0  # neither URL is http(s)
    assert widget.choice("<b onmouseover=window.__xss=3>đậm</b>").count() == 1
    link = widget.bot_messages.locator("a", has_text="https://example.org/a?b=1")
    assert link.get_attribute("href") == "https://example.org/a?b=1"  # the full stop is not part of it
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert page.evaluate("() => window.__xss") is None


def test_server_unreachable_then_retry(browser: Browser, artifacts: Path) -> None:
    page = browser.page(DESKTOP)
    widget = Widget(page).open_page()
    widget.open()
    page.route("**/api/chat", lambda route: route.abort())
    widget.ask(BIRTH_QUESTION)
    error = page.get_by_role("alert")
    error.wait_for()
    assert "Không kết nối được" in error.text_content()
    retry = page.get_by_role("button", name="Thử lại")
    assert retry.is_visible()
    assert widget.user_texts() == [BIRTH_QUESTION + "Chưa gửi được"]  # kept, and marked as not sent
    widget.wait_idle()
    page.screenshot(path=str(artifacts / "desktop-offline.png"))

    page.unroute("**/api/chat")
    retry.click()
    widget.choice(BIRTH_CHOICE).wait_for()
    assert error.count() == 0 and retry.count() == 0
    assert widget.user_texts() == [BIRTH_QUESTION]  # shown once, no longer marked
    assert widget.focused() == "input"


def test_embedded_on_another_site(browser: Browser, foreign_site: str) -> None:
    """One script tag on a page of another origin: the widget finds the API from its own src."""
    page = browser.page(DESKTOP)
    page.goto(foreign_site)
    widget = Widget(page)
    widget.panel = page.get_by_role("dialog", name="Hỏi đáp thủ tục")
    widget.ready()
    assert widget.launcher.bounding_box()["x"] < 40  # data-position="left"
    colour = widget.launcher.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(11, 83, 148)"  # data-color
    widget.open()
    assert "Xã Minh Họa" in widget.panel.text_content()
    widget.ask(BIRTH_QUESTION)
    widget.choice(BIRTH_CHOICE).wait_for()  # a cross-origin POST /api/chat (CORS) worked
    page.reload()
    widget.ready()
    widget.choice(BIRTH_CHOICE).wait_for()  # and the cross-origin history
    assert widget.user_texts() == [BIRTH_QUESTION]


def test_a_light_site_colour_keeps_text_readable(browser: Browser, foreign_site: str) -> None:
    """data-color="#ffd54f" (light yellow): dark text on it, and a darker shade for text on white."""
    page = browser.page(DESKTOP)
    page.goto(foreign_site + "?color=%23ffd54f")
    widget = Widget(page)
    widget.panel = page.get_by_role("dialog", name="Hỏi đáp thủ tục")
    widget.open()
    ratios = page.evaluate(
        """() => {
            const root = document.querySelector('tthc-chat-widget').shadowRoot;
            const rgb = (c) => c.match(/\\d+/g).slice(0, 3).map(Number);
            const lum = (c) => {
                const [r, g, b] = rgb(c).map((v) => {
                    v /= 255;
                    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
                });
                return 0.2126 * r + 0.7152 * g + 0.0722 * b;
            };
            const ratio = (a, b) => {
                const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
                return (x + 0.05) / (y + 0.05);
            };
            const style = (sel) => getComputedStyle(root.querySelector(sel));
            const launcher = style('.launcher'), header = style('.header'), chip = style('.chip');
            return {
                launcher: ratio(launcher.color, launcher.backgroundColor),
                header: ratio(header.color, header.backgroundColor),
                chip: ratio(chip.color, chip.backgroundColor),
            };
        }"""
    )
    assert all(value >= 4.5 for value in ratios.values()), ratios
