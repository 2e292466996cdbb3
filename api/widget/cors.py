"""Cross-origin access for the widget's API endpoints, so the widget works on any site.

The sites allowed are listed in TTHC_CORS_ORIGINS (``Settings.cors_origins``), comma-separated (``https://phuong.example.vn,
https://xa.example.vn``), or ``*`` for any site. Unset: same-origin only (the demo page at ``/``).
Only the endpoints the widget calls answer cross-origin requests: ``POST /api/chat``,
``GET /api/chat/history``, ``GET /api/chat/events`` (an officer's replies, Server-Sent Events),
``GET /api/notices`` and ``GET /api/widget/unit`` (its unit's notices), and
``GET /api/dossiers/news`` with ``POST /api/dossiers/news/ack`` (dossier news on opening); no cookies are involved (the widget
sends none), so ``*`` does not expose anything a site could not already read.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from core.settings import get_settings, parse_origins

WIDGET_API_PATHS = frozenset(
    {
        "/api/chat",
        "/api/chat/history",
        "/api/chat/events",
        "/api/notices",
        "/api/widget/unit",
        "/api/dossiers/news",
        "/api/dossiers/news/ack",
    }
)


def cors_origins(value: str | None = None) -> list[str]:
    """The allowed origins from TTHC_CORS_ORIGINS (or ``value``); empty when unset."""
    return parse_origins(get_settings().cors_origins if value is None else value)


class WidgetCORSMiddleware:
    """CORS (preflight and response headers) for the widget's endpoints only."""

    def __init__(self, app: ASGIApp, origins: list[str], paths: frozenset[str] = WIDGET_API_PATHS) -> None:
        self.app = app
        self.paths = paths
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Last-Event-ID"],  # EventSource resends it on reconnect
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.paths:
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def install_cors(app: FastAPI, origins: list[str] | None = None) -> list[str]:
    """Adds the middleware when any origin is configured; returns the origins it allowed."""
    allowed = cors_origins() if origins is None else origins
    if allowed:
        app.add_middleware(WidgetCORSMiddleware, origins=allowed)
    return allowed
