"""Login rate limiting: failed attempts are counted in a moving window per account and address,
and per address, so that guessing one password or trying many accounts from one place both stop.

The counters live in the API process's memory (one process serves the staff pages); a restart
forgets them, which only shortens a lock-out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

PER_ACCOUNT = "5/15 minutes"
PER_ADDRESS = "30/15 minutes"


@dataclass(frozen=True)
class ThrottleDecision:
    allowed: bool
    retry_after_seconds: int = 0


class LoginThrottle:
    def __init__(self, per_account: str = PER_ACCOUNT, per_address: str = PER_ADDRESS) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_account: RateLimitItem = parse(per_account)
        self._per_address: RateLimitItem = parse(per_address)

    def _keys(self, username: str, address: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        return [
            (self._per_account, ("account", username.strip().lower(), address)),
            (self._per_address, ("address", address)),
        ]

    def check(self, username: str, address: str) -> ThrottleDecision:
        """May this attempt be tried at all? (Counting happens only when it fails.)"""
        for item, key in self._keys(username, address):
            if not self._limiter.test(item, *key):
                reset_at, _remaining = self._limiter.get_window_stats(item, *key)
                return ThrottleDecision(False, max(1, int(reset_at - time.time())))
        return ThrottleDecision(True)

    def failed(self, username: str, address: str) -> None:
        for item, key in self._keys(username, address):
            self._limiter.hit(item, *key)

    def succeeded(self, username: str, address: str) -> None:
        # A correct password ends the account's streak of failures (not the address's).
        item, key = self._keys(username, address)[0]
        self._limiter.clear(item, *key)
