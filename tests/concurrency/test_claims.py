"""Workers claiming Zalo outbox rows and inbox events at the same time, on a real database.

On PostgreSQL the claims lock with ``SELECT … FOR UPDATE SKIP LOCKED``; on SQLite they take rows
by compare-and-swap. Either way: no row is claimed twice, every row is claimed once, and a
citizen's messages go out (and are answered) in order — a row is only claimed once every older
row of the same citizen is finished.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

import database.models  # noqa: F401 - every table
from core.db import Base, make_engine
from servicedesk.zalo import inbox, outbox
from servicedesk.zalo.models import ZaloInboundEvent, ZaloOutboxMessage
from tests import databases

WORKERS = 8
RECIPIENTS = 25
PER_RECIPIENT = 6


@contextmanager
def database(kind: str, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A database of its own (the workers commit from several connections)."""
    url = f"sqlite:///{tmp_path / 'claims.sqlite3'}" if kind == "sqlite" else databases.create_database("claims")
    engine = make_engine(url)
    try:
        Base.metadata.create_all(engine)
        yield sessionmaker(bind=engine, expire_on_commit=False)
    finally:
        engine.dispose()
        if kind == "postgresql":
            databases.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with database(request.param, tmp_path) as factory:
        yield factory


@pytest.fixture
def postgres_sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with database("postgresql", tmp_path) as factory:
        yield factory


def run_workers(work: Callable[[int], None]) -> None:
    """``work(worker_number)`` in WORKERS threads released at once; re-raises the first failure."""
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            start.wait(timeout=10)
            work(number)
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker is stuck"
    if errors:
        raise errors[0]


def recipient(number: int) -> tuple[str, str]:
    return f"uid-{number:03d}", f"{number:064x}"


def test_outbox_rows_are_claimed_once_each_in_order_per_recipient(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        # Interleaved: each recipient's rows are spread over the whole id range.
        for turn in range(PER_RECIPIENT):
            for number in range(RECIPIENTS):
                user_id, hashed = recipient(number)
                outbox.enqueue(session, user_id, hashed, [{"text": f"{turn}"}])
        session.commit()
        total = session.scalar(select(func.count()).select_from(ZaloOutboxMessage))
    claims: list[tuple[int, int]] = []
    out_of_turn: list[int] = []
    lock = threading.Lock()

    def work(number: int) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            claimed = outbox.claim_due(sessions, limit=5)
            for message in claimed:
                with sessions() as check:
                    unfinished_older = check.scalar(
                        select(func.count()).where(
                            ZaloOutboxMessage.recipient_hash == message.recipient_hash,
                            ZaloOutboxMessage.id < message.id,
                            ZaloOutboxMessage.status != "sent",
                        )
                    )
                with lock:
                    claims.append((number, message.id))
                    if unfinished_older:
                        out_of_turn.append(message.id)
                assert outbox.mark_sent(sessions, message, zalo_message_id=f"z{message.id}")
            if not claimed:
                with sessions() as check:
                    left = check.scalar(
                        select(func.count()).where(ZaloOutboxMessage.status != "sent").select_from(ZaloOutboxMessage)
                    )
                if not left:
                    return
                time.sleep(0.001)

    run_workers(work)
    counts = Counter(row_id for _worker, row_id in claims)
    assert [row_id for row_id, count in counts.items() if count > 1] == []
    assert len(counts) == total == RECIPIENTS * PER_RECIPIENT
    assert out_of_turn == []
    assert len({worker for worker, _row in claims}) > 1, "the workers really ran side by side"
    with sessions() as session:
        assert set(session.scalars(select(ZaloOutboxMessage.status))) == {"sent"}


def test_inbox_events_are_claimed_once_each_in_order_per_citizen(sessions: sessionmaker[Session]) -> None:
    senders = [recipient(number) for number in range(RECIPIENTS)]
    for turn in range(PER_RECIPIENT):
        for user_id, hashed in senders:
            assert inbox.record(
                sessions,
                msg_id=f"{hashed[-6:]}-{turn}",
                event_name="user_send_text",
                sender_hash=hashed,
                user_id=user_id,
                text=f"{turn}",
            )
    claims: list[tuple[int, int]] = []
    out_of_turn: list[int] = []
    lock = threading.Lock()

    def work(number: int) -> None:
        deadline = time.monotonic() + 60
        # Every worker goes through every citizen, starting at a different one: they collide.
        order = senders[number % len(senders) :] + senders[: number % len(senders)]
        while time.monotonic() < deadline:
            progressed = False
            for _user_id, hashed in order:
                event = inbox.claim_next(sessions, hashed)
                if event is None:
                    continue
                progressed = True
                with sessions() as check:
                    unfinished_older = check.scalar(
                        select(func.count()).where(
                            ZaloInboundEvent.sender_hash == hashed,
                            ZaloInboundEvent.id < event.id,
                            ZaloInboundEvent.status != "processed",
                        )
                    )
                with lock:
                    claims.append((number, event.id))
                    if unfinished_older:
                        out_of_turn.append(event.id)
                inbox.complete(sessions, event, hashed, [])
            if not progressed:
                with sessions() as check:
                    left = check.scalar(
                        select(func.count()).where(ZaloInboundEvent.status != "processed").select_from(ZaloInboundEvent)
                    )
                if not left:
                    return

    run_workers(work)
    counts = Counter(row_id for _worker, row_id in claims)
    assert [row_id for row_id, count in counts.items() if count > 1] == []
    assert len(counts) == RECIPIENTS * PER_RECIPIENT
    assert out_of_turn == []
    with sessions() as session:
        assert set(session.scalars(select(ZaloInboundEvent.status))) == {"processed"}
        assert set(session.scalars(select(ZaloInboundEvent.attempts))) == {1}


def test_a_row_locked_by_another_worker_is_passed_over_without_waiting(
    postgres_sessions: sessionmaker[Session],
) -> None:
    """PostgreSQL only: SQLite has no row locks (one writer at a time)."""
    sessions = postgres_sessions
    with sessions() as session:
        first = outbox.enqueue(session, *recipient(1), [{"text": "1"}, {"text": "2"}])
        other = outbox.enqueue(session, *recipient(2), [{"text": "1"}])
        session.commit()
    with sessions() as holder:
        # Another worker in the middle of claiming recipient 1's first row.
        holder.scalars(select(ZaloOutboxMessage).where(ZaloOutboxMessage.id == first[0]).with_for_update()).all()
        result: list[list[outbox.ClaimedMessage]] = []
        claimer = threading.Thread(target=lambda: result.append(outbox.claim_due(sessions, limit=10)))
        claimer.start()
        claimer.join(timeout=5)
        waited = claimer.is_alive()
        holder.rollback()  # lets a claimer that waits for the lock finish
        claimer.join(timeout=10)
        assert not waited, "the claim waited for the locked row instead of passing it over"
        (claimed,) = result
        # Neither the locked row nor the row behind it (same recipient): only the other recipient.
        assert [message.id for message in claimed] == other
    assert [message.id for message in outbox.claim_due(sessions, limit=10)] == [first[0]]
