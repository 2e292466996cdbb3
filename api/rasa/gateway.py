"""Every call this product makes to Rasa's HTTP API, and nowhere else.

Rasa runs with ``--enable-api`` and, when ``settings.rasa_token`` is set, ``--auth-token``: then
every call of its HTTP API carries ``?token=`` (tracker reads and writes, ``/status``,
``PUT /model``), while the REST channel's webhook takes none (Rasa does not ask for it there, and
the token must not travel with citizens' messages).

Each failure (Rasa unreachable, too slow, an error status, an answer that is not what Rasa sends)
becomes one exception, ``RasaUnavailable``, logged here once with the conversation's log tag and
the kind of failure, never a message text. Callers decide what a failure means for them: an
apology for the citizen, an empty history, a component "down", a retrain that stops.

The gateway holds no state besides the client it is given (the application's one
``httpx.AsyncClient``; tests give one over ``httpx.MockTransport``), so it is cheap to build.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from core.settings import Settings

logger = logging.getLogger(__name__)

REST_WEBHOOK = "/webhooks/rest/webhook"
# A tracker read is on the path of a reply (a command-like text) or of a page load (the widget's
# history): it waits at most this long, however patient the turn itself may be.
TRACKER_READ_TIMEOUT = 5.0
STATUS_TIMEOUT = 10.0
STATUS_CALL = "status"


def sender_tag(sender: str) -> str:
    """A short, non-reversible tag for logs: conversation ids can be Zalo user ids."""
    return hashlib.sha256(sender.encode()).hexdigest()[:10]


class RasaUnavailable(Exception):
    """Rasa could not be reached, answered an error status, or answered something unreadable.

    ``reason`` names the failure for logs and staff messages (an httpx exception class such as
    ``ConnectError`` or ``ReadTimeout``, ``HTTP 500``, ``bad JSON``), never a message text;
    ``status_code`` is Rasa's HTTP status when it did answer with an error."""

    def __init__(self, call: str, reason: str, status_code: int | None = None) -> None:
        super().__init__(f"rasa {call}: {reason}")
        self.call = call
        self.reason = reason
        self.status_code = status_code


@dataclass(frozen=True)
class RasaStatus:
    """``GET /status``: the model the server runs (Rasa reports its file name, not its path)."""

    model_file: str | None
    model_id: str | None


