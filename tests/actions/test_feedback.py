"""actions/feedback.py: ValidateFeedbackForm, ActionSubmitFeedback and ActionRecordRating."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.feedback import NO_CONTACT, ActionRecordRating, ActionSubmitFeedback, ValidateFeedbackForm
from core.db import session_scope
from core.privacy import sender_hash
from servicedesk.feedback.models import Feedback
from servicedesk.ratings.models import Rating
from tests.actions.conftest import RATING_BUTTONS, entity, message, slot_event, tracker, user_event

CONTENT = "Cán bộ một cửa hướng dẫn không rõ ràng, tôi phải đi lại ba lần"
TOO_SHORT = "Nội dung hơi ngắn, anh/chị mô tả rõ hơn sự việc giúp em ạ."


# --- ValidateFeedbackForm ------------------------------------------------------------------------


def test_content_is_kept_with_its_spaces_tidied(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    result = ValidateFeedbackForm().validate_feedback_content(f"  {CONTENT}\n\n", dispatcher, tracker(), domain)
    assert result == {"feedback_content": CONTENT}
    assert dispatcher.messages == []


def test_too_short_content_is_asked_again(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    result = ValidateFeedbackForm().validate_feedback_content("tệ quá", dispatcher, tracker(), domain)
    assert result == {"feedback_content": None}
    assert dispatcher.messages == [message(TOO_SHORT)]


@pytest.mark.parametrize(
    ("reply", "slot"), [("không cần", NO_CONTACT), ("bỏ qua", NO_CONTACT), ("0900000123", "0900000123")]
)
def test_contact_or_none(dispatcher: CollectingDispatcher, domain: dict[str, Any], reply: str, slot: str) -> None:
    result = ValidateFeedbackForm().validate_feedback_contact(reply, dispatcher, tracker(), domain)
    assert result == {"feedback_contact": slot}
    assert dispatcher.messages == []


@pytest.mark.asyncio
async def test_the_form_rejects_a_too_short_description(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    """Through the form validation action's own run, as Rasa calls it: the slot candidates the
    form extracted from the latest message are the events after it."""
    events = [user_event("tệ quá", "inform"), slot_event("feedback_content", "tệ quá")]
    state = tracker(
        "tệ quá",
        intent="inform",
        events=events,
        active_loop="feedback_form",
        slots={"requested_slot": "feedback_content", "feedback_content": "tệ quá"},
    )
    result = await ValidateFeedbackForm().run(dispatcher, state, domain)
    assert result == [SlotSet("feedback_content", None)]
    assert dispatcher.messages == [message(TOO_SHORT)]


# --- ActionSubmitFeedback -------------------------------------------------------------------------


def _feedback_of(sender: str) -> Feedback:
    with session_scope() as session:
        rows = session.scalars(select(Feedback).where(Feedback.sender_hash == sender_hash(sender))).all()
    assert len(rows) == 1
    return rows[0]


def test_feedback_with_a_contact_gets_a_reference_and_a_call_back(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    sender = "web-feedback-contact"
    events = ActionSubmitFeedback().run(
        dispatcher,
        tracker(
            "0900000123",
            sender_id=sender,
            slots={"feedback_content": CONTENT, "feedback_contact": "0900000123", "unit_code": "26743"},
        ),
        domain,
    )
    assert events == [SlotSet("feedback_content", None), SlotSet("feedback_contact", None)]
    row = _feedback_of(sender)
    assert (row.content, row.contact, row.unit_code, row.unit_name, row.channel) == (
        CONTENT,
        "0900000123",
        "26743",
        "Phường Bến Thành",
        "web",
    )
    assert row.reference.startswith("PA-")
    assert dispatcher.messages == [
        message(
            f"Em đã ghi nhận phản ánh, kiến nghị của anh/chị. Mã tiếp nhận: {row.reference}. "
            "Cán bộ sẽ liên hệ lại theo thông tin anh/chị để lại. "
            "Phản ánh được chuyển đến bộ phận có thẩm quyền xem xét, trả lời theo quy định ạ."
        )
    ]


def test_feedback_without_a_contact_from_zalo(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    sender = "zalo-feedback-anonymous"
    events = ActionSubmitFeedback().run(
        dispatcher,
        tracker("không cần", sender_id=sender, slots={"feedback_content": CONTENT, "feedback_contact": NO_CONTACT}),
        domain,
    )
    assert events == [SlotSet("feedback_content", None), SlotSet("feedback_contact", None)]
    row = _feedback_of(sender)
    assert (row.contact, row.unit_code, row.channel) == (None, None, "zalo")
    assert dispatcher.messages == [
        message(
            f"Em đã ghi nhận phản ánh, kiến nghị của anh/chị. Mã tiếp nhận: {row.reference}. "
            "Anh/chị có thể dùng mã này khi hỏi lại về phản ánh. "
            "Phản ánh được chuyển đến bộ phận có thẩm quyền xem xét, trả lời theo quy định ạ."
        )
    ]


def test_feedback_the_service_refuses_is_not_recorded(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    sender = "web-feedback-empty"
    events = ActionSubmitFeedback().run(dispatcher, tracker("", sender_id=sender), domain)
    assert events == [SlotSet("feedback_content", None), SlotSet("feedback_contact", None)]
    assert dispatcher.messages == [
        message("Em chưa ghi nhận được phản ánh vì nội dung chưa đủ rõ. Anh/chị gửi lại giúp em ạ.")
    ]
    with session_scope() as session:
        assert session.scalars(select(Feedback).where(Feedback.sender_hash == sender_hash(sender))).first() is None


# --- ActionRecordRating ------------------------------------------------------------------------


def _scores_of(sender: str) -> list[tuple[int, str | None, str]]:
    with session_scope() as session:
        rows = session.scalars(select(Rating).where(Rating.sender_hash == sender_hash(sender)).order_by(Rating.id))
        return [(r.score, r.procedure_code, r.channel) for r in rows]


THANKS = "Em cảm ơn anh/chị đã đánh giá ạ!"
SORRY = (
    " Em rất tiếc chưa hỗ trợ tốt. Anh/chị có thể nhắn “phản ánh” để góp ý, hoặc “gặp cán bộ” để được hỗ trợ trực tiếp."
)


def test_a_pressed_rating_button_is_stored_with_the_procedure(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    sender = "web-rating-button"
    events = ActionRecordRating().run(
        dispatcher,
        tracker(
            '/rate_service{"rating": "4"}',
            intent="rate_service",
            entities=[{"entity": "rating", "value": "4"}],
            slots={"procedure_code": "1.004194", "rating_offered": True},
            sender_id=sender,
        ),
        domain,
    )
    assert events == [SlotSet("rating_offered", True)]
    assert dispatcher.messages == [message(THANKS)]
    assert _scores_of(sender) == [(4, "1.004194", "web")]


@pytest.mark.parametrize(
    ("text", "score"),
    [("không hài lòng", 2), ("chưa hài lòng lắm", 2), ("không tốt", 2), ("rất không hài lòng", 1), ("5 sao", 5)],
)
def test_a_typed_rating_is_read_and_a_low_one_offers_help(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], text: str, score: int
) -> None:
    sender = f"zalo-rating-{score}-{len(text)}"
    state = tracker(text, intent="rate_service", sender_id=sender, entities=[entity(text, text, "rating")])
    events = ActionRecordRating().run(dispatcher, state, domain)
    assert events == [SlotSet("rating_offered", True)]
    assert dispatcher.messages == [message(THANKS + (SORRY if score <= 2 else ""))]
    assert _scores_of(sender) == [(score, None, "zalo")]


@pytest.mark.parametrize("text", ["cảm ơn em", "<b>hello</b>", "nộp 2 lần rồi"])
def test_a_rating_without_a_score_asks_for_one_and_stores_nothing(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], text: str
) -> None:
    sender = f"web-rating-none-{len(text)}"
    events = ActionRecordRating().run(dispatcher, tracker(text, intent="rate_service", sender_id=sender), domain)
    assert events == []
    assert dispatcher.messages == [
        message("Anh/chị chấm giúp em từ 1 đến 5 sao nhé (5 là rất hài lòng):", buttons=RATING_BUTTONS)
    ]
    assert _scores_of(sender) == []
