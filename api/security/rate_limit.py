"""Per-client rate limit of ``POST /api/chat``: one address (resolved through trusted proxies,
api/security/proxies.py) may send ``TTHC_CHAT_RATE_LIMIT`` messages, in the ``limits`` library's
notation ("30/minute;600/hour": every limit applies), counted in moving windows.

A citizen types far slower than 30 messages a minute; a script that floods the assistant is
answered 429 with ``Retry-After`` before its message reaches Rasa, so the others keep being
served. Counters are shared by every API worker through Redis when ``TTHC_REDIS_URL`` is set, like
the login throttle's; without Redis, or while it is down, each process counts in its own memory
(core/redis.py, ``SharedLimiter``): the limit still applies, per process, and no Redis error ever
reaches a citizen. Offices behind one NAT share an address: raise the limit for such a
deployment rather than drop it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse
from limits import RateLimitItem, parse_many
from pydantic import BaseModel, Field

from core.redis import SharedLimiter
from core.settings import Settings

TOO_FAST = (
    "Anh/chị gửi tin nhắn quá nhanh. Xin vui lòng chờ khoảng {wait} rồi gửi tiếp; "
    "trợ lý vẫn giữ nguyên cuộc trò chuyện của anh/chị."
)


class RateLimitedBody(BaseModel):
    error: str = Field(description="Lời nhắn tiếng Việt cho người dân")
    retry_after: int = Field(description="Số giây cần chờ (như header Retry-After)")


# The OpenAPI entry of the 429 answer, in the shape FastAPI's `responses=` takes.
RATE_LIMITED_RESPONSE: dict[int | str, dict[str, Any]] = {
    429: {
        "model": RateLimitedBody,
        "description": "Gửi quá nhiều tin nhắn từ một địa chỉ; chờ số giây trong header Retry-After",
        "headers": {"Retry-After": {"description": "Số giây cần chờ", "schema": {"type": "integer"}}},
    }
}


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_seconds: int = 0


class ChatRateLimiter:
    def __init__(self, limits_spec: str, *, limiter: SharedLimiter | None = None) -> None:
        self._limits: list[RateLimitItem] = parse_many(limits_spec)  # ValueError on a bad setting: fail at start
        self._limiter = limiter or SharedLimiter(None, "", "chat")

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatRateLimiter:
        """``settings.chat_rate_limit``, shared through ``settings.redis_url`` when it is set."""
        return cls(settings.chat_rate_limit, limiter=SharedLimiter.from_settings(settings, "chat"))

    @property
    def uses_redis(self) -> bool:
        return self._limiter.uses_redis

    def hit(self, address: str) -> RateDecision:
        """Count one message from ``address`` if every limit allows it; a refused message is not
        counted, so waiting Retry-After seconds is always enough.

        Each ``hit`` is atomic (a Lua script in Redis), so two workers can never both take the last
        free slot; the ``test`` first only spares counting in the other limits a message that one
        limit already refuses (between the two, another worker may fill a slot: then this message
        is refused, possibly counted in a shorter limit it passed, which delays nothing longer
        than the refusing limit's own wait)."""
        refused = [item for item in self._limits if not self._limiter.test(item, "chat", address)]
        if not refused:
            for item in self._limits:
                if not self._limiter.hit(item, "chat", address):
                    refused = [item]
                    break
        if refused:
            now = time.time()
            wait = max(self._limiter.window_stats(item, "chat", address).reset_time - now for item in refused)
            return RateDecision(False, max(1, math.ceil(wait)))
        return RateDecision(True)


class ChatRateLimited(Exception):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"rate limited for {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} giây"
    return f"{math.ceil(seconds / 60)} phút"


def rate_limited_response(error: ChatRateLimited) -> JSONResponse:
    seconds = error.retry_after_seconds
    body = RateLimitedBody(error=TOO_FAST.format(wait=_wait_text(seconds)), retry_after=seconds)
    return JSONResponse(body.model_dump(), status_code=429, headers={"Retry-After": str(seconds)})
