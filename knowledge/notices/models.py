"""Notices editors publish for a while: a holiday closure, a portal down for maintenance, a changed fee.

A notice is scoped twice: to units (``unit_codes``: official codes of current units; ``[]`` for
every unit) and to procedures (``procedure_codes``; ``[]`` for any question). It is shown from
``starts_at`` until ``ends_at`` (naive UTC, like every time in the store) unless withdrawn first;
a withdrawn notice is kept, for the audit log and the editors' list.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow

SEVERITIES = ("info", "warning")
SEVERITY_LABELS = {"info": "Thông tin", "warning": "Cảnh báo"}


class Notice(Base):
    __tablename__ = "notice"
    # Citizens' answers ask for the notices valid now: the window is the one filter the
    # database applies (scopes are JSON lists, read in Python: there are only ever a few notices).
    __table_args__ = (Index("ix_notice_window", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16), default="info")  # info | warning
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime)
    unit_codes: Mapped[list[str]] = mapped_column(JSON, default=list)  # [] = every unit
    procedure_codes: Mapped[list[str]] = mapped_column(JSON, default=list)  # [] = any procedure
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
