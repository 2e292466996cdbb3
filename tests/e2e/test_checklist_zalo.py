"""The personal checklist on Zalo, on the real stack with the fake Zalo platform: the questions
come as Zalo buttons, a press sends the button's payload (as Zalo's ``oa.query.show`` does), and
the list arrives as a message the citizen can keep, with the link to its printable page."""

from __future__ import annotations

import uuid
from functools import partial
from typing import Any

import httpx
import pytest

from tests.channels.conftest import wait_for as wait_until
from tests.e2e.test_takeover import zalo_post
from tests.fakes.zalo import FakeZalo, text_event

pytestmark = pytest.mark.e2e

wait_for = partial(wait_until, timeout=20.0)
# A press for each question, by a phrase of the question; any other question is skipped.
ANSWERS = {
    "bỏ rơi": "Không",
    "mang thai hộ": "Không",
    "Ai sẽ đi": "Cha hoặc mẹ của trẻ",
    "theo cách nào": "Nộp trực tuyến",
}
MAX_QUESTIONS = 8


def buttons_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    attachment = message.get("attachment") or {}
    return list((attachment.get("payload") or {}).get("buttons") or [])


def test_a_zalo_citizen_answers_with_buttons_and_keeps_the_list(api: httpx.Client, zalo_platform: FakeZalo) -> None:
    user_id = f"84{uuid.uuid4().int % 10**12:012d}"
    numbers = iter(range(1, 100))

    def send(text: str) -> None:
        zalo_post(api, text_event(user_id, text, f"checklist-{user_id}-{next(numbers)}"))

    def next_step(after: int) -> tuple[int, dict[str, Any]]:
        """The next question (a message with a "Bỏ qua" button) or the list, after message ``after``."""

        def found() -> tuple[int, dict[str, Any]] | None:
            messages = zalo_platform.messages_to(user_id)
            for index in range(after, len(messages)):
                message = messages[index]
                if "/checklists/" in (message.get("text") or "") or any(
                    b["title"] == "Bỏ qua" for b in buttons_of(message)
                ):
                    return index + 1, message
            return None

        wait_for(lambda: found() is not None, what="the next question or the list on Zalo")
        step = found()
        assert step is not None
        return step

    def press(message: dict[str, Any], title: str) -> None:
        button = next(b for b in buttons_of(message) if title in b["title"])
        assert button["type"] == "oa.query.show"
        send(button["payload"])

    send("đăng ký khai sinh cho con cần giấy tờ gì")
    wait_for(
        lambda: any(
            "Lập danh sách giấy tờ" in b["title"] for m in zalo_platform.messages_to(user_id) for b in buttons_of(m)
        ),
        what="the offer of a personal checklist",
    )
    offer = next(
        m for m in zalo_platform.messages_to(user_id) if any("Lập danh sách" in b["title"] for b in buttons_of(m))
    )
    seen = len(zalo_platform.messages_to(user_id))
    press(offer, "Lập danh sách giấy tờ")

    asked: list[str] = []
    for _ in range(MAX_QUESTIONS):
        seen, message = next_step(seen)
        text = message.get("text") or ""
        if "/checklists/" in text:
            break
        asked.append(text)
        assert any(b["title"] == "Bỏ qua" for b in buttons_of(message)), text  # every question is skippable
        answer = next((label for phrase, label in ANSWERS.items() if phrase in text), "Bỏ qua")
        press(message, answer)
    else:
        raise AssertionError(f"the questions did not end: {asked}")

    # The list is one message to keep: the documents, the chosen channel and the link.
    kept = message.get("text") or ""
    assert "Danh sách giấy tờ của anh/chị" in kept and "Giấy chứng sinh" in kept, kept
    assert "Nộp trực tuyến" in kept
    assert "Biên bản về việc trẻ bị bỏ rơi" not in kept.split("Có thể cần")[0]  # answered "Không"
    link = next(word for word in kept.split() if "/checklists/" in word).rstrip(".,)")
    page = httpx.get(link, timeout=20)
    assert page.status_code == 200 and "Giấy chứng sinh" in page.text
