"""Webhook authenticity: Zalo's ``X-ZEvent-Signature`` and the event's freshness.

Zalo signs each event with ``sha256(app_id + raw body + timestamp + OA secret key)`` in hex (a
plain hash of the concatenation, not an HMAC), where ``timestamp`` is the event's own
``timestamp`` field (epoch milliseconds, sent as a string). The header may carry a ``mac=``
prefix. The OA secret key is the key of the linked Official Account, not the app secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from typing import Any

SIGNATURE_HEADER = "X-ZEvent-Signature"
# Epoch milliseconds in ASCII digits (13 until the year 2286). Checked before any int() or
# arithmetic: str.isdigit() also accepts "²" or "١٢٣", and int() refuses more than 4,300 digits,
# so such values used to end in a 500 (issue 12).
_TIMESTAMP_RE = re.compile(r"[0-9]{1,15}")
MAX_TIMESTAMP = 10**15 - 1


class WebhookRejected(Exception):
    """The event is not from Zalo for this app, or is too old/new to trust (HTTP 401)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def compute_signature(app_id: str, raw_body: bytes, timestamp: str, secret_key: str) -> str:
    digest = hashlib.sha256()
    digest.update(app_id.encode())
    digest.update(raw_body)
    digest.update(timestamp.encode())
    digest.update(secret_key.encode())
    return digest.hexdigest()


def _header_value(header: str | None) -> bytes:
    value = (header or "").strip()
    if value[:4].lower() == "mac=":
        value = value[4:].strip()
    return value.lower().encode("utf-8", "replace")


def event_timestamp(event: dict[str, Any]) -> str:
    """The ``timestamp`` field exactly as it takes part in the signature: a plain, bounded
    number of milliseconds (a string of ASCII digits, or a JSON integer)."""
    value = event.get("timestamp")
    if value is None or value == "":
        raise WebhookRejected("missing timestamp")
    if isinstance(value, bool):
        raise WebhookRejected("malformed timestamp")
    if isinstance(value, int):
        if not 0 <= value <= MAX_TIMESTAMP:  # bounded before str(), which refuses huge numbers too
            raise WebhookRejected("malformed timestamp")
        return str(value)
    if not isinstance(value, str) or len(value) > 64:
        raise WebhookRejected("malformed timestamp")
    text = value.strip()
    if not _TIMESTAMP_RE.fullmatch(text):
        raise WebhookRejected("malformed timestamp")
    return text


def verify_event(
    *,
    raw_body: bytes,
    event: dict[str, Any],
    header: str | None,
    app_id: str,
    secret_key: str,
    window_seconds: float,
    now_ms: float | None = None,
) -> None:
    """Raises ``WebhookRejected`` unless the event is signed for this app and fresh."""
    if not header:
        raise WebhookRejected("missing signature")
    timestamp = event_timestamp(event)
    expected = compute_signature(app_id, raw_body, timestamp, secret_key).encode()
    if not hmac.compare_digest(_header_value(header), expected):
        raise WebhookRejected("bad signature")
    if str(event.get("app_id", "")) != app_id:
        raise WebhookRejected("unknown app_id")
    now_ms = time.time() * 1000 if now_ms is None else now_ms
    if abs(now_ms - int(timestamp)) > window_seconds * 1000:
        raise WebhookRejected("stale timestamp")
