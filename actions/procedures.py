"""Answers about a procedure: overview card, documents, fee, time, steps, place, online."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity_values, intent_button, latest_intent, latest_text
from knowledge.db import session_scope
from knowledge.procedures import answers
from knowledge.procedures import service as procedures
from knowledge.procedures.models import Procedure
from knowledge.procedures.search import procedure_search

ASPECT_ANSWERS: dict[str, Callable[[Procedure], str]] = {
    "ask_procedure": answers.card_answer,
    "ask_documents": answers.documents_answer,
    "ask_fee": answers.fee_answer,
    "ask_processing_time": answers.processing_time_answer,
    "ask_steps": answers.steps_answer,
    "ask_submission_place": answers.submission_place_answer,
    "ask_online_submission": answers.online_answer,
}
# A runner-up this close to the best match makes the question ambiguous: offer choices.
AMBIGUITY_RATIO = 0.8
MAX_CHOICES = 3
# Below this search score the words only brush against a procedure (a phrase match scores more).
CONFIDENT_SCORE = 6.0


class ActionProcedureAnswer(Action):
    def name(self) -> str:
        return "action_procedure_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        intent = latest_intent(tracker) or "ask_procedure"
        aspect = intent if intent in ASPECT_ANSWERS else "ask_procedure"
        with session_scope() as session:
            procedure, choices = self._find_procedure(session, tracker)
            if procedure is None and choices:
                dispatcher.utter_message(
                    text="Anh/chị muốn hỏi thủ tục nào dưới đây ạ?",
                    buttons=[
                        intent_button(f"{hit.name} ({hit.code})", aspect, {"procedure_code": hit.code})
                        for hit in choices
                    ],
                )
                return []
            if procedure is None:
                dispatcher.utter_message(
                    text=(
                        "Dạ, em chưa xác định được anh/chị hỏi thủ tục nào. Anh/chị nhắn giúp em tên thủ tục, "
                        "ví dụ: “đăng ký khai sinh”, “đăng ký tạm trú”, “chứng thực bản sao” ạ."
                    )
                )
                return []
            dispatcher.utter_message(
                text=ASPECT_ANSWERS[aspect](procedure), custom=answers.card_payload(procedure)
            )
            return [SlotSet("procedure_code", procedure.code)]

    @staticmethod
    def _find_procedure(session, tracker: Tracker) -> tuple[Procedure | None, list]:  # noqa: ANN001
        """The procedure asked about: a pressed button's code, else the words of the message,
        else the one the conversation was already about."""
        for code in entity_values(tracker, "procedure_code"):
            found = procedures.get_by_code(session, code)
            if found is not None:
                return found, []
        # The whole message, not just the recognised mention: "khai sinh lưu động" must not
        # collapse to "khai sinh"; the search drops the question words itself.
        hits = procedure_search.search(session, latest_text(tracker), limit=MAX_CHOICES)
        if hits and hits[0].score >= CONFIDENT_SCORE:
            close = [h for h in hits if h.score >= hits[0].score * AMBIGUITY_RATIO]
            if len(close) > 1:
                return None, close
            return procedures.get_by_code(session, hits[0].code), []
        # A follow-up such as "còn lệ phí thì sao?" names no procedure: keep the current one.
        current = tracker.get_slot("procedure_code")
        if current:
            found = procedures.get_by_code(session, current)
            if found is not None:
                return found, []
        return None, hits
