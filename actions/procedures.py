"""Answers about a procedure: overview card, documents, fee, time, steps, place, online."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.common import entity_values, intent_button, latest_intent, text_without
from actions.feedback import rating_buttons
from actions.places import ActionFindOffice, centre_text, current_of, resolve_mentioned_unit
from core.db import session_scope
from knowledge.procedures import answers
from knowledge.procedures import service as procedures
from knowledge.procedures.models import Procedure
from knowledge.procedures.search import SearchHit, procedure_search
from knowledge.units import service as units

ASPECT_ANSWERS: dict[str, Callable[[Procedure], str]] = {
    "ask_procedure": answers.card_answer,
    "ask_documents": answers.documents_answer,
    "ask_fee": answers.fee_answer,
    "ask_processing_time": answers.processing_time_answer,
    "ask_steps": answers.steps_answer,
    "ask_online_submission": answers.online_answer,
}
# A runner-up this close to the best match makes the question ambiguous: offer choices.
AMBIGUITY_RATIO = 0.8
MAX_CHOICES = 3
# Below this search score the words only brush against a procedure (a phrase match scores more).
CONFIDENT_SCORE = 6.0


def find_procedure(session: Session, tracker: Tracker) -> tuple[Procedure | None, list[SearchHit]]:
    """The procedure asked about: a pressed button's code, else the words of the message,
    else the one the conversation was already about. Returns choices when it is ambiguous."""
    for code in entity_values(tracker, "procedure_code"):
        found = procedures.get_by_code(session, code)
        if found is not None:
            return found, []
    # The whole message, not just the recognised mention ("khai sinh lưu động" must not collapse
    # to "khai sinh"), but without places, codes and phones, which name no procedure.
    query = text_without(tracker, {"unit", "dossier_code", "phone"})
    hits = procedure_search.search(session, query, limit=MAX_CHOICES) if query.strip() else []
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


def answer_procedure(
    session: Session, dispatcher: CollectingDispatcher, tracker: Tracker, aspect: str
) -> list[dict[str, Any]]:
    procedure, choices = find_procedure(session, tracker)
    if procedure is None and choices:
        dispatcher.utter_message(
            text="Anh/chị muốn hỏi thủ tục nào dưới đây ạ?",
            buttons=[intent_button(f"{h.name} ({h.code})", aspect, {"procedure_code": h.code}) for h in choices],
        )
        return []
    if procedure is None:
        dispatcher.utter_message(
            text="Dạ, em chưa xác định được anh/chị hỏi thủ tục nào. Anh/chị nhắn giúp em tên thủ tục, "
            "ví dụ: “đăng ký khai sinh”, “đăng ký tạm trú”, “chứng thực bản sao” ạ."
        )
        return []
    events: list[dict[str, Any]] = [SlotSet("procedure_code", procedure.code), SlotSet("fallback_count", 0)]
    if aspect == "ask_submission_place":
        text, unit_events = _place_answer(session, tracker, procedure)
        events += unit_events
    else:
        text = ASPECT_ANSWERS[aspect](procedure)
    dispatcher.utter_message(text=text, custom=answers.card_payload(procedure))
    if not tracker.get_slot("rating_offered"):
        dispatcher.utter_message(
            text="Câu trả lời có hữu ích không ạ? Anh/chị chấm giúp em từ 1 đến 5 sao:", buttons=rating_buttons()
        )
        events.append(SlotSet("rating_offered", True))
    return events


def _place_answer(session: Session, tracker: Tracker, procedure: Procedure) -> tuple[str, list[dict[str, Any]]]:
    """Where to submit, for the citizen's own commune when it is known or named."""
    matches = (
        [m for m in resolve_mentioned_unit(session, tracker) if m.level == "commune"]
        if entity_values(tracker, "unit")
        else []
    )
    target: tuple[str, str] | None = None
    if matches:
        code, name, _ = current_of(matches[0])[0]
        target = (code, name)
    elif tracker.get_slot("unit_code"):
        unit = units.get_current(session, tracker.get_slot("unit_code"))
        if unit is not None:
            target = (unit.code, unit.name)
    centre_line = None
    events: list[dict[str, Any]] = []
    if target is not None and "xa" in (procedure.levels or []):
        centre_line = centre_text(session, *target)
        events.append(SlotSet("unit_code", target[0]))
    elif "xa" in (procedure.levels or []):
        centre_line = "Anh/chị cho em biết xã/phường nơi cư trú để em chỉ địa chỉ Trung tâm Phục vụ hành chính công ạ."
    return answers.submission_place_answer(procedure, centre_line), events


class ActionProcedureAnswer(Action):
    def name(self) -> str:
        return "action_procedure_answer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        intent = latest_intent(tracker) or "ask_procedure"
        aspect = intent if intent in ASPECT_ANSWERS or intent == "ask_submission_place" else "ask_procedure"
        with session_scope() as session:
            return answer_procedure(session, dispatcher, tracker, aspect)


class ActionHandleInform(Action):
    """A bare answer ("khai sinh", "phường Bến Thành", a dossier code): act on what it names."""

    def name(self) -> str:
        return "action_handle_inform"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        if entity_values(tracker, "dossier_code"):
            dispatcher.utter_message(
                text="Anh/chị muốn tra cứu hồ sơ này phải không ạ?",
                buttons=[
                    intent_button(
                        "Tra cứu hồ sơ",
                        "check_dossier_status",
                        {"dossier_code": entity_values(tracker, "dossier_code")[0]},
                    )
                ],
            )
            return []
        with session_scope() as session:
            if entity_values(tracker, "unit") and not entity_values(tracker, "procedure"):
                if tracker.get_slot("procedure_code"):
                    return answer_procedure(session, dispatcher, tracker, "ask_submission_place")
                return ActionFindOffice().run(dispatcher, tracker, domain)
            return answer_procedure(session, dispatcher, tracker, "ask_procedure")
