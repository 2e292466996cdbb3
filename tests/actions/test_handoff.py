"""actions/handoff.py: ActionRequestHandoff, in and out of office hours, with and without an
officer online (the callback offer)."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import delete, select

from actions.common import intent_button
from actions.handoff import (
    CALLBACK_BUTTON,
    CALLBACK_OFFER_CLOSED,
    CALLBACK_OFFER_NO_OFFICER,
    NO_THANKS_BUTTON,
    ActionRequestHandoff,
)
from core.db import session_scope
from core.settings import get_settings
from servicedesk.handoff import presence
from servicedesk.handoff import service as handoff
from servicedesk.handoff.models import HandoffRequest, OfficerPresence
from tests.actions.conftest import message, tracker

BEN_THANH = "26743"
CALLBACK_BUTTONS = [intent_button(CALLBACK_BUTTON, "request_callback"), intent_button(NO_THANKS_BUTTON, "deny")]


def _requests_of(sender: str) -> list[tuple[str, str, str | None, str | None]]:
    with session_scope() as session:
        rows = session.scalars(select(HandoffRequest).where(HandoffRequest.sender_id == sender))
        return [(r.status, r.channel, r.procedure_code, r.unit_code) for r in rows]


def _office(monkeypatch: pytest.MonkeyPatch, open_: bool, officer_online: bool) -> None:
    # The clock is the one thing the test chooses: the office-hours rule itself is tested with
    # the handoff service. Presence is real: an officer's console pinged just now, or nobody's.
    monkeypatch.setattr(handoff, "in_office_hours", lambda *_args, **_kwargs: open_)
    with session_scope() as session:
        session.execute(delete(OfficerPresence))
        if officer_online:
            presence.touch(session, "canbo.truc")


def _queued_text(position: int) -> str:
    return (
        f"Em đã chuyển yêu cầu của anh/chị đến cán bộ hỗ trợ (vị trí trong hàng chờ: {position}). "
        "Cán bộ sẽ trả lời ngay trong cuộc trò chuyện này; anh/chị vui lòng giữ cửa sổ chat. "
        f"Nếu cần gấp, anh/chị gọi tổng đài {get_settings().hotline} ạ."
    )


def test_in_office_hours_with_an_officer_online_the_citizen_is_queued(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _office(monkeypatch, True, officer_online=True)
    sender = "web-handoff-open"
    state = tracker(
        "cho tôi nói chuyện với cán bộ",
        intent="request_human",
        sender_id=sender,
        metadata={"channel": "web", "unit_code": BEN_THANH},
    )
    assert ActionRequestHandoff().run(dispatcher, state, domain) == []
    with session_scope() as session:
        position = len(handoff.queue(session))
    assert dispatcher.messages == [message(_queued_text(position))]
    assert _requests_of(sender) == [("queued", "web", None, BEN_THANH)]


def test_in_office_hours_with_nobody_online_a_callback_is_offered(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _office(monkeypatch, True, officer_online=False)
    sender = "web-handoff-nobody"
    state = tracker("gặp cán bộ", intent="request_human", sender_id=sender, slots={"unit_code": BEN_THANH})
    assert ActionRequestHandoff().run(dispatcher, state, domain) == []
    with session_scope() as session:
        position = len(handoff.queue(session))
    assert dispatcher.messages == [
        message(_queued_text(position)),
        message(CALLBACK_OFFER_NO_OFFICER, buttons=CALLBACK_BUTTONS),
    ]
    assert _requests_of(sender) == [("queued", "web", None, BEN_THANH)]


def test_out_of_hours_the_request_is_recorded_and_a_callback_offered(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    _office(monkeypatch, False, officer_online=True)
    sender = "zalo-handoff-closed"
    state = tracker("gặp cán bộ", intent="request_human", sender_id=sender, slots={"procedure_code": "1.001193"})
    assert ActionRequestHandoff().run(dispatcher, state, domain) == []
    hotline = get_settings().hotline
    assert dispatcher.messages == [
        message(
            f"Hiện ngoài giờ làm việc ({handoff.office_hours_text()}). Em đã ghi nhận yêu cầu; "
            "cán bộ sẽ liên hệ lại trong giờ hành chính. "
            f"Anh/chị cũng có thể gọi tổng đài {hotline} trong giờ làm việc ạ."
        ),
        message(CALLBACK_OFFER_CLOSED, buttons=CALLBACK_BUTTONS),
    ]
    assert _requests_of(sender) == [("out_of_hours", "zalo", "1.001193", None)]
