"""From answers to outcomes (issue 16), end to end on the real stack (Rasa, the action server, the
API), talking through POST /api/chat as the widget does:

1. a personal checklist that differs by the citizen's answers, for three procedures with cases
   (birth registration, permanent residence, a land procedure), and its printable page and PDF;
2. a callback asked for outside office hours, which the console lists and an officer closes
   (a stack of its own whose ``TTHC_OFFICE_HOURS`` leaves today out entirely, so "now" is
   outside office hours whatever the time the test runs);
3. a notice for one unit, in the answers of a conversation whose widget names that unit
   (``data-unit``) and not in another's.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.stack import Stack, private_stack
from core.privacy import sender_hash
from servicedesk.handoff.hours import DAY_CODES, VIETNAM
from servicedesk.learning import training
from tests.e2e.conftest import Conversation
from tests.staff.accounts import STAFF_PASSWORDS, STAFF_USERNAMES, create_accounts_in

pytestmark = pytest.mark.e2e

BIRTH = "1.001193"  # Đăng ký khai sinh
RESIDENCE = "1.004222"  # Đăng ký thường trú
LOST_TITLE = "1.012786"  # Cấp lại Giấy chứng nhận quyền sử dụng đất do bị mất
BEN_THANH = "26743"  # Phường Bến Thành (TP. Hồ Chí Minh)
OTHER_UNIT = "00004"  # Phường Ba Đình (Hà Nội)
SKIP = "Bỏ qua"
LINK = re.compile(r"(https?://\S+?)/checklists/([A-Za-z0-9_-]{8,64})\b")
MAX_QUESTIONS = 10


class Staff:
    """An officer over HTTP, logged in through the login form (the CSRF token read from a page)."""

    def __init__(self, base_url: str, role: str, page: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        form = self.http.get("/staff/login")
        token = re.search(r'name="csrf_token" value="([^"]*)"', form.text)
        fields = {"username": STAFF_USERNAMES[role], "password": STAFF_PASSWORDS[role]}
        if token:
            fields["csrf_token"] = token.group(1)
        done = self.http.post("/staff/login", data=fields)
        assert done.status_code in {200, 303}, done.text
        shown = self.http.get(page)
        assert shown.status_code == 200, shown.text
        meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', shown.text)
        assert meta, "the staff page carries the CSRF token"
        self.csrf = meta.group(1)

    def close(self) -> None:
        self.http.close()


def _buttons(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [b for m in messages for b in (m.get("buttons") or [])]


def _text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


# --- 1. the personal checklist ----------------------------------------------------------------------


def make_checklist(
    conversation: Conversation, first: str, code: str, choices: dict[str, str]
) -> tuple[str, str, str, list[str]]:
    """Ask, press the checklist (or choice) button for ``code`` when offered, answer each question
    with the button whose label ``choices`` gives for a phrase of the question (else "Bỏ qua"), and
    return (the list's message, the link's base, its token, the questions asked)."""
    messages = conversation.say(first)
    offered = [b for b in _buttons(messages) if b["payload"].startswith("/ask_checklist") and code in b["payload"]]
    if offered:
        messages = conversation.say(offered[0]["payload"])
    asked: list[str] = []
    for _ in range(MAX_QUESTIONS):
        text = _text(messages)
        if LINK.search(text):
            break
        question = next((m for m in messages if any(b["title"] == SKIP for b in m.get("buttons") or [])), None)
        assert question is not None, f"neither a question nor the list: {text!r}"
        asked.append(question["text"])
        labels = [b["title"] for b in question["buttons"]]
        label = next((lab for phrase, lab in choices.items() if phrase in question["text"]), SKIP)
        assert label in labels, (label, labels)
        messages = conversation.say(label)
    else:
        raise AssertionError("the questions did not end")
    listed = next(m["text"] for m in messages if LINK.search(m.get("text") or ""))
    found = LINK.search(listed)
    assert found is not None
    assert listed.startswith("📋 Danh sách giấy tờ của anh/chị") and f"(mã {code})" in listed
    return listed, found.group(1), found.group(2), asked


def _documents_part(listed: str) -> str:
    """The documents of a list, without the link (different for every list)."""
    return listed.split("Cách nộp:")[0].split("Phí, lệ phí")[0]


def open_printable(api: httpx.Client, token: str, procedure_name: str) -> None:
    page = api.get(f"/checklists/{token}")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert procedure_name in page.text and f"/checklists/{token}.pdf" in page.text
    pdf = api.get(f"/checklists/{token}.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    as_json = api.get(f"/api/checklists/{token}")
    assert as_json.status_code == 200, as_json.text


CASES = [
    pytest.param(
        BIRTH,
        "Đăng ký khai sinh",
        "đăng ký khai sinh cần giấy tờ gì",  # the documents answer offers the checklist button
        {"bỏ rơi": "Có"},
        {"bỏ rơi": "Không", "mang thai hộ": "Có", "Ai sẽ đi": "Người khác được cha mẹ ủy quyền"},
        id="birth",
    ),
    pytest.param(
        RESIDENCE,
        "Đăng ký thường trú",
        "lập danh sách giấy tờ đăng ký thường trú cho tôi",  # typed
        {"chỗ ở nào": "Nhà của chính mình"},
        {"chỗ ở nào": "Nhà thuê, mượn hoặc ở nhờ"},
        id="permanent-residence",
    ),
    pytest.param(
        LOST_TITLE,
        "Giấy chứng nhận",
        "mất sổ đỏ muốn cấp lại thì cần giấy tờ gì",
        {"mất cả Giấy chứng nhận": "Mất cả Giấy chứng nhận", "đo lại": "Không"},
        {"mất cả Giấy chứng nhận": "Chỉ mất Trang bổ sung (giấy cấp trước ngày 01/8/2024)", "đo lại": "Có"},
        id="land",
    ),
]


@pytest.mark.parametrize(("code", "name", "first", "case_a", "case_b"), CASES)
def test_a_checklist_differs_by_the_answers_and_prints(
    api: httpx.Client, code: str, name: str, first: str, case_a: dict[str, str], case_b: dict[str, str]
) -> None:
    made = []
    for n, choices in enumerate((case_a, case_b)):
        conversation = Conversation(api, f"web-e2e-checklist-{code}-{n}")
        made.append(make_checklist(conversation, first, code, choices))
    (list_a, base_a, token_a, asked_a), (list_b, _, token_b, asked_b) = made
    assert asked_a and asked_b, "questions were asked in both cases"
    assert token_a != token_b
    assert _documents_part(list_a) != _documents_part(list_b), "the lists differ by the answers"
    # The link is the stack's own public address (TTHC_PUBLIC_URL, else this machine's API).
    assert base_a.startswith("http")
    for token in (token_a, token_b):
        open_printable(api, token, name)


# --- 2. a callback outside office hours --------------------------------------------------------------


def closed_today() -> str:
    """An office schedule whose only day is not today (Vietnam time): every moment of the test is
    outside office hours, and the callback is due in that day's morning session."""
    today = dt.datetime.now(VIETNAM).weekday()
    other = DAY_CODES[(today + 3) % 7]
    return f"{other} 07:30-11:30"


