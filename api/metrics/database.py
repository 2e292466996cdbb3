"""Metrics of the database's state, read when Prometheus scrapes: the handoff queue and the Zalo
outbox.

They are computed at scrape time rather than recorded as events because the state is shared by
every process (API workers, action server workers in other containers): only the database knows
how many requests are waiting, whoever wrote them. That also makes the handoff count exact: a
handoff is recorded by the action server (actions/handoff.py), a process whose own counters the
API's scrape would never see in a cluster.

Two grouped queries per scrape: the outbox one along its status index; the handoff one scans the
handoff table (one row per request ever made, thousands a year: a few milliseconds). If the
database does not answer within ``timeout`` seconds, or fails, the scrape still answers: the
request and Rasa metrics as usual, these families absent, and ``tthc_metrics_database_up`` 0.
At most one of these queries runs at a time per process: a scrape arriving while an earlier one is
still stuck on a dead database reports "down" at once instead of piling up threads.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

from core.db import get_engine, utcnow
from servicedesk.handoff.models import OPEN_STATUSES, HandoffRequest
from servicedesk.zalo.models import ZaloOutboxMessage

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 2.0
UNDELIVERED = ("pending", "sending")  # outbox rows not yet sent nor given up on
KNOWN_CHANNELS = ("web", "zalo")


@dataclass
class DatabaseSnapshot:
    up: bool
    seconds: float = 0.0  # how long the queries took
    handoffs_by_channel: dict[str, int] = field(default_factory=dict)  # every request ever made
    waiting: dict[str, int] = field(default_factory=dict)  # open requests by status
    oldest_waiting: dict[str, float] = field(default_factory=dict)  # age in seconds by status
    outbox: dict[str, int] = field(default_factory=dict)  # undelivered messages by status
    outbox_oldest: float = 0.0  # age in seconds of the oldest undelivered message


def _age(oldest: dt.datetime | None, now: dt.datetime) -> float:
    return max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0


def read_snapshot(engine: Engine) -> DatabaseSnapshot:
    """The two grouped queries (synchronous; raises on any database error)."""
    started = time.perf_counter()
    handoff_rows = select(
        HandoffRequest.channel, HandoffRequest.status, func.count(), func.min(HandoffRequest.created_at)
    ).group_by(HandoffRequest.channel, HandoffRequest.status)
    outbox_rows = (
        select(ZaloOutboxMessage.status, func.count(), func.min(ZaloOutboxMessage.created_at))
        .where(ZaloOutboxMessage.status.in_(UNDELIVERED))
        .group_by(ZaloOutboxMessage.status)
    )
    with engine.connect() as connection:
        handoffs = connection.execute(handoff_rows).all()
        outbox = connection.execute(outbox_rows).all()
    now = utcnow()
    snapshot = DatabaseSnapshot(
        up=True,
        handoffs_by_channel=dict.fromkeys(KNOWN_CHANNELS, 0),
        waiting=dict.fromkeys(OPEN_STATUSES, 0),
        oldest_waiting=dict.fromkeys(OPEN_STATUSES, 0.0),
        outbox=dict.fromkeys(UNDELIVERED, 0),
    )
    for channel, status, count, oldest in handoffs:
        snapshot.handoffs_by_channel[channel] = snapshot.handoffs_by_channel.get(channel, 0) + count
        if status in OPEN_STATUSES:
            snapshot.waiting[status] += count
            snapshot.oldest_waiting[status] = max(snapshot.oldest_waiting[status], _age(oldest, now))
    for status, count, oldest in outbox:
        snapshot.outbox[status] = count
        snapshot.outbox_oldest = max(snapshot.outbox_oldest, _age(oldest, now))
    snapshot.seconds = time.perf_counter() - started
    return snapshot


class DatabaseProbe:
    """Reads snapshots off the event loop, one at a time, within a time limit."""

    def __init__(self, engine: Callable[[], Engine] = get_engine, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._engine = engine
        self._timeout = timeout
        self._busy = threading.Lock()

    def _read(self) -> DatabaseSnapshot:
        if not self._busy.acquire(blocking=False):
            return DatabaseSnapshot(up=False)  # an earlier scrape is still waiting for the database
        try:
            return read_snapshot(self._engine())
        except Exception as exc:  # noqa: BLE001 - a down database is a metric value, not an error
            logger.warning("metrics: database gauges unavailable (%s)", type(exc).__name__)
            return DatabaseSnapshot(up=False)
        finally:
            self._busy.release()

    async def snapshot(self) -> DatabaseSnapshot:
        try:
            # The thread outlives a timeout (threads cannot be cancelled); the lock above keeps
            # later scrapes from starting another one meanwhile.
            return await asyncio.wait_for(asyncio.to_thread(self._read), self._timeout)
        except TimeoutError:
            logger.warning("metrics: database gauges timed out after %.1f s", self._timeout)
            return DatabaseSnapshot(up=False)


class DatabaseCollector(Collector):
    """Exposes one snapshot (taken before the registry is rendered, so rendering does no I/O)."""

    def __init__(self, snapshot: DatabaseSnapshot) -> None:
        self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        snap = self._snapshot
        up = GaugeMetricFamily("tthc_metrics_database_up", "1 when the database answered the scrape's queries, else 0")
        up.add_metric([], 1.0 if snap.up else 0.0)
        yield up
        if not snap.up:
            return  # absent, not zero: a dead database must not look like an empty queue
        took = GaugeMetricFamily("tthc_metrics_database_query_seconds", "Time the scrape's database queries took")
        took.add_metric([], snap.seconds)
        yield took
        created = CounterMetricFamily(
            "tthc_handoff_requests", "Requests to talk to an officer ever recorded, by channel", labels=["channel"]
        )
        for channel, count in sorted(snap.handoffs_by_channel.items()):
            created.add_metric([channel], float(count))
        yield created
        waiting = GaugeMetricFamily(
            "tthc_handoff_waiting",
            "Requests waiting for an officer: queued (office hours) or out_of_hours",
            labels=["status"],
        )
        oldest = GaugeMetricFamily(
            "tthc_handoff_oldest_waiting_seconds",
            "Age of the oldest request waiting for an officer, by status (0 when none waits)",
            labels=["status"],
        )
        for status in sorted(snap.waiting):
            waiting.add_metric([status], float(snap.waiting[status]))
            oldest.add_metric([status], snap.oldest_waiting.get(status, 0.0))
        yield waiting
        yield oldest
        outbox = GaugeMetricFamily(
            "tthc_zalo_outbox_depth", "Zalo replies not yet delivered: pending or sending", labels=["status"]
        )
        for status in sorted(snap.outbox):
            outbox.add_metric([status], float(snap.outbox[status]))
        yield outbox
        outbox_oldest = GaugeMetricFamily(
            "tthc_zalo_outbox_oldest_seconds",
            "Age of the oldest undelivered Zalo reply (0 when the outbox is empty)",
        )
        outbox_oldest.add_metric([], snap.outbox_oldest)
        yield outbox_oldest
