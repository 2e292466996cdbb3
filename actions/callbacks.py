"""Callbacks (gọi lại) when nobody can answer now: consent, a phone number, a preferred time.

``callback_form`` asks the three; the number is normalised here only to check it, stored by
``servicedesk.callbacks.service.request_callback`` (which masks it everywhere after) and cleared
from the conversation's slots at once. A refusal or "hủy" at any question ends the form without
storing anything."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import channel_of, conversation_unit, unit_from_metadata
from bot.vntext import normalize_folded
from core.db import session_scope
from core.errors import InvalidError
from core.redis import publish_wakeup
from core.settings import get_settings
from servicedesk.callbacks import service as callbacks

AGREED = "agreed"
DECLINED = "declined"
AGREE_BUTTON = "Đồng ý"
DECLINE_BUTTON = "Không đồng ý"
_AGREE = {"dong y", "co", "ok", "oke", "u", "uh", "vang", "da", "da dong y", "dong y a", "dong y nhe", "yes", "duoc"}
_DECLINE = {"khong dong y", "khong", "ko", "k", "khong a", "khong can", "thoi", "thoi khoi", "no"}
_CANCEL = {"huy", "huy bo", "thoi", "thoi khoi", "dung", "dung lai", "ngung", "khong can", "khong de lai", "cancel"}

ASK_CONSENT_AGAIN = "Anh/chị bấm “Đồng ý” để để lại số điện thoại, hoặc “Không đồng ý” nếu không muốn ạ."
PHONE_INVALID = (
    "Số điện thoại chưa đúng ạ. Anh/chị nhập số di động hoặc cố định Việt Nam, ví dụ 0912 345 678 "
    "(nhắn “hủy” nếu không muốn để lại số)."
)
TIME_NOT_UNDERSTOOD = "Anh/chị chọn giúp em một khung giờ bên dưới ạ."
NOTHING_KEPT = (
    "Dạ, em không lưu số điện thoại của anh/chị. Anh/chị vẫn có thể hỏi em tiếp, hoặc nhắn “gặp cán bộ” "
    "trong giờ làm việc ạ."
)


def _folded(text: str) -> str:
    return " ".join(normalize_folded(text).replace(".", " ").replace("!", " ").split())


class ActionAskCallbackConsent(Action):
    """Why the number is asked, how it is used, kept and erased; the citizen agrees or not."""

    def name(self) -> str:
        return "action_ask_callback_consent"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text=callbacks.CONSENT_TEXT,
            buttons=[
                {"title": AGREE_BUTTON, "payload": AGREE_BUTTON},
                {"title": DECLINE_BUTTON, "payload": DECLINE_BUTTON},
            ],
        )
        return []


class ActionAskCallbackTime(Action):
    def name(self) -> str:
        return "action_ask_callback_time"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(
            text="Anh/chị muốn được gọi lại vào lúc nào ạ?",
            buttons=[{"title": t, "payload": t} for t in callbacks.preferred_time_labels(get_settings())],
        )
        return []


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> str:
        return "validate_callback_form"

    def validate_callback_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = _folded(str(value or ""))
        if text in _DECLINE or text in _CANCEL or text.startswith("khong "):
            return {"callback_consent": DECLINED, "requested_slot": None}
        if text in _AGREE or text.startswith("dong y"):
            return {"callback_consent": AGREED}
        dispatcher.utter_message(text=ASK_CONSENT_AGAIN)
        return {"callback_consent": None}

    def validate_callback_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        if _folded(text) in _CANCEL:
            return {"callback_consent": DECLINED, "callback_phone": None, "requested_slot": None}
        phone = callbacks.normalise_phone(text)
        if phone is None:
            dispatcher.utter_message(text=PHONE_INVALID)
            return {"callback_phone": None}
        return {"callback_phone": phone}

    def validate_callback_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "")
        if _folded(text) in _CANCEL:
            return {"callback_consent": DECLINED, "callback_phone": None, "requested_slot": None}
        preferred = callbacks.read_preferred_time(text)  # "morning" | "afternoon" | "any"
        if preferred is None:
            dispatcher.utter_message(text=TIME_NOT_UNDERSTOOD)
            return {"callback_time": None}
        return {"callback_time": preferred}


class ActionSubmitCallback(Action):
    """Store the request (consent given) and confirm with the masked number; the slots holding the
    number are cleared in any case."""

    def name(self) -> str:
        return "action_submit_callback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        cleared = [SlotSet("callback_consent", None), SlotSet("callback_phone", None), SlotSet("callback_time", None)]
        phone, preferred = tracker.get_slot("callback_phone"), tracker.get_slot("callback_time")
        if tracker.get_slot("callback_consent") != AGREED or not phone or not preferred:
            dispatcher.utter_message(text=NOTHING_KEPT)
            return cleared
        settings = get_settings()
        try:
            with session_scope() as session:
                callback = callbacks.request_callback(
                    session,
                    sender_id=tracker.sender_id,
                    channel=channel_of(tracker.sender_id),
                    phone=phone,
                    preferred_time=preferred,
                    # The commune whose officers should call: the widget's own unit first.
                    unit_code=unit_from_metadata(tracker) or conversation_unit(tracker),
                    procedure_code=tracker.get_slot("procedure_code"),
                    settings=settings,
                )
                text = callbacks.confirmation_text(callback)
        except InvalidError as refused:
            dispatcher.utter_message(text=refused.message)
            return cleared
        publish_wakeup(settings)  # the console's callback list learns of it at once
        dispatcher.utter_message(text=text)
        return cleared
