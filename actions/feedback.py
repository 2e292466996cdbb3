"""Phản ánh, kiến nghị and satisfaction ratings."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import channel_of, entity_values, intent_button, latest_text
from bot.vntext import normalize_folded
from core.db import session_scope
from knowledge.units import service as units
from servicedesk.feedback import answers as feedback_answers
from servicedesk.feedback.service import FeedbackError, record_feedback
from servicedesk.ratings import answers as rating_answers
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
            dispatcher.utter_message(text=feedback_answers.CONTENT_TOO_SHORT)
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
                dispatcher.utter_message(text=feedback_answers.NOT_RECORDED)
                return [SlotSet("feedback_content", None), SlotSet("feedback_contact", None)]
            reference = feedback.reference
        dispatcher.utter_message(
            text=feedback_answers.recorded(reference, with_contact=contact not in (None, NO_CONTACT))
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
            dispatcher.utter_message(text=rating_answers.ASK_SCORE, buttons=rating_buttons())
            return []
        with session_scope() as session:
            record_rating(
                session,
                sender_id=tracker.sender_id,
                score=score,
                procedure_code=tracker.get_slot("procedure_code"),
                channel=channel_of(tracker.sender_id),
            )
        dispatcher.utter_message(text=rating_answers.thanks(score))
        return [SlotSet("rating_offered", True)]


def rating_buttons() -> list[dict[str, str]]:
    return [
        intent_button(title, "rate_service", {"rating": str(n)}) for n, title in rating_answers.SCORE_TITLES.items()
    ]
