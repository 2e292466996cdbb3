"""The personal checklist (danh sách giấy tờ của tôi): the questions that decide which documents
apply, one at a time with buttons, then the citizen's own list with a link to its printable page.

Which questions to ask, how a reply is read and what the list holds are decided by
``knowledge.checklists.service``; this module runs ``checklist_form`` (one from_text slot,
``checklist_reply``) and keeps the answers so far in ``checklist_answers`` (JSON text)."""

from __future__ import annotations

import json
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.common import conversation_unit, entity_values, intent_button, text_without
from actions.procedures import NOT_PROCEDURE_ENTITIES
from bot.vntext import fold, normalize_folded
from core.db import session_scope
from core.settings import get_settings
from knowledge.checklists import service as checklists
from knowledge.procedures import answers
from knowledge.procedures import service as procedures
from knowledge.procedures.models import Procedure
from knowledge.procedures.resolution import Resolution, resolve_procedure

# What checklist_reply holds once the form ends: the answers are complete, or the citizen stopped.
DONE = "done"
CANCELLED = "cancelled"
_MARKERS = {DONE, CANCELLED}
# Replies that stop the questions (folded); "không" is an answer to many questions, so it is not one.
_CANCEL = {"huy", "huy bo", "thoi", "thoi khoi", "dung", "dung lai", "ngung", "khong lap nua", "cancel", "stop"}

INTRO = (
    "Em sẽ hỏi vài câu để lập danh sách giấy tờ đúng trường hợp của anh/chị cho thủ tục {name}. "
    "Chưa rõ câu nào, anh/chị bấm “Bỏ qua”; muốn dừng, anh/chị nhắn “hủy” ạ."
)
NOT_UNDERSTOOD = "Dạ, em chưa hiểu câu trả lời. Anh/chị bấm một lựa chọn bên dưới, hoặc bấm “Bỏ qua” nếu chưa rõ ạ."
CANCELLED_TEXT = "Dạ, em đã dừng lập danh sách giấy tờ. Khi cần, anh/chị nhắn “lập danh sách giấy tờ” để làm lại ạ."
NAME_THE_PROCEDURE = (
    "Anh/chị muốn lập danh sách giấy tờ cho thủ tục nào ạ? Ví dụ: “lập danh sách giấy tờ đăng ký khai sinh”."
)
CHOOSE_PROCEDURE = "Anh/chị muốn lập danh sách giấy tờ cho thủ tục nào dưới đây ạ?"
UNAVAILABLE = "Dạ, thủ tục này hiện không còn trong danh mục nên em chưa lập được danh sách. Anh/chị hỏi lại giúp em ạ."


# The words that ask for a checklist name no procedure ("lập danh sách giấy tờ của tôi" must not
# match a procedure about "giấy tờ"): blanked, on the folded text, before the search.
_CHECKLIST_WORDS = re.compile(
    r"\b(?:lap|tao|soan|liet ke|danh sach|ds|checklist|list|giay to|ho so|hs|"
    r"cua (?:toi|em|minh|tui|t|e)|rieng|ca nhan|truong hop|hoan canh|in ra|de in|mang theo)\b"
)


def find_checklist_procedure(session: Session, tracker: Tracker) -> Resolution:
    """The procedure of the checklist: a pressed button's code, else the words of the message
    without the checklist's own words, else the procedure the conversation is about."""
    text = text_without(tracker, NOT_PROCEDURE_ENTITIES)
    folded = fold(text)
    for match in _CHECKLIST_WORDS.finditer(folded):
        text = text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]
    return resolve_procedure(
        session,
        text,
        codes=entity_values(tracker, "procedure_code"),
        current_code=tracker.get_slot("procedure_code"),
    )


def read_answers(tracker: Tracker) -> dict[str, str]:
    """The answers so far (``checklist_answers``); an unreadable value counts as none."""
    try:
        value = json.loads(tracker.get_slot("checklist_answers") or "{}")
    except (TypeError, ValueError):
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _procedure(session: Session, tracker: Tracker) -> Procedure | None:
    code = tracker.get_slot("procedure_code")
    return procedures.get_by_code(session, code) if code else None


