"""The recorder reads what Rasa understood through the gateway and the tracker reader, and writes
the turns of one conversation in the order they were answered, however slow one recording is."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from api.conversations.recorder import record_agent_turn, record_bot_turn
from api.rasa.gateway import RasaGateway
from core.privacy import sender_hash

SENDER = "web-0b7e5a52-51f4-4c4e-9b55-3f1f0f7b9a11"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A private migrated database."""
    from core import db
    from core.settings import get_settings
    from database import migrate

    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    for cached in (get_settings, db.get_engine, db.get_sessionmaker):
        cached.cache_clear()
    migrate.upgrade()
    yield
    for cached in (get_settings, db.get_engine, db.get_sessionmaker):
        cached.cache_clear()


def user(text: str, intent: str, confidence: float) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": confidence}}}


TRACKER = {
    "sender_id": SENDER,
    "slots": {"procedure_code": "1.001193"},
    "events": [user("đăng ký khai sinh cần giấy tờ gì", "ask_documents", 0.99), user("xyz qwrt", "nlu_fallback", 0.3)],
}


def rows() -> list[tuple[str | None, float | None, str | None, str, bool]]:
    from core.db import session_scope
    from servicedesk.conversations.models import ConversationTurn

    with session_scope() as session:
        turns = session.scalars(
            select(ConversationTurn)
            .where(ConversationTurn.sender_hash == sender_hash(SENDER))
            .order_by(ConversationTurn.id)
        )
        return [(t.intent, t.confidence, t.procedure_code, t.handled_by, t.needs_review) for t in turns]


def test_turns_of_a_conversation_are_written_in_the_order_they_were_answered(store: None) -> None:
    reads = 0

    async def rasa(request: httpx.Request) -> httpx.Response:
        nonlocal reads
        reads += 1
        if reads == 1:
            await asyncio.sleep(0.3)  # the first recording is slow; the later ones must wait for it
        return httpx.Response(200, json=TRACKER)

    async def answered() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(rasa)) as client:
            gateway = RasaGateway(client, url="http://rasa.test", token="t")
            first = asyncio.create_task(
                record_bot_turn(gateway, sender=SENDER, channel="web", text="đăng ký khai sinh cần giấy tờ gì")
            )
            second = asyncio.create_task(record_bot_turn(gateway, sender=SENDER, channel="web", text="xyz qwrt"))
            third = asyncio.create_task(record_agent_turn(sender=SENDER, channel="web", text="cảm ơn chị"))
            await asyncio.gather(first, second, third)

    asyncio.run(answered())
    assert rows() == [
        ("ask_documents", 0.99, "1.001193", "bot", False),
        ("nlu_fallback", 0.3, "1.001193", "bot", True),
        (None, None, None, "agent", False),
    ]


def test_a_turn_rasa_could_not_be_asked_about_is_recorded_as_not_understood(store: None) -> None:
    async def answered() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(502))) as client:
            gateway = RasaGateway(client, url="http://rasa.test")
            await record_bot_turn(gateway, sender=SENDER, channel="web", text="lệ phí khai sinh")

    asyncio.run(answered())
    # Not a fallback for the learning inbox: an outage, counted (record_turn's understood=False).
    assert rows() == [(None, None, None, "bot", False)]
