"""Requests from citizens to talk to an officer, and what is said once an officer takes one.

Times are naive UTC, like the rest of the store. ``HandoffMessage`` is also the log the live
streams read (the console's queue and the citizen's widget): its ids only grow, so a stream
resumes after the last id it delivered and nothing is lost on a reconnect.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow

HANDOFF_STATUSES = ("queued", "taken", "closed", "out_of_hours")
OPEN_STATUSES = ("queued", "out_of_hours")  # waiting for an officer
ACTIVE_STATUSES = ("queued", "out_of_hours", "taken")  # shown in the console's queue

MESSAGE_AUTHORS = ("citizen", "agent", "system")
# "message": words of the citizen or the officer; the others record a change of status.
MESSAGE_KINDS = ("message", "queued", "taken", "closed")


class HandoffRequest(Base):
    __tablename__ = "handoff_request"
    __table_args__ = (Index("ix_handoff_request_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The channel's own conversation id: needed to reply through the same channel.
    sender_id: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    reason: Mapped[str | None] = mapped_column(Text)
    procedure_code: Mapped[str | None] = mapped_column(String(64))
    # The official code of the citizen's unit (widget data-unit), for the console's unit filter.
    unit_code: Mapped[str | None] = mapped_column(String(8), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    taken_by: Mapped[str | None] = mapped_column(String(255))
    taken_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_by: Mapped[str | None] = mapped_column(String(255))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class HandoffMessage(Base):
    """One line of a taken conversation, or one change of a request's status."""

    __tablename__ = "handoff_message"
    __table_args__ = (Index("ix_handoff_message_request_id_id", "request_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("handoff_request.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="message")
    agent_username: Mapped[str | None] = mapped_column(String(255))
    # The name the citizen is shown ("Cán bộ Nguyễn Thị Lan"), as it was when the line was written.
    agent_name: Mapped[str | None] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class OfficerPresence(Base):
    """When each officer's console last said it was open: who is on duty right now
    (``servicedesk/handoff/presence.py``). One row per officer, overwritten by each ping."""

    __tablename__ = "officer_presence"

    username: Mapped[str] = mapped_column(String(255), primary_key=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
