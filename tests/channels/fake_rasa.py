"""A stand-in for Rasa's REST channel and tracker API, for the channel and security tests only.

Rasa is a real component in the end-to-end tests; here the bridge's channels are under test, so a
tiny server speaking Rasa's wire format is enough:

- ``POST /webhooks/rest/webhook`` with ``{"sender": …, "message": …, "metadata": {…}}`` answers a
  list such as ``[{"recipient_id": …, "text": …, "buttons": [{"title": …, "payload": …}]},
  {"recipient_id": …, "custom": {…}}]``, and logs a ``user`` event (text, metadata) and one ``bot``
  event per reply (``text``, ``data.buttons`` / ``data.custom``) on the sender's tracker, as Rasa does;
- ``GET /conversations/{sender}/tracker`` answers ``{"sender_id", "events", "latest_message",
  "paused"}`` and ``POST /conversations/{sender}/tracker/events`` appends events (Rasa's HTTP API);
  when ``token`` is set they answer 401 without ``?token=<token>`` (``rasa run --auth-token``),
  the REST channel webhook never asks for it.

Served over real HTTP by ``tests.fakes.zalo.ThreadedServer``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

# Messages Rasa reads as its own default intents (RegexMessageHandler) and answers with no message.
DEFAULT_COMMANDS = frozenset({"/restart", "/session_start"})


@dataclass
class FakeRasa:
    replies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # message → replies
    delay_seconds: float = 0.0
    calls: list[tuple[str, str]] = field(default_factory=list)  # (sender, message)
    bodies: list[dict[str, Any]] = field(default_factory=list)  # the webhook bodies, as posted
    api_calls: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # (method, path, query)
    trackers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # sender → events
    token: str | None = None  # Rasa's --auth-token, for its HTTP API
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.replies.clear()
            self.calls.clear()
            self.bodies.clear()
            self.api_calls.clear()
            self.trackers.clear()
            self.delay_seconds = 0.0
            self.token = None

    def answer(self, sender: str, message: str) -> list[dict[str, Any]]:
        replies = self.replies.get(message)
        if replies is None and message.strip() in DEFAULT_COMMANDS:
            replies = []  # Rasa runs action_restart / action_session_start: nothing is uttered
        if replies is None:
            replies = [{"text": f"Em đã nhận câu hỏi: {message}"}]
        return [{"recipient_id": sender, **reply} for reply in replies]

    def log_turn(self, sender: str, message: str, metadata: Any, replies: list[dict[str, Any]]) -> None:
        now = time.time()
        events = self.trackers.setdefault(sender, [])
        events.append({"event": "user", "timestamp": now, "text": message, "metadata": metadata or {}})
        for reply in replies:
            data = {key: reply[key] for key in ("buttons", "custom", "image") if key in reply}
            events.append({"event": "bot", "timestamp": now, "text": reply.get("text"), "data": data, "metadata": {}})
        events.append({"event": "action", "timestamp": now, "name": "action_listen"})


def create_app(state: FakeRasa) -> FastAPI:
    app = FastAPI(title="Fake Rasa REST channel")

    def refused(request: Request) -> JSONResponse | None:
        with state._lock:
            state.api_calls.append((request.method, request.url.path, dict(request.query_params)))
            token = state.token
        if token is not None and request.query_params.get("token") != token:
            return JSONResponse(status_code=401, content={"status": "failure", "reason": "NotAuthenticated"})
        return None

    @app.post("/webhooks/rest/webhook")
    async def webhook(request: Request) -> list[dict[str, Any]]:
        body = await request.json()
        with state._lock:
            state.calls.append((body["sender"], body["message"]))
            state.bodies.append(body)
        if state.delay_seconds:
            await asyncio.sleep(state.delay_seconds)
        replies = state.answer(body["sender"], body["message"])
        with state._lock:
            state.log_turn(body["sender"], body["message"], body.get("metadata"), replies)
        return replies

    @app.get("/conversations/{sender}/tracker", response_model=None)
    async def tracker(sender: str, request: Request) -> Any:
        if (refusal := refused(request)) is not None:
            return refusal
        with state._lock:
            events = list(state.trackers.get(sender, []))
        users = [e for e in events if e.get("event") == "user"]
        latest = {"text": users[-1]["text"], "metadata": users[-1]["metadata"]} if users else {}
        return {"sender_id": sender, "events": events, "latest_message": latest, "paused": False}

    @app.post("/conversations/{sender}/tracker/events", response_model=None)
    async def append(sender: str, request: Request) -> Any:
        if (refusal := refused(request)) is not None:
            return refusal
        events = await request.json()
        with state._lock:
            state.trackers.setdefault(sender, []).extend(events if isinstance(events, list) else [events])
        return {"sender_id": sender}

    return app
