"""Requests from citizens to talk to an officer (the officers' console takes them later)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from knowledge.db import Base

HANDOFF_STATUSES = ("queued", "taken", "closed", "out_of_hours")


class HandoffRequest(Base):
    __tablename__ = "handoff_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The channel's own conversation id: needed to reply through the same channel.
    sender_id: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    reason: Mapped[str | None] = mapped_column(Text)
    procedure_code: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    taken_by: Mapped[str | None] = mapped_column(String(255))
    taken_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
