"""Recording conversation turns (from the API, after each citizen message)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from core.db import utcnow
from core.privacy import sender_hash
from servicedesk.conversations.models import ConversationTurn
from servicedesk.conversations.redaction import redact

FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
# Below this the intent is a guess worth a human look (the FallbackClassifier's own threshold is
# 0.3; between the two the assistant answers, but an editor should confirm).
REVIEW_CONFIDENCE = 0.6


def record_turn(
    session: Session,
    *,
    sender: str,
    channel: str,
    text: str,
    intent: str | None,
    confidence: float | None,
    procedure_code: str | None = None,
    unit_code: str | None = None,
    handled_by: str = "bot",
    at: dt.datetime | None = None,
    understood: bool = True,
) -> ConversationTurn:
    """``understood=False``: what the assistant made of the message is unknown (Rasa could not be
    asked), which is an outage to count, not a message for the learning inbox."""
    fallback = understood and handled_by == "bot" and (intent is None or intent in FALLBACK_INTENTS)
    low_confidence = handled_by == "bot" and confidence is not None and confidence < REVIEW_CONFIDENCE
    needs_review = bool(fallback or low_confidence) and bool((text or "").strip())
    turn = ConversationTurn(
        at=at or utcnow(),
        sender_hash=sender_hash(sender),
        channel=channel,
        unit_code=unit_code or None,
        intent=intent,
        confidence=confidence,
        procedure_code=procedure_code,
        fallback=fallback,
        needs_review=needs_review,
        text_redacted=redact(text) if needs_review else None,
        handled_by=handled_by,
    )
    session.add(turn)
    session.flush()
    return turn