@pytest.fixture(scope="module")
def closed_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not os.environ.get("TTHC_RASA_VENV"):
        pytest.fail("TTHC_RASA_VENV is not set: run the tests with `make test`")
    data_dir: Path = tmp_path_factory.mktemp("closed-stack")
    running = private_stack(data_dir, training.ensure_model())
    create_accounts_in(str(data_dir / "tthc.sqlite3"))
    running.config.extra_env.update({"TTHC_OFFICE_HOURS": closed_today(), "TTHC_CHAT_RATE_LIMIT": "100000/minute"})
    running.start()
    try:
        running.wait_healthy(timeout=300)
        yield running
    finally:
        running.stop()


def test_a_callback_outside_office_hours_reaches_the_console_and_is_closed_there(closed_stack: Stack) -> None:
    sender = "web-e2e-callback-closed"
    with httpx.Client(base_url=closed_stack.config.api_url, timeout=30) as api:
        citizen = Conversation(api, sender)
        asked = citizen.say("cho tôi nói chuyện với cán bộ")
        assert "ngoài giờ làm việc" in _text(asked)
        offer = next(b for b in _buttons(asked) if b["payload"] == "/request_callback")
        assert offer["title"] == "Để lại số để được gọi lại"

        consent = citizen.say(offer["payload"])
        assert "Anh/chị có đồng ý để lại số điện thoại không" in _text(consent)
        assert [b["title"] for b in _buttons(consent)] == ["Đồng ý", "Không đồng ý"]
        assert "số điện thoại" in citizen.text("Đồng ý")
        times = citizen.say("0912 345 678")
        labels = [b["title"] for b in _buttons(times)]
        assert labels[-1] == "Lúc nào cũng được" and len(labels) >= 2
        confirmed = citizen.text(labels[0])
        assert "09•• ••• 678" in confirmed and "0912345678" not in confirmed and "0912 345 678" not in confirmed

        officer = Staff(closed_stack.config.api_url, "agent", "/staff/console")
        try:
            tag = "#" + sender_hash(sender)[:6]
            listed = officer.http.get("/staff/api/callbacks")
            assert listed.status_code == 200, listed.text
            [callback] = [c for c in listed.json()["callbacks"] if c["tag"] == tag]
            assert callback["phone_masked"] == "09•• ••• 678" and callback["status"] == "open"
            assert callback["preferred_time"] == "morning" and callback["due_text"]
            assert "0912345678" not in listed.text
            done = officer.http.post(
                f"/staff/api/callbacks/{callback['id']}/done",
                json={"note": "Đã gọi, hướng dẫn xong"},
                headers={"X-CSRF-Token": officer.csrf},
            )
            assert done.status_code == 200, done.text
            assert done.json()["callback"]["status"] == "done"
            after = officer.http.get("/staff/api/callbacks").json()["callbacks"]
            assert all(c["tag"] != tag for c in after)
        finally:
            officer.close()


