"""actions/dossiers.py: ValidateDossierForm (code, last four digits, status) and ActionDossierStatus."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.dossiers import (
    STOPPED,
    VERIFIED,
    ActionDossierStatus,
    ValidateDossierForm,
    client_identity,
    news_offer_buttons,
)
from core.settings import get_settings
from servicedesk.dossier_news.service import consent_text
from tests.actions.conftest import button, message, slot_event, tracker, user_event

DEMO_1 = "000.00.01.DEMO-250710-0001"  # phone 0900000001, Đăng ký khai sinh, returned
DEMO_2 = "000.00.01.DEMO-250714-0002"  # phone 0900000002, Đăng ký tạm trú, processing
DEMO_3 = "000.00.01.DEMO-250710-0003"
FORMAT_HINT = (
    "Mã hồ sơ chưa đúng định dạng ạ. Mã hồ sơ có dạng 000.00.01.H29-250710-0012: mã cơ quan tiếp nhận, "
    "ngày tiếp nhận (250710 là ngày 10/07/2025) và số thứ tự, ghi trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả."
)
INVALID_LAST4 = "Anh/chị vui lòng nhập đúng 4 chữ số cuối của số điện thoại đã khai khi nộp hồ sơ (ví dụ: 0123) ạ."


def _not_found(code: str, left: int) -> str:
    return (
        f"Em chưa tìm thấy hồ sơ khớp với mã {code} và 4 số cuối điện thoại anh/chị vừa nhập. "
        "Anh/chị vui lòng kiểm tra lại mã hồ sơ trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả, và 4 số cuối "
        f"của số điện thoại đã khai khi nộp hồ sơ (còn {left} lần thử trong 15 phút) ạ."
    )


def _asking_digits(text: str, code: str, sender: str, **kwargs: Any) -> Any:
    return tracker(
        text,
        intent="inform",
        sender_id=sender,
        active_loop="dossier_form",
        slots={"dossier_code": code, "requested_slot": "phone_last4"},
        **kwargs,
    )


# --- the code -----------------------------------------------------------------------------------


def test_a_well_formed_code_is_kept_in_upper_case(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    result = ValidateDossierForm().validate_dossier_code(DEMO_1.lower(), dispatcher, tracker(DEMO_1), domain)
    assert result == {"dossier_code": DEMO_1}
    assert dispatcher.messages == []  # the form asks for the digits (utter_ask_phone_last4)


def test_a_malformed_code_gets_the_format_hint(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    result = ValidateDossierForm().validate_dossier_code("12345", dispatcher, tracker("12345"), domain)
    assert result == {"dossier_code": None}
    assert dispatcher.messages == [message(FORMAT_HINT)]


def test_digits_tagged_as_a_code_keep_the_code_given_before(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    """Issue 12, finding 7: "0008" looks like a code's sequence number."""
    events = [
        user_event("tra cứu hồ sơ", "check_dossier_status"),
        slot_event("dossier_code", DEMO_1),
        slot_event("requested_slot", "phone_last4"),
        user_event("0008", "inform"),
        slot_event("dossier_code", "0008"),
    ]
    state = tracker("0008", intent="inform", events=events, slots={"requested_slot": "phone_last4"})
    result = ValidateDossierForm().validate_dossier_code("0008", dispatcher, state, domain)
    assert result == {"dossier_code": DEMO_1}
    assert dispatcher.messages == []


