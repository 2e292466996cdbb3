"""Security headers on every response, stricter on the staff side.

Everywhere: ``nosniff`` (a JSON or text body is never run as a script) and a referrer policy that
does not leak paths to other sites. Staff pages and staff API (``/staff`` but its static files):
no framing at all (clickjacking an officer into a click: ``X-Frame-Options`` for old browsers,
CSP ``frame-ancestors`` for the others), a CSP that allows only the pages' own files (they load
nothing else and have no inline script or style), and ``no-store`` so a shared computer's cache
keeps no citizen's words. The citizen side (``/``, ``/widget.js``, the public API) stays
embeddable: the widget runs inside other sites' pages.

HSTS only when the staff cookie is Secure, i.e. when the operator says the site is served over TLS.
"""

from __future__ import annotations

import logging

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import Settings

log = logging.getLogger(__name__)

STAFF_PREFIX = "/staff"
STAFF_STATIC_PREFIX = "/staff/static/"

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
STAFF_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
STAFF_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": STAFF_CSP,
    "Cache-Control": "no-store",
}
HSTS = "max-age=31536000; includeSubDomains"


def is_staff_path(path: str) -> bool:
    return (path == STAFF_PREFIX or path.startswith(STAFF_PREFIX + "/")) and not path.startswith(STAFF_STATIC_PREFIX)


class SecurityHeadersMiddleware:
    """Pure ASGI (not BaseHTTPMiddleware), so the console's event stream is not buffered."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = dict(COMMON_HEADERS)
        if is_staff_path(scope["path"]):
            extra.update(STAFF_HEADERS)
        if self.hsts:
            extra["Strict-Transport-Security"] = HSTS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value  # replaces a route's own value (a CSV's Cache-Control)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def warn_if_cookie_not_secure(settings: Settings) -> None:
    if not settings.staff_cookie_secure:
        log.warning(
            "The staff session cookie is not Secure (TTHC_STAFF_COOKIE_SECURE=false): it is sent over plain "
            "HTTP too. Set it to true when the site is served over HTTPS (always in production)."
        )
