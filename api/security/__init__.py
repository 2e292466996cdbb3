"""Defences every request passes through: which address a request comes from (forwarded headers
believed only from configured proxies), the security headers of each response, and the per-client
rate limit of the chat endpoint. ``install_security`` wires the middleware; docs/security.md
describes the threats."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from api.security.headers import SecurityHeadersMiddleware, warn_if_cookie_not_secure
from api.security.proxies import install_proxy_headers
from api.security.rate_limit import ChatRateLimited, rate_limited_response
from core.settings import Settings


def install_security(app: FastAPI, settings: Settings) -> None:
    """Call after every other middleware is added: Starlette runs the last added first, and the
    client address must be resolved before anything (CORS, routes, the rate limit) reads it."""

    @app.exception_handler(ChatRateLimited)
    async def _rate_limited(_request: Request, error: ChatRateLimited) -> JSONResponse:
        return rate_limited_response(error)

    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.staff_cookie_secure)
    install_proxy_headers(app, settings.trusted_proxies)
    warn_if_cookie_not_secure(settings)


__all__ = ["install_security"]
