"""Application factory: ``uvicorn api.main:app``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from api.admin.routes import router as admin_router
from api.analytics.routes import router as analytics_router
from api.callbacks.routes import router as callbacks_router
from api.centres.routes import router as centres_router
from api.channels.zalo.routes import router as zalo_router
from api.channels.zalo.worker import start_outbox_worker, stop_outbox_worker
from api.chat.routes import router as chat_router
from api.checklists.routes import router as checklists_router
from api.console.routes import router as console_router
from api.deps import AppContext
from api.dossiers.routes import router as dossiers_router
from api.dossiers.worker import start_news_poller, stop_news_poller
from api.errors import install_error_handlers
from api.health import router as health_router
from api.learning import runtime as learning_runtime
from api.learning.routes import router as learning_router
from api.metrics import install as install_metrics
from api.notices.routes import router as notices_router
from api.procedures.routes import router as procedures_router
from api.security import install_security
from api.staff.routes import router as staff_router
from api.staff.templating import install_staff_handlers
from api.suggestions.routes import router as suggestions_router
from api.units.routes import router as units_router
from api.widget.cors import install_cors
from api.widget.routes import router as widget_router
from core.redis import close_async_clients
from core.settings import get_settings

STATIC_DIR = Path(__file__).resolve().parent / "static"
STAFF_STATIC_DIR = Path(__file__).resolve().parent / "staff" / "static"


def create_app() -> FastAPI:
    settings = get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient() as client:
            retrain = learning_runtime.build_retrain_service()
            context = AppContext.create(settings, client, retrain=retrain)
            app.state.context = context  # the only thing on app.state; routes take ContextDep
            context.hub.start()  # other API workers' wake-ups, through Redis when it is configured
            await start_outbox_worker(context.zalo)
            # Dossier news (every API worker runs one; claims keep each dossier to one poller).
            news_poller = await start_news_poller(settings.dossier, on_zalo_news=context.zalo.wake)
            learning_runtime.on_startup(retrain)
            try:
                yield
            finally:
                learning_runtime.on_shutdown(retrain)
                await stop_news_poller(news_poller)
                await stop_outbox_worker(context.zalo)
                await context.hub.stop()
                await close_async_clients()

    app = FastAPI(
        title="Trợ lý thủ tục hành chính",
        description="Cầu nối kênh chat (web, Zalo) với trợ lý Rasa và kho tri thức thủ tục hành chính.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    install_staff_handlers(app)
    install_cors(app, settings.cors_origin_list)
    install_metrics(app, settings)  # request latency per route, protected GET /metrics
    install_security(app, settings)  # last: its proxy middleware must run first
    app.include_router(chat_router)
    app.include_router(widget_router)
    app.include_router(zalo_router)
    app.include_router(health_router)
    app.include_router(procedures_router)
    app.include_router(units_router)
    app.include_router(centres_router)
    app.include_router(staff_router)
    app.include_router(console_router)
    app.include_router(suggestions_router)
    app.include_router(admin_router)
    app.include_router(learning_router)
    app.include_router(analytics_router)
    app.include_router(checklists_router)
    app.include_router(dossiers_router)
    app.include_router(callbacks_router)
    app.include_router(notices_router)
    app.mount("/staff/static", StaticFiles(directory=STAFF_STATIC_DIR), name="staff-static")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    return app


logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
# One line per outgoing request (health checks every few seconds) drowns the turn log.
logging.getLogger("httpx").setLevel(logging.WARNING)
app = create_app()
