"""One row per citizen message: what the assistant understood, for analytics and the learning
inbox. The citizen is a pseudonymous hash; the text is kept (redacted) only for messages an
editor should review."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base

HANDLERS = ("bot", "agent")


class ConversationTurn(Base):
    __tablename__ = "conversation_turn"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)  # UTC, naive
    sender_hash: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    # The official code of the current unit whose site the citizen wrote from (resolved from the
    # widget's data-unit by servicedesk/conversations/units.py), never the free text itself.
    unit_code: Mapped[str | None] = mapped_column(String(8))
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    procedure_code: Mapped[str | None] = mapped_column(String(64))
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    text_redacted: Mapped[str | None] = mapped_column(Text)
    handled_by: Mapped[str] = mapped_column(String(8), default="bot")
