"""Answers about a procedure: overview card, documents, fee, time, steps, place, online.

Which procedure a message means is decided by ``knowledge.procedures.resolution``; the words are
``knowledge.procedures.answers``'. This module reads the tracker and sends the messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.common import conversation_unit, entity_values, intent_button, latest_intent, text_without
from actions.feedback import rating_buttons
from actions.notices import utter_notices
from actions.places import ActionFindOffice, centre_text, resolve_mentioned_unit
from core.db import session_scope
from knowledge.centres.answers import ASK_COMMUNE_FOR_CENTRE
from knowledge.checklists.service import has_questions
from knowledge.procedures import answers
from knowledge.procedures.models import Procedure
from knowledge.procedures.resolution import Resolution, resolve_procedure
from knowledge.units import service as units
from servicedesk.dossiers import service as dossiers
from servicedesk.ratings.answers import ASK_RATING

ASPECT_ANSWERS: dict[str, Callable[[Procedure], str]] = {
    "ask_procedure": answers.card_answer,
    "ask_documents": answers.documents_answer,
    "ask_fee": answers.fee_answer,
    "ask_processing_time": answers.processing_time_answer,
    "ask_steps": answers.steps_answer,
    "ask_online_submission": answers.online_answer,
}
# Mentions that name no procedure, blanked out before the search.
NOT_PROCEDURE_ENTITIES = {"unit", "dossier_code", "phone"}
# After these answers, a procedure whose documents depend on the case offers the personal checklist.
CHECKLIST_OFFER_ASPECTS = {"ask_procedure", "ask_documents"}
CHECKLIST_OFFER = "Giấy tờ của thủ tục này tùy trường hợp. Em có thể hỏi vài câu để lập danh sách cho riêng anh/chị."
CHECKLIST_BUTTON = "Lập danh sách giấy tờ của tôi"


def find_procedure(session: Session, tracker: Tracker) -> Resolution:
    """The procedure asked about: a pressed button's code, else the words of the message,
    else the one the conversation was already about."""
    # The whole message, not just the recognised mention ("khai sinh lưu động" must not collapse
    # to "khai sinh"), but without places, codes and phones, which name no procedure.
    return resolve_procedure(
        session,
        text_without(tracker, NOT_PROCEDURE_ENTITIES),
        codes=entity_values(tracker, "procedure_code"),
        current_code=tracker.get_slot("procedure_code"),
    )


def answer_procedure(
    session: Session, dispatcher: CollectingDispatcher, tracker: Tracker, aspect: str
) -> list[dict[str, Any]]:
    resolution = find_procedure(session, tracker)
    procedure = resolution.procedure
    if procedure is None and resolution.choices:
        dispatcher.utter_message(
            text=answers.CHOOSE_PROCEDURE,
            buttons=[
                intent_button(answers.choice_title(h.name, h.code), aspect, {"procedure_code": h.code})
                for h in resolution.choices
            ],
        )
        return []
    if procedure is None:
        dispatcher.utter_message(text=answers.NAME_THE_PROCEDURE)
        return []
    events: list[dict[str, Any]] = [SlotSet("procedure_code", procedure.code), SlotSet("fallback_count", 0)]
    if aspect == "ask_submission_place":
        text, unit_events = _place_answer(session, tracker, procedure)
        events += unit_events
    else:
        text = ASPECT_ANSWERS[aspect](procedure)
    # Notices first (a closure or a changed fee matters more than the answer), each one once.
    unit_code = next((e["value"] for e in events if e.get("name") == "unit_code"), None) or conversation_unit(tracker)
    events += utter_notices(session, dispatcher, tracker, unit_code=unit_code, procedure_code=procedure.code)
    dispatcher.utter_message(text=text, custom=answers.card_payload(procedure))
    if aspect in CHECKLIST_OFFER_ASPECTS and has_questions(procedure):
        dispatcher.utter_message(
            text=CHECKLIST_OFFER,
            buttons=[intent_button(CHECKLIST_BUTTON, "ask_checklist", {"procedure_code": procedure.code})],
        )
    if not tracker.get_slot("rating_offered"):
        dispatcher.utter_message(text=ASK_RATING, buttons=rating_buttons())
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
    current = matches[0].current_units() if matches else []
    if current:
        target = (current[0].code, current[0].name)
    elif known := conversation_unit(tracker):  # the commune given before, else the widget's own unit
        unit = units.get_current(session, known)
        if unit is not None:
            target = (unit.code, unit.name)
    centre_line = None
    events: list[dict[str, Any]] = []
    if target is not None and "xa" in (procedure.levels or []):
        centre_line = centre_text(session, *target)
        events.append(SlotSet("unit_code", target[0]))
    elif "xa" in (procedure.levels or []):
        centre_line = ASK_COMMUNE_FOR_CENTRE
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
                text=dossiers.CONFIRM_LOOKUP,
                buttons=[
                    intent_button(
                        dossiers.LOOKUP_BUTTON,
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
