"""Dossiers (hồ sơ) received by a one-stop shop, their status history, and lookup attempts.

Times are stored as naive UTC (SQLite keeps no offset); they are shown in Asia/Ho_Chi_Minh.
No phone number is ever stored: only keyed hashes (see servicedesk/dossiers/hashing.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base

DOSSIER_STATUSES = (
    "received",
    "processing",
    "supplement_required",
    "approved",
    "returned",
    "rejected",
    "overdue",
)
DOSSIER_STATUS_LABELS = {
    "received": "Đã tiếp nhận",
    "processing": "Đang xử lý",
    "supplement_required": "Cần bổ sung hồ sơ",
    "approved": "Đã có kết quả",
    "returned": "Đã trả kết quả",
    "rejected": "Từ chối giải quyết",
    "overdue": "Quá hạn",
}
# Statuses after which the appointment date no longer matters.
FINAL_STATUSES = frozenset({"approved", "returned", "rejected"})


class Dossier(Base):
    __tablename__ = "dossier"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, index=True)  # upper case, as on the receipt
    procedure_code: Mapped[str] = mapped_column(String(64), index=True)  # not a foreign key: the province
    procedure_name: Mapped[str] = mapped_column(String(500))  # may use procedures we do not catalogue
    receiving_unit_code: Mapped[str | None] = mapped_column(String(16))
    receiving_unit_name: Mapped[str | None] = mapped_column(String(255))
    # HMAC-SHA256(pepper, normalised phone): deterministic, so dossiers of one phone can be found
    # by equality later (e.g. after a stronger identity check), but never the phone itself.
    applicant_phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # HMAC-SHA256(pepper, salt + last four digits): what verification compares against.
    applicant_phone_last4_hash: Mapped[str | None] = mapped_column(String(64))
    phone_salt: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)
    appointment_date: Mapped[dt.date | None] = mapped_column(Date)  # ngày hẹn trả kết quả
    status: Mapped[str] = mapped_column(String(32))  # one of DOSSIER_STATUSES
    is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())

    events: Mapped[list[DossierStatusEvent]] = relationship(
        back_populates="dossier",
        cascade="all, delete-orphan",
        order_by=lambda: [DossierStatusEvent.at, DossierStatusEvent.id],
    )


class DossierStatusEvent(Base):
    __tablename__ = "dossier_status_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime)

    dossier: Mapped[Dossier] = relationship(back_populates="events")


class DossierLookupAttempt(Base):
    """One verification attempt and its outcome: the record an operator reads to see an attack.
    The limits themselves are DossierLookupCounter rows (atomic; see counters.py).

    Every key is a keyed hash: neither the sender id, the client nor the dossier code is stored.
    """

    __tablename__ = "dossier_lookup_attempt"
    __table_args__ = (
        Index("ix_dossier_lookup_attempt_sender_at", "sender_hash", "at"),
        Index("ix_dossier_lookup_attempt_code_at", "code_hash", "at"),
        Index("ix_dossier_lookup_attempt_at", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_hash: Mapped[str] = mapped_column(String(64))
    # The channel's verifiable identity (client address for web, Zalo user id), as passed by the
    # bridge; the sender id when none was passed.
    client_hash: Mapped[str | None] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    success: Mapped[bool] = mapped_column(Boolean, default=False)
    # When not successful: "mismatch" (unknown code or wrong digits: counts towards the failure
    # limits), "error" (the provincial system failed) or "missing" (verified, then gone).
    failure_reason: Mapped[str | None] = mapped_column(String(16))


class DossierLookupCounter(Base):
    """One fixed-window counter of a lookup rate limit (servicedesk/dossiers/counters.py), or a mark
    ("this client verified this code") when ``window_start`` is the counters' epoch.

    ``key_hash`` is a keyed hash of a sender, a client, a code or a (code, client) pair. Rows are
    deleted once ``expires_at`` (the end of their window) has passed.
    """

    __tablename__ = "dossier_lookup_counter"
    __table_args__ = (Index("ix_dossier_lookup_counter_expires_at", "expires_at"),)

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(DateTime, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
