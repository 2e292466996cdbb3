"""A fake Zalo platform: the OA Open API, its OAuth token endpoint, and signed webhook events.

Served over real HTTP by ``ZaloServer`` (uvicorn on a free localhost port, in a thread; it can be
stopped and started again on the same port to play "Zalo is down"). It

- accepts ``POST /v3.0/oa/message/cs`` only with the current token in the ``access_token``
  header, answers ``{"error": -216}`` to any other token, and records every accepted message;
- refreshes at ``POST /v4/oa/access_token`` (form ``refresh_token``, ``app_id``,
  ``grant_type=refresh_token``; header ``secret_key``) and honours each refresh token once;
- fails on demand: HTTP 5xx for the next N sends, hangs (then answers 503 without recording,
  i.e. the send never happened) for the next N sends, slow refreshes.

``signed_event`` builds a webhook call the way Zalo signs it. All ids and tokens are synthetic.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from tests.fakes.server import start_in_thread

APP_ID = "4312345678901234567"
OA_SECRET_KEY = "oa-secret-key-for-tests"
APP_SECRET = "app-secret-for-tests"
OA_ID = "579745863508352884"
FIRST_ACCESS_TOKEN = "access-token-0"
FIRST_REFRESH_TOKEN = "refresh-token-0"
BUTTON_TYPES = {"oa.query.show", "oa.query.hide", "oa.open.url", "oa.open.sms", "oa.open.phone"}
TEXT_LIMIT = 2000


def stack_env(url: str) -> dict[str, str]:
    """A stack's Zalo channel configured against the fake platform at ``url`` (synthetic
    credentials): what the end-to-end tests, the production tests and the load benchmark start."""
    return {
        "TTHC_ZALO_APP_ID": APP_ID,
        "TTHC_ZALO_SECRET_KEY": OA_SECRET_KEY,
        "TTHC_ZALO_APP_SECRET": APP_SECRET,
        "TTHC_ZALO_ACCESS_TOKEN": FIRST_ACCESS_TOKEN,
        "TTHC_ZALO_REFRESH_TOKEN": FIRST_REFRESH_TOKEN,
        "TTHC_ZALO_API_BASE": url,
        "TTHC_ZALO_OAUTH_BASE": url,
    }


@dataclass
class FakeZalo:
    app_id: str = APP_ID
    app_secret: str = APP_SECRET
    access_token: str = FIRST_ACCESS_TOKEN
    valid_refresh_tokens: set[str] = field(default_factory=lambda: {FIRST_REFRESH_TOKEN})
    fail_next: int = 0  # HTTP 500 for this many sends
    fail_status: int = 500
    hang_next: int = 0  # sleep hang_seconds, then 503 without recording, for this many sends
    hang_seconds: float = 2.0
    refresh_delay: float = 0.0
    sent: list[dict[str, Any]] = field(default_factory=list)  # accepted {"recipient":…, "message":…}
    refreshes: list[dict[str, str]] = field(default_factory=list)  # every refresh request (form fields)
    send_attempts: int = 0
    auth_failures: int = 0
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.access_token = FIRST_ACCESS_TOKEN
            self.valid_refresh_tokens = {FIRST_REFRESH_TOKEN}
            self.fail_next = self.hang_next = 0
            self.fail_status = 500
            self.hang_seconds = 2.0
            self.refresh_delay = 0.0
            self.sent.clear()
            self.refreshes.clear()
            self.send_attempts = self.auth_failures = 0

    def expire_access_token(self) -> None:
        """The token the bridge holds stops working; only a refresh gives a new one."""
        with self._lock:
            self.access_token = f"access-token-expired-{next(self._counter)}"

    def messages_to(self, user_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [item["message"] for item in self.sent if item["recipient"]["user_id"] == user_id]


def _validate_message(message: Any) -> str | None:
    """What the fake refuses (Zalo answers such mistakes with a negative error code)."""
    if not isinstance(message, dict):
        return "message must be an object"
    text, attachment = message.get("text"), message.get("attachment")
    if text is None and attachment is None:
        return "message needs text or attachment"
    if text is not None and (not isinstance(text, str) or not text or len(text) > TEXT_LIMIT):
        return "text must be 1..2000 characters"
    if attachment is not None:
        if not isinstance(attachment, dict) or attachment.get("type") != "template":
            return "attachment must be a template"
        payload = attachment.get("payload")
        if not isinstance(payload, dict):
            return "template payload missing"
        buttons = payload.get("buttons")
        if buttons is not None:
            if not isinstance(buttons, list) or not 1 <= len(buttons) <= 5:
                return "1..5 buttons"
            for button in buttons:
                if button.get("type") not in BUTTON_TYPES or not button.get("title") or len(button["title"]) > 100:
                    return "bad button"
                if button["type"] == "oa.query.show" and not isinstance(button.get("payload"), str):
                    return "oa.query.show payload must be a string"
        if payload.get("template_type") == "list":
            elements = payload.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 5:
                return "list needs 1..5 elements"
            if not all(isinstance(e, dict) and e.get("title") and len(e["title"]) <= 100 for e in elements):
                return "element title 1..100 characters"
            if not elements[0].get("subtitle"):
                return "first element needs a subtitle"
    return None


def create_app(state: FakeZalo) -> FastAPI:
    app = FastAPI(title="Fake Zalo OA API")

    @app.post("/v3.0/oa/message/cs")
    async def send_cs(request: Request, access_token: str | None = Header(default=None, convert_underscores=False)):  # noqa: ANN202
        with state._lock:
            state.send_attempts += 1
            hang = state.hang_next > 0
            if hang:
                state.hang_next -= 1
            fail = not hang and state.fail_next > 0
            if fail:
                state.fail_next -= 1
        if hang:
            await asyncio.sleep(state.hang_seconds)
            return JSONResponse({"message": "Service Unavailable"}, status_code=503)
        if fail:
            return JSONResponse({"message": "Internal Server Error"}, status_code=state.fail_status)
        if access_token != state.access_token:
            with state._lock:
                state.auth_failures += 1
            return {"error": -216, "message": "Access token is invalid"}
        body = await request.json()
        recipient = body.get("recipient") if isinstance(body, dict) else None
        if not isinstance(recipient, dict) or not isinstance(recipient.get("user_id"), str):
            return {"error": -201, "message": "recipient.user_id is invalid"}
        problem = _validate_message(body.get("message"))
        if problem:
            return {"error": -201, "message": problem}
        with state._lock:
            state.sent.append({"recipient": recipient, "message": body["message"]})
            number = next(state._counter)
        return {
            "error": 0,
            "message": "Success",
            "data": {"message_id": f"msg-{number}", "user_id": recipient["user_id"]},
        }

    @app.post("/v4/oa/access_token")
    async def refresh(request: Request, secret_key: str | None = Header(default=None, convert_underscores=False)):  # noqa: ANN202
        # Form fields parsed by hand: python-multipart is not a dependency of the project.
        fields = {k: v[-1] for k, v in parse_qs((await request.body()).decode()).items()}
        refresh_token, app_id, grant_type = (fields.get(k, "") for k in ("refresh_token", "app_id", "grant_type"))
        with state._lock:
            state.refreshes.append({"refresh_token": refresh_token, "app_id": app_id, "grant_type": grant_type})
        if state.refresh_delay:
            await asyncio.sleep(state.refresh_delay)
        if secret_key != state.app_secret or app_id != state.app_id or grant_type != "refresh_token":
            return {"error": -14002, "error_name": "Invalid app", "error_description": "bad app_id or secret_key"}
        with state._lock:
            if refresh_token not in state.valid_refresh_tokens:
                return {"error": -14014, "error_name": "Invalid refresh token", "error_description": "used or unknown"}
            state.valid_refresh_tokens.discard(refresh_token)  # single use
            number = next(state._counter)
            state.access_token = f"access-token-{number}"
            new_refresh = f"refresh-token-{number}"
            state.valid_refresh_tokens.add(new_refresh)
        return {"access_token": state.access_token, "refresh_token": new_refresh, "expires_in": "90000"}

    return app


class ThreadedServer:
    """Runs an ASGI app with uvicorn on a fixed free localhost port; ``stop()`` then ``start()`` = an outage."""

    def __init__(self, app: Any) -> None:
        self._app = app
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    def start(self) -> None:
        self._server, self._thread, self._sock = start_in_thread(self._app, self.port)

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.should_exit = True
        assert self._thread is not None and self._sock is not None
        self._thread.join(timeout=10)
        self._sock.close()
        self._server = self._thread = self._sock = None

    @property
    def running(self) -> bool:
        return self._server is not None


def sign(raw_body: bytes, timestamp: str, *, app_id: str = APP_ID, secret_key: str = OA_SECRET_KEY) -> str:
    """Zalo's X-ZEvent-Signature: sha256(app_id + body + timestamp + OA secret key), hex."""
    return hashlib.sha256(app_id.encode() + raw_body + timestamp.encode() + secret_key.encode()).hexdigest()


def text_event(user_id: str, text: str, msg_id: str, *, timestamp_ms: int | None = None, app_id: str = APP_ID) -> dict:
    """A ``user_send_text`` event as Zalo posts it."""
    timestamp = str(int(time.time() * 1000) if timestamp_ms is None else timestamp_ms)
    return {
        "app_id": app_id,
        "user_id_by_app": f"app-scoped-{user_id}",
        "event_name": "user_send_text",
        "timestamp": timestamp,
        "sender": {"id": user_id},
        "recipient": {"id": OA_ID},
        "message": {"text": text, "msg_id": msg_id},
    }


def signed_event(
    event: dict[str, Any], *, app_id: str = APP_ID, secret_key: str = OA_SECRET_KEY, prefix: str = "mac="
) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers of Zalo's webhook call for ``event``."""
    raw = json.dumps(event, ensure_ascii=False).encode()
    signature = sign(raw, str(event["timestamp"]), app_id=app_id, secret_key=secret_key)
    return raw, {"Content-Type": "application/json", "X-ZEvent-Signature": f"{prefix}{signature}"}
