"""Satisfaction ratings (1–5) given after an answer."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


class Rating(Base):
    __tablename__ = "rating"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    procedure_code: Mapped[str | None] = mapped_column(String(64))
    sender_hash: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
