"""The hotline console: the page, the queue of handoff requests (JSON and live), taking a
conversation, replying in it and handing it back to the assistant.

Every route is for agents (admins pass too): ``require_roles(Role.AGENT)``; the POSTs carry the
CSRF token (``X-CSRF-Token``, which ``staffFetch`` adds).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.console import service
from api.console.live import LiveEvent, event_stream, resume_cursor, sse_response
from api.console.schemas import (
    HandBackResult,
    HandoffConversation,
    HandoffQueue,
    Presence,
    ReplyResult,
    TakeResult,
)
from api.deps import AgentUser, ContextDep
from api.errors import error_responses
from api.staff.security import Role
from api.staff.templating import render
from servicedesk.handoff.service import MAX_TEXT_CHARS, office_hours_text

router = APIRouter(tags=["console"])

RequestId = Annotated[int, Path(ge=1, description="The handoff request id")]
UnitFilter = Annotated[
    str | None,
    Query(max_length=8, pattern=r"^[0-9]{0,8}$", description="Mã đơn vị hành chính (xã, phường), ví dụ 26743"),
]


class ReplyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="What the officer says to the citizen")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Nội dung trả lời không được để trống")
        return value


@router.get("/staff/console", response_class=HTMLResponse, include_in_schema=False)
async def console_page(request: Request, context: ContextDep, user: AgentUser) -> HTMLResponse:
    settings = context.settings
    # Opening the console puts the officer on duty at once; the page then pings (POST /staff/api/presence).
    await asyncio.to_thread(service.ping, user.username, settings.agent_online_seconds)
    return render(
        request,
        "console/templates/console.html",
        user,
        viewer=user.username,
        office_hours=office_hours_text(settings),
        # Pinging at a third of the window keeps an open console counted through a missed ping.
        ping_seconds=max(5, settings.agent_online_seconds // 3),
    )


@router.get("/staff/api/handoffs", response_model=HandoffQueue)
async def list_handoffs(user: AgentUser, unit: UnitFilter = None) -> dict[str, Any]:
    """The queue: requests waiting for an officer and conversations being handled, oldest first
    (of one unit with ``unit``); ``cursor`` is where ``/staff/api/handoffs/stream`` should start."""
    return await asyncio.to_thread(service.queue_snapshot, user.username, unit or None)


@router.post("/staff/api/presence", response_model=Presence)
async def presence_ping(context: ContextDep, user: AgentUser) -> dict[str, Any]:
    """The console is open: the officer counts as on duty for ``agent_online_seconds``. While no
    officer is, citizens asking for a person are offered a call back."""
    return await asyncio.to_thread(service.ping, user.username, context.settings.agent_online_seconds)


@router.get(
    "/staff/api/handoffs/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def stream_handoffs(
    context: ContextDep,
    user: AgentUser,
    after: Annotated[int | None, Query(ge=0, description="Last event id already shown")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Live changes of the queue (Server-Sent Events): one ``event: handoff`` per new request, new
    message or change of status, ``data: {"message": {...}, "request": {...}}``, with ``id:``."""
    cursor = resume_cursor(last_event_id, after)
    if cursor is None:
        cursor = (await asyncio.to_thread(service.queue_snapshot, user.username))["cursor"]

    async def fetch(position: int) -> list[LiveEvent]:
        return await asyncio.to_thread(service.console_events, position, user.username)

    return sse_response(event_stream(context.hub, fetch, cursor))


@router.get(
    "/staff/api/handoffs/{request_id}",
    response_model=HandoffConversation,
    responses=error_responses(404, s404="Không có yêu cầu này"),
)
async def get_handoff(context: ContextDep, request_id: RequestId, user: AgentUser) -> dict[str, Any]:
    """The request, the conversation with the assistant before it was taken (Rasa's tracker), and
    everything said since (citizen, officer, changes of status). Any officer may read it; reading a
    conversation another officer took is written to the audit log (``handoff.read``)."""
    return await service.conversation(context, request_id, user)


@router.post(
    "/staff/api/handoffs/{request_id}/take",
    response_model=TakeResult,
    responses=error_responses(404, 409, s409="Đã có cán bộ nhận hoặc yêu cầu đã đóng"),
)
async def take_handoff(context: ContextDep, request_id: RequestId, user: AgentUser) -> dict[str, Any]:
    """Takes the conversation: the assistant stops answering it and the citizen is told."""
    return await service.take(context, request_id, user)


@router.post(
    "/staff/api/handoffs/{request_id}/reply",
    response_model=ReplyResult,
    responses=error_responses(403, 404, 409, s403="Cán bộ khác phụ trách", s409="Chưa nhận cuộc trò chuyện"),
)
async def reply_handoff(context: ContextDep, request_id: RequestId, body: ReplyBody, user: AgentUser) -> dict[str, Any]:
    """Sends the officer's words to the citizen, through the channel the citizen wrote from."""
    return await service.reply(context, request_id, user, body.text)


@router.post(
    "/staff/api/handoffs/{request_id}/hand-back",
    response_model=HandBackResult,
    responses=error_responses(403, 404, 409, s403="Cán bộ khác phụ trách", s409="Yêu cầu đã đóng"),
)
async def hand_back_handoff(context: ContextDep, request_id: RequestId, user: AgentUser) -> dict[str, Any]:
    """Gives the conversation back to the assistant (or closes a request nobody took)."""
    return await service.hand_back(context, request_id, user, override=user.role == Role.ADMIN)
