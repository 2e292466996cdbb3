"""The one Redis client of a process, and the rate limiter that survives Redis going away.

Redis holds the state the replicas must share and that may be lost without harm (docs/deployment.md,
"When Redis is down"): the counters of the login throttle and of the chat rate limit, and the
console's wake-up channel. Nothing in it is the only copy of anything: the database stays the
source of truth. So every use degrades instead of failing:

- calls give up fast (``TIMEOUT_SECONDS`` to connect and to answer, no retry inside redis-py), so a
  dead or unreachable Redis costs a request at most one short wait;
- after a failure Redis is left alone for ``RETRY_SECONDS`` (per process and per use), and the
  caller falls back to what one process can do alone: counters in its memory, DB polling;
- the warning is logged once a minute at most, not per request, and the recovery once.

Every key starts with ``settings.redis_prefix`` and ``:`` (``key``); tests use their own prefix.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

import redis
import redis.asyncio
from limits import RateLimitItem
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter
from limits.util import WindowStats
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from core.settings import Settings

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 0.5  # connect and answer: Redis on the same network answers in a millisecond
RETRY_SECONDS = 5.0  # after a failure, how long a use of Redis falls back before trying it again
WARN_EVERY_SECONDS = 60.0
# A subscriber's connection is idle for long stretches: a PING now and then finds a dead peer.
HEALTH_CHECK_SECONDS = 15

# What a Redis outage looks like to the callers (redis-py's errors, the `limits` wrapper, sockets).
REDIS_ERRORS: tuple[type[BaseException], ...] = (redis.RedisError, StorageError, OSError)

T = TypeVar("T")


def key(settings: Settings, *parts: str) -> str:
    """A key (or channel) of this deployment: ``<redis_prefix>:part:part``."""
    return ":".join([settings.redis_prefix, *parts])


def _options() -> dict[str, object]:
    return {
        "socket_timeout": TIMEOUT_SECONDS,
        "socket_connect_timeout": TIMEOUT_SECONDS,
        "socket_keepalive": True,
        "health_check_interval": HEALTH_CHECK_SECONDS,
    }


@lru_cache(maxsize=8)
def _sync_client(url: str) -> redis.Redis:
    # No retry inside redis-py (its default retries 3 times with backoff): the caller's fallback
    # is the retry, and a request must not wait seconds for a Redis that is gone.
    return redis.Redis.from_url(url, retry=Retry(NoBackoff(), 0), **_options())


def redis_client(settings: Settings) -> redis.Redis | None:
    """The process's synchronous client for ``settings.redis_url`` (None when unset). Creating
    it contacts nobody: a Redis that is down is found at the first call."""
    return _sync_client(settings.redis_url) if settings.redis_url else None


# An asyncio client belongs to the event loop its connections were made in: one per loop and URL
# (uvicorn has one loop per worker; tests start several).
_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, redis.asyncio.Redis]] = (
    weakref.WeakKeyDictionary()
)


def new_async_client(url: str) -> redis.asyncio.Redis:
    """A client of its own (the shared one is ``async_redis_client``)."""
    return redis.asyncio.Redis.from_url(url, retry=AsyncRetry(NoBackoff(), 0), **_options())  # type: ignore[arg-type]


def async_redis_client(settings: Settings) -> redis.asyncio.Redis | None:
    """The asyncio client for ``settings.redis_url`` in the running event loop (None when unset)."""
    if not settings.redis_url:
        return None
    loop = asyncio.get_running_loop()
    clients = _async_clients.setdefault(loop, {})
    client = clients.get(settings.redis_url)
    if client is None:
        client = clients[settings.redis_url] = new_async_client(settings.redis_url)
    return client


async def close_async_clients() -> None:
    """Close the running loop's clients (the application's lifespan ends)."""
    try:
        clients = _async_clients.pop(asyncio.get_running_loop(), {})
    except RuntimeError:
        return
    for client in clients.values():
        try:
            await client.aclose()
        except REDIS_ERRORS:
            pass


def redis_ok(settings: Settings) -> bool:
    """Whether Redis answers a PING now (False when it is not configured)."""
    client = redis_client(settings)
    if client is None:
        return False
    try:
        return bool(client.ping())
    except REDIS_ERRORS:
        return False


_wakeup_outage: dict[str, Outage] = {}


def publish_wakeup(settings: Settings, channel: str = "console", origin: str = "") -> None:
    """Wake every API worker's live streams from a process without a ``LiveHub`` (the action
    server after it records a handoff request). Synchronous, never raises, gives up at once while
    Redis is down: the streams find the row by polling anyway."""
    client = redis_client(settings)
    if client is None:
        return
    outage = _wakeup_outage.setdefault(channel, Outage(f"{channel} wake-ups (publish)"))
    if outage.down:
        return
    try:
        client.publish(key(settings, channel), origin or "external")
    except REDIS_ERRORS as error:
        outage.failed(error)
    else:
        outage.succeeded()


class Outage:
    """When one use of Redis last failed: callers skip Redis for ``retry_seconds`` after a
    failure, and the warning is logged at most once per ``warn_every`` seconds."""

    def __init__(self, what: str, *, retry_seconds: float = RETRY_SECONDS, warn_every: float = WARN_EVERY_SECONDS):
        self.what = what
        self.retry_seconds = retry_seconds
        self.warn_every = warn_every
        self._down_until = 0.0
        self._warned_at: float | None = None
        self._down = False
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        """Redis failed recently: do not try it now."""
        return time.monotonic() < self._down_until

    @property
    def degraded(self) -> bool:
        """The last attempt failed and none has succeeded since."""
        return self._down

    def failed(self, error: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            self._down_until = now + self.retry_seconds
            self._down = True
            if self._warned_at is None or now - self._warned_at >= self.warn_every:
                self._warned_at = now
                warn = True
            else:
                warn = False
        if warn:
            logger.warning(
                "Redis unavailable for %s (%s): falling back to this process alone; retrying every %.0f s",
                self.what,
                type(error).__name__,
                self.retry_seconds,
            )

    def succeeded(self) -> None:
        if self._down:
            with self._lock:
                was_down, self._down = self._down, False
                self._warned_at = None
            if was_down:
                logger.info("Redis available again for %s", self.what)


class SharedLimiter:
    """Moving-window rate limits (the ``limits`` library) shared by every process through Redis
    when ``redis_url`` is set, in this process's memory otherwise.

    While Redis fails, each call is answered by a limiter in this process's memory: limits still
    apply (per process: with N workers a client may get up to N times the limit during the
    outage), nobody is locked out by an error and no error reaches the caller. Redis is tried
    again ``RETRY_SECONDS`` after a failure; the counts made meanwhile stay in memory and are not
    copied back (an outage only ever loosens a limit, never tightens it)."""

    def __init__(self, url: str | None, prefix: str, what: str, *, retry_seconds: float = RETRY_SECONDS) -> None:
        self.memory = MovingWindowRateLimiter(MemoryStorage())
        self.shared: MovingWindowRateLimiter | None = None
        if url:
            # The pool of the process's client: its timeouts, its connections (one client per URL).
            storage = RedisStorage(
                url,
                connection_pool=_sync_client(url).connection_pool,
                key_prefix=prefix,
                wrap_exceptions=True,
            )
            self.shared = MovingWindowRateLimiter(storage)
        self.outage = Outage(what, retry_seconds=retry_seconds)

    @classmethod
    def from_settings(cls, settings: Settings, name: str) -> SharedLimiter:
        return cls(settings.redis_url, key(settings, "limits", name), name)

    @property
    def uses_redis(self) -> bool:
        return self.shared is not None

    def _call(self, action: Callable[[MovingWindowRateLimiter], T]) -> T:
        if self.shared is not None and not self.outage.down:
            try:
                result = action(self.shared)
            except REDIS_ERRORS as error:
                self.outage.failed(error)
            else:
                self.outage.succeeded()
                return result
        return action(self.memory)

    def test(self, item: RateLimitItem, *identifiers: str) -> bool:
        return self._call(lambda limiter: limiter.test(item, *identifiers))

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Counts one if the limit allows it (atomically, also in Redis); False if it is full."""
        return self._call(lambda limiter: limiter.hit(item, *identifiers))

    def window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        return self._call(lambda limiter: limiter.get_window_stats(item, *identifiers))

    def clear(self, item: RateLimitItem, *identifiers: str) -> None:
        self._call(lambda limiter: limiter.clear(item, *identifiers))
