"""The outbox: every reply to a Zalo citizen is a row here before it is sent.

Rows are sent in order per recipient (a row waits while an older row of the same recipient is
pending or being sent), claimed with a compare-and-swap (``pending`` → ``sending`` with a claim
token and ``claimed_at``) so that two workers never send the same row, marked ``sent`` only after
Zalo's HTTP 200 with ``"error": 0``, and otherwise rescheduled with exponential backoff and jitter
(``next_attempt_at`` is stored, so the backoff survives a restart) until ``max_attempts``.
A claim older than ``claim_timeout_seconds`` belongs to a worker that died and is retried.

These functions are synchronous (SQLAlchemy sessions); the worker runs them in a thread.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from core.db import rows_changed, utcnow
from servicedesk.zalo.models import ZaloInboundEvent, ZaloOutboxMessage

ACTIVE = ("pending", "sending")
MAX_ERROR_CHARS = 255


@dataclass(frozen=True)
class ClaimedMessage:
    id: int
    recipient_id: str
    recipient_hash: str
    payload: dict[str, Any]
    attempts: int  # attempts made before this one
    claim_token: str


def backoff_seconds(attempt: int, base: float, cap: float, jitter: float, rng: random.Random | None = None) -> float:
    """Delay after the ``attempt``-th failed attempt (1-based): base·2^(attempt-1), capped, jittered."""
    delay = min(cap, base * 2.0 ** max(0, attempt - 1))
    uniform = rng.uniform if rng is not None else random.uniform
    factor = 1.0 + uniform(-jitter, jitter) if jitter > 0 else 1.0
    return max(0.0, min(cap, delay * factor))


def enqueue(session: Session, recipient_id: str, recipient_hash: str, messages: Iterable[dict[str, Any]]) -> list[int]:
    """Adds the messages (in order) to the outbox inside the caller's transaction."""
    now = utcnow()
    rows = [
        ZaloOutboxMessage(
            recipient_hash=recipient_hash,
            recipient_id=recipient_id,
            payload=message,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for message in messages
    ]
    session.add_all(rows)
    session.flush()
    return [row.id for row in rows]


def _no_older_active(row_id: Any, recipient_hash: Any) -> Any:
    older = aliased(ZaloOutboxMessage)
    return ~exists().where(
        older.recipient_hash == recipient_hash,
        older.id < row_id,
        older.status.in_(ACTIVE),
    )


def _due(now: dt.datetime) -> tuple[Any, ...]:
    return (
        ZaloOutboxMessage.status == "pending",
        ZaloOutboxMessage.next_attempt_at <= now,
        _no_older_active(ZaloOutboxMessage.id, ZaloOutboxMessage.recipient_hash),
    )


def claim_due(sessions: sessionmaker[Session], limit: int) -> list[ClaimedMessage]:
    """Claims due rows, at most one per recipient (the oldest active one), oldest first."""
    with sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            return _claim_due_locking(session, limit)
        return _claim_due_compare_and_swap(session, limit)


def _claim_due_locking(session: Session, limit: int) -> list[ClaimedMessage]:
    """PostgreSQL: the due rows are locked (``FOR UPDATE SKIP LOCKED``: rows another worker is
    claiming right now are passed over, not waited for) and marked ``sending`` in one transaction.

    Order per recipient holds under concurrency: a recipient's older row that another worker has
    locked is still ``pending`` in this statement's snapshot, so the newer row fails
    ``_no_older_active`` rather than being claimed out of turn; a row another worker claimed and
    committed meanwhile fails ``status == 'pending'`` when PostgreSQL re-checks it on locking."""
    now = utcnow()
    rows = session.scalars(
        select(ZaloOutboxMessage)
        .where(*_due(now))
        .order_by(ZaloOutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=ZaloOutboxMessage)
    ).all()
    claimed: list[ClaimedMessage] = []
    for row in rows:
        token = uuid.uuid4().hex
        row.status, row.claimed_at, row.claim_token = "sending", now, token
        if row.recipient_id is not None:
            claimed.append(
                ClaimedMessage(row.id, row.recipient_id, row.recipient_hash, dict(row.payload), row.attempts, token)
            )
    session.commit()
    return claimed


def _claim_due_compare_and_swap(session: Session, limit: int) -> list[ClaimedMessage]:
    """SQLite (one writer at a time): candidates are read, then each is taken by an UPDATE that
    matches only while it is still pending and first in line (compare-and-swap)."""
    now = utcnow()
    claimed: list[ClaimedMessage] = []
    candidates = session.execute(
        select(ZaloOutboxMessage.id, ZaloOutboxMessage.recipient_hash)
        .where(*_due(now))
        .order_by(ZaloOutboxMessage.id)
        .limit(limit)
    ).all()
    for row_id, recipient_hash in candidates:
        token = uuid.uuid4().hex
        result = session.execute(
            update(ZaloOutboxMessage)
            .where(
                ZaloOutboxMessage.id == row_id,
                ZaloOutboxMessage.status == "pending",
                _no_older_active(row_id, recipient_hash),
            )
            .values(status="sending", claimed_at=now, claim_token=token)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if rows_changed(result) != 1:
            continue  # another worker took it
        row = session.get(ZaloOutboxMessage, row_id, populate_existing=True)
        if row is None or row.recipient_id is None:
            continue
        claimed.append(
            ClaimedMessage(row.id, row.recipient_id, row.recipient_hash, dict(row.payload), row.attempts, token)
        )
    return claimed


def _finish(sessions: sessionmaker[Session], message: ClaimedMessage, **values: Any) -> bool:
    with sessions() as session:
        result = session.execute(
            update(ZaloOutboxMessage)
            .where(
                ZaloOutboxMessage.id == message.id,
                ZaloOutboxMessage.status == "sending",
                ZaloOutboxMessage.claim_token == message.claim_token,
            )
            .values(claimed_at=None, claim_token=None, **values)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        return rows_changed(result) == 1


def mark_sent(sessions: sessionmaker[Session], message: ClaimedMessage, zalo_message_id: str | None) -> bool:
    return _finish(
        sessions,
        message,
        status="sent",
        attempts=message.attempts + 1,
        sent_at=utcnow(),
        zalo_message_id=(zalo_message_id or None) and zalo_message_id[:128],
        last_error=None,
        recipient_id=None,  # no longer needed: keep only the hash
    )


def mark_retry(sessions: sessionmaker[Session], message: ClaimedMessage, delay_seconds: float, error: str) -> bool:
    return _finish(
        sessions,
        message,
        status="pending",
        attempts=message.attempts + 1,
        next_attempt_at=utcnow() + dt.timedelta(seconds=delay_seconds),
        last_error=error[:MAX_ERROR_CHARS],
    )


def mark_failed(sessions: sessionmaker[Session], message: ClaimedMessage, error: str) -> bool:
    return _finish(
        sessions,
        message,
        status="failed",
        attempts=message.attempts + 1,
        last_error=error[:MAX_ERROR_CHARS],
        recipient_id=None,
    )


def recover_stale_claims(sessions: sessionmaker[Session], claim_timeout_seconds: float, max_attempts: int) -> int:
    """Rows left "sending" by a worker that stopped: back to pending (counted as an attempt)."""
    now = utcnow()
    cutoff = now - dt.timedelta(seconds=claim_timeout_seconds)
    stale = (ZaloOutboxMessage.status == "sending", ZaloOutboxMessage.claimed_at < cutoff)
    with sessions() as session:
        failed = rows_changed(
            session.execute(
                update(ZaloOutboxMessage)
                .where(*stale, ZaloOutboxMessage.attempts + 1 >= max_attempts)
                .values(
                    status="failed",
                    attempts=ZaloOutboxMessage.attempts + 1,
                    claimed_at=None,
                    claim_token=None,
                    recipient_id=None,
                    last_error="claim expired (worker stopped while sending); attempts exhausted",
                )
                .execution_options(synchronize_session=False)
            )
        )
        retried = rows_changed(
            session.execute(
                update(ZaloOutboxMessage)
                .where(*stale)
                .values(
                    status="pending",
                    attempts=ZaloOutboxMessage.attempts + 1,
                    claimed_at=None,
                    claim_token=None,
                    next_attempt_at=now,
                    last_error="claim expired (worker stopped while sending)",
                )
                .execution_options(synchronize_session=False)
            )
        )
        session.commit()
    return failed + retried


def prune(sessions: sessionmaker[Session], retention_days: int) -> int:
    """Drops answered events (their de-duplication keys) and sent rows older than the retention."""
    cutoff = utcnow() - dt.timedelta(days=retention_days)
    with sessions() as session:
        events = rows_changed(
            session.execute(
                delete(ZaloInboundEvent).where(
                    ZaloInboundEvent.status.in_(("processed", "failed")), ZaloInboundEvent.received_at < cutoff
                )
            )
        )
        rows = rows_changed(
            session.execute(
                delete(ZaloOutboxMessage).where(
                    ZaloOutboxMessage.status == "sent", ZaloOutboxMessage.created_at < cutoff
                )
            )
        )
        session.commit()
    return events + rows
