"""actions/handoff.py: ActionRequestHandoff, in and out of office hours."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.handoff import ActionRequestHandoff
from core.db import session_scope
from core.settings import get_settings
from servicedesk.handoff import service as handoff
from servicedesk.handoff.models import HandoffRequest
from tests.actions.conftest import message, tracker


def _requests_of(sender: str) -> list[tuple[str, str, str | None]]:
    with session_scope() as session:
        rows = session.scalars(select(HandoffRequest).where(HandoffRequest.sender_id == sender))
        return [(r.status, r.channel, r.procedure_code) for r in rows]


def _office(monkeypatch: pytest.MonkeyPatch, open_: bool) -> None:
    # The clock is the one thing the test chooses: the office-hours rule itself is tested with
    # the handoff service.
    monkeypatch.setattr(handoff, "in_office_hours", lambda _moment: open_)


def test_in_office_hours_the_citizen_is_queued_and_told_the_place(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _office(monkeypatch, True)
    sender = "web-handoff-open"
    state = tracker("cho tôi nói chuyện với cán bộ", intent="request_human", sender_id=sender)
    assert ActionRequestHandoff().run(dispatcher, state, domain) == []
    with session_scope() as session:
        position = len(handoff.queue(session))
    hotline = get_settings().hotline
    assert dispatcher.messages == [
        message(
            f"Em đã chuyển yêu cầu của anh/chị đến cán bộ hỗ trợ (vị trí trong hàng chờ: {position}). "
            "Cán bộ sẽ trả lời ngay trong cuộc trò chuyện này; anh/chị vui lòng giữ cửa sổ chat. "
            f"Nếu cần gấp, anh/chị gọi tổng đài {hotline} ạ."
        )
    ]
    assert _requests_of(sender) == [("queued", "web", None)]


def test_out_of_hours_the_request_is_recorded_for_a_call_back(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _office(monkeypatch, False)
    sender = "zalo-handoff-closed"
    state = tracker("gặp cán bộ", intent="request_human", sender_id=sender, slots={"procedure_code": "1.001193"})
    assert ActionRequestHandoff().run(dispatcher, state, domain) == []
    hotline = get_settings().hotline
    assert dispatcher.messages == [
        message(
            "Hiện ngoài giờ làm việc (Thứ Hai – Thứ Sáu, 7:30–11:30 và 13:00–17:00). Em đã ghi nhận yêu cầu; "
            "cán bộ sẽ liên hệ lại trong giờ hành chính. "
            f"Anh/chị cũng có thể gọi tổng đài {hotline} trong giờ làm việc ạ."
        )
    ]
    assert _requests_of(sender) == [("out_of_hours", "zalo", "1.001193")]
