"""Dossier news over HTTP: the provincial system's push, and the web widget's pending news.

- ``POST /api/dossiers/events``: the one-stop system says a dossier changed (bearer token
  TTHC_DOSSIER_PUSH_TOKEN, compared in constant time; 404 while no token is configured). The
  subscriptions to those dossiers become due at once and this worker's poller is woken: the
  connector is still asked, so a push can neither invent nor skip a change.
- ``GET /api/dossiers/news?sender=web-…`` and ``POST /api/dossiers/news/ack``: what the widget
  shows when it opens, until it acknowledges it. Only the widget's own conversation ids
  (web-<UUID>) are read back, as for the chat history: a guessable id is no key.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.chat.schemas import WEB_SENDER_DESCRIPTION, WEB_SENDER_PATTERN, WebSender
from api.deps import ContextDep, SessionDep
from api.dossiers.worker import wake_news_poller
from api.errors import error_responses
from core.db import session_scope
from servicedesk.dossier_news import service
from servicedesk.dossiers.connectors import VN_TZ

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/dossiers", tags=["dossiers"])

MAX_EVENTS = 500
MAX_ACK_IDS = 100
WIDGET_SENDER = re.compile(r"^web-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
NOT_WIDGET_SENDER = "Chỉ xem được tin hồ sơ của khung chat trên trang web (mã hội thoại dạng web-<UUID>)."
PUSH_OFF = "Hệ thống này chưa nhận thông báo đẩy về hồ sơ (chưa cấu hình mã xác thực)."
PUSH_REFUSED = "Mã xác thực không đúng: gửi tiêu đề Authorization: Bearer <mã do đơn vị vận hành cấp>."


# --- push from the one-stop system ---------------------------------------------------------------


def require_push_token(context: ContextDep, authorization: Annotated[str | None, Header()] = None) -> None:
    """Runs before the body is read: a caller without the token learns nothing about the body."""
    configured = context.settings.dossier.push_token
    if configured is None or not configured.get_secret_value():
        raise HTTPException(status_code=404, detail=PUSH_OFF)
    scheme, _, presented = (authorization or "").strip().partition(" ")
    expected = configured.get_secret_value().encode("utf-8")
    # Compared in constant time whatever was sent (an empty or malformed header included).
    matches = hmac.compare_digest(presented.strip().encode("utf-8"), expected)
    if scheme.lower() != "bearer" or not matches:
        logger.warning("dossier push refused: wrong or missing token")
        raise HTTPException(status_code=401, detail=PUSH_REFUSED, headers={"WWW-Authenticate": "Bearer"})


class DossierEvent(BaseModel):
    """One change as the one-stop system announces it; only the code is used (the connector is asked)."""

    model_config = ConfigDict(extra="ignore")

    MaHoSo: str = Field(min_length=1, max_length=64, description="The dossier code (mã hồ sơ)")
    TrangThai: str | None = Field(default=None, max_length=64, description="The new status code (a hint)")
    ThoiGian: str | None = Field(default=None, max_length=64, description="When it changed (a hint)")


class PushResponse(BaseModel):
    received: int = Field(description="Events in the request")
    due: int = Field(description="Subscriptions made due now (they are polled at once)")


@router.post(
    "/events",
    status_code=202,
    response_model=PushResponse,
    dependencies=[Depends(require_push_token)],
    responses=error_responses(
        401, 404, s401="Thiếu hoặc sai mã xác thực", s404="Chưa cấu hình TTHC_DOSSIER_PUSH_TOKEN"
    ),
)
async def push_events(
    body: Annotated[
        DossierEvent | Annotated[list[DossierEvent], Field(min_length=1, max_length=MAX_EVENTS)],
        Field(description=f"One event or a list of 1 to {MAX_EVENTS}"),
    ],
) -> PushResponse:
    """The provincial one-stop system announces changed dossiers (a hint: the connector is asked)."""
    events = body if isinstance(body, list) else [body]
    codes = [event.MaHoSo for event in events]

    def mark() -> int:
        with session_scope() as session:
            return service.mark_due(session, codes)

    due = await asyncio.to_thread(mark)
    if due:
        wake_news_poller()
    logger.info("dossier push: %d event(s), %d subscription(s) due", len(events), due)
    return PushResponse(received=len(events), due=due)


# --- the web widget's news -----------------------------------------------------------------------

SenderQuery = Annotated[
    WebSender, Query(description=WEB_SENDER_DESCRIPTION, json_schema_extra={"pattern": WEB_SENDER_PATTERN})
]


class NewsEntry(BaseModel):
    id: int
    text: str = Field(description="What the citizen reads (Vietnamese)")
    status: str = Field(description="The dossier's new status (received, processing, supplement_required, …)")
    at: str = Field(description="When the dossier entered the status, ISO 8601 in Vietnam time")


class NewsResponse(BaseModel):
    news: list[NewsEntry]


class AckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sender: WebSender
    ids: list[int] = Field(min_length=1, max_length=MAX_ACK_IDS, description="Ids of the news the widget showed")


class AckResponse(BaseModel):
    acknowledged: int


def _vn_iso(value: dt.datetime) -> str:
    return value.replace(tzinfo=dt.UTC).astimezone(VN_TZ).isoformat()


def _not_widget(sender: str) -> JSONResponse | None:
    if WIDGET_SENDER.match(sender):
        return None
    return JSONResponse(status_code=403, content={"error": NOT_WIDGET_SENDER})


_WIDGET_403 = error_responses(403, s403="Không phải mã hội thoại của khung chat trên web (web-<UUID>)")


@router.get("/news", response_model=NewsResponse, responses=_WIDGET_403)
def news(session: SessionDep, sender: SenderQuery) -> Any:
    """News about the conversation's followed dossiers not yet acknowledged, oldest first."""
    refused = _not_widget(sender)
    if refused:
        return refused
    items = service.pending_web_news(session, sender)
    return NewsResponse(
        news=[NewsEntry(id=item.id, text=item.text, status=item.status, at=_vn_iso(item.at)) for item in items]
    )


@router.post("/news/ack", response_model=AckResponse, responses=_WIDGET_403)
def acknowledge(session: SessionDep, body: AckRequest) -> Any:
    """The widget has shown these news: they are not offered again."""
    refused = _not_widget(body.sender)
    if refused:
        return refused
    done = service.acknowledge(session, body.sender, body.ids)
    session.commit()
    return AckResponse(acknowledged=done)
