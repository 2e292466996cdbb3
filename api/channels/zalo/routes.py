"""POST /webhooks/zalo: Zalo OA events in; 200 at once, the answer goes out through the outbox."""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.channels.zalo.service import get_channel
from api.channels.zalo.signature import SIGNATURE_HEADER, WebhookRejected, verify_event

logger = logging.getLogger(__name__)

router = APIRouter(tags=["zalo"])


@router.post("/webhooks/zalo")
async def zalo_webhook(request: Request) -> JSONResponse:
    """Receives Zalo OA webhook events (``user_send_text``; other message types get a polite note).

    401 for a missing or wrong ``X-ZEvent-Signature``, another app's event or a timestamp outside
    the window; 503 while the channel is not configured; otherwise 200 with
    ``{"status": "accepted" | "duplicate" | "ignored"}``.
    """
    channel = get_channel(request.app)
    settings = channel.settings
    if not settings.configured:
        return JSONResponse(
            status_code=503,
            content={
                "error": "Kênh Zalo chưa được cấu hình: cần đặt biến môi trường " + " và ".join(settings.missing) + ".",
            },
        )
    raw = await request.body()
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
    status = await channel.accept(event)
    return JSONResponse({"status": status})
