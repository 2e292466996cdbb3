"""actions/callbacks.py: the callback form (consent, phone, preferred time) and its submission."""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.callbacks import (
    AGREE_BUTTON,
    AGREED,
    ASK_CONSENT_AGAIN,
    DECLINE_BUTTON,
    DECLINED,
    NOTHING_KEPT,
    PHONE_INVALID,
    TIME_NOT_UNDERSTOOD,
    ActionAskCallbackConsent,
    ActionAskCallbackTime,
    ActionSubmitCallback,
    ValidateCallbackForm,
)
from core.db import session_scope
from core.settings import get_settings
from servicedesk.callbacks import service as callbacks
from servicedesk.callbacks.models import CallbackRequest
from tests.actions.conftest import button, message, tracker

BEN_THANH = "26743"
CLEARED = [SlotSet("callback_consent", None), SlotSet("callback_phone", None), SlotSet("callback_time", None)]


def _asking(slot: str, text: str, **kwargs: Any) -> Any:
    return tracker(text, active_loop="callback_form", slots={"requested_slot": slot, slot: text}, **kwargs)


def _callbacks_of(sender: str) -> list[CallbackRequest]:
    with session_scope() as session:
        rows = list(session.scalars(select(CallbackRequest).where(CallbackRequest.sender_id == sender)))
        session.expunge_all()
    return rows


# --- asking ------------------------------------------------------------------------------------------


def test_consent_is_asked_with_its_reasons_and_two_buttons(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    assert ActionAskCallbackConsent().run(dispatcher, tracker(""), domain) == []
    assert dispatcher.messages == [
        message(
            callbacks.CONSENT_TEXT,
            buttons=[button(AGREE_BUTTON, AGREE_BUTTON), button(DECLINE_BUTTON, DECLINE_BUTTON)],
        )
    ]


def test_the_time_is_asked_with_the_parts_of_the_office_day(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    assert ActionAskCallbackTime().run(dispatcher, tracker(""), domain) == []
    labels = callbacks.preferred_time_labels(get_settings())
    assert labels == ("Buổi sáng (7:30–11:30)", "Buổi chiều (13:00–17:00)", "Lúc nào cũng được")
    assert dispatcher.messages == [
        message("Anh/chị muốn được gọi lại vào lúc nào ạ?", buttons=[button(t, t) for t in labels])
    ]


# --- validating -----------------------------------------------------------------------------------------


def test_consent_given_or_refused(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    validate = ValidateCallbackForm().validate_callback_consent
    for text in ("Đồng ý", "dong y", "ok"):
        assert validate(text, dispatcher, _asking("callback_consent", text), domain) == {"callback_consent": AGREED}
    for text in ("Không đồng ý", "khong", "thôi", "hủy"):
        assert validate(text, dispatcher, _asking("callback_consent", text), domain) == {
            "callback_consent": DECLINED,
            "requested_slot": None,  # the form ends: nothing is asked, nothing stored
        }
    assert dispatcher.messages == []


def test_an_unclear_consent_is_asked_again(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    text = "0912345678"  # a number before agreeing: consent first
    result = ValidateCallbackForm().validate_callback_consent(
        text, dispatcher, _asking("callback_consent", text), domain
    )
    assert result == {"callback_consent": None}
    assert dispatcher.messages == [message(ASK_CONSENT_AGAIN)]


def test_the_phone_is_normalised_or_asked_again(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    validate = ValidateCallbackForm().validate_callback_phone
    for text in ("0912 345 678", "+84 912.345.678", "sđt em là 0912345678 ạ"):
        assert validate(text, dispatcher, _asking("callback_phone", text), domain) == {"callback_phone": "0912345678"}
    assert dispatcher.messages == []
    assert validate("12345", dispatcher, _asking("callback_phone", "12345"), domain) == {"callback_phone": None}
    assert dispatcher.messages == [message(PHONE_INVALID)]


def test_huy_while_the_phone_is_asked_ends_the_form(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    result = ValidateCallbackForm().validate_callback_phone("hủy", dispatcher, _asking("callback_phone", "hủy"), domain)
    assert result == {"callback_consent": DECLINED, "callback_phone": None, "requested_slot": None}


def test_the_preferred_time_from_a_button_or_typed(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    validate = ValidateCallbackForm().validate_callback_time
    cases = {
        "Buổi sáng (7:30–11:30)": "morning",
        "chieu nay": "afternoon",
        "Lúc nào cũng được": "any",
        "sáng hay chiều đều được": "any",
    }
    for text, expected in cases.items():
        assert validate(text, dispatcher, _asking("callback_time", text), domain) == {"callback_time": expected}
    assert dispatcher.messages == []
    assert validate("mai", dispatcher, _asking("callback_time", "mai"), domain) == {"callback_time": None}
    assert dispatcher.messages == [message(TIME_NOT_UNDERSTOOD)]


# --- submitting ----------------------------------------------------------------------------------------


def test_the_request_is_stored_confirmed_masked_and_the_slots_cleared(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    sender = "web-callback-ok"
    state = tracker(
        "Buổi chiều (13:00–17:00)",
        sender_id=sender,
        slots={
            "callback_consent": AGREED,
            "callback_phone": "0912345678",
            "callback_time": "afternoon",
            "procedure_code": "1.001193",
        },
        metadata={"channel": "web", "unit_code": BEN_THANH},
    )
    assert ActionSubmitCallback().run(dispatcher, state, domain) == CLEARED
    [stored] = _callbacks_of(sender)
    assert (stored.status, stored.channel, stored.unit_code, stored.procedure_code) == (
        "open",
        "web",
        BEN_THANH,
        "1.001193",
    )
    assert (stored.phone, stored.phone_masked, stored.preferred_time) == ("0912345678", "09•• ••• 678", "afternoon")
    assert dispatcher.messages == [message(callbacks.confirmation_text(stored))]
    assert "0912345678" not in dispatcher.messages[0]["text"] and "09•• ••• 678" in dispatcher.messages[0]["text"]


def test_a_refusal_stores_nothing(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    sender = "zalo-callback-refused"
    state = tracker("Không đồng ý", sender_id=sender, slots={"callback_consent": DECLINED})
    assert ActionSubmitCallback().run(dispatcher, state, domain) == CLEARED
    assert _callbacks_of(sender) == []
    assert dispatcher.messages == [message(NOTHING_KEPT)]
