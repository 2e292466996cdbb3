"""A citizen's message: to Rasa (an apology when Rasa cannot answer), or to the officer who has
taken the conversation; Rasa's tracker read and appended to for the widget and the console.

Every call the bridge makes to Rasa about a conversation goes through this module. Three rules hold here for every
channel:

- a conversation id belongs to the channel that received the message (``web-…`` for the widget,
  ``zalo-<user id>`` built by the Zalo webhook), checked again before anything reaches Rasa;
- each message carries ``metadata`` ``{"channel", "client"}``: the receiving channel and a keyed,
  non-reversible key of the client behind it (web: its address; Zalo: the user id), which the
  actions read from ``tracker.latest_message["metadata"]`` (Rasa keeps the REST channel's
  ``metadata`` on the ``UserUttered`` event and in its parse data);
- a citizen's text is never taken by Rasa as a command (``/restart``, ``/intent{...}``) unless it
  is the payload of a button the assistant offered since the citizen's previous message.

Rasa's HTTP API (tracker reads and writes) is called with ``token=`` when ``settings.rasa_token``
is set (``rasa run --auth-token``); the REST channel webhook takes no token.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import quote

import httpx
from starlette.datastructures import State

from api.chat.schemas import WEB_SENDER_PREFIX, BotMessage, HandoffInfo
from core.db import session_scope
from core.privacy import client_key
from core.settings import Settings
from servicedesk.dossiers.config import get_dossier_settings
from servicedesk.handoff import service as handoff

logger = logging.getLogger(__name__)

# Each channel's conversation ids start with its prefix; the Zalo one is
# api.channels.zalo.service.SENDER_PREFIX (which imports this module, hence the literal here).
SENDER_PREFIXES: dict[str, str] = {"web": WEB_SENDER_PREFIX, "zalo": "zalo-"}
# rasa.shared.constants.INTENT_MESSAGE_PREFIX: Rasa's RegexMessageHandler reads a message whose
# text, once str.strip()-ed, starts with it as "/intent{entities}" and skips the NLU
# (YAMLStoryReader.unpack_regex_message).
INTENT_MESSAGE_PREFIX = "/"
FULLWIDTH_SOLIDUS = "\uff0f"


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


class ChannelMismatchError(ValueError):
    """A conversation id that is not one of the receiving channel's: never passed on."""


def channel_of_sender(sender: str) -> str | None:
    """The channel whose conversation ids look like ``sender`` (None for none)."""
    for channel, prefix in SENDER_PREFIXES.items():
        if sender.startswith(prefix) and len(sender) > len(prefix):
            return channel
    return None


def check_sender(channel: str, sender: str) -> None:
    """Refuses a conversation id that does not belong to ``channel`` (the receiving channel)."""
    if channel_of_sender(sender) != channel:
        logger.warning("sender %s refused: not a conversation id of channel %s", sender_tag(sender), channel)
        raise ChannelMismatchError(f"not a {channel} conversation id")


def rasa_api_params(settings: Settings, **params: str) -> dict[str, str]:
    """Query parameters of a call to Rasa's HTTP API: ``token`` when Rasa runs with --auth-token."""
    return {**params, "token": settings.rasa_token} if settings.rasa_token else dict(params)


def message_metadata(channel: str, client: str) -> dict[str, str]:
    """What Rasa keeps with the message (``metadata`` of the user event): the receiving channel and
    a keyed hash of the client's verifiable identity. Never the address or the user id itself."""
    return {"channel": channel, "client": client_key(channel, client, get_dossier_settings().pepper_bytes)}


class RasaClient:
    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self._settings = settings
        self._client = client

    async def send(self, sender: str, message: str, *, channel: str, client: str) -> list[BotMessage]:
        """One message to Rasa's REST channel, as ``channel`` received it from ``client`` (its
        address for the web, the user id for Zalo). ``message`` is sent as it is: see
        ``text_for_rasa`` for what a citizen's text must go through first."""
        check_sender(channel, sender)
        url = f"{self._settings.rasa_url}/webhooks/rest/webhook"
        body = {"sender": sender, "message": message, "metadata": message_metadata(channel, client)}
        started = time.perf_counter()
        try:
            response = await self._client.post(url, json=body, timeout=self._settings.rasa_timeout_seconds)
            response.raise_for_status()
            payload = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("rasa unavailable for sender %s: %s", sender_tag(sender), type(exc).__name__)
            raise RasaUnavailableError(str(exc)) from exc
        logger.info(
            "turn sender=%s replies=%d ms=%.0f",
            sender_tag(sender),
            len(payload),
            (time.perf_counter() - started) * 1000,
        )
        return [BotMessage.model_validate({k: v for k, v in item.items() if k != "recipient_id"}) for item in payload]


async def converse(
    rasa: RasaClient, settings: Settings, sender: str, message: str, *, channel: str, client: str
) -> list[BotMessage]:
    """The replies to show the citizen. Never raises: any failure becomes a polite apology.

    Rasa answers an empty list when a custom action failed (the action server is down), so an
    empty answer is treated as a failure too: the citizen must never be left without a reply.
    """
    try:
        replies = await rasa.send(sender, message, channel=channel, client=client)
    except RasaUnavailableError:
        return [apology(settings)]
    return replies or [apology(settings)]


# --- a citizen's text is never a Rasa command ---------------------------------------------------


def looks_like_command(text: str) -> bool:
    """Whether Rasa would try to read ``text`` as ``/intent{entities}`` (same test as Rasa's)."""
    return text.strip().startswith(INTENT_MESSAGE_PREFIX)


