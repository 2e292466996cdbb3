"""POST /webhooks/zalo: Zalo OA events in; 200 at once, the answer goes out through the outbox."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from api.channels.zalo.signature import SIGNATURE_HEADER, WebhookRejected, verify_event
from api.deps import ContextDep
from api.errors import error_responses

logger = logging.getLogger(__name__)

router = APIRouter(tags=["zalo"])

# Far above any event Zalo sends (a text event is a few KB; longer texts are answered with a
# note, see service.TOO_LONG_EVENT), low enough that an unsigned body cannot fill the memory
# before its signature is checked.
MAX_EVENT_BYTES = 1024 * 1024


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The raw body, or None as soon as it exceeds ``limit`` bytes (whatever Content-Length says)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and len(declared) < 20 and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


@router.post(
    "/webhooks/zalo",
    responses={
        200: {"description": 'Sự kiện đã nhận: `{"status": "accepted" | "duplicate" | "ignored"}`'},
        **error_responses(
            400,
            401,
            413,
            503,
            s400="Thân yêu cầu không phải một đối tượng JSON",
            s401=(
                "Thiếu hoặc sai chữ ký X-ZEvent-Signature, sự kiện của ứng dụng khác "
                "hoặc thời điểm ngoài cửa sổ cho phép"
            ),
            s413="Sự kiện lớn hơn 1 MiB",
            s503="Kênh Zalo chưa được cấu hình",
        ),
    },
    # The handler reads the raw body itself (the signature covers its exact bytes), so FastAPI
    # cannot infer what it accepts: say it here.
    openapi_extra={
        "parameters": [
            {
                "name": "X-ZEvent-Signature",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "mac=SHA-256(app_id + thân yêu cầu + timestamp + OA secret key)",
            }
        ],
        "requestBody": {
            "required": True,
            "description": "Sự kiện webhook của Zalo OA (ví dụ `user_send_text`), tối đa 1 MiB",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["app_id", "event_name", "timestamp"],
                        "properties": {
                            "app_id": {"type": "string"},
                            "event_name": {"type": "string"},
                            "timestamp": {"type": "string", "description": "mili giây kể từ 1970"},
                        },
                    }
                }
            },
        },
    },
)
async def zalo_webhook(request: Request, context: ContextDep) -> JSONResponse:
    """Receives Zalo OA webhook events (``user_send_text``; other message types get a polite note).

    401 for a missing or wrong ``X-ZEvent-Signature``, another app's event or a timestamp outside
    the window, or a timestamp that is not a plain number of milliseconds; 400 for a body that is
    not a JSON object; 413 for a body over 1 MiB; 503 while the channel is not configured or the
    database cannot store the event (it is not acknowledged);
    otherwise 200 with ``{"status": "accepted" | "duplicate" | "ignored"}``. A text longer than
    ``max_message_chars`` is accepted and answered with a note asking for shorter messages.
    """
    channel = context.zalo
    settings = channel.settings
    if not settings.configured:
        return JSONResponse(
            status_code=503,
            content={
                "error": "Kênh Zalo chưa được cấu hình: cần đặt biến môi trường " + " và ".join(settings.missing) + ".",
            },
        )
    raw = await _read_body(request, MAX_EVENT_BYTES)
    if raw is None:
        return JSONResponse(status_code=413, content={"error": "Sự kiện quá lớn: tối đa 1 MiB."})
    try:
        event = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        event = None
    if not isinstance(event, dict):
        return JSONResponse(status_code=400, content={"error": "Sự kiện không phải JSON hợp lệ."})
    try:
        verify_event(
            raw_body=raw,
            event=event,
            header=request.headers.get(SIGNATURE_HEADER),
            app_id=settings.app_id or "",
            secret_key=settings.secret_key_value(),
            window_seconds=settings.signature_window_seconds,
        )
    except WebhookRejected as exc:
        logger.warning("zalo webhook rejected: %s", exc.reason)
        return JSONResponse(status_code=401, content={"error": f"Sự kiện bị từ chối: {exc.reason}."})
    try:
        status = await channel.accept(event)
    except SQLAlchemyError as exc:
        # The event cannot be stored, so it is not acknowledged: a 5xx tells Zalo it was not taken.
        logger.warning("zalo event not stored, database unavailable: %s", type(exc).__name__)
        return JSONResponse(
            status_code=503, content={"error": "Tạm thời không lưu được sự kiện; vui lòng gửi lại sau."}
        )
    return JSONResponse({"status": status})
