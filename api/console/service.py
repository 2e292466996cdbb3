"""The hotline console's actions on a conversation, and what each one tells Rasa and the citizen.

The database change (``servicedesk.handoff.service``), its audit entry and, for Zalo, the outbox
rows that carry it to the citizen are one transaction. Then Rasa's tracker is told (``pause``
when an officer takes the conversation, ``resume`` when it is handed back, the officer's lines as
bot events marked ``{"agent": true}`` so the widget's history shows them after a reload), the Zalo
worker is woken and the live streams of this process are woken. If Rasa cannot be reached the
change stands: the bridge routes by the database, not by Rasa's pause.

Replies go out through the channel stored on the request by the channel that received the
citizen's message, never one guessed from the conversation id; a request whose stored channel and
conversation id disagree is refused (logged, nothing sent), a defence in depth behind the bridge's
own check (``api.chat.service.check_sender``).

Any officer may read any conversation (supervision, a shift hand-over), but only the officer who
took it may reply or hand it back; reading a conversation another officer took is written to the
audit log (``handoff.read``), and the live stream does not carry the words of such conversations to
the other officers (they open it, which is audited).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from api.channels.zalo.messages import to_zalo_messages
from api.channels.zalo.service import SENDER_PREFIX
from api.chat.schemas import BotMessage
from api.chat.service import channel_of_sender
from api.console.live import LiveEvent
from api.deps import AppContext
from api.rasa import tracker
from api.rasa.gateway import RasaGateway, RasaUnavailable, sender_tag
from core.audit.service import record
from core.db import session_scope, utcnow
from core.labels import CHAT_CHANNEL_LABELS
from core.privacy import sender_hash
from knowledge.procedures import service as procedures
from servicedesk.handoff import presence
from servicedesk.handoff import service as handoff
from servicedesk.handoff.models import HandoffMessage, HandoffRequest
from servicedesk.handoff.service import Agent, HandoffConflict, actor_of
from servicedesk.zalo import outbox

logger = logging.getLogger(__name__)

STATUS_LABELS = {
    "queued": "Đang chờ",
    "out_of_hours": "Ngoài giờ",
    "taken": "Đang hỗ trợ",
    "closed": "Đã trả lại trợ lý",
}
HISTORY_LIMIT = 100


# --- what the console is sent ------------------------------------------------------------------


def iso(moment: dt.datetime | None) -> str | None:
    """Naive UTC from the store → ISO 8601 with an explicit zone, for the browser's clock."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def request_view(
    request: HandoffRequest, viewer: str, names: dict[str, str], agent_name: str | None = None
) -> dict[str, Any]:
    """A request as the console shows it. The citizen is a short pseudonymous tag, not their id."""
    created = request.created_at or utcnow()
    channel = request.channel if request.channel in CHAT_CHANNEL_LABELS else "web"
    return {
        "id": request.id,
        "channel": channel,
        "channel_label": CHAT_CHANNEL_LABELS[channel],
        "citizen": f"{CHAT_CHANNEL_LABELS[channel]} #{sender_hash(request.sender_id)[:6]}",
        "tag": f"#{sender_hash(request.sender_id)[:6]}",
        "status": request.status,
        "status_label": STATUS_LABELS.get(request.status, request.status),
        "reason": request.reason,
        "procedure_code": request.procedure_code,
        "procedure_name": names.get(request.procedure_code or ""),
        "unit_code": request.unit_code,
        "created_at": iso(created),
        "waiting_seconds": max(0, int((utcnow() - created).total_seconds())),
        "taken_by": request.taken_by,
        "taken_by_name": agent_name,
        "taken_at": iso(request.taken_at),
        "mine": request.status == "taken" and request.taken_by == viewer,
    }


def message_view(message: HandoffMessage, *, withhold_text: bool = False) -> dict[str, Any]:
    return {
        "id": message.id,
        "request_id": message.request_id,
        "author": message.author,
        "kind": message.kind,
        "text": None if withhold_text else message.text,
        "agent": message.agent_name,
        "agent_username": message.agent_username,
        "created_at": iso(message.created_at),
    }


def _taken_by_other(request: HandoffRequest, viewer: str) -> bool:
    """Whether ``request`` was taken by an officer other than ``viewer`` (still, or before it closed)."""
    return request.taken_by is not None and request.taken_by != viewer


def _view(session: Session, request: HandoffRequest, viewer: str) -> dict[str, Any]:
    names = procedures.names_by_code(session, {request.procedure_code} if request.procedure_code else set())
    return request_view(request, viewer, names, handoff.agent_name_of(session, request))


