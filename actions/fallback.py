"""When the assistant did not understand: ask, with the likeliest choices; then offer a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.common import intent_button, latest_text
from core.db import session_scope
from knowledge.procedures.search import procedure_search

INTENT_CHOICES = {
    "ask_documents": "Hỏi hồ sơ, giấy tờ",
    "ask_fee": "Hỏi lệ phí",
    "ask_processing_time": "Hỏi thời gian giải quyết",
    "ask_submission_place": "Hỏi nơi nộp hồ sơ",
    "ask_online_submission": "Nộp trực tuyến",
    "check_dossier_status": "Tra cứu hồ sơ",
    "find_office": "Tìm trung tâm hành chính công",
    "ask_unit_change": "Tra xã, phường mới",
    "give_feedback": "Gửi phản ánh",
}
MAX_BUTTONS = 3


class ActionDefaultFallback(Action):
    def name(self) -> str:
        return "action_default_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        count = int(tracker.get_slot("fallback_count") or 0) + 1
        if count >= 2:
            dispatcher.utter_message(
                text="Xin lỗi, em vẫn chưa hiểu ý anh/chị. Anh/chị muốn được cán bộ hỗ trợ trực tiếp không ạ?",
                buttons=[
                    intent_button("Gặp cán bộ", "request_human"),
                    intent_button("Thử hỏi lại", "greet"),
                ],
            )
            return [UserUtteranceReverted(), SlotSet("fallback_count", 0)]
        buttons = self._procedure_buttons(tracker) or self._intent_buttons(tracker)
        dispatcher.utter_message(
            text="Dạ, em chưa chắc đã hiểu đúng. Có phải anh/chị muốn hỏi một trong các nội dung sau không ạ?"
            if buttons
            else "Dạ, em chưa hiểu rõ ý anh/chị. Anh/chị nói rõ hơn tên thủ tục hoặc điều cần hỏi giúp em ạ.",
            buttons=buttons,
        )
        # Forget the misunderstood turn so it does not steer the next prediction.
        return [UserUtteranceReverted(), SlotSet("fallback_count", count)]

    @staticmethod
    def _procedure_buttons(tracker: Tracker) -> list[dict[str, str]]:
        with session_scope() as session:
            hits = procedure_search.search(session, latest_text(tracker), limit=MAX_BUTTONS)
        # A weak match is still worth offering here: the citizen chooses.
        return [
            intent_button(f"{h.name} ({h.code})", "ask_procedure", {"procedure_code": h.code})
            for h in hits
            if h.score >= 3
        ]

    @staticmethod
    def _intent_buttons(tracker: Tracker) -> list[dict[str, str]]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        names = [r.get("name") for r in ranking if r.get("name") in INTENT_CHOICES][:MAX_BUTTONS]
        return [intent_button(INTENT_CHOICES[n], n) for n in names]
