"""What the chat service needs from the running application, and nothing more.

The application context (``api.deps.AppContext``, built in the lifespan) has these and more; the
chat service, the recorder and the Zalo channel depend on this protocol instead, so the context
can hold the Zalo channel without an import cycle (the channel routes its citizens' messages
through the chat service).
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import httpx

from core.settings import Settings


class Hub(Protocol):
    """Wakes the live streams of this process (``api.console.live.LiveHub``); named here by what
    the chat service does with it, so that chat does not import the console."""

    def publish(self) -> None: ...


class ChatContext(Protocol):
    settings: Settings
    http: httpx.AsyncClient  # the application's one client (Rasa, the action server, Zalo)
    background_tasks: set[asyncio.Task[Any]]  # work a reply must not wait for

    @property
    def hub(self) -> Hub: ...  # wakes the console's live streams when a handoff row is written
