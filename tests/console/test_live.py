"""The citizen's side of a takeover, in process: one routing function for every channel (Rasa
answered by an httpx mock), the widget's history of an officer's lines, and the live stream
GET /api/chat/events read from the database."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.chat.service import handle_citizen_message
from api.console.live import LiveHub, resume_cursor
from api.deps import AppContext
from api.errors import install_error_handlers
from api.rasa.tracker import history_from_events
from api.widget import routes as widget_routes
from core.db import session_scope
from core.settings import Settings
from servicedesk.handoff import service

SENDER = "web-3f2b8c1e-9d4a-4b6e-8f1a-2c3d4e5f6a7b"
CLIENT = "203.0.113.7"  # the web client's address
OFFICE = dt.datetime(2026, 11, 24, 9, 0, tzinfo=service.VIETNAM)


@dataclass(frozen=True)
class Officer:
    username: str
    display_name: str
    role: str | None = "agent"


LAN = Officer("lan", "Nguyễn Thị Lan")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A private migrated database (and audit entries recorded in it)."""
    from core import db
    from core.settings import get_settings
    from database import migrate

    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    for cached in (get_settings, db.get_engine, db.get_sessionmaker):
        cached.cache_clear()
    migrate.upgrade()
    yield
    for cached in (get_settings, db.get_engine, db.get_sessionmaker):
        cached.cache_clear()


class FakeRasaHttp:
    """Rasa's REST channel and tracker as an httpx transport: records calls, answers ``replies``."""

    def __init__(self) -> None:
        self.replies: list[dict[str, Any]] = [{"recipient_id": SENDER, "text": "Trợ lý trả lời"}]
        self.posted: list[tuple[str, Any]] = []
        self.tracker: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.posted.append((request.url.path, body))
        if request.url.path == "/webhooks/rest/webhook":
            return httpx.Response(200, json=self.replies)
        if request.url.path.endswith("/tracker"):
            return httpx.Response(200, json={"sender_id": SENDER, "events": self.tracker})
        return httpx.Response(200, json={})


def state_for(rasa: FakeRasaHttp) -> AppContext:
    """The application context as the lifespan builds it, with Rasa answered by ``rasa``."""
    settings = Settings(rasa_url="http://rasa.test", rasa_timeout_seconds=5.0)
    return AppContext.create(settings, httpx.AsyncClient(transport=httpx.MockTransport(rasa)))


def open_request(sender: str = SENDER) -> int:
    with session_scope() as session:
        return service.request_handoff(session, sender_id=sender, channel="web", now=OFFICE).request.id


def test_rasa_answers_a_conversation_nobody_took(store: None) -> None:
    rasa = FakeRasaHttp()

    async def run() -> Any:
        return await handle_citizen_message(
            state_for(rasa), sender=SENDER, channel="web", text="xin chào", client=CLIENT
        )

    turn = asyncio.run(run())
    assert [m.text for m in turn.messages] == ["Trợ lý trả lời"]
    assert turn.handoff is None and not turn.handled_by_agent


def test_a_waiting_request_is_reported_with_the_stream_cursor(store: None) -> None:
    request_id = open_request()
    rasa = FakeRasaHttp()
    turn = asyncio.run(
        handle_citizen_message(state_for(rasa), sender=SENDER, channel="web", text="còn chờ lâu không", client=CLIENT)
    )
    assert [m.text for m in turn.messages] == ["Trợ lý trả lời"]
    assert turn.handoff is not None and turn.handoff.status == "queued"
    with session_scope() as session:
        assert turn.handoff.cursor == service.last_message_id(session, SENDER)
        assert service.transcript(session, request_id)[-1].kind == "queued"