def queue_snapshot(viewer: str, unit_code: str | None = None) -> dict[str, Any]:
    with session_scope() as session:
        requests = handoff.queue(session, unit_code=unit_code)
        names = procedures.names_by_code(session, {r.procedure_code for r in requests if r.procedure_code})
        return {
            "cursor": handoff.last_message_id(session),
            "requests": [request_view(r, viewer, names, handoff.agent_name_of(session, r)) for r in requests],
        }


def console_events(cursor: int, viewer: str) -> list[LiveEvent]:
    """Log lines after ``cursor`` with their request as it is now (the console upserts its queue)."""
    with session_scope() as session:
        rows = handoff.messages_after(session, cursor)
        names = procedures.names_by_code(session, {r.procedure_code for _m, r in rows if r.procedure_code})
        views: dict[int, dict[str, Any]] = {}
        events = []
        for message, request in rows:
            if request.id not in views:
                views[request.id] = request_view(request, viewer, names, handoff.agent_name_of(session, request))
            # The words of a conversation another officer took are read by opening it (audited).
            withhold = message.kind == "message" and _taken_by_other(request, viewer)
            events.append(
                LiveEvent(
                    id=message.id,
                    name="handoff",
                    data={"message": message_view(message, withhold_text=withhold), "request": views[request.id]},
                )
            )
        return events


def ping(username: str, within_seconds: int) -> dict[str, Any]:
    """The officer's console is open: counts them as on duty (servicedesk/handoff/presence.py)."""
    with session_scope() as session:
        presence.touch(session, username)
        online = presence.officers_online(session, within_seconds=within_seconds)
    return {"online": online, "within_seconds": within_seconds}


# --- what the citizen is told, and Rasa's tracker ----------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One line for the citizen, decided inside the transaction, carried out after it."""

    sender: str
    message_id: int
    kind: str
    text: str
    agent_name: str | None
    tracker_before: tuple[dict[str, Any], ...] = ()  # "pause" / "resume" before the line


def _zalo_text(message: HandoffMessage) -> str:
    # Zalo shows every message as the Official Account's: the officer's lines say who wrote them.
    if message.kind == "message":
        return f"{handoff.officer_title(message.agent_name)}: {message.text}"
    return message.text


MISROUTED = (
    "Không gửi được tin trong cuộc trò chuyện này: kênh đã lưu của yêu cầu không khớp với mã hội thoại. "
    "Sự việc đã được ghi lại; anh/chị vui lòng báo quản trị viên."
)


def reply_channel(request: HandoffRequest) -> str | None:
    """The channel to answer through: the one stored on the request by the channel that received
    the citizen's message. None (logged) when the conversation id is not one of that channel's:
    such a request is never answered."""
    if request.channel in CHAT_CHANNEL_LABELS and channel_of_sender(request.sender_id) == request.channel:
        return request.channel
    logger.error(
        "handoff request %d: stored channel %r disagrees with its conversation id (sender %s); nothing sent",
        request.id,
        request.channel[:16],
        sender_tag(request.sender_id),
    )
    return None


def _enqueue_for_zalo(session: Session, request: HandoffRequest, message: HandoffMessage, text_limit: int) -> None:
    user_id = request.sender_id[len(SENDER_PREFIX) :]
    messages = to_zalo_messages(BotMessage(text=_zalo_text(message)), text_limit=text_limit)
    outbox.enqueue(session, user_id, sender_hash(request.sender_id), messages)


def _bot_event(delivery: Delivery) -> dict[str, Any]:
    return {
        "event": "bot",
        "text": delivery.text,
        "timestamp": time.time(),
        "metadata": {
            "agent": True,
            "handoff_message_id": delivery.message_id,
            "handoff_kind": delivery.kind,
            "agent_name": delivery.agent_name,
        },
    }


async def _carry_out(context: AppContext, delivery: Delivery, to_zalo: bool) -> bool:
    """After the commit: Rasa's tracker, the Zalo worker, the live streams. True if Rasa has it."""
    context.hub.publish()
    if to_zalo:
        context.zalo.wake()
    events = [*delivery.tracker_before, _bot_event(delivery)]
    try:
        await RasaGateway.from_settings(context.settings, context.http).append_events(delivery.sender, events)
    except RasaUnavailable:
        return False  # the change stands: the bridge routes by the database, not by Rasa's pause
    return True


def _zalo_text_limit(context: AppContext) -> int:
    return context.zalo.settings.text_limit


def _deliver_in_session(
    session: Session, request: HandoffRequest, message: HandoffMessage, text_limit: int, *before: dict[str, Any]
) -> tuple[Delivery, bool]:
    """What to tell the citizen, through the request's stored channel; refuses a misrouted request."""
    channel = reply_channel(request)
    if channel is None:
        raise HandoffConflict(MISROUTED)
    to_zalo = channel == "zalo"
    if to_zalo:
        _enqueue_for_zalo(session, request, message, text_limit)
    delivery = Delivery(request.sender_id, message.id, message.kind, message.text, message.agent_name, before)
    return delivery, to_zalo


