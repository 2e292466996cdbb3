"""Every citizen message on the real stack becomes a ConversationTurn for analytics and the
learning inbox: what Rasa understood, the unit of the page, and, only for messages worth a
review, the text with personal numbers removed."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cli.stack import Stack
from core.db import make_engine
from core.privacy import sender_hash

pytestmark = pytest.mark.e2e


def turns_of(stack: Stack, sender: str, expected: int) -> list[Any]:
    from servicedesk.conversations.models import ConversationTurn

    engine = make_engine(f"sqlite:///{stack.config.data_dir / 'tthc.sqlite3'}")
    deadline = time.monotonic() + 15
    try:
        while True:
            with Session(engine) as session:
                rows = list(
                    session.scalars(
                        select(ConversationTurn)
                        .where(ConversationTurn.sender_hash == sender_hash(sender))
                        .order_by(ConversationTurn.id)
                    )
                )
            if len(rows) >= expected or time.monotonic() > deadline:
                return rows
            time.sleep(0.1)
    finally:
        engine.dispose()


def test_turns_are_recorded_with_what_the_assistant_understood(stack: Stack, api: httpx.Client) -> None:
    sender = f"web-{uuid.uuid4()}"
    for message in ("đăng ký khai sinh cần giấy tờ gì", "xyz qwrt bnm plk"):
        response = api.post("/api/chat", json={"sender": sender, "message": message, "unit": "Phường Bến Thành"})
        assert response.status_code == 200, response.text
    understood, lost = turns_of(stack, sender, 2)
    assert understood.intent == "ask_documents" and understood.confidence and understood.confidence > 0.6
    # The page's unit is kept as the official code of the unit it names (Phường Bến Thành).
    assert understood.channel == "web" and understood.unit_code == "26743"
    assert (understood.needs_review, understood.text_redacted) == (False, None)
    assert (lost.intent, lost.fallback, lost.needs_review) == ("nlu_fallback", True, True)
    assert lost.text_redacted == "xyz qwrt bnm plk"
