"""Phản ánh, kiến nghị: complaints and suggestions citizens leave in the chat."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base

FEEDBACK_KINDS = {"complaint": "Phản ánh", "suggestion": "Kiến nghị, góp ý"}


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    unit_code: Mapped[str | None] = mapped_column(String(8))
    unit_name: Mapped[str | None] = mapped_column(String(255))
    # Given voluntarily so an officer can call back; shown to staff only, never logged.
    contact: Mapped[str | None] = mapped_column(String(255))
    sender_hash: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    status: Mapped[str] = mapped_column(String(16), default="new")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
