"""The embeddable web chat widget: its two static files and the history it re-renders on load.

A site embeds the assistant with one tag (the script finds the API from its own ``src``)::

    <script src="https://HOST/widget.js" data-title="Trợ lý thủ tục hành chính"
            data-unit="Phường Bến Thành" data-color="#b3261e" defer></script>

``GET /api/chat/history`` reads the conversation back from Rasa's HTTP API (Rasa runs with
``--enable-api``) so that a reloaded page shows what was said. It never fails with a 500: when Rasa
cannot be reached it answers 200 with no messages and ``available: false``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.chat.schemas import ChatRequest
from api.chat.service import sender_tag

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
HISTORY_LIMIT = 200  # most recent messages returned
HISTORY_TIMEOUT_SECONDS = 5.0
# Only the widget's own conversation ids ("web-" + a random UUID) can be read back. Other channels'
# ids are not secrets (a Zalo conversation id is the user's Zalo id), so their history is not served.
WEB_SENDER = re.compile(r"^web-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MASKED = "••••"
_MASKED_SLOTS = {"phone_last4"}  # answers to these questions are not shown again


def _sender_constraint(name: str) -> Any:
    """The constraint ChatRequest puts on ``sender``, so both endpoints accept the same ids."""
    for item in ChatRequest.model_fields["sender"].metadata:
        value = getattr(item, name, None)
        if value is not None:
            return value
    raise RuntimeError(f"ChatRequest.sender has no {name} constraint")


SENDER_PATTERN: str = _sender_constraint("pattern")
SENDER_MAX_LENGTH: int = _sender_constraint("max_length")

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


class HistoryMessage(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: Literal["user", "bot"] = Field(alias="from", description="Who wrote it")
    text: str | None = None
    buttons: list[dict[str, str]] | None = None
    custom: dict[str, Any] | None = None


class HistoryResponse(BaseModel):
    sender: str
    available: bool = Field(description="False when the assistant could not be reached: messages is then empty")
    messages: list[HistoryMessage]


def _buttons(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        return []
    return [
        {"title": b["title"], "payload": b["payload"]}
        for b in value
        if isinstance(b, dict) and isinstance(b.get("title"), str) and isinstance(b.get("payload"), str)
    ]


def history_from_events(events: Any, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """What the citizen saw, from a Rasa tracker's events.

    A button click reaches Rasa as its payload (``/ask_documents{...}``); it is shown as the
    button's title, as the widget showed it. A payload with no known button is left out. Answers to
    the last-four-phone-digits question are masked.
    """
    messages: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    requested_slot: Any = None
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict):
            continue
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "requested_slot":
            requested_slot = event.get("value")
        elif kind == "active_loop" and event.get("name") is None:
            requested_slot = None
        elif kind == "user":
            text = event.get("text")
            if not isinstance(text, str) or not text.strip():
                continue
            if text.startswith("/"):
                if text not in titles:
                    continue
                text = titles[text]
            elif requested_slot in _MASKED_SLOTS:
                text = MASKED
            messages.append({"from": "user", "text": text})
        elif kind == "bot":
            data = event.get("data") if isinstance(event.get("data"), dict) else {}
            text = event.get("text") if isinstance(event.get("text"), str) else None
            buttons = _buttons(data.get("buttons"))
            custom = data.get("custom") if isinstance(data.get("custom"), dict) else None
            if not (text or buttons or custom):
                continue
            titles.update({b["payload"]: b["title"] for b in buttons})
            item: dict[str, Any] = {"from": "bot", "text": text}
            if buttons:
                item["buttons"] = buttons
            if custom:
                item["custom"] = custom
            messages.append(item)
    return messages[-limit:]


@router.get(
    "/api/chat/history",
    response_model=HistoryResponse,
    response_model_exclude_none=True,
    responses={403: {"description": "Not a web widget conversation id"}},
)
async def history(
    request: Request,
    sender: Annotated[str, Query(min_length=1, max_length=SENDER_MAX_LENGTH, pattern=SENDER_PATTERN)],
) -> HistoryResponse | JSONResponse:
    """The conversation so far (user and bot messages), for the web widget to re-render on load."""
    if not WEB_SENDER.match(sender):
        return JSONResponse(
            status_code=403,
            content={"error": "Chỉ xem lại được hội thoại của khung chat trên trang web (mã dạng web-<UUID>)."},
        )
    state = request.app.state
    settings, client = state.settings, state.http
    url = f"{settings.rasa_url}/conversations/{quote(sender, safe='')}/tracker"
    try:
        response = await client.get(
            url,
            params={"include_events": "AFTER_RESTART"},
            timeout=min(HISTORY_TIMEOUT_SECONDS, settings.rasa_timeout_seconds),
        )
        response.raise_for_status()
        messages = history_from_events(response.json().get("events"))
    except Exception as exc:  # noqa: BLE001 - the history is a nicety: never a 500 for it
        logger.warning("history unavailable for sender %s: %s", sender_tag(sender), type(exc).__name__)
        return HistoryResponse(sender=sender, available=False, messages=[])
    return HistoryResponse(
        sender=sender, available=True, messages=[HistoryMessage.model_validate(m) for m in messages]
    )
