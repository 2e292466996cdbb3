"""Findings 12 and 2 on the real stack: a typed ``/restart`` is read by Rasa's NLU as text (a normal
answer, no outage apology, the conversation not restarted), and Rasa keeps the message metadata the
bridge sends (channel, hashed client key) where the actions read it. The fake-Rasa tests in
tests/security cover the rest (buttons, Zalo, every form of command)."""

from __future__ import annotations

import re

import httpx

APOLOGY = "gián đoạn"


def _tracker(stack, sender: str) -> dict:  # noqa: ANN001
    response = httpx.get(
        f"{stack.config.rasa_url}/conversations/{sender}/tracker",
        params={**stack.config.rasa_params, "include_events": "ALL"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def test_finding_12_a_typed_restart_is_answered_like_any_text(stack, conversation) -> None:  # noqa: ANN001
    conversation.say("làm căn cước cần giấy tờ gì")
    replies = conversation.say("/restart")
    assert replies and all(APOLOGY not in (m.get("text") or "") for m in replies), replies

    tracker = _tracker(stack, conversation.sender)
    assert not any(e.get("event") == "restart" for e in tracker["events"])
    last_user = [e for e in tracker["events"] if e.get("event") == "user"][-1]
    assert last_user["text"] == "restart"
    assert last_user["parse_data"]["intent"]["name"] != "restart"


def test_finding_2_rasa_keeps_the_channel_and_client_key_for_the_actions(stack, conversation) -> None:  # noqa: ANN001
    conversation.say("lệ phí đăng ký khai sinh")
    tracker = _tracker(stack, conversation.sender)
    last_user = [e for e in tracker["events"] if e.get("event") == "user"][-1]
    for metadata in (last_user["metadata"], tracker["latest_message"]["metadata"]):
        assert metadata["channel"] == "web"
        assert re.fullmatch(r"[0-9a-f]{32}", metadata["client"])
        assert "127.0.0.1" not in str(metadata)
