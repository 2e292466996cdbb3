"""Login rate limiting: failed attempts are counted in a moving window per account and address,
and per address, so that guessing one password or trying many accounts from one place both stop.

The counters are shared by every API worker through Redis when ``TTHC_REDIS_URL`` is set (keys
``<prefix>:limits:login:…``), so a guesser gains nothing from being spread over the workers; without
Redis, or while it is down, each process counts in its own memory (core/redis.py,
``SharedLimiter``): the limits still apply, per process. A restart of Redis or of an embedded
process forgets counts, which only shortens a lock-out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from limits import RateLimitItem, parse

from core.redis import SharedLimiter
from core.settings import Settings

PER_ACCOUNT = "5/15 minutes"
PER_ADDRESS = "30/15 minutes"


@dataclass(frozen=True)
class ThrottleDecision:
    allowed: bool
    retry_after_seconds: int = 0


class LoginThrottle:
    def __init__(
        self, per_account: str = PER_ACCOUNT, per_address: str = PER_ADDRESS, *, limiter: SharedLimiter | None = None
    ) -> None:
        self._limiter = limiter or SharedLimiter(None, "", "login")
        self._per_account: RateLimitItem = parse(per_account)
        self._per_address: RateLimitItem = parse(per_address)

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginThrottle:
        """Shared through ``settings.redis_url`` when it is set."""
        return cls(limiter=SharedLimiter.from_settings(settings, "login"))

    def _keys(self, username: str, address: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        return [
            (self._per_account, ("account", username.strip().lower(), address)),
            (self._per_address, ("address", address)),
        ]

    def check(self, username: str, address: str) -> ThrottleDecision:
        """May this attempt be tried at all? (Counting happens only when it fails.)"""
        for item, key in self._keys(username, address):
            if not self._limiter.test(item, *key):
                reset_at, _remaining = self._limiter.window_stats(item, *key)
                return ThrottleDecision(False, max(1, int(reset_at - time.time())))
        return ThrottleDecision(True)

    def failed(self, username: str, address: str) -> None:
        for item, key in self._keys(username, address):
            self._limiter.hit(item, *key)

    def succeeded(self, username: str, address: str) -> None:
        # A correct password ends the account's streak of failures (not the address's).
        item, key = self._keys(username, address)[0]
        self._limiter.clear(item, *key)
