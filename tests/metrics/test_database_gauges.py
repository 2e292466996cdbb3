"""The handoff queue and Zalo outbox gauges, read from the database at scrape time."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.metrics.database import DatabaseCollector, DatabaseProbe, DatabaseSnapshot, read_snapshot
from api.metrics.endpoint import scrape_registry
from cli.stack import free_port
from core.db import make_engine, session_scope, utcnow
from servicedesk.handoff.models import HandoffRequest
from servicedesk.zalo.models import ZaloOutboxMessage
from tests.metrics.conftest import ClientAt
from tests.metrics.scrape import value


def _ago(seconds: float) -> dt.datetime:
    return utcnow() - dt.timedelta(seconds=seconds)


def _add_rows(session: Session) -> None:
    handoffs = [
        ("web", "queued", 300),
        ("web", "queued", 60),
        ("zalo", "queued", 900),
        ("zalo", "out_of_hours", 7200),
        ("web", "taken", 20000),
        ("zalo", "closed", 90000),
        ("zalo", "closed", 80000),
    ]
    for index, (channel, status, age) in enumerate(handoffs):
        session.add(
            HandoffRequest(sender_id=f"{channel}-metrics-{index}", channel=channel, status=status, created_at=_ago(age))
        )
    outbox = [("pending", 120), ("pending", 30), ("sending", 600), ("sent", 50000), ("failed", 40000)]
    for index, (status, age) in enumerate(outbox):
        session.add(
            ZaloOutboxMessage(recipient_hash=f"h{index}", payload={"text": "x"}, status=status, created_at=_ago(age))
        )
    session.commit()


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def test_snapshot_counts_waiting_requests_and_undelivered_replies(session: Session) -> None:
    # Both dialects: the `session` fixture runs on SQLite and on the test PostgreSQL database.
    _add_rows(session)
    snapshot = read_snapshot(_engine_of(session))
    assert snapshot.up
    assert snapshot.handoffs_by_channel == {"web": 3, "zalo": 4}
    assert snapshot.waiting == {"queued": 3, "out_of_hours": 1}
    assert 890 <= snapshot.oldest_waiting["queued"] <= 960
    assert 7190 <= snapshot.oldest_waiting["out_of_hours"] <= 7260
    assert snapshot.outbox == {"pending": 2, "sending": 1}
    assert 590 <= snapshot.outbox_oldest <= 660  # sent and failed rows are not waiting


def test_empty_database_reports_zeros(session: Session) -> None:
    snapshot = read_snapshot(_engine_of(session))
    assert snapshot.up
    assert snapshot.handoffs_by_channel == {"web": 0, "zalo": 0}
    assert snapshot.waiting == {"queued": 0, "out_of_hours": 0}
    assert snapshot.oldest_waiting == {"queued": 0.0, "out_of_hours": 0.0}
    assert snapshot.outbox == {"pending": 0, "sending": 0}
    assert snapshot.outbox_oldest == 0.0


def test_scrape_shows_the_gauges(client_at: ClientAt) -> None:
    client = client_at()
    with session_scope() as session:
        _add_rows(session)
    text = client.get("/metrics").text
    assert value(text, "tthc_metrics_database_up") == 1.0
    assert value(text, "tthc_handoff_requests_total", channel="web") == 3
    assert value(text, "tthc_handoff_requests_total", channel="zalo") == 4
    assert value(text, "tthc_handoff_waiting", status="queued") == 3
    assert value(text, "tthc_handoff_waiting", status="out_of_hours") == 1
    oldest = value(text, "tthc_handoff_oldest_waiting_seconds", status="queued")
    assert oldest is not None and 890 <= oldest <= 960
    assert value(text, "tthc_zalo_outbox_depth", status="pending") == 2
    assert value(text, "tthc_zalo_outbox_depth", status="sending") == 1
    outbox_oldest = value(text, "tthc_zalo_outbox_oldest_seconds")
    assert outbox_oldest is not None and 590 <= outbox_oldest <= 660
    took = value(text, "tthc_metrics_database_query_seconds")
    assert took is not None and took < 1.0


def test_database_down_still_answers_with_up_zero() -> None:
    dead = make_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/nothing")
    snapshot = asyncio.run(DatabaseProbe(lambda: dead).snapshot())
    assert snapshot == DatabaseSnapshot(up=False)
    from prometheus_client import generate_latest

    text = generate_latest(scrape_registry(DatabaseCollector(snapshot))).decode()
    assert value(text, "tthc_metrics_database_up") == 0.0
    assert "tthc_handoff_waiting" not in text  # absent, not a misleading zero
    assert "tthc_http_request_duration_seconds" in text  # the rest of the scrape is there


def test_a_hanging_database_times_out_and_is_queried_once() -> None:
    release = threading.Event()
    calls = []

    def hanging() -> Engine:
        calls.append(1)
        release.wait(10)
        raise RuntimeError("no database")

    probe = DatabaseProbe(hanging, timeout=0.2)

    async def two_scrapes() -> tuple[DatabaseSnapshot, DatabaseSnapshot, float]:
        started = time.perf_counter()
        try:
            first = await probe.snapshot()
            second = await probe.snapshot()  # the first query is still stuck: not started again
            return first, second, time.perf_counter() - started
        finally:
            release.set()  # lets the stuck thread end before the loop closes

    first, second, elapsed = asyncio.run(two_scrapes())
    assert not first.up and not second.up
    assert elapsed < 2.0
    assert len(calls) == 1
