"""Finding 9: Rasa's HTTP API and the action server are internal services.

On the real stack (tests/e2e/conftest.py): both listen on loopback only, Rasa's HTTP API answers
only with its token, and the action server runs actions only for a caller with the shared secret
Rasa holds (endpoints.yml ``token``). The chat itself still works through both (the API carries
the Rasa token; Rasa carries the action token).
"""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from cli.stack import Stack
from tests.e2e.conftest import api, stack  # noqa: F401 - the real stack, shared with tests/e2e

pytestmark = pytest.mark.e2e

_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp{,6}


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on ``port`` (IPv4 and IPv6), from the kernel's table."""
    found: set[str] = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] != _LISTEN or int(port_hex, 16) != port:
                continue
            raw = bytes.fromhex(address)
            # The kernel prints each 32-bit word in host (little-endian) order.
            raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(socket.inet_ntop(family, raw))
    return found


def _action_call(action: str) -> dict:
    """A call of Rasa's action server protocol (what Rasa 3.6 posts to /webhook)."""
    sender = "security-internal-services"
    return {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": sender,
            "slots": {},
            "latest_message": {"text": "xin chào", "intent": {}, "intent_ranking": [], "entities": []},
            "latest_event_time": None,
            "followup_action": None,
            "paused": False,
            "events": [],
            "latest_input_channel": "rest",
            "latest_action_name": "action_listen",
            "active_loop": {},
        },
    }


def test_finding_9_rasa_and_action_server_listen_on_loopback_only(stack: Stack) -> None:  # noqa: F811
    for name, port in (("rasa", stack.config.rasa_port), ("actions", stack.config.action_port)):
        addresses = _listening_addresses(port)
        assert addresses, f"{name}: nothing listens on {port}"
        assert addresses <= {"127.0.0.1", "::1"}, f"{name} listens on {sorted(addresses)}"


def test_finding_9_rasa_http_api_needs_its_token(stack: Stack, api: httpx.Client) -> None:  # noqa: F811
    sender = "web-security-rasa-token"
    # The conversation exists (the API, holding the token, talks to Rasa as usual).
    assert api.post("/api/chat", json={"sender": sender, "message": "xin chào"}).status_code == 200
    url = f"{stack.config.rasa_url}/conversations/{sender}/tracker"
    with httpx.Client(timeout=30) as client:
        assert client.get(url).status_code == 401
        assert client.get(url, params={"token": "not-the-token"}).status_code == 401
        assert client.put(f"{stack.config.rasa_url}/model", json={"model_file": "/tmp/x.tar.gz"}).status_code == 401
        answered = client.get(url, params=stack.config.rasa_params)
        assert answered.status_code == 200
        assert answered.json()["sender_id"] == sender
        assert client.get(f"{stack.config.rasa_url}/status", params=stack.config.rasa_params).status_code == 200
    # The API's own health check reaches Rasa's /status with the token.
    assert api.get("/api/health").json()["components"]["rasa"] == "up"


def test_finding_9_action_server_needs_the_shared_secret(stack: Stack) -> None:  # noqa: F811
    webhook = f"{stack.config.action_url}/webhook"
    call = _action_call("action_default_fallback")
    with httpx.Client(timeout=30) as client:
        assert client.post(webhook, json=call).status_code == 401
        assert client.post(webhook, params={"token": "not-the-token"}, json=call).status_code == 401
        assert client.get(f"{stack.config.action_url}/actions").status_code == 401
        # Health checks stay open: they carry no secret and reveal nothing.
        assert client.get(f"{stack.config.action_url}/health").status_code == 200

        answered = client.post(webhook, params={"token": stack.config.action_token}, json=call)
        assert answered.status_code == 200, answered.text
        assert answered.json()["responses"], "the action ran and answered"


def test_finding_9_chat_still_runs_actions_through_rasa(api: httpx.Client) -> None:  # noqa: F811
    # A turn that needs a custom action (procedure search in the action server): Rasa must hold
    # the action token, or the citizen would get the apology.
    turn = {"sender": "web-security-action-token", "message": "lệ phí đăng ký khai sinh"}
    response = api.post("/api/chat", json=turn)
    assert response.status_code == 200
    text = "\n".join(m.get("text") or "" for m in response.json()["messages"])
    assert "khai sinh" in text.lower() and "Xin lỗi" not in text