async def take(context: AppContext, request_id: int, agent: Agent) -> dict[str, Any]:
    text_limit = _zalo_text_limit(context)

    def work() -> tuple[Delivery, bool, dict[str, Any]]:
        with session_scope() as session:
            if reply_channel(handoff.get_request(session, request_id)) is None:
                raise HandoffConflict(MISROUTED)
            message = handoff.take(session, request_id, agent)
            request = handoff.get_request(session, request_id)
            delivery, to_zalo = _deliver_in_session(session, request, message, text_limit, {"event": "pause"})
            return delivery, to_zalo, _view(session, request, agent.username)

    delivery, to_zalo, view = await asyncio.to_thread(work)
    synced = await _carry_out(context, delivery, to_zalo)
    return {"request": view, "assistant_paused": synced}


async def reply(context: AppContext, request_id: int, agent: Agent, text: str) -> dict[str, Any]:
    text_limit = _zalo_text_limit(context)

    def work() -> tuple[Delivery, bool, dict[str, Any]]:
        with session_scope() as session:
            message = handoff.post_agent_reply(session, request_id, agent, text)
            request = handoff.get_request(session, request_id)
            delivery, to_zalo = _deliver_in_session(session, request, message, text_limit)
            return delivery, to_zalo, message_view(message)

    delivery, to_zalo, view = await asyncio.to_thread(work)
    await _carry_out(context, delivery, to_zalo)
    return {"message": view}


async def hand_back(context: AppContext, request_id: int, agent: Agent, *, override: bool) -> dict[str, Any]:
    text_limit = _zalo_text_limit(context)
    hotline = context.settings.hotline

    def work() -> tuple[Delivery | None, bool, dict[str, Any]]:
        with session_scope() as session:
            message, _was_taken = handoff.hand_back(session, request_id, agent, hotline=hotline, override=override)
            request = handoff.get_request(session, request_id)
            if reply_channel(request) is None:  # closed (the queue must not keep it), but nobody is told
                return None, False, _view(session, request, agent.username)
            # "resume" even for a request nobody took: harmless, and it lifts a pause left behind.
            delivery, to_zalo = _deliver_in_session(session, request, message, text_limit, {"event": "resume"})
            return delivery, to_zalo, _view(session, request, agent.username)

    delivery, to_zalo, view = await asyncio.to_thread(work)
    synced = await _carry_out(context, delivery, to_zalo) if delivery is not None else False
    return {"request": view, "assistant_resumed": synced}


# --- the conversation so far -------------------------------------------------------------------


def _timestamp(moment: dt.datetime | None) -> float | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC).timestamp() if moment.tzinfo is None else moment.timestamp()


def history_before(events: list[dict[str, Any]], until: float | None) -> list[dict[str, Any]]:
    """What was said with the assistant before the officer took the conversation (Rasa's tracker).

    After that moment the console shows the handoff log instead, which has the same lines."""
    return tracker.history_from_events(tracker.events_before(events, until), limit=HISTORY_LIMIT)


def _audit_read(session: Session, request: HandoffRequest, viewer: Agent) -> None:
    """A conversation another officer took is open to every officer (supervision, shift hand-over);
    each reading is on the record: who read whose conversation, and when."""
    record(
        session,
        actor=actor_of(viewer),
        action="handoff.read",
        entity_type="handoff_request",
        entity_id=str(request.id),
        after={"status": request.status, "taken_by": request.taken_by},
    )


async def conversation(context: AppContext, request_id: int, viewer: Agent) -> dict[str, Any]:
    def work() -> tuple[str, float | None, dict[str, Any], list[dict[str, Any]]]:
        with session_scope() as session:
            request = handoff.get_request(session, request_id)
            if _taken_by_other(request, viewer.username):
                _audit_read(session, request, viewer)
            lines = [message_view(m) for m in handoff.transcript(session, request_id)]
            return request.sender_id, _timestamp(request.taken_at), _view(session, request, viewer.username), lines

    sender, taken_at, view, lines = await asyncio.to_thread(work)
    try:
        events: list[dict[str, Any]] | None = tracker.events_of(
            await RasaGateway.from_settings(context.settings, context.http).tracker(sender)
        )
    except RasaUnavailable:
        events = None
    history = history_before(events, taken_at) if events is not None else []
    citizen_lines = [line["text"] for line in lines if line["author"] == "citizen" and line["text"]]
    if not citizen_lines and events:
        citizen_lines = tracker.citizen_questions(events, taken_at)
    return {
        "request": view,
        "history": history,
        "history_available": events is not None,
        "messages": [line for line in lines if line["kind"] != "queued"],
        "last_citizen_text": citizen_lines[-1] if citizen_lines else None,
    }
