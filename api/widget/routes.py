"""The embeddable web chat widget: its two static files, the history it re-renders on load, and
which unit its ``data-unit`` stands for (``GET /api/widget/unit``).

A site embeds the assistant with one tag (the script finds the API from its own ``src``)::

    <script src="https://HOST/widget.js" data-title="Trợ lý thủ tục hành chính"
            data-unit="Phường Bến Thành" data-color="#b3261e" defer></script>

``GET /api/chat/history`` reads the conversation back from Rasa's tracker (``api.rasa``: the
gateway reads it, ``tracker.history_from_events`` says what the citizen saw) so that a reloaded
page shows what was said. It never fails with a 500: when Rasa cannot be reached it answers 200
with no messages and ``available: false``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.chat.schemas import MAX_UNIT_CHARS, WEB_SENDER_DESCRIPTION, WEB_SENDER_PATTERN, HandoffInfo, WebSender
from api.chat.service import handoff_info
from api.console.live import (
    MAX_STREAM_SECONDS,
    LiveEvent,
    event_stream,
    format_status,
    resume_cursor,
    sse_response,
)
from api.deps import ContextDep
from api.errors import error_responses
from api.rasa.gateway import RasaGateway, RasaUnavailable, sender_tag
from api.rasa.tracker import events_of, history_from_events
from core.db import session_scope
from servicedesk.conversations.units import official_unit
from servicedesk.handoff import service as handoff_service

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
# Both endpoints take only web conversation ids (WebSender: any other channel's id is a 422), and
# read back only the widget's own ones ("web-" + a random UUID, 403 otherwise): an id that can be
# guessed is no key to a conversation.
WEB_SENDER = re.compile(r"^web-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# The sender query parameter of both endpoints: a web conversation id, refused with a Vietnamese
# 422 otherwise (the validator of WebSender); the pattern is published in the OpenAPI schema.
SenderQuery = Annotated[
    WebSender, Query(description=WEB_SENDER_DESCRIPTION, json_schema_extra={"pattern": WEB_SENDER_PATTERN})
]

router = APIRouter(tags=["widget"])

_STATIC_HEADERS = {
    "Cache-Control": "public, max-age=300",
    # Lets sites that send Cross-Origin-Embedder-Policy: require-corp load the widget.
    "Cross-Origin-Resource-Policy": "cross-origin",
    "X-Content-Type-Options": "nosniff",
}


@router.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
async def widget_js() -> FileResponse:
    return FileResponse(STATIC_DIR / "widget.js", media_type="text/javascript; charset=utf-8", headers=_STATIC_HEADERS)


@router.api_route("/widget.css", methods=["GET", "HEAD"], include_in_schema=False)
async def widget_css() -> FileResponse:
    return FileResponse(STATIC_DIR / "widget.css", media_type="text/css; charset=utf-8", headers=_STATIC_HEADERS)


class WidgetUnit(BaseModel):
    code: str = Field(description="Official code of the current unit")
    name: str
    province: str


class WidgetUnitResponse(BaseModel):
    unit: WidgetUnit | None = Field(description="The current unit the text names without doubt, or null")


def _widget_unit(name: str) -> WidgetUnit | None:
    with session_scope() as session:
        unit = official_unit(session, name)
    return WidgetUnit(code=unit.code, name=unit.name, province=unit.province_name) if unit else None


@router.get("/api/widget/unit", response_model=WidgetUnitResponse)
async def widget_unit(
    name: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_UNIT_CHARS,
            description="The widget's data-unit: a unit code, or a current or former commune name",
        ),
    ],
) -> JSONResponse:
    """Which current unit a widget's ``data-unit`` stands for (a code, a current name, or the
    name or code of a former unit that went whole to one current unit); ``unit`` null otherwise.
    Whoever embeds the widget can check here that the assistant knows their commune."""
    unit = await asyncio.to_thread(_widget_unit, name)
    body = WidgetUnitResponse(unit=unit).model_dump()
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})


class HistoryMessage(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: Literal["user", "bot", "agent", "system"] = Field(
        alias="from", description="Who wrote it: the citizen, the assistant, an officer, or a notice about the officer"
    )
    text: str | None = None
    buttons: list[dict[str, str]] | None = None
    custom: dict[str, Any] | None = None
    id: int | None = Field(
        default=None, description="The handoff event id of an officer's line (as in /api/chat/events)"
    )
    agent: str | None = Field(default=None, description="The officer's name, for an officer's line")


class HistoryResponse(BaseModel):
    sender: str
    available: bool = Field(description="False when the assistant could not be reached: messages is then empty")
    messages: list[HistoryMessage]
    handoff: HandoffInfo | None = Field(default=None, description="The open request for an officer, if any")


@router.get(
    "/api/chat/history",
    response_model=HistoryResponse,
    response_model_exclude_none=True,
    responses=error_responses(403, s403="Không phải mã hội thoại của khung chat trên web (web-<UUID>)"),
)
async def history(
    context: ContextDep,
    sender: SenderQuery,
) -> HistoryResponse | JSONResponse:
    """The conversation so far (user and bot messages), for the web widget to re-render on load."""
    if not WEB_SENDER.match(sender):
        return JSONResponse(
            status_code=403,
            content={"error": "Chỉ xem lại được hội thoại của khung chat trên trang web (mã dạng web-<UUID>)."},
        )
    settings, client = context.settings, context.http
    handoff = await _handoff_info_or_none(sender)  # read first: a later officer line is in both, the widget dedups
    rasa = RasaGateway.from_settings(settings, client)
    try:
        messages = history_from_events(events_of(await rasa.tracker(sender)))
    except RasaUnavailable:
        messages = None
    except Exception as exc:  # noqa: BLE001 - the history is a nicety: never a 500 for it
        logger.warning("history unavailable for sender %s: %s", sender_tag(sender), type(exc).__name__)
        messages = None
    if messages is None:
        return HistoryResponse(sender=sender, available=False, messages=[], handoff=handoff)
    return HistoryResponse(
        sender=sender, available=True, messages=[HistoryMessage.model_validate(m) for m in messages], handoff=handoff
    )


async def _handoff_info_or_none(sender: str) -> HandoffInfo | None:
    try:
        return await asyncio.to_thread(handoff_info, sender)
    except Exception as exc:  # noqa: BLE001 - the store is a nicety here too
        logger.warning("handoff state unavailable for sender %s: %s", sender_tag(sender), type(exc).__name__)
        return None


def _citizen_events(sender: str, cursor: int) -> list[LiveEvent]:
    with session_scope() as session:
        rows = handoff_service.messages_after(session, cursor, sender_id=sender)
        # The stream ends with a hand-back unless the citizen has asked for an officer again since.
        active = handoff_service.active_for_sender(session, sender) if rows else None
        return [
            LiveEvent(
                id=message.id,
                name="handoff",
                data={
                    "id": message.id,
                    "kind": message.kind,
                    "text": message.text,
                    "agent": message.agent_name,
                    "status": request.status,
                },
                last=message.kind == "closed" and (active is None or active.id < request.id),
            )
            for message, request in rows
        ]


def _start_cursor(sender: str) -> int:
    with session_scope() as session:
        return handoff_service.last_message_id(session, sender)


@router.get(
    "/api/chat/events",
    response_class=StreamingResponse,
    response_model=None,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"},
        **error_responses(403, s403="Không phải mã hội thoại của khung chat trên web (web-<UUID>)"),
    },
)
async def events(
    context: ContextDep,
    sender: SenderQuery,
    after: Annotated[int | None, Query(ge=0, description="Last event id already shown")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse | JSONResponse:
    """What the officer handling this conversation says, live (Server-Sent Events).

    An ``event: status`` (``{"status": "none" | "queued" | "out_of_hours" | "taken", "agent"}``)
    and one ``event: handoff`` per line, with ``id:`` (``{"id", "kind": "taken" | "message" |
    "closed", "text", "agent", "status"}``). While an officer is asked for or answering, the status
    comes first and the stream lasts until the hand-back; otherwise the lines not yet delivered
    come first, then ``status: none``, and the stream ends. A browser reconnecting sends
    ``Last-Event-ID`` and misses nothing.
    """
    if not WEB_SENDER.match(sender):
        return JSONResponse(
            status_code=403,
            content={"error": "Chỉ theo dõi được hội thoại của khung chat trên trang web (mã dạng web-<UUID>)."},
        )
    info = await asyncio.to_thread(handoff_info, sender)
    cursor = resume_cursor(last_event_id, after)
    if cursor is None:
        cursor = await asyncio.to_thread(_start_cursor, sender)
    status = {"status": info.status if info else "none", "agent": info.agent if info else None}

    async def fetch(position: int) -> list[LiveEvent]:
        return await asyncio.to_thread(_citizen_events, sender, position)

    async def body() -> AsyncIterator[str]:
        # Nobody asked for: deliver what is pending (e.g. the hand-back, after a reconnect), then
        # say so last, so that the widget closes the stream only once it has everything.
        live = info is not None
        async for chunk in event_stream(
            context.hub,
            fetch,
            cursor,
            first=format_status(status) if live else "",
            max_seconds=MAX_STREAM_SECONDS if live else 0,
        ):
            yield chunk
        if not live:
            yield format_status(status)

    return sse_response(body())