def question_message(question: checklists.Question) -> tuple[str, list[dict[str, str]]]:
    """The question and its buttons: each option's label is also its payload (read back by
    ``read_answer``, on the web and on Zalo alike), then "Bỏ qua"."""
    buttons = [{"title": o.label, "payload": o.label} for o in question.options]
    buttons.append({"title": checklists.SKIP_LABEL, "payload": checklists.SKIP_LABEL})
    return question.text, buttons


def send_checklist(
    session: Session, dispatcher: CollectingDispatcher, tracker: Tracker, procedure: Procedure, answers_: dict[str, str]
) -> None:
    """Save the list (a stable link) and send the message the citizen keeps."""
    unit_code = conversation_unit(tracker)
    saved = checklists.save_checklist(session, procedure, answers_, unit_code=unit_code)
    checklist = checklists.build_checklist(session, procedure, answers_, unit_code=unit_code)
    link = checklists.checklist_url(get_settings(), saved.token)
    dispatcher.utter_message(text=checklists.chat_text(checklist, link))


class ActionChecklistStart(Action):
    """Which procedure; then either the questions (``checklist_asking``: the form starts) or,
    when nothing needs asking, the list at once."""

    def name(self) -> str:
        return "action_checklist_start"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        not_asking = [SlotSet("checklist_asking", False)]
        with session_scope() as session:
            resolution = find_checklist_procedure(session, tracker)
            procedure = resolution.procedure
            if procedure is None and resolution.choices:
                dispatcher.utter_message(
                    text=CHOOSE_PROCEDURE,
                    buttons=[
                        intent_button(answers.choice_title(h.name, h.code), "ask_checklist", {"procedure_code": h.code})
                        for h in resolution.choices
                    ],
                )
                return not_asking
            if procedure is None:
                dispatcher.utter_message(text=NAME_THE_PROCEDURE)
                return not_asking
            events: list[dict[str, Any]] = [
                SlotSet("procedure_code", procedure.code),
                SlotSet("checklist_answers", json.dumps({})),
                SlotSet("checklist_reply", None),
            ]
            if checklists.next_question(procedure, {}) is None:
                send_checklist(session, dispatcher, tracker, procedure, {})
                return events + not_asking
            dispatcher.utter_message(text=INTRO.format(name=procedure.name))
            return events + [SlotSet("checklist_asking", True)]


class ActionAskChecklistReply(Action):
    """The form's question: the next one that still decides something, with its buttons."""

    def name(self) -> str:
        return "action_ask_checklist_reply"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        with session_scope() as session:
            procedure = _procedure(session, tracker)
            question = checklists.next_question(procedure, read_answers(tracker)) if procedure else None
        if question is None:  # nothing left to ask (the validation ends the form then): say nothing
            return []
        text, buttons = question_message(question)
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ValidateChecklistForm(FormValidationAction):
    def name(self) -> str:
        return "validate_checklist_form"

    def validate_checklist_reply(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        if text in _MARKERS:
            return {"checklist_reply": text}
        if normalize_folded(text).strip(" .!") in _CANCEL:
            return {"checklist_reply": CANCELLED}
        with session_scope() as session:
            procedure = _procedure(session, tracker)
            if procedure is None:
                dispatcher.utter_message(text=UNAVAILABLE)
                return {"checklist_reply": CANCELLED}
            answers_ = read_answers(tracker)
            question = checklists.next_question(procedure, answers_)
            if question is None:
                return {"checklist_reply": DONE}
            key = checklists.read_answer(question, text)
            if key is None:
                dispatcher.utter_message(text=NOT_UNDERSTOOD)
                return {"checklist_reply": None}
            answers_[question.key] = key
            more = checklists.next_question(procedure, answers_) is not None
        return {
            "checklist_answers": json.dumps(answers_, ensure_ascii=False),
            "checklist_reply": None if more else DONE,
        }


class ActionChecklistResult(Action):
    """When the form ends: the list (saved, with its link), or a word that it was stopped."""

    def name(self) -> str:
        return "action_checklist_result"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        cleared = [SlotSet("checklist_reply", None), SlotSet("checklist_answers", None)]
        if tracker.get_slot("checklist_reply") != DONE:
            dispatcher.utter_message(text=CANCELLED_TEXT)
            return cleared
        with session_scope() as session:
            procedure = _procedure(session, tracker)
            if procedure is None:
                dispatcher.utter_message(text=UNAVAILABLE)
                return cleared
            send_checklist(session, dispatcher, tracker, procedure, read_answers(tracker))
        return cleared
