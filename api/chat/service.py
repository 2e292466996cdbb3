"""A citizen's message: to Rasa (an apology when Rasa cannot answer), or to the officer who has
taken the conversation; Rasa's tracker read and appended to for the widget and the console."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from starlette.datastructures import State

from api.chat.schemas import BotMessage, HandoffInfo
from knowledge.db import session_scope
from knowledge.handoff import service as handoff
from knowledge.settings import Settings

logger = logging.getLogger(__name__)


def sender_tag(sender: str) -> str:
    """A short, non-reversible tag for logs: conversation ids can be Zalo user ids."""
    return hashlib.sha256(sender.encode()).hexdigest()[:10]


def apology(settings: Settings) -> BotMessage:
    return BotMessage(
        text=(
            "Xin lỗi anh/chị, hệ thống trợ lý đang gián đoạn nên em chưa trả lời được ngay. "
            f"Anh/chị vui lòng thử lại sau ít phút hoặc gọi tổng đài {settings.hotline} "
            "trong giờ hành chính để được hỗ trợ ạ."
        )
    )


class RasaUnavailableError(RuntimeError):
    pass


class RasaClient:
    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self._settings = settings
        self._client = client

    async def send(self, sender: str, message: str) -> list[BotMessage]:
        url = f"{self._settings.rasa_url}/webhooks/rest/webhook"
        started = time.perf_counter()
        try:
            response = await self._client.post(
                url, json={"sender": sender, "message": message}, timeout=self._settings.rasa_timeout_seconds
            )
            response.raise_for_status()
            payload = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("rasa unavailable for sender %s: %s", sender_tag(sender), type(exc).__name__)
            raise RasaUnavailableError(str(exc)) from exc
        logger.info(
            "turn sender=%s replies=%d ms=%.0f", sender_tag(sender), len(payload), (time.perf_counter() - started) * 1000
        )
        return [BotMessage.model_validate({k: v for k, v in item.items() if k != "recipient_id"}) for item in payload]


async def converse(client: RasaClient, settings: Settings, sender: str, message: str) -> list[BotMessage]:
    """The replies to show the citizen. Never raises: any failure becomes a polite apology.

    Rasa answers an empty list when a custom action failed (the action server is down), so an
    empty answer is treated as a failure too: the citizen must never be left without a reply.
    """
    try:
        replies = await client.send(sender, message)
    except RasaUnavailableError:
        return [apology(settings)]
    return replies or [apology(settings)]


# --- Rasa's tracker (Rasa runs with --enable-api) ---------------------------------------------


async def append_tracker_events(
    settings: Settings, client: httpx.AsyncClient, sender: str, events: list[dict[str, Any]]
) -> bool:
    """Appends events to the conversation's tracker; False (logged) when Rasa cannot be reached."""
    url = f"{settings.rasa_url}/conversations/{quote(sender, safe='')}/tracker/events"
    try:
        response = await client.post(
            url, json=events, params={"include_events": "NONE"}, timeout=settings.rasa_timeout_seconds
        )
        response.raise_for_status()
    except httpx.HTTPError as exc:
        logger.warning("tracker of sender %s not updated: %s", sender_tag(sender), type(exc).__name__)
        return False
    return True


async def fetch_tracker(settings: Settings, client: httpx.AsyncClient, sender: str) -> dict[str, Any] | None:
    """The conversation's tracker with its events since the last restart; None when Rasa cannot
    be reached."""
    url = f"{settings.rasa_url}/conversations/{quote(sender, safe='')}/tracker"
    try:
        response = await client.get(
            url, params={"include_events": "AFTER_RESTART"}, timeout=min(5.0, settings.rasa_timeout_seconds)
        )
        response.raise_for_status()
        tracker = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        logger.warning("tracker of sender %s unavailable: %s", sender_tag(sender), type(exc).__name__)
        return None
    if not isinstance(tracker, dict):
        logger.warning("tracker of sender %s unavailable: not an object", sender_tag(sender))
        return None
    return tracker


