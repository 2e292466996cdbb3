"""Conversation turns: what is kept of a citizen's message (and what is not)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from api.rasa.tracker import understanding
from core.privacy import sender_hash
from servicedesk.conversations.redaction import redact
from servicedesk.conversations.service import record_turn


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sđt em 0912 345 678 gọi lại giúp", "sđt em [số] gọi lại giúp"),
        ("cccd 001099012345 bị mất", "cccd [số] bị mất"),
        ("số +84 912.345.678", "số [số]"),
        ("hồ sơ 000.00.12.H29-250101-0001 tới đâu rồi", "hồ sơ [mã] tới đâu rồi"),
        ("gửi vào a.nguyen@example.com", "gửi vào [email]"),
        ("lệ phí 1.000.000 đồng năm 2025 à", "lệ phí 1.000.000 đồng năm 2025 à"),
    ],
)
def test_personal_numbers_are_removed(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_only_messages_for_review_keep_their_text(session: Session) -> None:
    sure = record_turn(
        session, sender="web-1", channel="web", text="khai sinh cần gì", intent="ask_documents", confidence=0.93
    )
    unsure = record_turn(
        session, sender="web-1", channel="web", text="cái giấy đó sđt 0912345678", intent="ask_fee", confidence=0.41
    )
    lost = record_turn(session, sender="web-1", channel="web", text="abc xyz", intent="nlu_fallback", confidence=0.3)
    outage = record_turn(
        session, sender="web-1", channel="web", text="alo", intent=None, confidence=None, understood=False
    )
    agent = record_turn(
        session, sender="web-1", channel="web", text="cảm ơn chị", intent=None, confidence=None, handled_by="agent"
    )
    assert (sure.needs_review, sure.text_redacted, sure.fallback) == (False, None, False)
    assert (unsure.needs_review, unsure.text_redacted, unsure.fallback) == (True, "cái giấy đó sđt [số]", False)
    assert (lost.needs_review, lost.fallback, lost.text_redacted) == (True, True, "abc xyz")
    assert (outage.needs_review, outage.fallback) == (False, False)
    assert (agent.needs_review, agent.fallback, agent.text_redacted) == (False, False, None)
    assert sure.sender_hash == sender_hash("web-1") and "web-1" not in sure.sender_hash


def test_the_trackers_parse_is_used_only_for_the_same_message() -> None:
    tracker = {
        "latest_message": {"text": "lệ phí khai sinh", "intent": {"name": "ask_fee", "confidence": 0.97}},
        "slots": {"procedure_code": "1.001193"},
    }
    assert understanding(tracker, "lệ phí khai sinh") == ("ask_fee", 0.97, "1.001193")
    assert understanding(tracker, "một câu khác") is None
    # The fallback action reverts the user's utterance: its parse is found among the events.
    reverted = {
        "latest_message": {"text": "lệ phí khai sinh", "intent": {"name": "ask_fee", "confidence": 0.97}},
        "events": [
            {
                "event": "user",
                "text": "lệ phí khai sinh",
                "parse_data": {"intent": {"name": "ask_fee", "confidence": 0.97}},
            },
            {"event": "user", "text": "xyz", "parse_data": {"intent": {"name": "nlu_fallback", "confidence": 0.3}}},
            {"event": "rewind"},
        ],
        "slots": {},
    }
    assert understanding(reverted, "xyz") == ("nlu_fallback", 0.3, None)
