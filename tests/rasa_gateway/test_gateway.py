"""The Rasa gateway on the wire (httpx.MockTransport answering in Rasa 3.6's formats): each call's
method, URL, query (the API token, never on the REST channel), body and timeout, and every kind of
failure becoming RasaUnavailable."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpx
import pytest

from api.rasa.gateway import RasaGateway, RasaStatus, RasaUnavailable
from core.settings import Settings

T = TypeVar("T")
RASA = "http://rasa.test:5005"
TOKEN = "s3cret-token"
SENDER = "web-0b7e5a52-51f4-4c4e-9b55-3f1f0f7b9a11"
METADATA = {"channel": "web", "client": "4f1c0e2a9b7d3c5e8f6a1b2c3d4e5f60"}
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """Rasa answered by ``answer``; every request kept."""

    def __init__(self, answer: Handler) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)


def run(
    answer: Handler,
    call: Callable[[RasaGateway], Coroutine[Any, Any, T]],
    *,
    token: str | None = TOKEN,
    timeout: float = 20.0,
    gateway: type[RasaGateway] = RasaGateway,
) -> tuple[T, list[httpx.Request]]:
    recorder = Recorder(answer)

    async def go() -> T:
        async with httpx.AsyncClient(transport=httpx.MockTransport(recorder)) as client:
            return await call(gateway(client, url=RASA + "/", token=token, timeout=timeout))

    return asyncio.run(go()), recorder.requests


def failure(answer: Handler, call: Callable[[RasaGateway], Coroutine[Any, Any, Any]]) -> RasaUnavailable:
    with pytest.raises(RasaUnavailable) as raised:
        run(answer, call)
    return raised.value


def read_timeout(request: httpx.Request) -> float:
    return float(request.extensions["timeout"]["read"])


REPLIES = [
    {
        "recipient_id": SENDER,
        "text": "Anh/chị muốn hỏi thủ tục nào dưới đây ạ?",
        "buttons": [{"title": "Đăng ký khai sinh", "payload": "/ask_documents"}],
    },
    {"recipient_id": SENDER, "custom": {"type": "procedure_card", "code": "1.001193"}},
]
TRACKER = {
    "sender_id": SENDER,
    "slots": {"procedure_code": "1.001193"},
    "latest_message": {"text": "khai sinh", "intent": {"name": "inform", "confidence": 0.91}},
    "events": [{"event": "user", "text": "khai sinh", "parse_data": {"intent": {"name": "inform"}}}],
    "paused": False,
}


# --- each call on the wire ---------------------------------------------------------------------


def test_send_posts_the_message_and_its_metadata_to_the_rest_channel_without_the_token() -> None:
    replies, [request] = run(
        lambda r: httpx.Response(200, json=REPLIES),
        lambda rasa: rasa.send(SENDER, "khai sinh cần giấy tờ gì", metadata=METADATA),
    )
    assert replies == REPLIES
    assert (request.method, str(request.url)) == ("POST", f"{RASA}/webhooks/rest/webhook")
    assert "token" not in request.url.params  # the webhook takes none: it must not travel with messages
    assert json.loads(request.content) == {
        "sender": SENDER,
        "message": "khai sinh cần giấy tờ gì",
        "metadata": METADATA,
    }
    assert read_timeout(request) == 20.0  # the turn's own patience (settings.rasa_timeout_seconds)


def test_an_empty_answer_is_no_failure() -> None:
    # Rasa answers [] when a custom action failed, or for /restart: the caller decides.
    replies, _ = run(lambda r: httpx.Response(200, json=[]), lambda rasa: rasa.send(SENDER, "/restart", metadata={}))
    assert replies == []


def test_the_tracker_is_read_with_the_token_since_the_last_restart() -> None:
    tracker, [request] = run(lambda r: httpx.Response(200, json=TRACKER), lambda rasa: rasa.tracker(SENDER))
    assert tracker == TRACKER
    assert (request.method, request.url.path) == ("GET", f"/conversations/{SENDER}/tracker")
    assert dict(request.url.params) == {"include_events": "AFTER_RESTART", "token": TOKEN}
    assert read_timeout(request) == 5.0  # never longer than 5 s, whatever the turn's patience


def test_a_short_turn_timeout_also_bounds_the_tracker_read() -> None:
    _, [request] = run(lambda r: httpx.Response(200, json=TRACKER), lambda rasa: rasa.tracker(SENDER), timeout=2.0)
    assert read_timeout(request) == 2.0


def test_a_conversation_id_is_one_path_segment() -> None:
    _, [request] = run(lambda r: httpx.Response(200, json=TRACKER), lambda rasa: rasa.tracker("zalo-a/../b?x"))
    assert request.url.raw_path.decode().startswith("/conversations/zalo-a%2F..%2Fb%3Fx/tracker?")


def test_events_are_appended_with_the_token_and_without_the_tracker_back() -> None:
    events: list[dict[str, Any]] = [
        {"event": "pause"},
        {"event": "bot", "text": "Chào anh/chị, em là cán bộ Lan.", "timestamp": 1.5, "metadata": {"agent": True}},
    ]
    result, [request] = run(lambda r: httpx.Response(200, json={}), lambda rasa: rasa.append_events(SENDER, events))
    assert result is None
    assert (request.method, request.url.path) == ("POST", f"/conversations/{SENDER}/tracker/events")
    assert dict(request.url.params) == {"include_events": "NONE", "token": TOKEN}
    assert json.loads(request.content) == events


def test_status_names_the_running_model() -> None:
    status, [request] = run(
        lambda r: httpx.Response(
            200, json={"model_file": "tthc-0123.tar.gz", "model_id": "ab12", "num_active_training_jobs": 0}
        ),
        lambda rasa: rasa.status(timeout=3.0),
    )
    assert status == RasaStatus(model_file="tthc-0123.tar.gz", model_id="ab12")
    assert (request.method, str(request.url)) == ("GET", f"{RASA}/status?token={TOKEN}")
    assert read_timeout(request) == 3.0


def test_loading_a_model_puts_its_path_with_the_token() -> None:
    result, [request] = run(
        lambda r: httpx.Response(204), lambda rasa: rasa.load_model("/var/models/candidate-3.tar.gz", timeout=300.0)
    )
    assert result is None
    assert (request.method, str(request.url)) == ("PUT", f"{RASA}/model?token={TOKEN}")
    assert json.loads(request.content) == {"model_file": "/var/models/candidate-3.tar.gz"}
    assert read_timeout(request) == 300.0


def test_without_a_token_no_call_carries_one() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/status":
            return httpx.Response(200, json={"model_file": "m.tar.gz"})
        return httpx.Response(200, json=TRACKER if request.method == "GET" else {})

    async def calls(rasa: RasaGateway) -> None:
        await rasa.tracker(SENDER)
        await rasa.append_events(SENDER, [{"event": "resume"}])
        await rasa.status()
        await rasa.load_model("/m.tar.gz", timeout=5)

    _, requests = run(answer, calls, token=None)
    assert [dict(r.url.params) for r in requests] == [
        {"include_events": "AFTER_RESTART"},
        {"include_events": "NONE"},
        {},
        {},
    ]


def test_the_gateway_built_from_the_settings_uses_their_url_token_and_timeout() -> None:
    settings = Settings(rasa_url="http://rasa.internal:5005", rasa_token="t0k", rasa_timeout_seconds=7.0)
    recorder = Recorder(lambda r: httpx.Response(200, json=[]))

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(recorder)) as client:
            rasa = RasaGateway.from_settings(settings, client)
            await rasa.send(SENDER, "xin chào", metadata=METADATA)
            await rasa.append_events(SENDER, [{"event": "pause"}])

    asyncio.run(go())
    send, append = recorder.requests
    assert str(send.url) == "http://rasa.internal:5005/webhooks/rest/webhook" and read_timeout(send) == 7.0
    assert append.url.params["token"] == "t0k" and read_timeout(append) == 7.0


def test_every_url_comes_from_the_one_routing_method() -> None:
    class Replicas(RasaGateway):
        """A routing of its own: every call, with or without a sender, follows server_urls."""

        def server_urls(self, sender: str | None = None) -> list[str]:
            return ["http://rasa-0.test"] if sender is None else [f"http://rasa-{len(sender) % 2 + 1}.test"]

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/status":
            return httpx.Response(200, json={"model_file": "m.tar.gz"})
        if request.url.path.endswith("/tracker"):
            return httpx.Response(200, json=TRACKER)
        return httpx.Response(200, json=[] if request.url.path.startswith("/webhooks") else {})

    async def calls(rasa: RasaGateway) -> None:
        await rasa.send("web-a", "xin chào", metadata={})  # 5 characters: replica 2
        await rasa.tracker("web-ab")  # 6 characters: replica 1
        await rasa.append_events("web-ab", [])

    _, requests = run(answer, calls, gateway=Replicas)
    assert [r.url.host for r in requests] == ["rasa-2.test", "rasa-1.test", "rasa-1.test"]


# --- every failure is RasaUnavailable ----------------------------------------------------------


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def too_slow(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


CALLS: dict[str, Callable[[RasaGateway], Coroutine[Any, Any, Any]]] = {
    "send": lambda rasa: rasa.send(SENDER, "khai sinh", metadata=METADATA),
    "tracker read": lambda rasa: rasa.tracker(SENDER),
    "tracker append": lambda rasa: rasa.append_events(SENDER, [{"event": "pause"}]),
    "status": lambda rasa: rasa.status(),
    "model load": lambda rasa: rasa.load_model("/m.tar.gz", timeout=5),
}


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize(
    ("answer", "reason", "status_code"),
    [
        (refused, "ConnectError", None),
        (too_slow, "ReadTimeout", None),
        (lambda r: httpx.Response(500, json={"status": "failure", "reason": "LoadingError"}), "HTTP 500", 500),
        (lambda r: httpx.Response(401, json={"status": "failure", "reason": "NotAuthenticated"}), "HTTP 401", 401),
        (lambda r: httpx.Response(409, json={"status": "failure", "reason": "Conflict"}), "HTTP 409", 409),
    ],
    ids=["unreachable", "timeout", "5xx", "bad-token", "no-model-yet"],
)
def test_transport_failures_and_error_statuses(
    call: str, answer: Handler, reason: str, status_code: int | None
) -> None:
    error = failure(answer, CALLS[call])
    assert (error.call, error.reason, error.status_code) == (call, reason, status_code)


@pytest.mark.parametrize("call", ["send", "tracker read", "status"])
def test_an_answer_that_is_not_json(call: str) -> None:
    error = failure(lambda r: httpx.Response(200, text="<html>502 Bad Gateway</html>"), CALLS[call])
    assert (error.call, error.reason, error.status_code) == (call, "bad JSON", None)


@pytest.mark.parametrize(
    ("call", "body", "reason"),
    [
        ("send", {"text": "not a list"}, "not a list of messages"),
        ("send", ["text"], "not a list of messages"),
        ("tracker read", ["not", "a", "tracker"], "not an object"),
        ("status", "ok", "not an object"),
    ],
)
def test_json_that_is_not_what_rasa_sends(call: str, body: Any, reason: str) -> None:
    error = failure(lambda r: httpx.Response(200, json=body), CALLS[call])
    assert error.reason == reason


def test_a_status_without_a_model_file_is_read_as_none() -> None:
    status, _ = run(lambda r: httpx.Response(200, json={"model_id": None}), lambda rasa: rasa.status())
    assert status == RasaStatus(model_file=None, model_id=None)


def test_a_failure_is_logged_with_the_senders_tag_never_its_id_or_words(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="api.rasa.gateway")
    failure(too_slow, lambda rasa: rasa.send("zalo-8123456789", "số điện thoại 0912345678", metadata=METADATA))
    [record] = [r for r in caplog.records if r.name == "api.rasa.gateway"]
    assert record.levelno == logging.WARNING
    assert "ReadTimeout" in record.getMessage() and "send" in record.getMessage()
    assert "8123456789" not in record.getMessage() and "0912345678" not in record.getMessage()


def test_a_status_failure_is_left_to_its_caller_to_report(caplog: pytest.LogCaptureFixture) -> None:
    # The health check polls /status while Rasa starts: no warning per poll.
    caplog.set_level(logging.INFO, logger="api.rasa.gateway")
    failure(refused, lambda rasa: rasa.status())
    assert [r for r in caplog.records if r.name == "api.rasa.gateway"] == []
