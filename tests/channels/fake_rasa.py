"""A stand-in for Rasa's REST channel, for the channel tests only.

Rasa is a real component in the end-to-end tests; here the Zalo channel is under test, so a tiny
server speaking Rasa's REST channel wire format is enough: ``POST /webhooks/rest/webhook`` with
``{"sender": …, "message": …}`` answers a list such as
``[{"recipient_id": …, "text": …, "buttons": [{"title": …, "payload": …}]}, {"recipient_id": …, "custom": {…}}]``.
Served over real HTTP by ``tests.fakes.zalo.ThreadedServer``.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request


@dataclass
class FakeRasa:
    replies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # message → replies
    delay_seconds: float = 0.0
    calls: list[tuple[str, str]] = field(default_factory=list)  # (sender, message)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.replies.clear()
            self.calls.clear()
            self.delay_seconds = 0.0

    def answer(self, sender: str, message: str) -> list[dict[str, Any]]:
        replies = self.replies.get(message)
        if replies is None:
            replies = [{"text": f"Em đã nhận câu hỏi: {message}"}]
        return [{"recipient_id": sender, **reply} for reply in replies]


def create_app(state: FakeRasa) -> FastAPI:
    app = FastAPI(title="Fake Rasa REST channel")

    @app.post("/webhooks/rest/webhook")
    async def webhook(request: Request) -> list[dict[str, Any]]:
        body = await request.json()
        with state._lock:
            state.calls.append((body["sender"], body["message"]))
        if state.delay_seconds:
            await asyncio.sleep(state.delay_seconds)
        return state.answer(body["sender"], body["message"])

    return app
