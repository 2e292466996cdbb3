"""The console's (and the widget's) live streams are woken across API workers through Redis
pub/sub; without Redis, or while it is down, the streams still deliver by polling the database,
and the subscriber comes back by itself when Redis does."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import pytest

from api.console import live
from api.console.live import LiveEvent, LiveHub, event_stream
from core.redis import new_async_client
from core.settings import Settings
from tests.services import PrivateRedis


def hub_of(url: str, prefix: str) -> LiveHub:
    """One API worker's hub, with a Redis client of its own (as another process has)."""
    clients: dict[str, object] = {}

    def client():  # type: ignore[no-untyped-def]
        if "c" not in clients:
            clients["c"] = new_async_client(url)
        return clients["c"]

    hub = LiveHub(client, f"{prefix}:console")
    hub._test_clients = clients  # type: ignore[attr-defined]
    return hub


async def close(*hubs: LiveHub) -> None:
    for hub in hubs:
        await hub.stop()
        for client in hub._test_clients.values():  # type: ignore[attr-defined]
            await client.aclose()  # type: ignore[attr-defined]


async def woken(hub: LiveHub, within: float) -> bool:
    """Whether ``hub`` wakes its streams within ``within`` seconds."""
    started = time.monotonic()
    await hub.wait(within)
    return time.monotonic() - started < within


async def until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def test_from_settings_uses_the_prefixed_channel(redis_url: str, prefix: str) -> None:
    hub = LiveHub.from_settings(Settings(redis_url=redis_url, redis_prefix=prefix))
    assert hub.channel == f"{prefix}:console"
    assert LiveHub.from_settings(Settings(redis_url=None))._redis is None


def test_a_wake_up_in_one_worker_wakes_the_other(redis_url: str, prefix: str) -> None:
    async def scenario() -> None:
        first, second = hub_of(redis_url, prefix), hub_of(redis_url, prefix)
        try:
            first.start()
            second.start()
            await asyncio.wait_for(asyncio.gather(first.subscribed.wait(), second.subscribed.wait()), 5)
            waiting = asyncio.create_task(woken(second, 2.0))
            await asyncio.sleep(0.05)
            first.publish()
            assert await waiting
            await until(lambda: second.received == 1, 2)
            await asyncio.sleep(0.1)
            assert first.received == 0  # its own wake-up, come back from Redis, is ignored
            # And the other way round.
            waiting = asyncio.create_task(woken(first, 2.0))
            await asyncio.sleep(0.05)
            second.publish()
            assert await waiting
        finally:
            await close(first, second)

    asyncio.run(scenario())


def test_a_stream_on_another_worker_delivers_at_once(redis_url: str, prefix: str) -> None:
    """An officer's reply written through worker A reaches the citizen's stream on worker B long
    before B's next poll (set to 30 s here)."""
    rows: list[LiveEvent] = []

    async def fetch(cursor: int) -> list[LiveEvent]:
        return [row for row in rows if row.id > cursor]

    async def scenario() -> float:
        writer, reader = hub_of(redis_url, prefix), hub_of(redis_url, prefix)
        try:
            writer.start()
            reader.start()
            await asyncio.wait_for(asyncio.gather(writer.subscribed.wait(), reader.subscribed.wait()), 5)
            stream = event_stream(reader, fetch, 0, poll_seconds=30.0, max_seconds=60.0)
            assert (await anext(stream)).startswith("retry:")
            pending = asyncio.ensure_future(anext(stream))
            await asyncio.sleep(0.1)
            started = time.monotonic()
            rows.append(LiveEvent(1, "handoff", {"kind": "message", "text": "Chào anh"}, last=True))
            writer.publish()
            chunk = await asyncio.wait_for(pending, 5)
            assert chunk.startswith("id: 1\nevent: handoff")
            await stream.aclose()
            return time.monotonic() - started
        finally:
            await close(writer, reader)

    assert asyncio.run(scenario()) < 1.0


def _polls_anyway(hub: LiveHub) -> Callable[[], Awaitable[float]]:
    rows: list[LiveEvent] = []

    async def fetch(cursor: int) -> list[LiveEvent]:
        return [row for row in rows if row.id > cursor]

    async def scenario() -> float:
        stream = event_stream(hub, fetch, 0, poll_seconds=0.2, max_seconds=10.0)
        await anext(stream)
        pending = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        rows.append(LiveEvent(1, "handoff", {"kind": "closed"}, last=True))  # written by "another worker"
        chunk = await asyncio.wait_for(pending, 5)
        assert chunk.startswith("id: 1\n")
        await stream.aclose()
        return time.monotonic() - started

    return scenario


def test_unreachable_redis_degrades_to_polling(closed_port_url: str, caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> float:
        hub = hub_of(closed_port_url, "unused")
        try:
            hub.start()
            for _ in range(20):
                hub.publish()  # never raises; the local streams are still woken
            assert await woken(hub, 0.0) is False  # woken before waiting: nothing pending now
            took = await _polls_anyway(hub)()
            await asyncio.sleep(0.2)
            return took
        finally:
            await close(hub)

    with caplog.at_level(logging.WARNING, logger="core.redis"):
        took = asyncio.run(scenario())
    assert took < 1.0  # the poll interval (0.2 s) plus a margin
    messages = [r.getMessage() for r in caplog.records if "Redis unavailable" in r.getMessage()]
    # At most one warning per direction: not one per wake-up or per reconnection attempt.
    assert 1 <= len(messages) <= 2


def test_the_subscriber_survives_redis_dying_and_comes_back(
    private_redis: PrivateRedis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "RECONNECT_MAX_SECONDS", 0.5)

    async def scenario() -> None:
        first, second = hub_of(private_redis.url, prefix), hub_of(private_redis.url, prefix)
        try:
            first.start()
            second.start()
            await asyncio.wait_for(asyncio.gather(first.subscribed.wait(), second.subscribed.wait()), 5)

            await asyncio.to_thread(private_redis.kill)
            await until(lambda: not second.subscribed.is_set(), 5)
            first.publish()  # lost (Redis is gone); never raises
            assert await _polls_anyway(second)() < 1.0  # the streams poll meanwhile

            await asyncio.to_thread(private_redis.start)
            await asyncio.wait_for(asyncio.gather(first.subscribed.wait(), second.subscribed.wait()), 10)
            first._publish_outage._down_until = 0.0  # the publisher's retry period, shortened
            before = second.received
            waiting = asyncio.create_task(woken(second, 2.0))
            await asyncio.sleep(0.05)
            first.publish()
            assert await waiting
            await until(lambda: second.received == before + 1, 2)
        finally:
            await close(first, second)

    asyncio.run(scenario())


def test_a_process_without_a_hub_can_wake_the_workers(redis_url: str, prefix: str, closed_port_url: str) -> None:
    """The action server (no event loop of ours) after it records a handoff request."""
    from core.redis import publish_wakeup

    async def scenario() -> None:
        hub = hub_of(redis_url, prefix)
        try:
            hub.start()
            await asyncio.wait_for(hub.subscribed.wait(), 5)
            waiting = asyncio.create_task(woken(hub, 2.0))
            await asyncio.sleep(0.05)
            await asyncio.to_thread(publish_wakeup, Settings(redis_url=redis_url, redis_prefix=prefix))
            assert await waiting and hub.received == 1
        finally:
            await close(hub)

    asyncio.run(scenario())
    publish_wakeup(Settings(redis_url=closed_port_url, redis_prefix="unused"))  # never raises
    publish_wakeup(Settings(redis_url=None))
