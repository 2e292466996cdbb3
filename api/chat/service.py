"""A citizen's message: to Rasa (an apology when Rasa cannot answer), or to the officer who has
taken the conversation.

Every message the bridge passes to Rasa goes through this module, and Rasa is reached only through
its gateway (``api.rasa.gateway``). Three rules hold here for every channel:

- a conversation id belongs to the channel that received the message (``web-…`` for the widget,
  ``zalo-<user id>`` built by the Zalo webhook), checked again before anything reaches Rasa;
- each message carries ``metadata`` ``{"channel", "client"}``: the receiving channel and a keyed,
  non-reversible key of the client behind it (web: its address; Zalo: the user id), which the
  actions read from ``tracker.latest_message["metadata"]`` (Rasa keeps the REST channel's
  ``metadata`` on the ``UserUttered`` event and in its parse data); a widget message also carries
  ``unit_code``, the official code of the unit its page names (data-unit), when it names one;
- a citizen's text is never taken by Rasa as a command (``/restart``, ``/intent{...}``) unless it
  is the payload of a button the assistant offered since the citizen's previous message.

Each answered message is recorded (``api.conversations.recorder``) off the reply's path.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, NamedTuple

import httpx
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from api.chat.context import ChatContext
from api.chat.schemas import WEB_SENDER_PREFIX, BotMessage, HandoffInfo
from api.conversations import recorder
from api.metrics import count_fallback
from api.rasa import tracker
from api.rasa.gateway import RasaGateway, RasaUnavailable, sender_tag
from core.db import database_key, session_scope, utcnow
from core.privacy import client_key
from core.settings import Settings, get_settings
from servicedesk.conversations.units import official_unit_code
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


def apology(settings: Settings) -> BotMessage:
    return BotMessage(
        text=(
            "Xin lỗi anh/chị, hệ thống trợ lý đang gián đoạn nên em chưa trả lời được ngay. "
            f"Anh/chị vui lòng thử lại sau ít phút hoặc gọi tổng đài {settings.hotline} "
            "trong giờ hành chính để được hỗ trợ ạ."
        )
    )


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


def message_metadata(channel: str, client: str, unit_code: str | None = None) -> dict[str, str]:
    """What Rasa keeps with the message (``metadata`` of the user event): the receiving channel, a
    keyed hash of the client's verifiable identity (never the address or the user id itself) and,
    when the widget's page names a unit without doubt, that unit's official code (``unit_code``)."""
    metadata = {"channel": channel, "client": client_key(channel, client, get_settings().dossier.pepper_bytes)}
    if unit_code:
        metadata["unit_code"] = unit_code
    return metadata


# --- the page's unit: data-unit text → official code, remembered per text ----------------------

# Every message of a widget carries the same data-unit text; resolving it costs a database round
# trip, so each text's code is kept a while (per database: tests and deployments may switch). The
# text comes from any site, so the table is bounded and the oldest entries make room.
UNIT_CACHE_SECONDS = 600.0
UNIT_CACHE_SIZE = 512
_unit_codes: dict[tuple[str, str], tuple[float, str | None]] = {}


def _resolve_unit(unit: str) -> str | None:
    with session_scope() as session:
        key = (database_key(session), unit)
        cached = _unit_codes.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[0] < UNIT_CACHE_SECONDS:
            return cached[1]
        code = official_unit_code(session, unit)
    if len(_unit_codes) >= UNIT_CACHE_SIZE:
        for old in sorted(_unit_codes, key=lambda k: _unit_codes[k][0])[: UNIT_CACHE_SIZE // 4]:
            _unit_codes.pop(old, None)
    _unit_codes[key] = (now, code)
    return code


async def unit_code_of(unit: str | None) -> str | None:
    """The official code of the unit a widget's data-unit names (a code, or a current or former
    name: servicedesk/conversations/units.py), None when it names none or cannot be read now."""
    if not unit or not unit.strip():
        return None
    try:
        return await asyncio.to_thread(_resolve_unit, unit.strip())
    except SQLAlchemyError as exc:  # the answer matters more than the unit
        logger.warning("unit of a widget page not resolved: %s", type(exc).__name__)
        return None


def clear_unit_cache() -> None:
    _unit_codes.clear()


async def send_to_rasa(
    rasa: RasaGateway, sender: str, message: str, *, channel: str, client: str, unit_code: str | None = None
) -> list[BotMessage]:
    """One message to Rasa's REST channel, as ``channel`` received it from ``client`` (its
    address for the web, the user id for Zalo); raises RasaUnavailable. ``message`` is sent as it
    is: see ``text_for_rasa`` for what a citizen's text must go through first."""
    check_sender(channel, sender)
    answered = await rasa.send(sender, message, metadata=message_metadata(channel, client, unit_code))
    try:
        return [BotMessage.model_validate({k: v for k, v in item.items() if k != "recipient_id"}) for item in answered]
    except ValidationError as exc:
        logger.warning("rasa answered sender %s with unreadable messages", sender_tag(sender))
        raise RasaUnavailable("send", "unreadable messages") from exc


