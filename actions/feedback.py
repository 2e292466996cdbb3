"""Phản ánh, kiến nghị and satisfaction ratings."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import channel_of, entity_values, latest_text
from bot.vntext import normalize_folded
from core.db import session_scope
from knowledge.units import service as units
from servicedesk.feedback.service import FeedbackError, record_feedback
from servicedesk.ratings.service import parse_score, record_rating

_NO_CONTACT = {"bo qua", "khong", "khong can", "thoi", "khong de lai", "skip"}
NO_CONTACT = "-"


class ValidateFeedbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_feedback_form"

    def validate_feedback_content(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = " ".join(str(value or "").split())
        if len(text) < 10:
            dispatcher.utter_message(text="Nội dung hơi ngắn, anh/chị mô tả rõ hơn sự việc giúp em ạ.")
            return {"feedback_content": None}
        return {"feedback_content": text}

    def validate_feedback_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if normalize_folded(text) in _NO_CONTACT:
            return {"feedback_contact": NO_CONTACT}
        return {"feedback_contact": text[:255]}


class ActionSubmitFeedback(Action):
    def name(self) -> str:
        return "action_submit_feedback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        content = tracker.get_slot("feedback_content") or ""
        contact = tracker.get_slot("feedback_contact")
        unit_code = tracker.get_slot("unit_code")
        with session_scope() as session:
            unit = units.get_current(session, unit_code) if unit_code else None
            try:
                feedback = record_feedback(
                    session,
                    sender_id=tracker.sender_id,
                    content=content,
                    unit_code=unit.code if unit else None,
                    unit_name=unit.name if unit else None,
                    contact=None if contact in (None, NO_CONTACT) else contact,
                    channel=channel_of(tracker.sender_id),
                )
            except FeedbackError:
                dispatcher.utter_message(
                    text="Em chưa ghi nhận được phản ánh vì nội dung chưa đủ rõ. Anh/chị gửi lại giúp em ạ."
                )
                return [SlotSet("feedback_content", None), SlotSet("feedback_contact", None)]
            reference = feedback.reference
        follow_up = (
            "Cán bộ sẽ liên hệ lại theo thông tin anh/chị để lại."
            if contact not in (None, NO_CONTACT)
            else "Anh/chị có thể dùng mã này khi hỏi lại về phản ánh."
        )
        dispatcher.utter_message(
            text=f"Em đã ghi nhận phản ánh, kiến nghị của anh/chị. Mã tiếp nhận: {reference}. {follow_up} "
            "Phản ánh được chuyển đến bộ phận có thẩm quyền xem xét, trả lời theo quy định ạ."
        )
        return [SlotSet("feedback_content", None), SlotSet("feedback_contact", None)]


class ActionRecordRating(Action):
    def name(self) -> str:
        return "action_record_rating"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        score = None
        for value in entity_values(tracker, "rating"):
            score = parse_score(value)
            if score:
                break
        score = score or parse_score(latest_text(tracker))
        if score is None:
            dispatcher.utter_message(
                text="Anh/chị chấm giúp em từ 1 đến 5 sao nhé (5 là rất hài lòng):",
                buttons=rating_buttons(),
            )
            return []
        with session_scope() as session:
            record_rating(
                session,
                sender_id=tracker.sender_id,
                score=score,
                procedure_code=tracker.get_slot("procedure_code"),
                channel=channel_of(tracker.sender_id),
            )
        reply = "Em cảm ơn anh/chị đã đánh giá ạ!"
        if score <= 2:
            reply += " Em rất tiếc chưa hỗ trợ tốt. Anh/chị có thể nhắn “phản ánh” để góp ý, hoặc “gặp cán bộ” để được hỗ trợ trực tiếp."
        dispatcher.utter_message(text=reply)
        return [SlotSet("rating_offered", True)]


def rating_buttons() -> list[dict[str, str]]:
    labels = {1: "1 ⭐ Rất không hài lòng", 2: "2 ⭐", 3: "3 ⭐", 4: "4 ⭐", 5: "5 ⭐ Rất hài lòng"}
    return [{"title": labels[n], "payload": f'/rate_service{{"rating": "{n}"}}'} for n in range(1, 6)]
