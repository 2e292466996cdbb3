"""GET /api/health: is each part of the stack up? 200 when all are, 503 naming what is down."""

from __future__ import annotations

import asyncio
from typing import Literal

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from core.db import get_engine

router = APIRouter(prefix="/api", tags=["health"])
CHECK_TIMEOUT = 3.0


class HealthReport(BaseModel):
    status: Literal["ok", "degraded"]
    components: dict[str, Literal["up", "down"]] = Field(description="rasa, action_server, database")
    down: list[str] = Field(description="Thành phần đang ngừng (rỗng khi mọi thứ chạy)")


def _rasa_params(token: str | None) -> dict[str, str] | None:
    return {"token": token} if token else None


async def _http_ok(client: httpx.AsyncClient, url: str, params: dict[str, str] | None = None) -> bool:
    try:
        response = await client.get(url, params=params, timeout=CHECK_TIMEOUT)
        return response.status_code == 200
    except httpx.HTTPError:
        return False


def _database_ok() -> bool:
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "down" for a health check
        return False


@router.get(
    "/health",
    response_model=HealthReport,
    responses={503: {"model": HealthReport, "description": "Có thành phần đang ngừng (xem `down`)"}},
)
async def health(request: Request) -> JSONResponse:
    settings, client = request.app.state.settings, request.app.state.http
    rasa, actions, database = await asyncio.gather(
        # /status is behind Rasa's API token (a 401 would read as "down"); / answers without a
        # model, so it would call a half-started Rasa healthy.
        _http_ok(client, f"{settings.rasa_url}/status", _rasa_params(settings.rasa_token)),
        _http_ok(client, f"{settings.action_server_url}/health"),
        asyncio.to_thread(_database_ok),
    )
    checks = {"rasa": rasa, "action_server": actions, "database": database}
    down = [name for name, ok in checks.items() if not ok]
    body = {
        "status": "ok" if not down else "degraded",
        "components": {name: ("up" if ok else "down") for name, ok in checks.items()},
        "down": down,
    }
    return JSONResponse(body, status_code=503 if down else 200)
