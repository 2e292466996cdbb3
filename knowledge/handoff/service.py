"""Recording a handoff request and telling the citizen what happens next."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.handoff.models import HandoffRequest

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# Office hours of the hotline (giờ hành chính): Monday–Friday, morning and afternoon sessions.
OFFICE_SESSIONS = ((dt.time(7, 30), dt.time(11, 30)), (dt.time(13, 0), dt.time(17, 0)))
OFFICE_HOURS_TEXT = "Thứ Hai – Thứ Sáu, 7:30–11:30 và 13:00–17:00"


def in_office_hours(moment: dt.datetime) -> bool:
    local = moment.astimezone(VIETNAM)
    if local.weekday() >= 5:
        return False
    return any(start <= local.time() < end for start, end in OFFICE_SESSIONS)


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
) -> HandoffOutcome:
    now = now or dt.datetime.now(tz=VIETNAM)
    open_request = session.scalars(
        select(HandoffRequest).where(HandoffRequest.sender_id == sender_id, HandoffRequest.status == "queued")
    ).first()
    office = in_office_hours(now)
    if open_request is None:
        open_request = HandoffRequest(
            sender_id=sender_id,
            channel=channel,
            reason=reason,
            procedure_code=procedure_code,
            status="queued" if office else "out_of_hours",
        )
        session.add(open_request)
        session.flush()
    position = 0
    if office:
        position = session.scalar(
            select(func.count())
            .select_from(HandoffRequest)
            .where(HandoffRequest.status == "queued", HandoffRequest.id <= open_request.id)
        ) or 1
    return HandoffOutcome(open_request, office, position)
