"""Records each citizen message as a ConversationTurn after it has been answered, so that
analytics and the learning inbox see every conversation whatever its channel.

What the assistant understood (intent, confidence, the procedure in context) is read from Rasa's
tracker after the reply, off the reply's path: the citizen never waits for the bookkeeping.
The page's unit (the widget's free-text data-unit) is kept only as the official code it names
without doubt (servicedesk/conversations/units.py), so nobody can invent units in the analytics.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.datastructures import State

from api.chat.service import fetch_tracker
from core.db import session_scope
from servicedesk.conversations.service import record_turn
from servicedesk.conversations.units import official_unit_code


def _parse_of(tracker: dict[str, Any], text: str) -> dict[str, Any] | None:
    """The parse of this message: the last user event with its text. (Not ``latest_message``:
    the fallback action reverts the user's utterance, and a newer message may already be in.)"""
    wanted = text.strip()
    for event in reversed(tracker.get("events") or []):
        if event.get("event") == "user" and (event.get("text") or "").strip() == wanted:
            return event.get("parse_data") or {}
    latest = tracker.get("latest_message") or {}
    return latest if (latest.get("text") or "").strip() == wanted else None


def _understanding(tracker: dict[str, Any], text: str) -> tuple[str | None, float | None, str | None] | None:
    parsed = _parse_of(tracker, text)
    if parsed is None:
        return None
    intent = parsed.get("intent") or {}
    confidence = intent.get("confidence")
    slots = tracker.get("slots") or {}
    code = slots.get("procedure_code")
    return (
        intent.get("name"),
        float(confidence) if isinstance(confidence, int | float) else None,
        code if isinstance(code, str) else None,
    )


async def record_bot_turn(state: State, *, sender: str, channel: str, text: str, unit: str | None = None) -> None:
    tracker = await fetch_tracker(state.settings, state.http, sender)
    understanding = _understanding(tracker, text) if tracker is not None else None
    intent, confidence, code = understanding or (None, None, None)

    def write() -> None:
        with session_scope() as session:
            record_turn(
                session,
                sender=sender,
                channel=channel,
                text=text,
                intent=intent,
                confidence=confidence,
                procedure_code=code,
                unit_code=official_unit_code(session, unit),
                understood=understanding is not None,
            )

    await asyncio.to_thread(write)


def record_agent_turn(*, sender: str, channel: str, text: str, unit: str | None = None) -> None:
    """A message an officer answered (the conversation was taken): counted, never reviewed."""
    with session_scope() as session:
        record_turn(
            session,
            sender=sender,
            channel=channel,
            text=text,
            intent=None,
            confidence=None,
            unit_code=official_unit_code(session, unit),
            handled_by="agent",
        )
