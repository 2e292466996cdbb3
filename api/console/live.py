"""Live updates of handoffs over Server-Sent Events.

The database is the source of truth: every stream reads ``handoff_message`` rows newer than the
last id it delivered (sent as the SSE ``id``, so a browser that reconnects sends it back as
``Last-Event-ID`` and misses nothing). A new row written by this process wakes the streams at once
through ``LiveHub``; rows written elsewhere (the action server records new requests, another API
process) are found by polling every ``poll_seconds``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import StreamingResponse

POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0
# A stream ends after this long and the browser reconnects from its last id: proxies drop idle
# connections anyway, and the reconnect re-checks the session of an officer.
MAX_STREAM_SECONDS = 300.0
RETRY_MILLISECONDS = 2000
SSE_HEADERS = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}


class LiveHub:
    """Wakes this process's streams when it writes a handoff row (one event loop)."""

    def __init__(self) -> None:
        self._changed = asyncio.Event()

    def publish(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()  # every stream waiting on the old event wakes; later waits use the new one

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
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