@pytest.mark.asyncio
async def test_the_form_rejects_a_malformed_code(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    events = [user_event("12345", "inform"), slot_event("dossier_code", "12345")]
    state = tracker(
        "12345",
        intent="inform",
        events=events,
        active_loop="dossier_form",
        slots={"requested_slot": "dossier_code", "dossier_code": "12345"},
    )
    assert await ValidateDossierForm().run(dispatcher, state, domain) == [SlotSet("dossier_code", None)]
    assert dispatcher.messages == [message(FORMAT_HINT)]


# --- the digits ---------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_right_digits_show_the_status(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    state = _asking_digits("0001", DEMO_1, "web-dossier-right")
    result = await ValidateDossierForm().validate_phone_last4("0001", dispatcher, state, domain)
    # The verified dossier is kept for dossier news; a finished one is offered none.
    assert result == {"phone_last4": VERIFIED, "verified_dossier_code": DEMO_1, "verified_dossier_status": "returned"}
    [shown] = dispatcher.messages
    lines = shown["text"].split("\n")
    assert lines[:5] == [
        "(Dữ liệu minh họa, không phải hồ sơ thật.)",
        f"Hồ sơ {DEMO_1} — Đăng ký khai sinh (mã thủ tục 1.001193)",
        "• Nơi tiếp nhận: Phường Bến Thành",
        "• Ngày tiếp nhận: 10/07/2025 08:15",
        "• Ngày hẹn trả kết quả: 10/07/2025",
    ]
    assert "Đã trả kết quả" in lines[5] and lines[6] == "Quá trình xử lý:"
    assert shown == message(shown["text"])  # text only: no buttons, no card


@pytest.mark.asyncio
async def test_a_dossier_in_progress_is_offered_news_with_consent(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    state = _asking_digits("0002", DEMO_2, "web-dossier-news-offer")
    result = await ValidateDossierForm().validate_phone_last4("0002", dispatcher, state, domain)
    assert result == {"phone_last4": VERIFIED, "verified_dossier_code": DEMO_2, "verified_dossier_status": "processing"}
    [status, offer] = dispatcher.messages
    assert DEMO_2 in status["text"]
    assert offer == message(consent_text(get_settings().dossier), buttons=news_offer_buttons())
    assert news_offer_buttons() == [
        button("Đồng ý nhận tin", "/subscribe_dossier_news"),
        button("Không cần", "/deny"),
    ]


@pytest.mark.asyncio
async def test_wrong_digits_reveal_nothing_and_say_the_tries_left(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    state = _asking_digits("9876", DEMO_3, "web-dossier-wrong")
    result = await ValidateDossierForm().validate_phone_last4("9876", dispatcher, state, domain)
    assert result == {"phone_last4": None}
    assert dispatcher.messages == [message(_not_found(DEMO_3, 4))]


@pytest.mark.asyncio
async def test_an_unknown_code_gets_the_same_words_as_wrong_digits(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    code = "000.00.01.H29-250710-9999"
    result = await ValidateDossierForm().validate_phone_last4(
        "1234", dispatcher, _asking_digits("1234", code, "web-dossier-unknown"), domain
    )
    assert result == {"phone_last4": None}
    assert dispatcher.messages == [message(_not_found(code, 4))]


@pytest.mark.asyncio
async def test_malformed_digits_are_asked_again(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    result = await ValidateDossierForm().validate_phone_last4(
        "12", dispatcher, _asking_digits("12", DEMO_1, "web-dossier-short"), domain
    )
    assert result == {"phone_last4": None}
    assert dispatcher.messages == [message(INVALID_LAST4)]


@pytest.mark.asyncio
async def test_a_whole_code_instead_of_digits_changes_the_dossier(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    result = await ValidateDossierForm().validate_phone_last4(
        DEMO_3, dispatcher, _asking_digits(DEMO_3, DEMO_1, "web-dossier-switch"), domain
    )
    assert result == {"dossier_code": DEMO_3, "phone_last4": None}
    assert dispatcher.messages == []


@pytest.mark.asyncio
async def test_digits_without_a_code_are_not_looked_up(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    state = tracker("0001", sender_id="web-dossier-nocode", slots={"requested_slot": "phone_last4"})
    result = await ValidateDossierForm().validate_phone_last4("0001", dispatcher, state, domain)
    assert result == {"phone_last4": None}
    assert dispatcher.messages == []


@pytest.mark.asyncio
async def test_too_many_wrong_digits_stop_the_form(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    sender = "web-dossier-guesser"
    form = ValidateDossierForm()
    for left, digits in zip(range(4, -1, -1), ("1111", "2222", "3333", "4444"), strict=False):
        guess = CollectingDispatcher()
        assert await form.validate_phone_last4(digits, guess, _asking_digits(digits, DEMO_3, sender), domain) == {
            "phone_last4": None
        }
        assert guess.messages == [message(_not_found(DEMO_3, left))]
    last = CollectingDispatcher()
    await form.validate_phone_last4("5555", last, _asking_digits("5555", DEMO_3, sender), domain)
    assert "hết số lần thử" in last.messages[0]["text"]
    # Locked now, even for the right digits of a real dossier; the form stops instead of asking again.
    result = await form.validate_phone_last4("0001", dispatcher, _asking_digits("0001", DEMO_1, sender), domain)
    assert result == {"phone_last4": STOPPED}
    [refusal] = dispatcher.messages
    assert "tạm dừng" in refusal["text"] and "Trạng thái" not in refusal["text"]


@pytest.mark.asyncio
async def test_the_form_verifies_the_digits_through_its_own_run(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    events = [
        user_event("tra cứu hồ sơ", "check_dossier_status"),
        slot_event("dossier_code", DEMO_1),
        user_event("0001", "inform"),
        slot_event("phone_last4", "0001"),
    ]
    state = tracker(
        "0001",
        intent="inform",
        sender_id="web-dossier-run",
        events=events,
        active_loop="dossier_form",
        slots={"dossier_code": DEMO_1, "phone_last4": "0001", "requested_slot": "phone_last4"},
        metadata={"client": "a" * 64, "channel": "web"},
    )
    assert await ValidateDossierForm().run(dispatcher, state, domain) == [
        SlotSet("phone_last4", VERIFIED),
        SlotSet("verified_dossier_code", DEMO_1),
        SlotSet("verified_dossier_status", "returned"),
    ]
    assert dispatcher.messages[0]["text"].startswith("(Dữ liệu minh họa, không phải hồ sơ thật.)\nHồ sơ " + DEMO_1)


@pytest.mark.parametrize(
    ("metadata", "identity"),
    [
        ({"client": "abc123", "channel": "zalo"}, ("abc123", "zalo")),
        ({"client": "abc123", "channel": "fax"}, ("abc123", None)),  # a channel of no kind: unnamed
        ({"client": "x" * 129, "channel": "web"}, (None, None)),  # too long to be the bridge's hash
        ({"client": 42}, (None, None)),
        ({}, (None, None)),
    ],
)
def test_client_identity_is_read_only_from_well_formed_metadata(
    metadata: dict[str, Any], identity: tuple[str | None, str | None]
) -> None:
    assert client_identity(tracker("0001", metadata=metadata)) == identity


# --- ActionDossierStatus -------------------------------------------------------------------------


def test_the_status_action_clears_the_form_for_the_next_lookup(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    state = tracker("0001", slots={"dossier_code": DEMO_1, "phone_last4": VERIFIED})
    assert ActionDossierStatus().run(dispatcher, state, domain) == [
        SlotSet("dossier_code", None),
        SlotSet("phone_last4", None),
    ]
    assert dispatcher.messages == []
