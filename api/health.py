"""GET /api/health: is each part of the stack up? 200 when all are, 503 naming what is down.

Components: each Rasa replica (``rasa`` for a single server, else ``rasa-1``, ``rasa-2``, … in the
order of ``TTHC_RASA_URLS``), ``action_server``, ``database`` and, when ``TTHC_REDIS_URL`` is set,
``redis``. Only names and states: never a URL, a host or a credential.
"""

from __future__ import annotations

import asyncio
from typing import Literal

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from api.deps import ContextDep
from api.rasa.gateway import RasaGateway, RasaStatus
from core.db import get_engine
from core.redis import redis_ok
from core.settings import Settings

router = APIRouter(prefix="/api", tags=["health"])
CHECK_TIMEOUT = 3.0


class HealthReport(BaseModel):
    status: Literal["ok", "degraded"]
    components: dict[str, Literal["up", "down"]] = Field(
        description=(
            "Mỗi thành phần và trạng thái của nó: `rasa` (một máy chủ) hoặc `rasa-1`, `rasa-2`, … "
            "(mỗi bản sao Rasa), `action_server`, `database`, và `redis` khi có cấu hình TTHC_REDIS_URL"
        )
    )
    down: list[str] = Field(description="Thành phần đang ngừng (rỗng khi mọi thứ chạy)")


async def _rasa_replicas(rasa: RasaGateway) -> dict[str, bool]:
    # /status answers once a model is loaded, with the API token (api.rasa.gateway), on each replica.
    answers = await rasa.status_all(timeout=CHECK_TIMEOUT)
    if len(answers) == 1:
        return {"rasa": all(isinstance(a, RasaStatus) for a in answers.values())}
    return {rasa.replica_name(url): isinstance(answer, RasaStatus) for url, answer in answers.items()}


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


async def _redis_state(settings: Settings) -> dict[str, bool]:
    if not settings.redis_url:
        return {}
    return {"redis": await asyncio.to_thread(redis_ok, settings)}


@router.get(
    "/health",
    response_model=HealthReport,
    responses={503: {"model": HealthReport, "description": "Có thành phần đang ngừng (xem `down`)"}},
)
async def health(context: ContextDep) -> JSONResponse:
    settings, client = context.settings, context.http
    rasa, actions, database, redis = await asyncio.gather(
        _rasa_replicas(RasaGateway.from_settings(settings, client)),
        _http_ok(client, f"{settings.action_server_url}/health"),
        asyncio.to_thread(_database_ok),
        _redis_state(settings),
    )
    checks = {**rasa, "action_server": actions, "database": database, **redis}
    down = [name for name, ok in checks.items() if not ok]
    body = {
        "status": "ok" if not down else "degraded",
        "components": {name: ("up" if ok else "down") for name, ok in checks.items()},
        "down": down,
    }
    return JSONResponse(body, status_code=503 if down else 200)
