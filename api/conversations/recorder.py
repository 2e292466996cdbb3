"""Records each citizen message as a ConversationTurn after it has been answered, so that
analytics and the learning inbox see every conversation whatever its channel.

What the assistant understood (intent, confidence, the procedure in context) is read from Rasa's
tracker after the reply (``api.rasa.tracker.understanding``), off the reply's path: the citizen
never waits for the bookkeeping. The chat service calls it with its Rasa gateway.
The page's unit (the widget's free-text data-unit) is kept only as the official code it names
without doubt, resolved once per message by the chat service (``api.chat.service.unit_code_of``,
cached; servicedesk/conversations/units.py), so nobody can invent units in the analytics.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import weakref

from api.metrics import count_fallback
from api.rasa import tracker as tracker_reader
from api.rasa.gateway import RasaGateway, RasaUnavailable
from core.db import session_scope, utcnow
from servicedesk.conversations.service import FALLBACK_INTENTS, record_turn

# The turns of one conversation are written in the order they were answered. Recordings run in
# the background, concurrently, and one can be slow (the first unit lookup of the process loads
# the units): without this, the next message of the same conversation took the earlier row.
# A task waiting on a lock keeps it alive; an idle conversation costs nothing.
#
# The lock orders the rows (ids) written by this process only: with several API workers, two
# messages of one conversation may be answered by two workers. What orders a conversation across
# workers is each turn's ``at``, stamped when the answer was given (before any wait), not when the
# row is written; the readers (learning inbox, analytics) order and count by ``at``.
_conversation_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def _in_order(sender: str) -> asyncio.Lock:
    lock = _conversation_locks.get(sender)
    if lock is None:
        lock = _conversation_locks[sender] = asyncio.Lock()
    return lock


async def record_bot_turn(
    rasa: RasaGateway,
    *,
    sender: str,
    channel: str,
    text: str,
    unit_code: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    """A message the assistant answered (``at``, naive UTC: now if not given), ``text`` being what
    Rasa was given: what it understood is read from the tracker; a turn Rasa never took
    (unreachable, or the message is not in its tracker) is counted as not understood."""
    answered_at = at or utcnow()
    async with _in_order(sender):
        try:
            understanding = tracker_reader.understanding(await rasa.tracker(sender), text)
        except RasaUnavailable:
            understanding = None
        intent, confidence, code = understanding or (None, None, None)
        if understanding is not None and (intent is None or intent in FALLBACK_INTENTS):
            count_fallback(channel, "not_understood")  # the fallback-rate alert (docs/monitoring.md)

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
                    unit_code=unit_code,
                    understood=understanding is not None,
                    at=answered_at,
                )

        await asyncio.to_thread(write)


async def record_agent_turn(
    *, sender: str, channel: str, text: str, unit_code: str | None = None, at: dt.datetime | None = None
) -> None:
    """A message an officer answered (the conversation was taken): counted, never reviewed."""
    answered_at = at or utcnow()

    def write() -> None:
        with session_scope() as session:
            record_turn(
                session,
                sender=sender,
                channel=channel,
                text=text,
                intent=None,
                confidence=None,
                unit_code=unit_code,
                handled_by="agent",
                at=answered_at,
            )

    async with _in_order(sender):
        await asyncio.to_thread(write)
