"""GET /api/health: is each part of the stack up? 200 when all are, 503 naming what is down."""

from __future__ import annotations

import asyncio
from typing import Literal

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from api.deps import ContextDep
from api.rasa.gateway import RasaGateway, RasaUnavailable
from core.db import get_engine

router = APIRouter(prefix="/api", tags=["health"])
CHECK_TIMEOUT = 3.0


class HealthReport(BaseModel):
    status: Literal["ok", "degraded"]
    components: dict[str, Literal["up", "down"]] = Field(description="rasa, action_server, database")
    down: list[str] = Field(description="Thành phần đang ngừng (rỗng khi mọi thứ chạy)")


async def _rasa_ok(rasa: RasaGateway) -> bool:
    # /status answers once a model is loaded, with the API token (api.rasa.gateway).
    try:
        await rasa.status(timeout=CHECK_TIMEOUT)
    except RasaUnavailable:
        return False
    return True


async def _http_ok(client: httpx.AsyncClient, url: str) -> bool:
    try:
        response = await client.get(url, timeout=CHECK_TIMEOUT)
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
async def health(context: ContextDep) -> JSONResponse:
    settings, client = context.settings, context.http
    rasa, actions, database = await asyncio.gather(
        _rasa_ok(RasaGateway.from_settings(settings, client)),
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
