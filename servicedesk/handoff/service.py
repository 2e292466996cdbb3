"""Handoff rules: recording a request, the officers' queue, taking a conversation, replying in it,
handing it back to the assistant.

Synchronous (SQLAlchemy sessions); the caller owns the transaction. Every change of status also
writes a ``HandoffMessage`` (the log the live streams read), and an officer's change writes an
audit entry in the same transaction. Telling Rasa and the citizen's channel is the API's job
(``api/console/service.py``): this module only knows the database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.audit.actor import Actor
from core.audit.service import record
from core.db import rows_changed, utcnow
from core.errors import ConflictError, DomainError, ForbiddenError, InvalidError, NotFoundError
from core.settings import Settings, get_settings
from servicedesk.handoff.hours import VIETNAM, office_hours
from servicedesk.handoff.models import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    HandoffMessage,
    HandoffRequest,
)
from servicedesk.handoff.presence import officers_online

MAX_TEXT_CHARS = 2000  # what a citizen may send (api/chat/schemas.py), and what an officer may

CITIZEN_VISIBLE_KINDS = ("message", "taken", "closed")
UNIT_CODE = re.compile(r"[0-9]{2,8}")  # official unit codes (servicedesk/conversations/units.py)


def in_office_hours(moment: dt.datetime, settings: Settings | None = None) -> bool:
    """Whether officers answer at ``moment`` (the ``office_hours`` setting; servicedesk/handoff/hours.py)."""
    return office_hours(settings).contains(moment)


def unit_code_or_none(value: str | None) -> str | None:
    """An official unit code ("26743"), or None for anything else (never stored as free text)."""
    code = (value or "").strip()
    return code if UNIT_CODE.fullmatch(code) else None


def office_hours_text(settings: Settings | None = None) -> str:
    """The schedule in words, e.g. "Thứ Hai – Thứ Sáu, 7:30–11:30 và 13:00–17:00"."""
    return office_hours(settings).text()


def callback_offer_needed(session: Session, settings: Settings, now: dt.datetime | None = None) -> bool:
    """Whether a citizen asking for a person should be offered a call back: out of office hours,
    or in office hours with no officer's console open (``settings.agent_online_seconds``)."""
    moment = now or dt.datetime.now(tz=VIETNAM)
    # The deployment's own settings go through in_office_hours(moment), the one place tests stub
    # the office clock (as request_handoff does); other settings are read directly.
    office = in_office_hours(moment) if settings is get_settings() else office_hours(settings).contains(moment)
    if not office:
        return True
    return officers_online(session, within_seconds=settings.agent_online_seconds, now=moment) == 0


class Agent(Protocol):
    """The officer acting (``api.staff.security.StaffPrincipal`` fits)."""

    @property
    def username(self) -> str: ...

    @property
    def display_name(self) -> str: ...

    @property
    def role(self) -> str | None: ...


def actor_of(agent: Agent) -> Actor:
    """The officer as the audit log records them."""
    return Actor(agent.username, None if agent.role is None else str(agent.role))


class HandoffError(DomainError):
    """A refused change of a request; ``message`` is Vietnamese, for the officer."""

    @property
    def code(self) -> str:
        """not_found | conflict | forbidden | invalid (the kind of refusal)."""
        return self.kind


class HandoffNotFound(HandoffError, NotFoundError):
    pass


class HandoffConflict(HandoffError, ConflictError):
    pass


class HandoffForbidden(HandoffError, ForbiddenError):
    pass


class HandoffInvalid(HandoffError, InvalidError):
    pass


@dataclass(frozen=True)
class HandoffOutcome:
    request: HandoffRequest
    in_office_hours: bool
    position: int  # place in the queue (1 = next), 0 when out of hours


def request_handoff(
    session: Session,
    *,
    sender_id: str,
    channel: str = "web",
    reason: str | None = None,
    procedure_code: str | None = None,
    now: dt.datetime | None = None,
    unit_code: str | None = None,
) -> HandoffOutcome:
    """Records the request (once: asking again while waiting keeps the same place in the queue).

    ``unit_code``: the official code of the citizen's unit (the widget's ``data-unit``), so each
    commune's officers can filter the console's queue."""
    now = now or dt.datetime.now(tz=VIETNAM)
    unit_code = unit_code_or_none(unit_code)
    office = in_office_hours(now)
    open_request = session.scalars(
        select(HandoffRequest)
        .where(HandoffRequest.sender_id == sender_id, HandoffRequest.status.in_(OPEN_STATUSES))
        .order_by(HandoffRequest.id.desc())
    ).first()
    if open_request is None:
        open_request = HandoffRequest(
            sender_id=sender_id,
            channel=channel,
            reason=reason,
            procedure_code=procedure_code,
            unit_code=unit_code,
            status="queued" if office else "out_of_hours",
            created_at=now.astimezone(dt.UTC).replace(tzinfo=None),
        )
        session.add(open_request)
        session.flush()
        session.add(HandoffMessage(request_id=open_request.id, author="system", kind="queued", text=""))
        session.flush()
    else:
        if office and open_request.status == "out_of_hours":
            open_request.status = "queued"  # asked again once the office opened: now in the queue
        if procedure_code and not open_request.procedure_code:
            open_request.procedure_code = procedure_code
        if unit_code and not open_request.unit_code:
            open_request.unit_code = unit_code
    position = 0
    if office:
        position = (
            session.scalar(
                select(func.count())
                .select_from(HandoffRequest)
                .where(HandoffRequest.status == "queued", HandoffRequest.id <= open_request.id)
            )
            or 1
        )
    return HandoffOutcome(open_request, office, position)


