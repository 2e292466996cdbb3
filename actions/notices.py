"""Notices before answers: a holiday closure, a portal outage or a changed fee is said first, once
per conversation. Which notices apply (validity, unit and procedure scope) is decided by
``knowledge.notices.service``; this module only remembers which ones were already said."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from knowledge.notices.service import active_notices, notice_text

NOTICES_SLOT = "notices_shown"


def _shown(tracker: Tracker) -> list[int]:
    value = tracker.get_slot(NOTICES_SLOT)
    if not isinstance(value, list):
        return []
    return [int(v) for v in value if isinstance(v, int | str) and str(v).isdigit()]


def utter_notices(
    session: Session,
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    *,
    unit_code: str | None,
    procedure_code: str | None = None,
) -> list[dict[str, Any]]:
    """Say each notice that applies and was not said yet in this conversation; the slot event
    that remembers them (none when nothing new was said)."""
    shown = _shown(tracker)
    new = [n for n in active_notices(session, unit_code=unit_code, procedure_code=procedure_code) if n.id not in shown]
    for notice in new:
        dispatcher.utter_message(text=notice_text(notice))
    if not new:
        return []
    return [SlotSet(NOTICES_SLOT, shown + [n.id for n in new])]
