"""Every call this product makes to Rasa's HTTP API, and nowhere else.

Rasa runs with ``--enable-api`` and, when ``settings.rasa_token`` is set, ``--auth-token``: then
every call of its HTTP API carries ``?token=`` (tracker reads and writes, ``/status``,
``PUT /model``), while the REST channel's webhook takes none (Rasa does not ask for it there, and
the token must not travel with citizens' messages).

Each failure (Rasa unreachable, too slow, an error status, an answer that is not what Rasa sends)
becomes one exception, ``RasaUnavailable``, logged here once with the conversation's log tag and
the kind of failure, never a message text. Callers decide what a failure means for them: an
apology for the citizen, an empty history, a component "down", a retrain that stops.

Replicas (the production profile runs ``TTHC_RASA_REPLICAS`` Rasa servers, listed in
``settings.rasa_url_list``). Each sender is routed to one replica by rendezvous hashing
(highest random weight of ``sha256(url, sender)``): a sender always goes to the same replica, the
senders spread evenly, and removing a replica moves only that replica's senders. Rasa Open Source
3.6's Redis lock store does not stop two replicas from taking the same conversation at once, so
this routing is the first guard and the lock store the second. Trackers live in the shared SQL
tracker store, so any replica can carry on any conversation with its context.

Failover: when the sender's replica cannot be reached (``ConnectError``/``ConnectTimeout``) or
closes the connection without an answer (``RemoteProtocolError``: it died mid-request, or a pooled
connection was stale), it is marked down for ``DOWN_SECONDS`` and the call goes to the sender's
next replica in its rendezvous order. A ``ReadTimeout`` is never retried: Rasa got the message and
may have processed it (run actions, written events); sending it again could answer the citizen
twice or book a handoff twice, so the caller gets ``RasaUnavailable`` (an apology) instead. Marks
are module-level state, so each process (each uvicorn worker) learns on its own that a replica is
down: at worst one extra failed connection per process per ``DOWN_SECONDS``.

Calls about no conversation go to each replica: ``status_all`` (health), ``status`` (every replica
must answer and run the same model), ``load_model`` (the retrain loads the new model everywhere).

Each call reports ``api.metrics.observe_rasa_call(replica, call, seconds, ok)`` with the replica's
name (``rasa-1``, ``rasa-2``, … in list order), never its URL.

The gateway holds no state besides the client it is given (the application's one
``httpx.AsyncClient``; tests give one over ``httpx.MockTransport``) and the down marks, so it is
cheap to build.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from api.metrics import observe_rasa_call
from core.settings import Settings

logger = logging.getLogger(__name__)

REST_WEBHOOK = "/webhooks/rest/webhook"
# A tracker read is on the path of a reply (a command-like text) or of a page load (the widget's
# history): it waits at most this long, however patient the turn itself may be.
TRACKER_READ_TIMEOUT = 5.0
STATUS_TIMEOUT = 10.0
STATUS_CALL = "status"
# How long a replica that refused a connection is tried only after the others (per process).
DOWN_SECONDS = 5.0
# The replica could not have started on the request (connect) or died before answering (the
# connection closed without a response): safe to send to another replica. Not ReadTimeout.
FAILOVER_ERRORS: tuple[type[httpx.HTTPError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.RemoteProtocolError,
)

# url -> time.monotonic() until which the replica counts as down (this process only).
_down_until: dict[str, float] = {}


def sender_tag(sender: str) -> str:
    """A short, non-reversible tag for logs: conversation ids can be Zalo user ids."""
    return hashlib.sha256(sender.encode()).hexdigest()[:10]


def rendezvous_order(urls: Sequence[str], sender: str) -> list[str]:
    """``urls`` from the sender's preferred replica to its last resort (highest random weight:
    each (replica, sender) pair gets a hash, the highest wins). Removing a replica only moves the
    senders it won; the others keep their replica."""

    def weight(url: str) -> int:
        return int.from_bytes(hashlib.sha256(f"{url}\n{sender}".encode()).digest()[:8], "big")

    return sorted(urls, key=weight, reverse=True)


def mark_down(url: str, seconds: float = DOWN_SECONDS) -> None:
    _down_until[url] = time.monotonic() + seconds


def is_down(url: str) -> bool:
    until = _down_until.get(url)
    if until is None:
        return False
    if time.monotonic() >= until:
        _down_until.pop(url, None)
        return False
    return True


def reset_down_marks() -> None:
    """Forget every down mark (tests)."""
    _down_until.clear()


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
    """Rasa's REST channel and HTTP API over an injected ``httpx.AsyncClient``, on one or more
    replicas (``urls``; ``url`` alone for a single server)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        url: str | None = None,
        urls: Sequence[str] | None = None,
        token: str | None = None,
        timeout: float = 20.0,
    ) -> None:
        listed = [u.rstrip("/") for u in (urls if urls is not None else ([url] if url else [])) if u]
        if not listed:
            raise ValueError("RasaGateway needs at least one Rasa URL")
        self._client = client
        self._urls = listed
        self._names = {u: f"rasa-{i}" for i, u in enumerate(listed, start=1)}
        self._token = token
        self._timeout = timeout
        self._observe = observe_rasa_call

    @classmethod
    def from_settings(cls, settings: Settings, client: httpx.AsyncClient) -> RasaGateway:
        return cls(
            client, urls=settings.rasa_url_list, token=settings.rasa_token, timeout=settings.rasa_timeout_seconds
        )

    @property
    def urls(self) -> list[str]:
        return list(self._urls)

    def replica_name(self, url: str) -> str:
        """``rasa-1``, ``rasa-2``, … by position in the list: what health and metrics show."""
        return self._names.get(url.rstrip("/"), "rasa")

    def server_urls(self, sender: str | None = None) -> list[str]:
        """The replicas to try for ``sender``, in order: its rendezvous order with the replicas
        marked down moved to the end (still tried: they may be back, and with one replica there
        is nothing else). ``None`` (a call about no conversation): the list order.

        Every URL of this class is built from this one method."""
        ordered = self._urls if sender is None else rendezvous_order(self._urls, sender)
        return [u for u in ordered if not is_down(u)] + [u for u in ordered if is_down(u)]

    def server_url(self, sender: str | None = None) -> str:
        """The replica that holds ``sender``'s conversation now."""
        return self.server_urls(sender)[0]

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

    def _report(self, url: str, call: str, started: float, ok: bool) -> None:
        try:
            self._observe(self.replica_name(url), call, time.perf_counter() - started, ok)
        except Exception:  # noqa: BLE001 - metrics never break a conversation
            logger.debug("metrics observer failed", exc_info=True)

    async def _request_one(
        self,
        url: str,
        call: str,
        method: str,
        path: str,
        *,
        sender: str | None,
        params: Mapping[str, str] | None,
        body: Any,
        timeout: float | None,
    ) -> httpx.Response:
        """One request to one replica; transport errors are raised as they are (failover decides)."""
        started = time.perf_counter()
        ok = False
        try:
            response = await self._client.request(
                method,
                f"{url}{path}",
                params=params,
                json=body,
                timeout=self._timeout if timeout is None else timeout,
            )
            ok = response.is_success
        finally:
            self._report(url, call, started, ok)
        if not response.is_success:
            raise self._failure(call, sender, f"HTTP {response.status_code}", response.status_code)
        return response

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
        url: str | None = None,
    ) -> httpx.Response:
        """The call on the sender's replica, on its next one when a replica cannot be reached.
        ``url``: this replica only (the calls made to every replica)."""
        candidates = [url] if url is not None else self.server_urls(sender)
        last: httpx.HTTPError | None = None
        for index, target in enumerate(candidates):
            try:
                return await self._request_one(
                    target, call, method, path, sender=sender, params=params, body=body, timeout=timeout
                )
            except FAILOVER_ERRORS as exc:
                last = exc
                mark_down(target)
                if index + 1 < len(candidates):
                    logger.warning(
                        "rasa %s: %s unreachable (%s), trying %s",
                        call,
                        self.replica_name(target),
                        type(exc).__name__,
                        self.replica_name(candidates[index + 1]),
                    )
            except httpx.HTTPError as exc:
                # ReadTimeout and the like: the replica may have acted on the request; no retry.
                raise self._failure(call, sender, type(exc).__name__) from exc
        assert last is not None
        raise self._failure(call, sender, type(last).__name__) from last

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

    # --- the server(s) ----------------------------------------------------------------------

    async def _status_of(self, url: str, timeout: float) -> RasaStatus:
        call = STATUS_CALL
        response = await self._request(call, "GET", "/status", params=self._params(), timeout=timeout, url=url)
        status = self._json(call, None, response)
        if not isinstance(status, dict):
            raise self._failure(call, None, "not an object")
        model_file, model_id = status.get("model_file"), status.get("model_id")
        return RasaStatus(
            model_file=model_file if isinstance(model_file, str) and model_file else None,
            model_id=model_id if isinstance(model_id, str) else None,
        )

    async def status_all(self, *, timeout: float = STATUS_TIMEOUT) -> dict[str, RasaStatus | RasaUnavailable]:
        """``GET /status`` of every replica at once, by URL in list order: its status or why not."""

        async def one(url: str) -> RasaStatus | RasaUnavailable:
            try:
                return await self._status_of(url, timeout)
            except RasaUnavailable as error:
                return error

        answers = await asyncio.gather(*(one(url) for url in self._urls))
        return dict(zip(self._urls, answers, strict=True))

    async def status(self, *, timeout: float = STATUS_TIMEOUT) -> RasaStatus:
        """``GET /status``: answers only once a model is loaded (``/`` answers before, so it would
        call a half-started Rasa healthy), and only with the token. With several replicas every
        one must answer and run the same model (a retrain checks its new model this way)."""
        if len(self._urls) == 1:
            return await self._status_of(self._urls[0], timeout)
        answers = await self.status_all(timeout=timeout)
        for answer in answers.values():
            if isinstance(answer, RasaUnavailable):
                raise answer
        statuses = [a for a in answers.values() if isinstance(a, RasaStatus)]
        if len({s.model_file for s in statuses}) > 1:
            raise self._failure(STATUS_CALL, None, "replicas run different models")
        return statuses[0]

    async def load_model(self, model_file: str, *, timeout: float) -> None:
        """``PUT /model`` on every replica, one after the other (the others keep answering while
        one loads): each loads ``model_file`` (a path it can read) and runs it; the conversations
        in progress keep their trackers. Every replica is asked even when one fails; the first
        failure is raised (then ``status`` shows the replicas disagree until a retry)."""
        failures: list[RasaUnavailable] = []
        for url in self._urls:
            try:
                await self._request(
                    "model load",
                    "PUT",
                    "/model",
                    params=self._params(),
                    body={"model_file": model_file},
                    timeout=timeout,
                    url=url,
                )
            except RasaUnavailable as error:
                failures.append(error)
        if failures:
            raise failures[0]
