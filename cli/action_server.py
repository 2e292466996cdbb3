"""The action server: rasa_sdk's Sanic app on a chosen interface, open only to callers with the token.

``python -m rasa_sdk`` always listens on ``0.0.0.0`` (or ``$SANIC_HOST``) and runs any action for
anyone who can reach the port — including the dossier lookups and handoffs, with a sender id of
the caller's choosing. This launcher builds the same app (``rasa_sdk.endpoint.create_app_for_serve``)
and adds one request middleware: every route but ``/health`` needs ``?token=`` equal to
``TTHC_ACTION_TOKEN`` — what Rasa sends when ``endpoints.yml`` gives the action endpoint a
``token`` (``rasa.utils.endpoints.EndpointConfig``). Without a configured token it refuses to start.

    python -m cli.action_server --actions actions --host 127.0.0.1 --port 5055
"""

from __future__ import annotations

import argparse
import hmac
import logging
from functools import partial
from typing import Any

from rasa_sdk import utils
from rasa_sdk.endpoint import create_app_for_serve
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.worker.loader import AppLoader

from core.settings import get_settings

logger = logging.getLogger(__name__)

# Health checks (the stack runner, GET /api/health) carry no secret and reveal nothing.
OPEN_PATHS = frozenset({"/health"})


def token_accepted(provided: str | None, expected: str) -> bool:
    """Constant-time comparison, so the token cannot be guessed byte by byte from timings."""
    return provided is not None and hmac.compare_digest(provided.encode(), expected.encode())


def _configured_token() -> str:
    token = get_settings().action_token
    if not token:
        raise SystemExit("TTHC_ACTION_TOKEN is not set: the action server refuses to run without a token.")
    return token


def build_app(actions_module: str) -> Sanic[Any, Any]:
    """rasa_sdk's app for ``actions_module`` behind the token check (called in each Sanic worker)."""
    token = _configured_token()
    executor = ActionExecutor()
    executor.register_package(actions_module)
    # No CORS: no browser has any business calling the action server.
    app: Sanic[Any, Any] = create_app_for_serve(executor, cors_origins=None)

    @app.on_request
    async def require_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or token_accepted(request.args.get("token"), token):
            return None
        return response.json({"error": "NotAuthenticated"}, status=401)

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", default="actions", help="package of the custom actions")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (loopback by default)")
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args(argv)
    _configured_token()  # fail before Sanic starts its worker processes

    # The same logging and process model as `python -m rasa_sdk` (rasa_sdk.endpoint.run).
    utils.configure_colored_logging(logging.INFO)
    utils.update_sanic_log_level()
    # Sanic rebuilds the app in each worker process from this (picklable) factory.
    loader = AppLoader(factory=partial(build_app, args.actions))
    app = loader.load()
    logger.info("Action server listening on http://%s:%s (token required)", args.host, args.port)
    app.prepare(host=args.host, port=args.port, workers=utils.number_of_sanic_workers())
    Sanic.serve(primary=app, app_loader=loader)


if __name__ == "__main__":
    main()
