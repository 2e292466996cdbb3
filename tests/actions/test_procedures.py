"""actions/procedures.py: ActionProcedureAnswer and ActionHandleInform."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.procedures import CHECKLIST_BUTTON, CHECKLIST_OFFER, ActionHandleInform, ActionProcedureAnswer
from core.db import session_scope
from knowledge.centres import service as centres
from knowledge.centres.answers import ASK_COMMUNE_FOR_CENTRE, centres_text
from knowledge.procedures import answers
from knowledge.procedures import service as procedures
from tests.actions.conftest import RATING_BUTTONS, button, entity, message, tracker

BIRTH = "1.001193"  # Đăng ký khai sinh
RESIDENCE = "1.004194"  # Đăng ký tạm trú
MARRIAGE = "1.000894"  # Đăng ký kết hôn
FOREIGN_MARRIAGE = "2.000806"  # Đăng ký kết hôn có yếu tố nước ngoài: lệ phí do HĐND tỉnh quyết định
SIGNATURE = "2.000884"  # Chứng thực chữ ký: two in-person channels, told apart by their condition
BEN_THANH = "26743"  # Phường Bến Thành (current)
PORTAL = "https://dichvucong.gov.vn"
ASK_RATING = "Câu trả lời có hữu ích không ạ? Anh/chị chấm giúp em từ 1 đến 5 sao:"


def _answer(code: str, build: Any) -> tuple[str, dict[str, Any]]:
    with session_scope() as session:
        procedure = procedures.get_by_code(session, code)
        assert procedure is not None
        return build(procedure), answers.card_payload(procedure)


def test_a_question_naming_a_procedure_gets_that_answer_and_one_rating_offer(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "đăng ký khai sinh cần giấy tờ gì"
    events = ActionProcedureAnswer().run(
        dispatcher,
        tracker(text, intent="ask_documents", entities=[entity(text, "đăng ký khai sinh", "procedure")]),
        domain,
    )
    assert events == [SlotSet("procedure_code", BIRTH), SlotSet("fallback_count", 0), SlotSet("rating_offered", True)]
    documents, card = _answer(BIRTH, answers.documents_answer)
    assert documents.startswith(f"Hồ sơ đăng ký khai sinh (mã {BIRTH}) gồm:")
    assert card["type"] == "procedure_card" and card["code"] == BIRTH
    assert dispatcher.messages == [
        message(documents, custom=card),
        # Its documents depend on the case: the personal checklist is offered.
        message(
            CHECKLIST_OFFER,
            buttons=[button(CHECKLIST_BUTTON, f'/ask_checklist{{"procedure_code": "{BIRTH}"}}')],
        ),
        message(ASK_RATING, buttons=RATING_BUTTONS),
    ]


@pytest.mark.parametrize(
    ("text", "intent", "build"),
    [
        ("còn lệ phí thì sao?", "ask_fee", answers.fee_answer),
        ("mất bao lâu vậy", "ask_processing_time", answers.processing_time_answer),
        ("các bước làm thế nào", "ask_steps", answers.steps_answer),
        ("có nộp online được không", "ask_online_submission", answers.online_answer),
        ("vậy à", "ask_procedure", answers.card_answer),
        ("ừ", "affirm", answers.card_answer),  # an intent that asks no aspect: the card
    ],
)
def test_a_follow_up_keeps_the_procedure_and_answers_the_aspect(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], text: str, intent: str, build: Any
) -> None:
    events = ActionProcedureAnswer().run(
        dispatcher,
        tracker(text, intent=intent, slots={"procedure_code": RESIDENCE, "rating_offered": True}),
        domain,
    )
    assert events == [SlotSet("procedure_code", RESIDENCE), SlotSet("fallback_count", 0)]
    text, card = _answer(RESIDENCE, build)
    assert dispatcher.messages == [message(text, custom=card)]


def test_a_pressed_choice_button_names_the_procedure_by_code(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    payload = f'/ask_procedure{{"procedure_code": "{MARRIAGE}"}}'
    events = ActionProcedureAnswer().run(
        dispatcher,
        tracker(
            payload,
            intent="ask_procedure",
            entities=[{"entity": "procedure_code", "value": MARRIAGE}],
            slots={"procedure_code": RESIDENCE, "rating_offered": True},
        ),
        domain,
    )
    assert events == [SlotSet("procedure_code", MARRIAGE), SlotSet("fallback_count", 0)]
    text, card = _answer(MARRIAGE, answers.card_answer)
    assert dispatcher.messages == [message(text, custom=card)]


def test_an_ambiguous_question_offers_choices_for_the_same_aspect(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "lệ phí khai sinh"
    events = ActionProcedureAnswer().run(
        dispatcher, tracker(text, intent="ask_fee", entities=[entity(text, "khai sinh", "procedure")]), domain
    )
    assert events == []
    [choices] = dispatcher.messages
    assert choices["text"] == "Anh/chị muốn hỏi thủ tục nào dưới đây ạ?"
    assert 2 <= len(choices["buttons"]) <= 3
    with session_scope() as session:
        names = procedures.names_by_code(session, [BIRTH])
    assert choices["buttons"][0] == button(f"{names[BIRTH]} ({BIRTH})", f'/ask_fee{{"procedure_code": "{BIRTH}"}}')
    assert all(b["payload"].startswith('/ask_fee{"procedure_code": "') for b in choices["buttons"])


@pytest.mark.parametrize(
    ("text", "entities"),
    [
        ("xyzzy qwerty", []),  # words that name nothing
        ("", [{"entity": "procedure_code", "value": "9.999999"}]),  # a code of no procedure
    ],
)
def test_no_procedure_named_asks_for_its_name(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], text: str, entities: list[dict[str, Any]]
) -> None:
    events = ActionProcedureAnswer().run(dispatcher, tracker(text, intent="ask_documents", entities=entities), domain)
    assert events == []
    assert dispatcher.messages == [
        message(
            "Dạ, em chưa xác định được anh/chị hỏi thủ tục nào. Anh/chị nhắn giúp em tên thủ tục, "
            "ví dụ: “đăng ký khai sinh”, “đăng ký tạm trú”, “chứng thực bản sao” ạ."
        )
    ]


def test_where_to_submit_for_a_named_commune_gives_its_centre(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "đăng ký khai sinh nộp ở phường Bến Thành"
    events = ActionProcedureAnswer().run(
        dispatcher,
        tracker(
            text,
            intent="ask_submission_place",
            entities=[
                entity(text, "đăng ký khai sinh", "procedure"),
                entity(text, "phường Bến Thành", "unit", "Phường Bến Thành"),
            ],
            slots={"rating_offered": True},
        ),
        domain,
    )
    assert events == [
        SlotSet("procedure_code", BIRTH),
        SlotSet("fallback_count", 0),
        SlotSet("unit_code", BEN_THANH),
    ]
    with session_scope() as session:
        centre = centres_text(centres.for_unit(session, BEN_THANH), "Phường Bến Thành", PORTAL)
    assert "Trung tâm Phục vụ hành chính công phường Bến Thành" in centre and "minh họa" in centre
    text_answer, card = _answer(BIRTH, lambda p: answers.submission_place_answer(p, centre))
    assert dispatcher.messages == [message(text_answer, custom=card)]


def test_where_to_submit_without_a_commune_asks_for_it(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    events = ActionProcedureAnswer().run(
        dispatcher,
        tracker("nộp ở đâu", intent="ask_submission_place", slots={"procedure_code": BIRTH, "rating_offered": True}),
        domain,
    )
    assert events == [SlotSet("procedure_code", BIRTH), SlotSet("fallback_count", 0)]
    assert ASK_COMMUNE_FOR_CENTRE == (
        "Anh/chị cho em biết xã/phường nơi cư trú để em chỉ địa chỉ Trung tâm Phục vụ hành chính công ạ."
    )
    text_answer, card = _answer(BIRTH, lambda p: answers.submission_place_answer(p, ASK_COMMUNE_FOR_CENTRE))
    assert dispatcher.messages == [message(text_answer, custom=card)]


def test_a_fee_set_by_the_peoples_council_is_never_read_as_free(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    events = ActionProcedureAnswer().run(
        dispatcher,
        tracker(
            "lệ phí bao nhiêu", intent="ask_fee", slots={"procedure_code": FOREIGN_MARRIAGE, "rating_offered": True}
        ),
        domain,
    )
    assert events == [SlotSet("procedure_code", FOREIGN_MARRIAGE), SlotSet("fallback_count", 0)]
    text, card = _answer(FOREIGN_MARRIAGE, answers.fee_answer)
    assert dispatcher.messages == [message(text, custom=card)]
    assert (
        "• Nộp trực tiếp: mức thu do Hội đồng nhân dân cấp tỉnh quy định nên khác nhau giữa các tỉnh, thành phố"
        " — nguồn ghi “Mức lệ phí cụ thể do Hội đồng nhân dân cấp tỉnh quyết định; miễn lệ phí cho người thuộc gia"
        ' đình có công với cách mạng, hộ nghèo, người khuyết tật. Cổng ghi thời hạn "5", không ghi rõ đơn vị.”'
    ) in text.splitlines()
    assert "miễn phí" not in text.lower()
    assert [(c["fee_kind"], c["fee"]) for c in card["channels"]] == [("by_regulation", answers.COUNCIL_FEE_SHORT)] * 3


def test_a_deadline_whose_unit_was_lost_is_not_stated_as_working_days(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    events = ActionProcedureAnswer().run(
        dispatcher,
        tracker(
            "mất bao lâu",
            intent="ask_processing_time",
            slots={"procedure_code": FOREIGN_MARRIAGE, "rating_offered": True},
        ),
        domain,
    )
    assert events == [SlotSet("procedure_code", FOREIGN_MARRIAGE), SlotSet("fallback_count", 0)]
    text, card = _answer(FOREIGN_MARRIAGE, answers.processing_time_answer)
    assert dispatcher.messages == [message(text, custom=card)]
    assert (
        f'• Nộp trực tiếp: Cổng ghi "5", không ghi rõ đơn vị — {answers.DEADLINE_CAVEAT}'
        ' — Cổng ghi thời hạn "5", không ghi rõ đơn vị.'
    ) in text.splitlines()
    assert "5 ngày làm việc" not in text
    assert {c["deadline_kind"] for c in card["channels"]} == {"unclear"}


def test_the_card_tells_two_channels_of_one_kind_apart(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    events = ActionProcedureAnswer().run(
        dispatcher,
        tracker("vậy à", intent="ask_procedure", slots={"procedure_code": SIGNATURE, "rating_offered": True}),
        domain,
    )
    assert events == [SlotSet("procedure_code", SIGNATURE), SlotSet("fallback_count", 0)]
    text, card = _answer(SIGNATURE, answers.card_answer)
    assert dispatcher.messages == [message(text, custom=card)]
    lines = text.splitlines()
    assert (
        "• Nộp trực tiếp (tại Ủy ban nhân dân cấp xã, tổ chức hành nghề công chứng): chưa có thông tin; "
        "phí, lệ phí: 10.000 đồng/trường hợp"
    ) in lines
    assert (
        "• Nộp trực tiếp (tại cơ quan đại diện Việt Nam ở nước ngoài): chưa có thông tin; phí, lệ phí: 10 USD/bản"
    ) in lines
    assert [c["condition"] for c in card["channels"]] == [
        "tại Ủy ban nhân dân cấp xã, tổ chức hành nghề công chứng",
        "tại cơ quan đại diện Việt Nam ở nước ngoài",
    ]


# --- ActionHandleInform --------------------------------------------------------------------------


def test_a_bare_dossier_code_is_offered_a_lookup(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    code = "000.00.01.DEMO-250710-0001"
    events = ActionHandleInform().run(
        dispatcher, tracker(code, intent="inform", entities=[entity(code, code, "dossier_code")]), domain
    )
    assert events == []
    assert dispatcher.messages == [
        message(
            "Anh/chị muốn tra cứu hồ sơ này phải không ạ?",
            buttons=[button("Tra cứu hồ sơ", f'/check_dossier_status{{"dossier_code": "{code}"}}')],
        )
    ]


def test_a_bare_commune_without_a_procedure_finds_the_office(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "phường Bến Thành"
    events = ActionHandleInform().run(
        dispatcher, tracker(text, intent="inform", entities=[entity(text, text, "unit", "Phường Bến Thành")]), domain
    )
    assert events == [SlotSet("unit_code", BEN_THANH)]
    with session_scope() as session:
        centre = centres_text(centres.for_unit(session, BEN_THANH), "Phường Bến Thành", PORTAL)
    assert dispatcher.messages == [message(centre)]


def test_a_bare_commune_during_a_procedure_answers_where_to_submit(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "phường Bến Thành"
    events = ActionHandleInform().run(
        dispatcher,
        tracker(
            text,
            intent="inform",
            entities=[entity(text, text, "unit", "Phường Bến Thành")],
            slots={"procedure_code": BIRTH, "rating_offered": True},
        ),
        domain,
    )
    assert events == [SlotSet("procedure_code", BIRTH), SlotSet("fallback_count", 0), SlotSet("unit_code", BEN_THANH)]
    [answer] = dispatcher.messages
    assert answer["text"].startswith(f"Đăng ký khai sinh (mã {BIRTH}) được giải quyết ở")
    assert "Trung tâm Phục vụ hành chính công phường Bến Thành" in answer["text"]


def test_a_bare_procedure_name_is_answered_like_a_question(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "đăng ký kết hôn"
    events = ActionHandleInform().run(
        dispatcher,
        tracker(text, intent="inform", entities=[entity(text, text, "procedure")], slots={"rating_offered": True}),
        domain,
    )
    assert events == [SlotSet("procedure_code", MARRIAGE), SlotSet("fallback_count", 0)]
    card_text, card = _answer(MARRIAGE, answers.card_answer)
    assert dispatcher.messages == [message(card_text, custom=card)]