def as_plain_text(text: str) -> str:
    """``text`` without the leading slashes (and spaces between them) that would make it a command,
    so the NLU reads it like any sentence: "/restart" → "restart". A text of slashes only keeps
    them as full-width solidi ("／"), which are no command either."""
    plain = text
    while True:
        plain = plain.lstrip()  # Rasa strips with str.strip() before looking for the prefix
        if not plain.startswith(INTENT_MESSAGE_PREFIX):
            break
        plain = plain.lstrip(INTENT_MESSAGE_PREFIX)
    return plain or text.replace(INTENT_MESSAGE_PREFIX, FULLWIDTH_SOLIDUS)


def offered_payloads(events: list[Any]) -> frozenset[str]:
    """Payloads of the buttons the assistant showed since the citizen's previous message.

    The widget retires older buttons once the citizen writes again; a Zalo button pressed later
    answers a question no longer asked, and is read as text like anything typed."""
    payloads: set[str] = set()
    for event in reversed(events):
        if not isinstance(event, dict):
            continue
        if event.get("event") == "user":
            break
        if event.get("event") != "bot":
            continue
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        buttons = data.get("buttons") if isinstance(data.get("buttons"), list) else []
        payloads.update(
            b["payload"].strip() for b in buttons if isinstance(b, dict) and isinstance(b.get("payload"), str)
        )
    return frozenset(p for p in payloads if p)


async def text_for_rasa(settings: Settings, client: httpx.AsyncClient, sender: str, text: str) -> str:
    """What Rasa is given for a citizen's ``text``: the text itself, unless it looks like a command
    and is not the payload of a button just offered (a button press sends its payload as the
    message, on the widget and on Zalo alike), in which case its plain-text form.

    Only a text that looks like a command costs a tracker read; one that cannot be checked (Rasa
    unreachable) is treated as typed."""
    if not looks_like_command(text):
        return text
    events = await tracker_events(settings, client, sender)
    if events is not None and text.strip() in offered_payloads(events):
        return text
    logger.info("sender %s: text starting with %r passed on as plain text", sender_tag(sender), INTENT_MESSAGE_PREFIX)
    return as_plain_text(text)


class AssistantAnswer(NamedTuple):
    replies: list[BotMessage]
    rasa_text: str  # the text Rasa was given (what its tracker's user event holds)


async def ask_assistant(
    settings: Settings, http: httpx.AsyncClient, *, sender: str, channel: str, text: str, client: str
) -> AssistantAnswer:
    """A citizen's message answered by the assistant (never raises; an apology on failure)."""
    check_sender(channel, sender)
    rasa_text = await text_for_rasa(settings, http, sender, text)
    replies = await converse(RasaClient(settings, http), settings, sender, rasa_text, channel=channel, client=client)
    return AssistantAnswer(replies, rasa_text)


# --- Rasa's tracker (Rasa runs with --enable-api) ---------------------------------------------


async def append_tracker_events(
    settings: Settings, client: httpx.AsyncClient, sender: str, events: list[dict[str, Any]]
) -> bool:
    """Appends events to the conversation's tracker; False (logged) when Rasa cannot be reached."""
    url = f"{settings.rasa_url}/conversations/{quote(sender, safe='')}/tracker/events"
    try:
        response = await client.post(
            url,
            json=events,
            params=rasa_api_params(settings, include_events="NONE"),
            timeout=settings.rasa_timeout_seconds,
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
            url,
            params=rasa_api_params(settings, include_events="AFTER_RESTART"),
            timeout=min(5.0, settings.rasa_timeout_seconds),
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
    state: State, *, sender: str, channel: str, text: str, client: str, unit: str | None = None
) -> CitizenTurn:
    """What happens to a citizen's message, whatever the channel (web widget, Zalo).

    ``channel`` is the channel that received the message and ``client`` the identity it verified
    (web: the client's address; Zalo: the user id of the signed event); a ``sender`` that is not
    one of ``channel``'s conversation ids raises ChannelMismatchError and nothing is done.

    While an officer has taken the conversation the message goes to the officer (stored, shown
    live in the console) and to Rasa only so that its tracker keeps the whole conversation: Rasa's
    tracker is paused then and predicts nothing, and its empty answer must not become an apology.
    Otherwise Rasa answers as usual.
    """
    from api.console.live import get_hub  # the console's live streams are woken by this process

    check_sender(channel, sender)
    settings, http = state.settings, state.http
    message_id = await asyncio.to_thread(_store_citizen_message, sender, text)
    if message_id is not None:
        get_hub(state).publish()
        rasa_text = await text_for_rasa(settings, http, sender, text)  # a paused tracker still obeys /restart
        try:  # replies, if any (a failed pause), are not the officer's
            await RasaClient(settings, http).send(sender, rasa_text, channel=channel, client=client)
        except RasaUnavailableError:
            pass  # the officer has the message; the tracker misses one line
        _record_agent_turn(state, sender=sender, channel=channel, text=text, unit=unit)
        return CitizenTurn([], await asyncio.to_thread(handoff_info, sender), handled_by_agent=True)
    answer = await ask_assistant(settings, http, sender=sender, channel=channel, text=text, client=client)
    # The recorder finds this message in the tracker by the text Rasa was given.
    _record_bot_turn(state, sender=sender, channel=channel, text=answer.rasa_text, unit=unit)
    return CitizenTurn(answer.replies, await asyncio.to_thread(handoff_info, sender))