# --- 3. a notice for one unit --------------------------------------------------------------------------


@pytest.fixture
def ben_thanh_notice(stack: Stack) -> Iterator[str]:
    """A notice for Phường Bến Thành only, published through the editors' form; withdrawn after."""
    editor = Staff(stack.config.api_url, "editor", "/staff/notices/new")
    title = "Trung tâm phường Bến Thành tạm nghỉ chiều thứ Sáu (kiểm thử)"
    ends = (dt.datetime.now(VIETNAM) + dt.timedelta(days=2)).date().isoformat()
    withdraw = re.compile(r"/staff/notices/(\d+)/withdraw")
    before = set(withdraw.findall(editor.http.get("/staff/notices").text))
    mine: set[str] = set()
    try:
        created = editor.http.post(
            "/staff/notices/new",
            data={
                "csrf_token": editor.csrf,
                "title": title,
                "body": "Dữ liệu minh họa cho kiểm thử tự động.",
                "severity": "warning",
                "ends_date": ends,
                "unit_codes": BEN_THANH,
                "procedure_codes": "",
            },
        )
        assert created.status_code in {200, 303}, created.text
        mine = set(withdraw.findall(editor.http.get("/staff/notices").text)) - before
        assert len(mine) == 1, "the new notice is listed"
        yield title
    finally:
        for notice_id in mine:  # only this test's notice: other tests may share the stack
            editor.http.post(f"/staff/notices/{notice_id}/withdraw", data={"csrf_token": editor.csrf})
        editor.close()


def test_a_units_notice_is_in_its_widgets_answers_and_not_in_anothers(api: httpx.Client, ben_thanh_notice: str) -> None:
    title = ben_thanh_notice
    # The widget of the unit shows it (the banner reads this endpoint), the other one does not.
    shown = api.get("/api/notices", params={"unit": BEN_THANH}).json()
    assert [n["title"] for n in shown["notices"]] == [title]
    assert api.get("/api/notices", params={"unit": OTHER_UNIT}).json()["notices"] == []

    def chat(sender: str, unit: str, message: str) -> list[dict[str, Any]]:
        response = api.post("/api/chat", json={"sender": sender, "message": message, "unit": unit})
        assert response.status_code == 200, response.text
        return response.json()["messages"]

    here = chat("web-e2e-notice-here", BEN_THANH, "đăng ký tạm trú cần giấy tờ gì")
    assert here[0]["text"].startswith(f"Thông báo: {title}.")
    assert "đến hết ngày" in here[0]["text"]
    assert "Hồ sơ đăng ký tạm trú" in here[1]["text"]
    # Once per conversation: the next answer carries it no more.
    again = chat("web-e2e-notice-here", BEN_THANH, "lệ phí bao nhiêu")
    assert all(title not in (m.get("text") or "") for m in again)

    elsewhere = chat("web-e2e-notice-elsewhere", OTHER_UNIT, "đăng ký tạm trú cần giấy tờ gì")
    assert all(title not in (m.get("text") or "") for m in elsewhere)
    assert "Hồ sơ đăng ký tạm trú" in elsewhere[0]["text"]
    # Where to go, for the widget's own unit: the notice first there too (a new conversation).
    office = chat("web-e2e-notice-office", BEN_THANH, "trung tâm hành chính công ở đâu")
    assert office[0]["text"].startswith(f"Thông báo: {title}.")
