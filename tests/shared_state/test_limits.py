"""The chat rate limit and the login throttle are shared by the API workers through Redis, and
still apply, per process, while Redis is unreachable, hung or dead; they return to Redis by
themselves. No Redis error ever reaches the caller."""

from __future__ import annotations

import logging
import subprocess
import sys
import time

import pytest
from limits import parse

from api.security.rate_limit import ChatRateLimiter
from core.redis import SharedLimiter
from core.settings import PROJECT_ROOT, Settings
from servicedesk.accounts.throttle import LoginThrottle
from tests.services import PrivateRedis

ADDRESS = "198.51.100.23"  # documentation range (RFC 5737)


def chat_limiter(url: str | None, prefix: str, spec: str = "5/minute", retry_seconds: float = 5.0) -> ChatRateLimiter:
    """One API worker's limiter, as api.deps builds it from the settings."""
    return ChatRateLimiter(
        spec, limiter=SharedLimiter(url, f"{prefix}:limits:chat", "chat", retry_seconds=retry_seconds)
    )


def allowed(limiter: ChatRateLimiter, count: int, address: str = ADDRESS) -> list[bool]:
    return [limiter.hit(address).allowed for _ in range(count)]


def test_keys_carry_the_deployment_prefix(redis_url: str, prefix: str) -> None:
    import redis

    settings = Settings(redis_url=redis_url, redis_prefix=prefix)
    ChatRateLimiter.from_settings(settings).hit(ADDRESS)
    keys = list(redis.Redis.from_url(redis_url).scan_iter(match=f"{prefix}:*"))
    assert keys and all(k.decode().startswith(f"{prefix}:limits:chat:") for k in keys)


def test_two_workers_share_the_chat_limit(redis_url: str, prefix: str) -> None:
    first, second = chat_limiter(redis_url, prefix), chat_limiter(redis_url, prefix)
    assert first.uses_redis and second.uses_redis
    assert allowed(first, 3) == [True] * 3
    assert allowed(second, 3) == [True, True, False]  # 5 a minute between them, not 5 each
    refused = first.hit(ADDRESS)
    assert not refused.allowed and 1 <= refused.retry_after_seconds <= 60
    assert allowed(second, 1, "198.51.100.24") == [True]  # another address is counted apart


def test_another_process_shares_the_chat_limit(redis_url: str, prefix: str) -> None:
    """A real second process (as another uvicorn worker) counts in the same windows."""
    script = (
        "from tests.shared_state.test_limits import chat_limiter, allowed;"
        f"print(allowed(chat_limiter({redis_url!r}, {prefix!r}), 4))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[True, True, True, True]"
    assert allowed(chat_limiter(redis_url, prefix), 2) == [True, False]


def test_a_refused_message_is_not_counted(redis_url: str, prefix: str) -> None:
    limiter = chat_limiter(redis_url, prefix, spec="2/minute;3/hour")
    assert allowed(limiter, 4) == [True, True, False, False]
    # Two refusals later the hour window still holds only the two counted messages.
    stats = limiter._limiter.window_stats(parse("3/hour"), "chat", ADDRESS)
    assert stats.remaining == 1


def test_two_workers_share_the_login_throttle(redis_url: str, prefix: str) -> None:
    settings = Settings(redis_url=redis_url, redis_prefix=prefix)
    first, second = LoginThrottle.from_settings(settings), LoginThrottle.from_settings(settings)
    for throttle in (first, second, first, second):
        throttle.failed("Lan", ADDRESS)
    assert second.check("lan", ADDRESS).allowed  # 4 failures: one more try
    first.failed("lan", ADDRESS)
    for throttle in (first, second):
        decision = throttle.check("LAN ", ADDRESS)
        assert not decision.allowed and decision.retry_after_seconds > 0
    assert first.check("lan", "198.51.100.99").allowed  # the account from elsewhere is not locked
    second.succeeded("lan", "198.51.100.99")
    # A correct password from the locked place ends the streak for every worker.
    second.succeeded("lan", ADDRESS)
    assert first.check("lan", ADDRESS).allowed


def test_no_redis_url_counts_in_memory(closed_port_url: str) -> None:
    limiter = ChatRateLimiter.from_settings(Settings(redis_url=None, chat_rate_limit="2/minute"))
    assert not limiter.uses_redis
    assert allowed(limiter, 3) == [True, True, False]


def test_unreachable_redis_limits_per_process_and_warns_once(
    closed_port_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    first, second = chat_limiter(closed_port_url, "unused", retry_seconds=0.0), chat_limiter(closed_port_url, "unused")
    with caplog.at_level(logging.WARNING, logger="core.redis"):
        assert allowed(first, 7) == [True] * 5 + [False] * 2  # the limit applies, no exception
        assert allowed(second, 6) == [True] * 5 + [False]  # per process: this one counts its own
    warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(warnings) == 2  # one per limiter for the first failure, not one per request


def test_unreachable_redis_does_not_lock_out_or_open_the_login(closed_port_url: str) -> None:
    throttle = LoginThrottle.from_settings(Settings(redis_url=closed_port_url, redis_prefix="unused"))
    assert throttle.check("lan", ADDRESS).allowed
    for _ in range(5):
        throttle.failed("lan", ADDRESS)
    assert not throttle.check("lan", ADDRESS).allowed
    throttle.succeeded("lan", ADDRESS)
    assert throttle.check("lan", ADDRESS).allowed


def test_a_hung_redis_costs_one_short_wait_per_retry_period(silent_redis_url: str) -> None:
    limiter = chat_limiter(silent_redis_url, "unused", spec="100/minute")
    started = time.monotonic()
    assert limiter.hit(ADDRESS).allowed
    first = time.monotonic() - started
    started = time.monotonic()
    assert allowed(limiter, 50) == [True] * 50
    rest = time.monotonic() - started
    assert first < 1.5  # the 0.5 s answer timeout, no retry inside redis-py
    assert rest < 0.2  # then the memory fallback, without asking Redis again for RETRY_SECONDS


def test_redis_dying_mid_way_then_coming_back(private_redis: PrivateRedis, prefix: str) -> None:
    import redis

    first = chat_limiter(private_redis.url, prefix, spec="4/minute", retry_seconds=0.3)
    second = chat_limiter(private_redis.url, prefix, spec="4/minute", retry_seconds=0.3)
    assert allowed(first, 2) + allowed(second, 1) == [True] * 3  # shared: 3 of 4

    private_redis.kill()
    # Each process on its own, from zero: the limit holds per process and nothing raises.
    assert allowed(first, 5) == [True] * 4 + [False]
    assert allowed(second, 5) == [True] * 4 + [False]

    private_redis.start()  # empty (no persistence): the shared counts start again
    time.sleep(0.35)  # the retry period
    assert allowed(first, 3) == [True] * 3
    assert allowed(second, 2) == [True, False]  # shared again: 4 between them
    client = redis.Redis.from_url(private_redis.url)
    assert any(k.decode().startswith(f"{prefix}:limits:chat:") for k in client.scan_iter(match=f"{prefix}:*"))
    client.close()