def test_a_taken_conversation_goes_to_the_officer_without_an_apology(store: None) -> None:
    request_id = open_request()
    with session_scope() as session:
        service.take(session, request_id, LAN)
    rasa = FakeRasaHttp()
    rasa.replies = []  # a paused tracker predicts nothing
    state = state_for(rasa)
    hub = LiveHub()
    state.hub = hub

    async def run() -> Any:
        woken = asyncio.create_task(hub.wait(5))
        await asyncio.sleep(0)
        turn = await handle_citizen_message(
            state, sender=SENDER, channel="web", text="Tôi muốn hỏi về hộ tịch", client=CLIENT
        )
        await asyncio.wait_for(woken, 1)  # the console's streams are woken at once
        return turn

    turn = asyncio.run(run())
    assert turn.messages == [] and turn.handled_by_agent
    assert turn.handoff is not None and turn.handoff.status == "taken" and turn.handoff.agent == "Nguyễn Thị Lan"
    assert any(
        path == "/webhooks/rest/webhook" and (body["sender"], body["message"]) == (SENDER, "Tôi muốn hỏi về hộ tịch")
        for path, body in rasa.posted
    )
    with session_scope() as session:
        last = service.transcript(session, request_id)[-1]
        assert (last.author, last.text) == ("citizen", "Tôi muốn hỏi về hộ tịch")


def test_replies_of_a_paused_assistant_are_not_shown_while_an_officer_answers(store: None) -> None:
    request_id = open_request()
    with session_scope() as session:
        service.take(session, request_id, LAN)
    rasa = FakeRasaHttp()  # a pause that did not reach Rasa: it still answers
    turn = asyncio.run(handle_citizen_message(state_for(rasa), sender=SENDER, channel="web", text="alo", client=CLIENT))
    assert turn.messages == [] and turn.handled_by_agent


# --- the widget: history and live stream -----------------------------------------------------------


def officer_event(kind: str, message_id: int, text: str) -> dict[str, Any]:
    return {
        "event": "bot",
        "text": text,
        "data": {},
        "metadata": {"agent": True, "handoff_message_id": message_id, "handoff_kind": kind, "agent_name": "Lan"},
    }


def test_history_shows_an_officers_lines_with_their_ids() -> None:
    events = [
        {"event": "user", "text": "cho tôi gặp cán bộ"},
        {"event": "bot", "text": "Em đã chuyển yêu cầu", "data": {}, "metadata": {}},
        {"event": "pause"},
        officer_event("taken", 7, "Cán bộ Lan đã tham gia"),
        {"event": "user", "text": "chào chị"},
        officer_event("message", 9, "Chào anh"),
        {"event": "resume"},
        officer_event("closed", 10, "Trợ lý tự động tiếp tục"),
    ]
    assert history_from_events(events) == [
        {"from": "user", "text": "cho tôi gặp cán bộ"},
        {"from": "bot", "text": "Em đã chuyển yêu cầu"},
        {"from": "system", "text": "Cán bộ Lan đã tham gia", "id": 7},
        {"from": "user", "text": "chào chị"},
        {"from": "agent", "text": "Chào anh", "id": 9, "agent": "Lan"},
        {"from": "system", "text": "Trợ lý tự động tiếp tục", "id": 10},
    ]