async def converse(
    rasa: RasaGateway,
    settings: Settings,
    sender: str,
    message: str,
    *,
    channel: str,
    client: str,
    unit_code: str | None = None,
) -> list[BotMessage]:
    """The replies to show the citizen. Never raises: any failure becomes a polite apology.

    Rasa answers an empty list when a custom action failed (the action server is down), so an
    empty answer is treated as a failure too: the citizen must never be left without a reply.
    """
    try:
        replies = await send_to_rasa(rasa, sender, message, channel=channel, client=client, unit_code=unit_code)
    except RasaUnavailable:
        count_fallback(channel)
        return [apology(settings)]
    if not replies:
        count_fallback(channel)
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


async def text_for_rasa(rasa: RasaGateway, sender: str, text: str) -> str:
    """What Rasa is given for a citizen's ``text``: the text itself, unless it looks like a command
    and is not the payload of a button just offered (a button press sends its payload as the
    message, on the widget and on Zalo alike), in which case its plain-text form.

    Only a text that looks like a command costs a tracker read; one that cannot be checked (Rasa
    unreachable) is treated as typed."""
    if not looks_like_command(text):
        return text
    try:
        offered = tracker.offered_payloads(tracker.events_of(await rasa.tracker(sender)))
    except RasaUnavailable:
        offered = frozenset()
    if text.strip() in offered:
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
    rasa = RasaGateway.from_settings(settings, http)
    return await _assistant_answer(rasa, settings, sender=sender, channel=channel, text=text, client=client)


async def _assistant_answer(
    rasa: RasaGateway,
    settings: Settings,
    *,
    sender: str,
    channel: str,
    text: str,
    client: str,
    unit_code: str | None = None,
) -> AssistantAnswer:
    check_sender(channel, sender)
    rasa_text = await text_for_rasa(rasa, sender, text)
    replies = await converse(rasa, settings, sender, rasa_text, channel=channel, client=client, unit_code=unit_code)
    return AssistantAnswer(replies, rasa_text)


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
            status=request.status,  # an active status: queued, out_of_hours or taken
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


def spawn(context: ChatContext, coroutine: Coroutine[Any, Any, Any], what: str) -> None:
    """Runs work the reply must not wait for; failures are logged (without any message text)."""
    tasks = context.background_tasks  # held there so that running tasks are not garbage-collected

    async def guarded() -> None:
        try:
            await coroutine
        except Exception as exc:  # noqa: BLE001 - background bookkeeping never breaks a conversation
            logger.warning("%s failed: %s", what, type(exc).__name__)

    task = asyncio.create_task(guarded())
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def handle_citizen_message(
    context: ChatContext, *, sender: str, channel: str, text: str, client: str, unit: str | None = None
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
    check_sender(channel, sender)
    settings = context.settings
    rasa = RasaGateway.from_settings(settings, context.http)
    try:
        message_id = await asyncio.to_thread(_store_citizen_message, sender, text)
    except SQLAlchemyError as exc:
        # The database is down: whether an officer holds the conversation is unknown, and Rasa's
        # tracker store and the actions need the database too. The citizen gets the apology (with
        # the hotline), never an error page; nothing was stored, so nothing is half-done.
        logger.warning("database unavailable for a citizen message: %s", type(exc).__name__)
        count_fallback(channel)
        return CitizenTurn([apology(settings)], None)
    unit_code = await unit_code_of(unit)  # actions read it from the message's metadata
    if message_id is not None:
        context.hub.publish()  # the console's live streams are woken by this process
        rasa_text = await text_for_rasa(rasa, sender, text)  # a paused tracker still obeys /restart
        try:  # replies, if any (a failed pause), are not the officer's
            await send_to_rasa(rasa, sender, rasa_text, channel=channel, client=client, unit_code=unit_code)
        except RasaUnavailable:
            pass  # the officer has the message; the tracker misses one line
        spawn(
            context,
            recorder.record_agent_turn(sender=sender, channel=channel, text=text, unit_code=unit_code, at=utcnow()),
            "recording an agent-handled turn",
        )
        return CitizenTurn([], await asyncio.to_thread(handoff_info, sender), handled_by_agent=True)
    answer = await _assistant_answer(
        rasa, settings, sender=sender, channel=channel, text=text, client=client, unit_code=unit_code
    )
    # The recorder finds this message in the tracker by the text Rasa was given.
    spawn(
        context,
        recorder.record_bot_turn(
            rasa, sender=sender, channel=channel, text=answer.rasa_text, unit_code=unit_code, at=utcnow()
        ),
        "recording a bot turn",
    )
    try:
        open_request = await asyncio.to_thread(handoff_info, sender)
    except SQLAlchemyError:  # the answer is given; only the "an officer will call" banner is missing
        open_request = None
    return CitizenTurn(answer.replies, open_request)
