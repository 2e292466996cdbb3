"""Dossier news (tin hồ sơ): a citizen's subscription to one dossier's status changes, and each
change recorded once for them.

Only what delivery needs is stored, with the citizen's consent (``consent_version``): the dossier
code, the channel and the address to deliver to (the web conversation id, or the Zalo user id),
cleared as soon as the subscription ends; what stays is keyed by ``core.privacy.sender_hash`` of
the conversation id, like every other table. Times are naive UTC.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base

CHANNELS = ("web", "zalo")
END_REASONS = ("unsubscribed", "finished", "expired")


class DossierSubscription(Base):
    """One citizen following one dossier until they stop, the dossier is finished, or it expires.

    The poller claims a due subscription by a compare-and-swap on ``next_poll_at`` (moved to the
    end of a lease, with a fresh ``claim_token``); only the holder of the token may record what it
    found, so two pollers never record one change twice (servicedesk/dossier_news/service.py).
    """

    __tablename__ = "dossier_subscription"
    __table_args__ = (
        Index("ix_dossier_subscription_next_poll_at", "next_poll_at"),
        Index("ix_dossier_subscription_dossier_code", "dossier_code"),
        Index("ix_dossier_subscription_recipient_hash", "recipient_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_code: Mapped[str] = mapped_column(String(64))  # upper case, as on the receipt
    channel: Mapped[str] = mapped_column(String(8))  # one of CHANNELS
    # The web conversation id or the Zalo user id: where news goes. Cleared when the subscription ends.
    recipient: Mapped[str | None] = mapped_column(String(128))
    recipient_hash: Mapped[str] = mapped_column(String(64))  # core.privacy.sender_hash(sender id)
    consent_version: Mapped[str] = mapped_column(String(16))
    consented_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_status: Mapped[str] = mapped_column(String(32))  # one of DOSSIER_STATUSES, or "unknown"
    last_status_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    next_poll_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # None once ended
    claim_token: Mapped[str | None] = mapped_column(String(32))  # the poller holding the lease
    failures: Mapped[int] = mapped_column(Integer, default=0)  # consecutive failed polls (backoff)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str | None] = mapped_column(String(16))  # one of END_REASONS


class DossierNews(Base):
    """One status change of a followed dossier, for one subscription: recorded once (the unique
    constraint), handed to the Zalo outbox in the same transaction, or kept for the web widget
    until it acknowledges it (``delivered_at``)."""

    __tablename__ = "dossier_news"
    __table_args__ = (
        UniqueConstraint("subscription_id", "status", "status_at", name="uq_dossier_news_subscription_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("dossier_subscription.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    # When the dossier entered the status (the one-stop system's history); when it gives none,
    # when we first saw it.
    status_at: Mapped[dt.datetime] = mapped_column(DateTime)
    text: Mapped[str] = mapped_column(Text)  # what the citizen reads
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # Zalo: when handed to the outbox (which then owns delivery); web: when the widget acknowledged it.
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