# --- reading -----------------------------------------------------------------------------------


def get_request(session: Session, request_id: int) -> HandoffRequest:
    request = session.get(HandoffRequest, request_id)
    if request is None:
        raise HandoffNotFound("Không tìm thấy yêu cầu hỗ trợ này.")
    return request


def queue(session: Session, *, unit_code: str | None = None) -> list[HandoffRequest]:
    """What the console lists: requests waiting for an officer and conversations being handled
    (of one unit when ``unit_code`` is given)."""
    query = (
        select(HandoffRequest)
        .where(HandoffRequest.status.in_(ACTIVE_STATUSES))
        .order_by(HandoffRequest.created_at, HandoffRequest.id)
    )
    if unit_code:
        query = query.where(HandoffRequest.unit_code == unit_code)
    return list(session.scalars(query))


def active_for_sender(session: Session, sender_id: str) -> HandoffRequest | None:
    """The conversation's request that is waiting or taken, if any."""
    return session.scalars(
        select(HandoffRequest)
        .where(HandoffRequest.sender_id == sender_id, HandoffRequest.status.in_(ACTIVE_STATUSES))
        .order_by(HandoffRequest.id.desc())
    ).first()


def taken_for_sender(session: Session, sender_id: str) -> HandoffRequest | None:
    request = active_for_sender(session, sender_id)
    return request if request is not None and request.status == "taken" else None


def transcript(session: Session, request_id: int) -> list[HandoffMessage]:
    """Everything said while the request was open, in order (status changes included)."""
    return list(
        session.scalars(
            select(HandoffMessage).where(HandoffMessage.request_id == request_id).order_by(HandoffMessage.id)
        )
    )


def last_message_id(session: Session, sender_id: str | None = None) -> int:
    """Where a live stream starts: the newest log line (of one conversation, or of all)."""
    query = select(func.max(HandoffMessage.id))
    if sender_id is not None:
        query = query.join(HandoffRequest, HandoffRequest.id == HandoffMessage.request_id).where(
            HandoffRequest.sender_id == sender_id
        )
    return session.scalar(query) or 0


def messages_after(
    session: Session, after_id: int, *, sender_id: str | None = None, limit: int = 200
) -> list[tuple[HandoffMessage, HandoffRequest]]:
    """Log lines newer than ``after_id`` with their request; for one conversation only what its
    citizen is shown (the officers' words and the changes of status, not the citizen's own)."""
    query = (
        select(HandoffMessage, HandoffRequest)
        .join(HandoffRequest, HandoffRequest.id == HandoffMessage.request_id)
        .where(HandoffMessage.id > after_id)
        .order_by(HandoffMessage.id)
        .limit(limit)
    )
    if sender_id is not None:
        query = query.where(
            HandoffRequest.sender_id == sender_id,
            HandoffMessage.author != "citizen",
            HandoffMessage.kind.in_(CITIZEN_VISIBLE_KINDS),
        )
    return [(message, request) for message, request in session.execute(query).tuples()]


def agent_name_of(session: Session, request: HandoffRequest) -> str | None:
    """The name the citizen was given for the officer handling a taken request."""
    if request.status != "taken":
        return None
    return (
        session.scalar(
            select(HandoffMessage.agent_name)
            .where(HandoffMessage.request_id == request.id, HandoffMessage.kind == "taken")
            .order_by(HandoffMessage.id.desc())
            .limit(1)
        )
        or request.taken_by
    )


def last_citizen_text(session: Session, request_id: int) -> str | None:
    return session.scalar(
        select(HandoffMessage.text)
        .where(HandoffMessage.request_id == request_id, HandoffMessage.author == "citizen")
        .order_by(HandoffMessage.id.desc())
        .limit(1)
    )


# --- changes -----------------------------------------------------------------------------------


def officer_title(name: str | None) -> str:
    """How the citizen is told who answers: "Cán bộ Nguyễn Thị Lan" (once, if the name has it)."""
    cleaned = " ".join((name or "").split())
    if not cleaned:
        return "Cán bộ hỗ trợ"
    return cleaned if cleaned.casefold().startswith("cán bộ") else f"Cán bộ {cleaned}"


def taken_text(agent_name: str) -> str:
    return f"{officer_title(agent_name)} đã tham gia cuộc trò chuyện và sẽ trả lời anh/chị ngay tại đây."


