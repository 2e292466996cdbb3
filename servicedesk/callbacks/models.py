"""A citizen's request to be called back by an officer.

The phone number is kept only while the call is to be made: ``phone`` is erased (NULL) when an
officer marks the call done, and only ``phone_masked`` ("09•• ••• 678") stays for the record.
Times are naive UTC, like the rest of the store.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow

CALLBACK_STATUSES = ("open", "done")


class CallbackRequest(Base):
    __tablename__ = "callback_request"
    __table_args__ = (Index("ix_callback_request_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The channel's conversation id: one open call-back per conversation (a new request updates it).
    sender_id: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    unit_code: Mapped[str | None] = mapped_column(String(8), index=True)
    procedure_code: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(16))  # digits; NULL once the call is done
    phone_masked: Mapped[str] = mapped_column(String(32))
    preferred_time: Mapped[str] = mapped_column(String(16))  # morning | afternoon | any
    consent_version: Mapped[str] = mapped_column(String(32))
    consented_at: Mapped[dt.datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(8), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # The end of the office session in which the call is expected: overdue after it.
    due_at: Mapped[dt.datetime] = mapped_column(DateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    done_by: Mapped[str | None] = mapped_column(String(255))
    note: Mapped[str | None] = mapped_column(Text)
