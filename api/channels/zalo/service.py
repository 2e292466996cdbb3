"""The Zalo channel of one bridge process: accepts events, answers them through Rasa, fills the outbox.

The application lifespan builds one (``api.deps.AppContext.zalo``) from ``Settings.zalo``
(``TTHC_ZALO_*``), the bridge settings and HTTP client, and the shared database.
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from api.channels.zalo.client import ZaloApi, ZaloClient
from api.channels.zalo.messages import to_zalo_messages
from api.channels.zalo.tokens import TokenStore
from api.chat.context import ChatContext
from api.chat.schemas import BotMessage
from api.chat.service import apology, ask_assistant, handle_citizen_message
from core.privacy import sender_hash
from core.settings import Settings, ZaloSettings
from servicedesk.zalo import inbox

logger = logging.getLogger(__name__)

SENDER_PREFIX = "zalo-"  # the actions read the channel from this prefix (actions/common.py)
CHANNEL = "zalo"
TEXT_EVENT = "user_send_text"
# What a citizen can send besides text: answered with a polite note, Rasa is not asked.
NON_TEXT_EVENTS = frozenset(
    {
        "user_send_image",
        "user_send_gif",
        "user_send_sticker",
        "user_send_audio",
        "user_send_video",
        "user_send_file",
        "user_send_location",
        "user_send_link",
        "user_send_business_card",
    }
)
NON_TEXT_REPLY = (
    "Dạ, hiện em chỉ đọc được tin nhắn dạng chữ. Anh/chị vui lòng gõ câu hỏi về thủ tục hành chính "
    "(ví dụ: “làm căn cước cần giấy tờ gì?”) để em hỗ trợ ạ."
)
# A text longer than ``max_message_chars`` (the web API's limit too) is recorded under this name,
# without its text: it is answered with too_long_reply() and never reaches Rasa or the action
# server, whose work grows with the text (issue 12: one 320 KB message stopped the assistant).
TOO_LONG_EVENT = "user_send_text.too_long"


def too_long_reply(limit: int) -> str:
    """What a citizen reads after a message longer than ``limit`` characters."""
    shown = f"{limit:,}".replace(",", ".")  # Vietnamese thousands separator: 2.000
    return (
        f"Dạ, tin nhắn của anh/chị dài quá {shown} ký tự nên em chưa đọc được ạ. Anh/chị vui lòng gửi "
        f"câu hỏi ngắn gọn hơn, hoặc chia thành nhiều tin nhắn ngắn, mỗi tin không quá {shown} ký tự, "
        "để em hỗ trợ ạ."
    )


def log_tag(hashed: str) -> str:
    return hashed[:12]


def safe_event_name(value: Any) -> str:
    """An event name fit for a log line (Zalo's are lower-case words joined by underscores)."""
    return re.sub(r"[^a-z0-9_.]", "?", str(value)[:64].lower()) or "?"


class ZaloChannel:
    def __init__(
        self,
        settings: ZaloSettings,
        app_settings: Settings,
        http: httpx.AsyncClient,
        sessions: sessionmaker[Session],
    ) -> None:
        self.settings = settings
        self.app_settings = app_settings
        self.http = http
        self.sessions = sessions
        self.api = ZaloApi(settings, http)
        self.tokens = TokenStore(settings, sessions, self.api.refresh)
        self.client = ZaloClient(self.api, self.tokens)
        self.worker: Any = None  # worker.OutboxWorker once started
        self._sender_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._closing = False
        # The application's context (settings, HTTP client, live streams of the console), set by
        # the lifespan: the citizen's message is routed like a web one (Rasa, or the officer).
        self.context: ChatContext | None = None

    # -- incoming --------------------------------------------------------------------------------

    async def accept(self, event: dict[str, Any]) -> str:
        """Records a verified event and schedules its answer. Returns accepted / duplicate / ignored."""
        name = event.get("event_name")
        if name != TEXT_EVENT and name not in NON_TEXT_EVENTS:
            logger.info("zalo event ignored: %s", safe_event_name(name))
            return "ignored"
        sender: dict[str, Any] = event["sender"] if isinstance(event.get("sender"), dict) else {}
        message: dict[str, Any] = event["message"] if isinstance(event.get("message"), dict) else {}
        user_id = str(sender.get("id") or "").strip()
        msg_id = str(message.get("msg_id") or "").strip()
        text = message.get("text") if name == TEXT_EVENT else None
        if not user_id or not msg_id or len(user_id) > 64 or len(msg_id) > 128:
            logger.warning("zalo event %s without a usable sender id or msg_id: ignored", safe_event_name(name))
            return "ignored"
        if name == TEXT_EVENT and not (isinstance(text, str) and text.strip()):
            logger.info("zalo text event without text: ignored")
            return "ignored"
        hashed = sender_hash(SENDER_PREFIX + user_id)
        limit = self.app_settings.max_message_chars
        if name == TEXT_EVENT and isinstance(text, str) and len(text) > limit:
            # Neither stored nor passed on; still recorded under its msg_id, so a replay stays a duplicate.
            logger.info("zalo text from sender %s longer than %d characters: not passed on", log_tag(hashed), limit)
            name, text = TOO_LONG_EVENT, None
        is_new = await asyncio.to_thread(
            inbox.record,
            self.sessions,
            msg_id=msg_id,
            event_name=str(name),
            sender_hash=hashed,
            user_id=user_id,
            text=text,
        )
        if not is_new:
            logger.info("zalo duplicate event from sender %s ignored", log_tag(hashed))
            return "duplicate"
        logger.info("zalo event %s accepted from sender %s", name, log_tag(hashed))
        self.schedule(hashed)
        return "accepted"

    def schedule(self, hashed_sender: str) -> None:
        """Answers the citizen's waiting events in the background (in order, one at a time)."""
        if self._closing:
            return
        task = asyncio.create_task(self._answer_waiting(hashed_sender))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer_waiting(self, hashed_sender: str) -> None:
        lock = self._sender_locks.get(hashed_sender)
        if lock is None:
            lock = self._sender_locks[hashed_sender] = asyncio.Lock()
        async with lock:
            while not self._closing:
                event = await asyncio.to_thread(inbox.claim_next, self.sessions, hashed_sender)
                if event is None or not await self._answer(event):
                    return  # after a failure the worker picks the event up again later

    async def _answer(self, event: inbox.ClaimedEvent) -> bool:
        """Asks Rasa and queues the replies; False if the event could not be answered now."""
        tag = log_tag(event.sender_hash)
        if event.attempts > self.settings.inbound_max_attempts:
            await asyncio.to_thread(inbox.release, self.sessions, event, self.settings.inbound_max_attempts)
            logger.error("zalo event from sender %s given up after %d attempts", tag, event.attempts - 1)
            return True
        try:
            if event.event_name == TEXT_EVENT and event.text:
                replies, to_officer = await self._converse(SENDER_PREFIX + event.user_id, event.text)
            elif event.event_name == TOO_LONG_EVENT:
                replies, to_officer = [BotMessage(text=too_long_reply(self.app_settings.max_message_chars))], False
            else:
                replies, to_officer = [BotMessage(text=NON_TEXT_REPLY)], False
            # An officer answers a taken conversation from the console: nothing to send now.
            messages = [] if to_officer else self.render(replies)
            ids = await asyncio.to_thread(inbox.complete, self.sessions, event, event.sender_hash, messages)
        except asyncio.CancelledError:
            raise  # shutting down: the claim goes stale and the event is answered after the restart
        except Exception as exc:  # noqa: BLE001 - never lose the event silently
            status = await asyncio.to_thread(inbox.release, self.sessions, event, self.settings.inbound_max_attempts)
            logger.error("zalo event from sender %s not answered (%s): %s", tag, type(exc).__name__, status)
            return False
        logger.info("zalo sender %s: %d outgoing message(s) queued", tag, len(ids))
        self.wake()
        return True

    async def _converse(self, sender: str, text: str) -> tuple[list[BotMessage], bool]:
        """The replies, and whether the message went to the officer who has taken the conversation."""
        user_id = sender.removeprefix(SENDER_PREFIX)  # the identity Zalo signed for (client key for Rasa)
        if self.context is None:  # a channel built without the application: Rasa only
            answer = await ask_assistant(
                self.app_settings, self.http, sender=sender, channel=CHANNEL, text=text, client=user_id
            )
            return answer.replies, False
        turn = await handle_citizen_message(self.context, sender=sender, channel=CHANNEL, text=text, client=user_id)
        return turn.messages, turn.handled_by_agent

    def render(self, replies: list[BotMessage]) -> list[dict[str, Any]]:
        def zalo_messages(reply: BotMessage) -> list[dict[str, Any]]:
            return to_zalo_messages(
                reply, text_limit=self.settings.text_limit, card_image_url=self.settings.card_image_url
            )

        messages = [m for reply in replies for m in zalo_messages(reply)]
        if not messages:  # nothing Zalo can show: the citizen still gets an answer
            messages = zalo_messages(apology(self.app_settings))
        return messages

    # -- worker coordination ---------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    async def wait_for_work(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout)
        except TimeoutError:
            pass
        self._wake.clear()

    async def close(self, grace_seconds: float) -> None:
        """Stops taking new work and lets answers in progress finish (bounded)."""
        self._closing = True
        tasks = list(self._tasks)
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=grace_seconds)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