def closed_text(was_taken: bool, hotline: str) -> str:
    if was_taken:
        return (
            "Cán bộ đã kết thúc phần hỗ trợ. Trợ lý tự động tiếp tục trả lời anh/chị; anh/chị cứ đặt câu hỏi tiếp nhé."
        )
    return (
        "Yêu cầu gặp cán bộ của anh/chị đã được đóng. Trợ lý tự động tiếp tục trả lời anh/chị; "
        f"nếu cần, anh/chị gọi tổng đài {hotline} trong giờ hành chính."
    )


def _snapshot(request: HandoffRequest) -> dict[str, str | None]:
    return {"status": request.status, "taken_by": request.taken_by, "closed_by": request.closed_by}


def _audit(session: Session, agent: Agent, action: str, request: HandoffRequest, before: dict[str, str | None]) -> None:
    record(
        session,
        actor=actor_of(agent),
        action=action,
        entity_type="handoff_request",
        entity_id=str(request.id),
        before=before,
        after=_snapshot(request),
    )


def take(session: Session, request_id: int, agent: Agent, *, now: dt.datetime | None = None) -> HandoffMessage:
    """The officer takes the conversation; only one officer can (compare-and-set on the status)."""
    request = get_request(session, request_id)
    before = _snapshot(request)
    moment = now or utcnow()
    result = session.execute(
        update(HandoffRequest)
        .where(HandoffRequest.id == request_id, HandoffRequest.status.in_(OPEN_STATUSES))
        .values(status="taken", taken_by=agent.username, taken_at=moment)
        .execution_options(synchronize_session=False)
    )
    session.refresh(request)
    if rows_changed(result) != 1:
        if request.status == "taken":
            who = "anh/chị" if request.taken_by == agent.username else f"cán bộ {request.taken_by}"
            raise HandoffConflict(f"Cuộc trò chuyện này đã được {who} nhận.")
        raise HandoffConflict("Yêu cầu này đã đóng, không nhận được nữa.")
    message = HandoffMessage(
        request_id=request.id,
        author="system",
        kind="taken",
        agent_username=agent.username,
        agent_name=agent.display_name,
        text=taken_text(agent.display_name),
        created_at=moment,
    )
    session.add(message)
    session.flush()
    _audit(session, agent, "handoff.take", request, before)
    return message


def post_agent_reply(session: Session, request_id: int, agent: Agent, text: str) -> HandoffMessage:
    """The officer's words to the citizen; only in a conversation this officer has taken."""
    body = (text or "").strip()
    if not body:
        raise HandoffInvalid("Nội dung trả lời không được để trống.")
    if len(body) > MAX_TEXT_CHARS:
        raise HandoffInvalid(f"Nội dung trả lời dài quá {MAX_TEXT_CHARS} ký tự.")
    request = get_request(session, request_id)
    if request.status != "taken":
        raise HandoffConflict("Cần nhận cuộc trò chuyện trước khi trả lời.")
    if request.taken_by != agent.username:
        raise HandoffForbidden(f"Cuộc trò chuyện này do cán bộ {request.taken_by} phụ trách.")
    message = HandoffMessage(
        request_id=request.id,
        author="agent",
        kind="message",
        agent_username=agent.username,
        agent_name=agent.display_name,
        text=body,
    )
    session.add(message)
    session.flush()
    return message


def record_citizen_message(session: Session, request_id: int, text: str) -> HandoffMessage:
    message = HandoffMessage(request_id=request_id, author="citizen", kind="message", text=text[:MAX_TEXT_CHARS])
    session.add(message)
    session.flush()
    return message


def hand_back(
    session: Session,
    request_id: int,
    agent: Agent,
    *,
    hotline: str,
    override: bool = False,
    now: dt.datetime | None = None,
) -> tuple[HandoffMessage, bool]:
    """Closes the request and gives the conversation back to the assistant.

    The officer who took it may (``override``: an admin, for a conversation left open); a request
    nobody took may be closed by any officer. Returns the closing message and whether it was taken.
    """
    request = get_request(session, request_id)
    before = _snapshot(request)
    if request.status == "closed":
        raise HandoffConflict("Yêu cầu này đã đóng.")
    was_taken = request.status == "taken"
    if was_taken and request.taken_by != agent.username and not override:
        raise HandoffForbidden(f"Cuộc trò chuyện này do cán bộ {request.taken_by} phụ trách.")
    moment = now or utcnow()
    result = session.execute(
        update(HandoffRequest)
        .where(HandoffRequest.id == request_id, HandoffRequest.status == request.status)
        .values(status="closed", closed_by=agent.username, closed_at=moment)
        .execution_options(synchronize_session=False)
    )
    session.refresh(request)
    if rows_changed(result) != 1:
        raise HandoffConflict("Yêu cầu vừa được cán bộ khác xử lý; tải lại hàng chờ.")
    message = HandoffMessage(
        request_id=request.id,
        author="system",
        kind="closed",
        agent_username=agent.username,
        agent_name=agent.display_name,
        text=closed_text(was_taken, hotline),
        created_at=moment,
    )
    session.add(message)
    session.flush()
    _audit(session, agent, "handoff.hand_back" if was_taken else "handoff.close", request, before)
    return message, was_taken
