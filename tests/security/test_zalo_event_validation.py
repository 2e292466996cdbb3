"""Finding 10 of issue 12: validly signed Zalo events with ``timestamp: "²"`` or a 5,000-digit
timestamp gave a 500.

``str.isdigit()`` accepted "²" and other Unicode digits, then ``int()`` failed on them or on more
than 4,300 digits. A timestamp must now be a plain, bounded number of milliseconds before any
conversion or arithmetic; anything else is refused like any other untrusted event (401, with the
webhook's Vietnamese ``error`` body), and never reaches Rasa.

Each event is signed the way its sender would: over the body and the timestamp as written.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.channels.conftest import (  # noqa: F401 - fixtures of the channel tests, used below
    bridge,
    env,
    rasa,
    rasa_server,
    wait_for,
    zalo,
    zalo_server,
)
from tests.fakes.zalo import sign, text_event

USER = "8468112233445566010"
MISSING = object()


def _signed_post(client: Any, event: dict[str, Any], timestamp_text: str, raw: bytes | None = None) -> Any:
    raw = json.dumps(event, ensure_ascii=False).encode() if raw is None else raw
    headers = {"Content-Type": "application/json", "X-ZEvent-Signature": "mac=" + sign(raw, timestamp_text)}
    return client.post("/webhooks/zalo", content=raw, headers=headers)


MALFORMED = {
    "superscript two": "²",
    "5,000 digits": "1" * 5000,
    "Arabic-Indic digits": "١٧١٧٠٦١٨٣٩٦٥٩",
    "full-width digits": "１７１７０６１８３９６５９",
    "decimal string": "1717061839659.5",
    "exponent": "1.7e12",
    "negative string": "-1717061839659",
    "hexadecimal": "0x18fcc6f0f2b",
    "empty": "",
    "blank": "   ",
    "JSON float": 1717061839659.5,
    "JSON negative integer": -1717061839659,
    "JSON integer with 20 digits": 10**19,
    "JSON true": True,
    "JSON null": None,
    "JSON list": ["1717061839659"],
    "JSON object": {"ms": "1717061839659"},
    "missing": MISSING,
}


@pytest.mark.parametrize("timestamp", list(MALFORMED.values()), ids=list(MALFORMED))
def test_finding_10_a_malformed_timestamp_is_refused_with_4xx_never_500(bridge, zalo, rasa, timestamp: Any) -> None:
    event = text_event(USER, "xin chào", "msg-timestamp")
    if timestamp is MISSING:
        del event["timestamp"]
        written = ""
    else:
        event["timestamp"] = timestamp
        written = timestamp if isinstance(timestamp, str) else json.dumps(timestamp)
    with bridge() as client:
        response = _signed_post(client, event, written)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"].startswith("Sự kiện")  # the webhook's Vietnamese error body
    assert rasa.calls == [] and zalo.sent == []


def test_finding_10_well_formed_timestamps_still_pass(bridge, zalo, rasa) -> None:
    now_ms = int(time.time() * 1000)
    as_string = text_event(USER, "câu một", "msg-string")
    as_number = dict(text_event(USER, "câu hai", "msg-number"), timestamp=now_ms)  # a JSON integer
    with bridge() as client:
        assert _signed_post(client, as_string, as_string["timestamp"]).json() == {"status": "accepted"}
        assert _signed_post(client, as_number, str(now_ms)).json() == {"status": "accepted"}
        wait_for(lambda: len(zalo.sent) == 2, what="both replies")
    assert [message for _sender, message in rasa.calls] == ["câu một", "câu hai"]
