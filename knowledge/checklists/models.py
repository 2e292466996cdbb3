"""A saved personal checklist: what the citizen answered, behind an unguessable token.

Only the answers are kept (which case, which channel, which commune), never who asked: the list
itself is rebuilt from the procedure when the link is opened, so a corrected catalogue shows the
corrected list (with a note that the procedure changed since)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class SavedChecklist(Base):
    __tablename__ = "saved_checklist"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    procedure_code: Mapped[str] = mapped_column(String(64), index=True)
    # The procedure version the list was made from, to say when the procedure changed since.
    procedure_version: Mapped[int] = mapped_column(Integer)
    # {question key: option key or "skip"}, the built-in "_channel" question included.
    answers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    channel_kind: Mapped[str | None] = mapped_column(String(16))
    unit_code: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