class RasaGateway:
    """Rasa's REST channel and HTTP API over an injected ``httpx.AsyncClient``."""

    def __init__(self, client: httpx.AsyncClient, *, url: str, token: str | None = None, timeout: float = 20.0) -> None:
        self._client = client
        self._url = url.rstrip("/")
        self._token = token
        self._timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings, client: httpx.AsyncClient) -> RasaGateway:
        return cls(client, url=settings.rasa_url, token=settings.rasa_token, timeout=settings.rasa_timeout_seconds)

    def server_url(self, sender: str | None = None) -> str:
        """The Rasa server that holds ``sender``'s conversation (``None``: a call about no
        conversation, such as ``/status`` or loading a model).

        Every URL of this class is built from this one method. Today there is one server
        (``settings.rasa_url``); this is the single place where each sender will be routed to
        one Rasa replica (a conversation's tracker lives on the replica that holds it), and where
        the calls about no conversation will have to reach every replica."""
        return self._url

    def _params(self, **params: str) -> dict[str, str]:
        """Query parameters of a call to Rasa's HTTP API: ``token`` when Rasa runs with --auth-token."""
        return {**params, "token": self._token} if self._token else dict(params)

    def _failure(self, call: str, sender: str | None, reason: str, status_code: int | None = None) -> RasaUnavailable:
        whose = f" for sender {sender_tag(sender)}" if sender is not None else ""
        # /status is polled by health checks while Rasa starts: its callers report a failure
        # themselves (a component "down", a retrain's message), so it is no warning here.
        level = logging.DEBUG if call == STATUS_CALL else logging.WARNING
        logger.log(level, "rasa %s failed%s: %s", call, whose, reason)
        return RasaUnavailable(call, reason, status_code)

    async def _request(
        self,
        call: str,
        method: str,
        path: str,
        *,
        sender: str | None = None,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        url = f"{self.server_url(sender)}{path}"
        try:
            response = await self._client.request(
                method,
                url,
                params=params,
                json=body,
                timeout=self._timeout if timeout is None else timeout,
            )
        except httpx.HTTPError as exc:
            raise self._failure(call, sender, type(exc).__name__) from exc
        if not response.is_success:
            raise self._failure(call, sender, f"HTTP {response.status_code}", response.status_code)
        return response

    def _json(self, call: str, sender: str | None, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError alike
            raise self._failure(call, sender, "bad JSON") from exc

    # --- a conversation ------------------------------------------------------------------------

    async def send(self, sender: str, message: str, *, metadata: Mapping[str, str]) -> list[dict[str, Any]]:
        """One message to Rasa's REST channel; the messages Rasa answers, as it sends them
        (``{"recipient_id", "text"?, "buttons"?, "image"?, "custom"?}``). ``metadata`` is kept by
        Rasa on the user event and in its parse data (``tracker.latest_message["metadata"]``).
        The webhook takes no token."""
        call = "send"
        started = time.perf_counter()
        response = await self._request(
            call,
            "POST",
            REST_WEBHOOK,
            sender=sender,
            body={"sender": sender, "message": message, "metadata": dict(metadata)},
        )
        payload = self._json(call, sender, response)
        if not isinstance(payload, list) or not all(isinstance(item, dict) for item in payload):
            raise self._failure(call, sender, "not a list of messages")
        logger.info(
            "turn sender=%s replies=%d ms=%.0f",
            sender_tag(sender),
            len(payload),
            (time.perf_counter() - started) * 1000,
        )
        return payload

    async def tracker(self, sender: str) -> dict[str, Any]:
        """The conversation's tracker with its events since the last restart."""
        call = "tracker read"
        response = await self._request(
            call,
            "GET",
            f"/conversations/{quote(sender, safe='')}/tracker",
            sender=sender,
            params=self._params(include_events="AFTER_RESTART"),
            timeout=min(TRACKER_READ_TIMEOUT, self._timeout),
        )
        tracker = self._json(call, sender, response)
        if not isinstance(tracker, dict):
            raise self._failure(call, sender, "not an object")
        return tracker

    async def append_events(self, sender: str, events: Sequence[Mapping[str, Any]]) -> None:
        """Appends events to the conversation's tracker (Rasa answers without the tracker)."""
        await self._request(
            "tracker append",
            "POST",
            f"/conversations/{quote(sender, safe='')}/tracker/events",
            sender=sender,
            params=self._params(include_events="NONE"),
            body=[dict(event) for event in events],
        )

    # --- the server --------------------------------------------------------------------------

    async def status(self, *, timeout: float = STATUS_TIMEOUT) -> RasaStatus:
        """``GET /status``: answers only once a model is loaded (``/`` answers before, so it would
        call a half-started Rasa healthy), and only with the token."""
        call = STATUS_CALL
        response = await self._request(call, "GET", "/status", params=self._params(), timeout=timeout)
        status = self._json(call, None, response)
        if not isinstance(status, dict):
            raise self._failure(call, None, "not an object")
        model_file, model_id = status.get("model_file"), status.get("model_id")
        return RasaStatus(
            model_file=model_file if isinstance(model_file, str) and model_file else None,
            model_id=model_id if isinstance(model_id, str) else None,
        )

    async def load_model(self, model_file: str, *, timeout: float) -> None:
        """``PUT /model``: the server loads ``model_file`` (a path it can read) and runs it; the
        conversations in progress keep their trackers."""
        await self._request(
            "model load", "PUT", "/model", params=self._params(), body={"model_file": model_file}, timeout=timeout
        )