@pytest.fixture
def widget_client(store: None) -> Iterator[TestClient]:
    rasa = FakeRasaHttp()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(rasa)) as client:
            app.state.context = AppContext.create(Settings(rasa_url="http://rasa.test"), client)
            yield

    app = FastAPI(lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(widget_routes.router)
    with TestClient(app) as client:
        yield client


def read_events(response: httpx.Response) -> list[tuple[str | None, str, dict[str, Any]]]:
    """(id, event name, data) of each Server-Sent Event in a finished stream."""
    events = []
    for block in response.text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line.startswith(":") or ":" not in line:
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        if "event" in fields:
            events.append((fields.get("id"), fields["event"], json.loads(fields["data"])))
    return events


def test_the_stream_says_none_and_ends_when_nobody_was_asked_for(widget_client: TestClient) -> None:
    response = widget_client.get("/api/chat/events", params={"sender": SENDER})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    assert read_events(response) == [(None, "status", {"status": "none", "agent": None})]


def test_the_stream_is_only_for_widget_conversations(widget_client: TestClient) -> None:
    assert widget_client.get("/api/chat/events", params={"sender": "web-123"}).status_code == 403
    assert widget_client.get("/api/chat/events", params={"sender": "zalo-123"}).status_code == 422
    assert widget_client.get("/api/chat/events", params={"sender": "web x"}).status_code == 422


def test_the_stream_delivers_the_officers_lines_and_resumes_after_the_last_id(widget_client: TestClient) -> None:
    request_id = open_request()
    with session_scope() as session:
        start = service.last_message_id(session, SENDER)
        service.take(session, request_id, LAN)
        service.record_citizen_message(session, request_id, "alo")
        service.post_agent_reply(session, request_id, LAN, "Em chào anh/chị")
        service.hand_back(session, request_id, LAN, hotline="1900")
    response = widget_client.get("/api/chat/events", params={"sender": SENDER, "after": start})
    events = read_events(response)
    assert [(name, data.get("kind")) for _id, name, data in events] == [
        ("handoff", "taken"),
        ("handoff", "message"),
        ("handoff", "closed"),
        ("status", None),  # said last, once everything pending was delivered
    ]
    assert events[1][2]["text"] == "Em chào anh/chị" and events[1][2]["agent"] == "Nguyễn Thị Lan"
    assert events[3][2] == {"status": "none", "agent": None}
    taken_id = events[0][0]
    resumed = read_events(
        widget_client.get(
            "/api/chat/events", params={"sender": SENDER, "after": start}, headers={"Last-Event-ID": str(taken_id)}
        )
    )
    assert [data.get("kind") for _id, name, data in resumed if name == "handoff"] == ["message", "closed"]


def test_history_reports_an_open_request(widget_client: TestClient) -> None:
    open_request()
    body = widget_client.get("/api/chat/history", params={"sender": SENDER}).json()
    assert body["handoff"]["status"] == "queued" and body["handoff"]["cursor"] >= 1


def test_the_stream_of_a_waiting_request_starts_with_its_status(widget_client: TestClient) -> None:
    request_id = open_request()
    with session_scope() as session:
        start = service.last_message_id(session, SENDER)
        service.take(session, request_id, LAN)
        service.hand_back(session, request_id, LAN, hotline="1900")
    open_request()  # asked again: the stream lives until this one is handed back too
    with widget_client.stream("GET", "/api/chat/events", params={"sender": SENDER, "after": start}) as response:
        lines = response.iter_lines()
        head = [next(lines) for _ in range(4)]
    assert head[0].startswith("retry:") and head[2] == "event: status"
    assert json.loads(head[3].removeprefix("data: "))["status"] == "queued"


def test_resume_cursor_prefers_the_browsers_last_event_id() -> None:
    assert resume_cursor("12", 3) == 12
    assert resume_cursor(None, 3) == 3
    assert resume_cursor("garbage", None) is None
    assert resume_cursor("-4", 5) == 5


def test_the_console_prefills_the_citizens_last_question_never_the_request_or_phone_digits() -> None:
    from api.console.service import history_before
    from api.rasa.tracker import citizen_questions

    def user(text: str, intent: str, at: float) -> dict[str, Any]:
        return {"event": "user", "text": text, "timestamp": at, "parse_data": {"intent": {"name": intent}}}

    events = [
        user("làm căn cước mất bao lâu", "ask_time", 1.0),
        {"event": "slot", "name": "requested_slot", "value": "phone_last4", "timestamp": 2.0},
        user("6789", "inform", 3.0),
        {"event": "slot", "name": "requested_slot", "value": None, "timestamp": 3.5},
        user('/ask_fee{"procedure_code": "1.001193"}', "ask_fee", 4.0),
        user("cho tôi gặp cán bộ", "request_human", 5.0),
        user("sau khi nhận", "ask_documents", 9.0),
    ]
    assert citizen_questions(events, until=8.0) == ["làm căn cước mất bao lâu"]
    assert citizen_questions(events, until=None)[-1] == "sau khi nhận"
    shown = history_before(events, until=8.0)
    assert [m["text"] for m in shown] == ["làm căn cước mất bao lâu", "••••", "cho tôi gặp cán bộ"]
