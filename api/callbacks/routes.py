"""Call-backs for the hotline console: the list of calls to make (by due time, of one unit if
asked), showing a number in full (audited) and marking a call done (which erases the number).

Every route is for agents (admins pass too); the POSTs carry the CSRF token (``X-CSRF-Token``,
which ``staffFetch`` adds), checked by the role dependency. Responses are never cached: one of
them carries a phone number.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.orm import Session

from api.callbacks.schemas import CallbackDone, CallbackList, DoneBody, RevealedPhone
from api.deps import AgentUser, SessionDep
from api.errors import error_responses
from core.db import utcnow
from core.labels import CHAT_CHANNEL_LABELS
from core.privacy import sender_hash
from knowledge.procedures.service import names_by_code
from servicedesk.callbacks import service
from servicedesk.callbacks.models import CallbackRequest

router = APIRouter(tags=["staff: callbacks"])

CallbackId = Annotated[int, Path(ge=1, description="The call-back request id")]
Unit = Annotated[
    str | None,
    Query(max_length=8, pattern=r"^[0-9]{0,8}$", description="Mã đơn vị hành chính (xã, phường), ví dụ 26743"),
]
NO_STORE = {"Cache-Control": "no-store"}


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")


def callback_views(session: Session, callbacks: list[CallbackRequest]) -> list[dict[str, Any]]:
    names = names_by_code(session, {c.procedure_code for c in callbacks if c.procedure_code})
    units = service.unit_names(session, {c.unit_code for c in callbacks if c.unit_code})
    now = utcnow()
    views = []
    for callback in callbacks:
        channel = callback.channel if callback.channel in CHAT_CHANNEL_LABELS else "web"
        views.append(
            {
                "id": callback.id,
                "channel": channel,
                "channel_label": CHAT_CHANNEL_LABELS[channel],
                "citizen": f"{CHAT_CHANNEL_LABELS[channel]} #{sender_hash(callback.sender_id)[:6]}",
                "tag": f"#{sender_hash(callback.sender_id)[:6]}",
                "unit_code": callback.unit_code,
                "unit_name": units.get(callback.unit_code or ""),
                "procedure_code": callback.procedure_code,
                "procedure_name": names.get(callback.procedure_code or ""),
                "phone_masked": callback.phone_masked,
                "preferred_time": callback.preferred_time,
                "preferred_label": service.PREFERENCE_LABELS.get(callback.preferred_time, callback.preferred_time),
                "status": callback.status,
                "created_at": _iso(callback.created_at),
                "due_at": _iso(callback.due_at),
                "due_text": service.due_text(callback.due_at),
                "overdue": service.is_overdue(callback, now),
                "done_at": _iso(callback.done_at),
                "done_by": callback.done_by,
            }
        )
    return views


@router.get("/staff/api/callbacks", response_model=CallbackList)
def list_callbacks(session: SessionDep, user: AgentUser, response: Response, unit: Unit = None) -> dict[str, Any]:
    """Calls still to be made, the most urgent first; ``unit`` keeps one unit's."""
    response.headers.update(NO_STORE)
    views = callback_views(session, service.open_callbacks(session, unit_code=unit or None))
    return {"callbacks": views, "overdue": sum(1 for v in views if v["overdue"])}


@router.post(
    "/staff/api/callbacks/{callback_id}/reveal",
    response_model=RevealedPhone,
    responses=error_responses(404, 409, s409="Cuộc gọi đã xong, số đã được xóa"),
)
def reveal_phone(session: SessionDep, user: AgentUser, callback_id: CallbackId, response: Response) -> dict[str, Any]:
    """The full number, to call it; the reading is written to the audit log (``callback.reveal``)."""
    phone = service.reveal_phone(session, callback_id, user)
    session.commit()
    response.headers.update(NO_STORE)
    return {"id": callback_id, "phone": phone}


@router.post(
    "/staff/api/callbacks/{callback_id}/done",
    response_model=CallbackDone,
    responses=error_responses(404, 409, s409="Cuộc gọi đã được đánh dấu xong"),
)
def mark_done(
    session: SessionDep, user: AgentUser, callback_id: CallbackId, response: Response, body: DoneBody | None = None
) -> dict[str, Any]:
    """The call was made: the request is closed and the number erased (audited: ``callback.done``)."""
    callback = service.mark_done(session, callback_id, user, note=body.note if body else None)
    session.commit()
    response.headers.update(NO_STORE)
    return {"callback": callback_views(session, [callback])[0]}
