"""Live updates of handoffs over Server-Sent Events.

The database is the source of truth: every stream reads ``handoff_message`` rows newer than the
last id it delivered (sent as the SSE ``id``, so a browser that reconnects sends it back as
``Last-Event-ID`` and misses nothing). A new row written by this process wakes its streams at once
through ``LiveHub``; with Redis (``TTHC_REDIS_URL``) the hub also publishes the wake-up on the
channel ``<prefix>:console`` and every API worker's hub, subscribed to it, wakes its own streams,
so an officer's reply reaches the citizen (and the queue reaches every officer) without waiting
for a poll whichever worker serves them. Rows written elsewhere without a wake-up (the action
server records new requests), and everything while Redis is unset or down, are found by polling
every ``poll_seconds``: a lost wake-up only costs that delay, never an event.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio
from starlette.responses import StreamingResponse

from core.redis import REDIS_ERRORS, Outage, async_redis_client, key
from core.settings import Settings

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0
# A stream ends after this long and the browser reconnects from its last id: proxies drop idle
# connections anyway, and the reconnect re-checks the session of an officer.
MAX_STREAM_SECONDS = 300.0
RETRY_MILLISECONDS = 2000
SSE_HEADERS = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}


# The subscriber's reconnection delays after Redis failed: doubled from the first to the last.
RECONNECT_FIRST_SECONDS = 0.5
RECONNECT_MAX_SECONDS = 10.0
LISTEN_SECONDS = 1.0  # one wait for a message; the loop checks for a stop between waits


class LiveHub:
    """Wakes the streams of every API worker when a handoff row is written (one event loop each).

    Without ``client`` (a callable giving the asyncio client, None when Redis is unset) only this
    process's streams are woken. With it, ``publish`` also sends the wake-up to ``channel`` and
    ``start`` runs a subscriber that wakes this process's streams when another worker publishes;
    every Redis failure is absorbed (logged once a minute): the streams poll the database anyway.
    """

    def __init__(
        self, client: Callable[[], redis.asyncio.Redis | None] | None = None, channel: str = "console"
    ) -> None:
        self._changed = asyncio.Event()
        self._redis = client
        self.channel = channel
        self._origin = uuid.uuid4().hex  # this hub's own wake-ups come back from Redis: ignored
        self._sends: set[asyncio.Task[None]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._publish_outage = Outage("console wake-ups (publish)")
        self._listen_outage = Outage("console wake-ups (subscribe)")
        self.subscribed = asyncio.Event()  # set while the subscriber listens (tests wait for it)
        self.received = 0  # wake-ups received from other workers

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveHub:
        if not settings.redis_url:
            return cls()
        return cls(lambda: async_redis_client(settings), key(settings, "console"))

    def wake_local(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()  # every stream waiting on the old event wakes; later waits use the new one

    def publish(self) -> None:
        """A handoff row was written: wake the streams here now, and those of the other workers."""
        self.wake_local()
        if self._redis is None or self._publish_outage.down:
            return
        try:
            task = asyncio.get_running_loop().create_task(self._send())
        except RuntimeError:  # no event loop here (a thread): the other workers will poll
            return
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def _send(self) -> None:
        try:
            client = self._redis() if self._redis else None
            if client is not None:
                await client.publish(self.channel, self._origin)
        except REDIS_ERRORS as error:
            self._publish_outage.failed(error)
        else:
            self._publish_outage.succeeded()

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            pass

    # -- the subscriber (one per process, started by the application's lifespan) -----------------

    def start(self) -> None:
        """Listen to the other workers' wake-ups (nothing to do without Redis)."""
        if self._redis is not None and self._listener is None:
            self._listener = asyncio.get_running_loop().create_task(self._listen(), name="console-live-subscriber")

    async def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
        if self._sends:
            await asyncio.gather(*list(self._sends), return_exceptions=True)

    async def _listen(self) -> None:
        delay = RECONNECT_FIRST_SECONDS
        while True:
            try:
                await self._listen_once()  # returns only by raising
            except asyncio.CancelledError:
                raise
            except REDIS_ERRORS as error:
                self._listen_outage.failed(error)
            except Exception as error:  # noqa: BLE001 - the subscriber must outlive anything Redis sends
                logger.warning("console subscriber stopped unexpectedly (%s); restarting", type(error).__name__)
            finally:
                if self.subscribed.is_set():
                    delay = RECONNECT_FIRST_SECONDS  # it was working: try again soon
                self.subscribed.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    async def _listen_once(self) -> None:
        client = self._redis() if self._redis else None
        if client is None:
            raise ConnectionError("no Redis client")
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            self._listen_outage.succeeded()
            self.subscribed.set()
            # Wake-ups published while this process was not listening are lost: wake once, the
            # streams read the database and catch up.
            self.wake_local()
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=LISTEN_SECONDS)
                if message is None or message.get("type") != "message":
                    continue
                data = message.get("data")
                origin = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
                if origin != self._origin:
                    self.received += 1
                    self.wake_local()
        finally:
            try:
                await pubsub.aclose()
            except REDIS_ERRORS:
                pass


@dataclass(frozen=True)
class LiveEvent:
    id: int
    name: str
    data: dict[str, Any]
    last: bool = False  # the stream ends after this event (the conversation was handed back)


def format_event(event: LiveEvent) -> str:
    payload = json.dumps(event.data, ensure_ascii=False, separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.name}\ndata: {payload}\n\n"


def format_status(data: dict[str, Any]) -> str:
    """An event without an id: the stream's starting state (does not move the browser's cursor)."""
    return f"event: status\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def resume_cursor(last_event_id: str | None, after: int | None) -> int | None:
    """Where to resume: the browser's Last-Event-ID wins over the ``after`` of the first request."""
    for value in (last_event_id, after):
        try:
            if value is not None and int(value) >= 0:
                return int(value)
        except (TypeError, ValueError):
            continue
    return None


async def event_stream(
    hub: LiveHub,
    fetch: Callable[[int], Awaitable[list[LiveEvent]]],
    cursor: int,
    *,
    first: str = "",
    poll_seconds: float = POLL_SECONDS,
    max_seconds: float = MAX_STREAM_SECONDS,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> AsyncIterator[str]:
    """``first`` (e.g. a status event), then every event after ``cursor`` as it is written, until
    an event marked ``last`` or ``max_seconds`` (0: deliver what is pending, then end)."""
    started = last_write = time.monotonic()
    yield f"retry: {RETRY_MILLISECONDS}\n\n{first}"
    while True:
        events = await fetch(cursor)
        for event in events:
            cursor = max(cursor, event.id)
            yield format_event(event)
            last_write = time.monotonic()
            if event.last:
                return
        if events:
            continue  # a full page: there may be more
        if time.monotonic() - started >= max_seconds:
            return
        if time.monotonic() - last_write >= heartbeat_seconds:
            yield ": keep-alive\n\n"
            last_write = time.monotonic()
        await hub.wait(poll_seconds)


def sse_response(body: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(body, media_type="text/event-stream; charset=utf-8", headers=SSE_HEADERS)
