"""A citizen asks for a person: record it and say what happens next."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of
from core.db import session_scope
from core.settings import get_settings
from servicedesk.handoff.service import OFFICE_HOURS_TEXT, request_handoff


class ActionRequestHandoff(Action):
    def name(self) -> str:
        return "action_request_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        with session_scope() as session:
            outcome = request_handoff(
                session,
                sender_id=tracker.sender_id,
                channel=channel_of(tracker.sender_id),
                procedure_code=tracker.get_slot("procedure_code"),
            )
        hotline = get_settings().hotline
        if outcome.in_office_hours:
            text = (
                f"Em đã chuyển yêu cầu của anh/chị đến cán bộ hỗ trợ (vị trí trong hàng chờ: {outcome.position}). "
                "Cán bộ sẽ trả lời ngay trong cuộc trò chuyện này; anh/chị vui lòng giữ cửa sổ chat. "
                f"Nếu cần gấp, anh/chị gọi tổng đài {hotline} ạ."
            )
        else:
            text = (
                f"Hiện ngoài giờ làm việc ({OFFICE_HOURS_TEXT}). Em đã ghi nhận yêu cầu; cán bộ sẽ liên hệ lại "
                f"trong giờ hành chính. Anh/chị cũng có thể gọi tổng đài {hotline} trong giờ làm việc ạ."
            )
        dispatcher.utter_message(text=text)
        return []
