"""actions/fallback.py: ActionDefaultFallback."""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionDefaultFallback
from core.db import session_scope
from knowledge.procedures.resolution import resolve_procedure
from tests.actions.conftest import button, message, tracker

DID_YOU_MEAN = "Dạ, em chưa chắc đã hiểu đúng. Có phải anh/chị muốn hỏi một trong các nội dung sau không ạ?"


def test_first_misunderstanding_offers_the_procedures_worth_offering(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "khai sinh cho con"
    events = ActionDefaultFallback().run(dispatcher, tracker(text, intent="nlu_fallback"), domain)
    assert events == [UserUtteranceReverted(), SlotSet("fallback_count", 1)]
    with session_scope() as session:
        offers = resolve_procedure(session, text).offers
    # Even a match that stands out is offered with the others: the citizen chooses.
    assert offers[0].code == "1.001193" and len(offers) == 3
    assert dispatcher.messages == [
        message(
            DID_YOU_MEAN,
            buttons=[button(f"{h.name} ({h.code})", f'/ask_procedure{{"procedure_code": "{h.code}"}}') for h in offers],
        )
    ]


def test_no_procedure_matched_offers_the_likeliest_topics(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "ask_fee", "confidence": 0.2},
        {"name": "greet", "confidence": 0.15},  # not a topic to offer
        {"name": "check_dossier_status", "confidence": 0.1},
        {"name": "find_office", "confidence": 0.08},
        {"name": "give_feedback", "confidence": 0.05},
    ]
    events = ActionDefaultFallback().run(
        dispatcher, tracker("xkcd qwrt zzpl", intent="nlu_fallback", intent_ranking=ranking), domain
    )
    assert events == [UserUtteranceReverted(), SlotSet("fallback_count", 1)]
    assert dispatcher.messages == [
        message(
            DID_YOU_MEAN,
            buttons=[
                button("Hỏi lệ phí", "/ask_fee"),
                button("Tra cứu hồ sơ", "/check_dossier_status"),
                button("Tìm trung tâm hành chính công", "/find_office"),
            ],
        )
    ]


def test_nothing_to_offer_asks_to_say_it_again(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    events = ActionDefaultFallback().run(dispatcher, tracker("xkcd qwrt zzpl", intent="nlu_fallback"), domain)
    assert events == [UserUtteranceReverted(), SlotSet("fallback_count", 1)]
    assert dispatcher.messages == [
        message("Dạ, em chưa hiểu rõ ý anh/chị. Anh/chị nói rõ hơn tên thủ tục hoặc điều cần hỏi giúp em ạ.")
    ]


def test_second_misunderstanding_in_a_row_offers_a_person(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    events = ActionDefaultFallback().run(
        dispatcher, tracker("mnbv lkjh poiu", intent="nlu_fallback", slots={"fallback_count": 1}), domain
    )
    assert events == [UserUtteranceReverted(), SlotSet("fallback_count", 0)]
    assert dispatcher.messages == [
        message(
            "Xin lỗi, em vẫn chưa hiểu ý anh/chị. Anh/chị muốn được cán bộ hỗ trợ trực tiếp không ạ?",
            buttons=[button("Gặp cán bộ", "/request_human"), button("Thử hỏi lại", "/greet")],
        )
    ]