async def tracker_events(settings: Settings, client: httpx.AsyncClient, sender: str) -> list[dict[str, Any]] | None:
    """The tracker's events since the last restart; None when Rasa cannot be reached."""
    tracker = await fetch_tracker(settings, client, sender)
    if tracker is None:
        return None
    events = tracker.get("events")
    return events if isinstance(events, list) else []


# --- one routing function for every channel ----------------------------------------------------


@dataclass(frozen=True)
class CitizenTurn:
    messages: list[BotMessage]  # what to show the citizen now (none while an officer answers)
    handoff: HandoffInfo | None  # the conversation's open request for an officer, if any
    handled_by_agent: bool = False


def handoff_info(sender: str) -> HandoffInfo | None:
    """The conversation's request for an officer while it is waiting or taken (synchronous)."""
    with session_scope() as session:
        request = handoff.active_for_sender(session, sender)
        if request is None:
            return None
        return HandoffInfo(
            status=request.status,  # type: ignore[arg-type] - an active status
            cursor=handoff.last_message_id(session, sender),
            agent=handoff.agent_name_of(session, request),
        )


def _store_citizen_message(sender: str, text: str) -> int | None:
    """Keeps the citizen's words for the officer; None if the conversation is no longer taken."""
    with session_scope() as session:
        request = handoff.taken_for_sender(session, sender)
        if request is None:
            return None
        return handoff.record_citizen_message(session, request.id, text).id


def spawn(state: State, coroutine: Coroutine[Any, Any, Any], what: str) -> None:
    """Runs work the reply must not wait for; failures are logged (without any message text)."""
    tasks: set[asyncio.Task[Any]] | None = getattr(state, "background_tasks", None)
    if tasks is None:
        tasks = state.background_tasks = set()

    async def guarded() -> None:
        try:
            await coroutine
        except Exception as exc:  # noqa: BLE001 - background bookkeeping never breaks a conversation
            logger.warning("%s failed: %s", what, type(exc).__name__)

    task = asyncio.create_task(guarded())
    tasks.add(task)
    task.add_done_callback(tasks.discard)


def _record_bot_turn(state: State, *, sender: str, channel: str, text: str, unit: str | None) -> None:
    try:
        from api.conversations.recorder import record_bot_turn
    except ImportError:  # the recorder is optional for the conversation itself
        return
    spawn(state, record_bot_turn(state, sender=sender, channel=channel, text=text, unit=unit), "recording a bot turn")


def _record_agent_turn(state: State, *, sender: str, channel: str, text: str, unit: str | None) -> None:
    try:
        from api.conversations.recorder import record_agent_turn
    except ImportError:
        return
    spawn(
        state,
        asyncio.to_thread(record_agent_turn, sender=sender, channel=channel, text=text, unit=unit),
        "recording an agent-handled turn",
    )


async def handle_citizen_message(
    state: State, *, sender: str, channel: str, text: str, unit: str | None = None
) -> CitizenTurn:
    """What happens to a citizen's message, whatever the channel (web widget, Zalo).

    While an officer has taken the conversation the message goes to the officer (stored, shown
    live in the console) and to Rasa only so that its tracker keeps the whole conversation: Rasa's
    tracker is paused then and predicts nothing, and its empty answer must not become an apology.
    Otherwise Rasa answers as usual.
    """
    from api.console.live import get_hub  # the console's live streams are woken by this process

    settings, http = state.settings, state.http
    client = RasaClient(settings, http)
    message_id = await asyncio.to_thread(_store_citizen_message, sender, text)
    if message_id is not None:
        get_hub(state).publish()
        try:
            await client.send(sender, text)  # replies, if any (a failed pause), are not the officer's
        except RasaUnavailableError:
            pass  # the officer has the message; the tracker misses one line
        _record_agent_turn(state, sender=sender, channel=channel, text=text, unit=unit)
        return CitizenTurn([], await asyncio.to_thread(handoff_info, sender), handled_by_agent=True)
    replies = await converse(client, settings, sender, text)
    _record_bot_turn(state, sender=sender, channel=channel, text=text, unit=unit)
    return CitizenTurn(replies, await asyncio.to_thread(handoff_info, sender))
