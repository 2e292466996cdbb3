"""Tables of the Zalo channel: accepted events, the outbox of replies, the OA token pair.

Times are naive UTC, like the rest of the store. Zalo user ids are kept only while they are
needed (an event until it is answered, a reply until it is sent); everything that stays is keyed
by ``core.privacy.sender_hash("zalo-" + user id)``, the same hash the other tables use for
the conversation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow

INBOUND_STATUSES = ("received", "processing", "processed", "failed")
OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")


class ZaloInboundEvent(Base):
    """A webhook event accepted for processing; its ``msg_id`` makes a replay a duplicate."""

    __tablename__ = "zalo_inbound_event"
    __table_args__ = (
        Index("ix_zalo_inbound_event_status_received_at", "status", "received_at"),
        Index("ix_zalo_inbound_event_sender_status", "sender_hash", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    msg_id: Mapped[str] = mapped_column(String(128), unique=True)  # Zalo's message id (not personal)
    event_name: Mapped[str] = mapped_column(String(64))
    sender_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))  # cleared once answered
    text: Mapped[str | None] = mapped_column(Text)  # cleared once answered
    status: Mapped[str] = mapped_column(String(16), default="received")  # one of INBOUND_STATUSES
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    processed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ZaloOutboxMessage(Base):
    """One message to send through the OA API; the worker sends it, in order per recipient."""

    __tablename__ = "zalo_outbox"
    __table_args__ = (
        Index("ix_zalo_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_zalo_outbox_recipient_hash_status", "recipient_hash", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_hash: Mapped[str] = mapped_column(String(64))
    recipient_id: Mapped[str | None] = mapped_column(String(64))  # the Zalo user id; cleared once sent or failed
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # the "message" object of POST /v3.0/oa/message/cs
    status: Mapped[str] = mapped_column(String(16), default="pending")  # one of OUTBOX_STATUSES
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    claim_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(255))  # status codes and Zalo error codes only
    zalo_message_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ZaloToken(Base):
    """The OA access/refresh token pair: a single row (id 1), replaced atomically on refresh.

    ``version`` grows with every new pair; a refresh is claimed with a compare-and-swap on it
    (``refresh_claim`` / ``refreshing_until``) so that two processes never spend the same
    single-use refresh token.
    """

    __tablename__ = "zalo_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    seed_fingerprint: Mapped[str | None] = mapped_column(String(64))  # hash of the pair last seeded from env
    refresh_claim: Mapped[str | None] = mapped_column(String(32))
    refreshing_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
