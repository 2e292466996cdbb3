"""Request latency per route template: a pure ASGI middleware (no BaseHTTPMiddleware, so streaming
responses and the live console's event streams pass through untouched).

The route label is the template of the route that answered (``/api/procedures/{code}``), read from
``scope["route"]``, which Starlette's router sets in the shared scope before it calls the endpoint;
never the raw path, whose ids would make every request its own series. A request no route matched
(unknown paths, scanners) is ``unmatched``.

The duration is measured to the response's start (its status line), not to its last byte: for an
ordinary response the two are the same, and for a stream (server-sent events of the console and of
the widget's handoff view, which stay open for minutes) it is the time the server took to answer,
which is what an alert on latency means.
"""

from __future__ import annotations

import time

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics.instruments import UNMATCHED, observe_request


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    if isinstance(route, Mount):  # static files: one series per mount, whatever the file
        return f"{route.path}/{{path}}"
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class RequestMetricsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answered = False

        async def send_and_observe(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start" and not answered:
                answered = True
                observe_request(
                    route_template(scope), scope["method"], message["status"], time.perf_counter() - started
                )
            await send(message)

        try:
            await self.app(scope, receive, send_and_observe)
        except Exception:
            # Starlette's outermost ServerErrorMiddleware turns this into a 500 after we re-raise.
            if not answered:
                observe_request(route_template(scope), scope["method"], 500, time.perf_counter() - started)
            raise
