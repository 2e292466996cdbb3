"""Accepted webhook events: recorded once (``msg_id`` is unique), then answered in order per citizen.

The webhook only records the event and answers 200; the answer is produced in the background.
An event is claimed (``received`` → ``processing``) before Rasa is asked, and its replies are
written to the outbox in the same transaction that marks it processed and forgets its text and
user id. An event whose processing was interrupted (the bridge stopped) is picked up again.

Synchronous functions (SQLAlchemy sessions); the channel runs them in a thread.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, sessionmaker

from core.db import rows_changed, utcnow
from servicedesk.zalo import outbox
from servicedesk.zalo.models import ZaloInboundEvent

ACTIVE = ("received", "processing")


@dataclass(frozen=True)
class ClaimedEvent:
    id: int
    event_name: str
    sender_hash: str
    user_id: str
    text: str | None
    attempts: int  # including this one


def record(
    sessions: sessionmaker[Session], *, msg_id: str, event_name: str, sender_hash: str, user_id: str, text: str | None
) -> bool:
    """True if the event is new; False if this ``msg_id`` was already accepted (a replay)."""
    with sessions() as session:
        session.add(
            ZaloInboundEvent(
                msg_id=msg_id,
                event_name=event_name,
                sender_hash=sender_hash,
                user_id=user_id,
                text=text,
                status="received",
                attempts=0,
                received_at=utcnow(),
            )
        )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
    return True


def _no_older_active(row_id: Any, sender_hash: Any) -> Any:
    older = aliased(ZaloInboundEvent)
    return ~exists().where(older.sender_hash == sender_hash, older.id < row_id, older.status.in_(ACTIVE))


def claim_next(sessions: sessionmaker[Session], sender_hash: str) -> ClaimedEvent | None:
    """The citizen's oldest unanswered event, claimed; None when there is none (or an older one is in progress)."""
    with sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            return _claim_next_locking(session, sender_hash)
        return _claim_next_compare_and_swap(session, sender_hash)


def _claim_next_locking(session: Session, sender_hash: str) -> ClaimedEvent | None:
    """PostgreSQL: the oldest waiting event is locked (``FOR UPDATE SKIP LOCKED``) and marked
    ``processing`` in one transaction.

    Only the citizen's first event in line can match (``_no_older_active``): while another worker
    holds that one locked, it is still ``received`` in this statement's snapshot, so the next event
    does not match either and the answer is None, never an event out of turn. An event another
    worker claimed and committed meanwhile fails ``status == 'received'`` when re-checked."""
    now = utcnow()
    row = session.scalars(
        select(ZaloInboundEvent)
        .where(
            ZaloInboundEvent.sender_hash == sender_hash,
            ZaloInboundEvent.status == "received",
            _no_older_active(ZaloInboundEvent.id, sender_hash),
        )
        .order_by(ZaloInboundEvent.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=ZaloInboundEvent)
    ).first()
    if row is None:
        session.rollback()
        return None
    row.status, row.claimed_at, row.attempts = "processing", now, row.attempts + 1
    claimed = ClaimedEvent(row.id, row.event_name, row.sender_hash, row.user_id or "", row.text, row.attempts)
    session.commit()
    return claimed


def _claim_next_compare_and_swap(session: Session, sender_hash: str) -> ClaimedEvent | None:
    """SQLite (one writer at a time): the oldest waiting event is read, then taken by an UPDATE
    that matches only while it is still waiting and first in line (compare-and-swap)."""
    now = utcnow()
    for _ in range(3):
        row_id = session.scalar(
            select(ZaloInboundEvent.id)
            .where(ZaloInboundEvent.sender_hash == sender_hash, ZaloInboundEvent.status == "received")
            .order_by(ZaloInboundEvent.id)
            .limit(1)
        )
        if row_id is None:
            return None
        result = session.execute(
            update(ZaloInboundEvent)
            .where(
                ZaloInboundEvent.id == row_id,
                ZaloInboundEvent.status == "received",
                _no_older_active(row_id, sender_hash),
            )
            .values(status="processing", claimed_at=now, attempts=ZaloInboundEvent.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if rows_changed(result) == 1:
            row = session.get(ZaloInboundEvent, row_id, populate_existing=True)
            assert row is not None
            return ClaimedEvent(row.id, row.event_name, row.sender_hash, row.user_id or "", row.text, row.attempts)
        still_received = session.scalar(
            select(ZaloInboundEvent.id).where(ZaloInboundEvent.id == row_id, ZaloInboundEvent.status == "received")
        )
        if still_received is not None:
            return None  # an older event of this citizen is being answered elsewhere
    return None


def complete(
    sessions: sessionmaker[Session], event: ClaimedEvent, recipient_hash: str, messages: list[dict[str, Any]]
) -> list[int]:
    """One transaction: the replies enter the outbox, the event is processed and forgets its content."""
    with sessions() as session:
        ids = outbox.enqueue(session, event.user_id, recipient_hash, messages) if messages else []
        session.execute(
            update(ZaloInboundEvent)
            .where(ZaloInboundEvent.id == event.id)
            .values(status="processed", processed_at=utcnow(), claimed_at=None, text=None, user_id=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    return ids


def release(sessions: sessionmaker[Session], event: ClaimedEvent, max_attempts: int) -> str:
    """Processing failed: the event waits for another try, or fails after ``max_attempts``."""
    status = "failed" if event.attempts >= max_attempts else "received"
    values: dict[str, Any] = {"status": status, "claimed_at": None}
    if status == "failed":
        values.update(text=None, user_id=None, processed_at=utcnow())
    with sessions() as session:
        session.execute(
            update(ZaloInboundEvent)
            .where(ZaloInboundEvent.id == event.id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    return status


def recover_stale_claims(sessions: sessionmaker[Session], claim_timeout_seconds: float) -> int:
    cutoff = utcnow() - dt.timedelta(seconds=claim_timeout_seconds)
    with sessions() as session:
        count = rows_changed(
            session.execute(
                update(ZaloInboundEvent)
                .where(ZaloInboundEvent.status == "processing", ZaloInboundEvent.claimed_at < cutoff)
                .values(status="received", claimed_at=None)
                .execution_options(synchronize_session=False)
            )
        )
        session.commit()
    return count


def waiting_senders(sessions: sessionmaker[Session], older_than_seconds: float, limit: int = 100) -> list[str]:
    """Citizens with an accepted event nobody has started answering (e.g. after a restart)."""
    cutoff = utcnow() - dt.timedelta(seconds=older_than_seconds)
    with sessions() as session:
        return list(
            session.scalars(
                select(ZaloInboundEvent.sender_hash)
                .where(ZaloInboundEvent.status == "received", ZaloInboundEvent.received_at <= cutoff)
                .group_by(ZaloInboundEvent.sender_hash)
                .limit(limit)
            )
        )
