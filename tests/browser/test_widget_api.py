"""The widget's server side, in process (no browser, no Rasa): the static files, GET
/api/chat/history against a fake Rasa, and cross-origin access for the widget's endpoints."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError

from api.chat.schemas import ChatRequest
from api.deps import AppContext
from api.errors import install_error_handlers
from api.rasa import tracker
from api.widget import routes
from api.widget.cors import cors_origins, install_cors
from core.settings import Settings

SENDER = "web-3f2b8c1e-9d4a-4b6e-8f1a-2c3d4e5f6a7b"
STATIC = Path(routes.__file__).resolve().parent / "static"
INDEX = Path(routes.__file__).resolve().parents[1] / "static" / "index.html"
CHOICES = [
    {"title": "Đăng ký khai sinh (1.001193)", "payload": '/ask_documents{"procedure_code": "1.001193"}'},
    {"title": "Chứng thực bản sao từ bản chính (2.000815)", "payload": '/ask_documents{"procedure_code": "2.000815"}'},
]
CARD = {"type": "procedure_card", "code": "1.001193", "name": "Đăng ký khai sinh", "channels": []}


def bot(text: str | None, **data: Any) -> dict[str, Any]:
    return {"event": "bot", "text": text, "data": {"elements": None, "buttons": None, "custom": None, **data}}


def user(text: str) -> dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": "x"}}, "input_channel": "rest"}


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


EVENTS = [
    {"event": "action", "name": "action_session_start"},
    {"event": "session_started"},
    {"event": "action", "name": "action_listen"},
    user("khai sinh cần giấy tờ gì"),
    {"event": "action", "name": "action_handle_inform"},
    bot("Anh/chị muốn hỏi thủ tục nào dưới đây ạ?", buttons=CHOICES),
    user(CHOICES[0]["payload"]),
    bot("Hồ sơ đăng ký khai sinh gồm: …", custom=CARD),
    slot("procedure_code", "1.001193"),
    user('/rate_service{"rating": "5"}'),  # typed by hand: no button names it
    user("tra cứu hồ sơ"),
    slot("requested_slot", "dossier_code"),
    bot("Anh/chị cho em mã hồ sơ ạ."),
    user("H01.2025.000123"),
    slot("requested_slot", "phone_last4"),
    bot("Anh/chị cho em 4 số cuối điện thoại đăng ký ạ."),
    user("6789"),
    {"event": "active_loop", "name": None},
    slot("requested_slot", None),
    bot("Hồ sơ đang được xử lý."),
    user("1234"),
]


def make_client(handler: Callable[[httpx.Request], httpx.Response]) -> TestClient:
    """The widget router alone, with the context api/main.py builds; Rasa answered by `handler`."""
    settings = Settings(rasa_url="http://rasa.test", rasa_timeout_seconds=20.0)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            app.state.context = AppContext.create(settings, client)
            yield

    app = FastAPI(lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(routes.router)
    return TestClient(app)


@pytest.fixture(autouse=True)
def private_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The history also reads the conversation's handoff state: never from the developer's database."""
    from core import db
    from core.settings import get_settings

    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    for cached in (get_settings, db.get_engine, db.get_sessionmaker):
        cached.cache_clear()
    yield
    for cached in (get_settings, db.get_engine, db.get_sessionmaker):
        cached.cache_clear()


@pytest.fixture
def rasa_calls() -> list[httpx.Request]:
    return []


@pytest.fixture
def client(rasa_calls: list[httpx.Request]) -> Iterator[TestClient]:
    def handler(request: httpx.Request) -> httpx.Response:
        rasa_calls.append(request)
        return httpx.Response(200, json={"sender_id": SENDER, "events": EVENTS})

    with make_client(handler) as test_client:
        yield test_client


def test_history_maps_the_tracker(client: TestClient, rasa_calls: list[httpx.Request]) -> None:
    response = client.get("/api/chat/history", params={"sender": SENDER})
    assert response.status_code == 200
    body = response.json()
    assert body["sender"] == SENDER and body["available"] is True
    assert [(m["from"], m.get("text")) for m in body["messages"]] == [
        ("user", "khai sinh cần giấy tờ gì"),
        ("bot", "Anh/chị muốn hỏi thủ tục nào dưới đây ạ?"),
        ("user", "Đăng ký khai sinh (1.001193)"),  # the button's title, not its payload
        ("bot", "Hồ sơ đăng ký khai sinh gồm: …"),
        ("user", "tra cứu hồ sơ"),
        ("bot", "Anh/chị cho em mã hồ sơ ạ."),
        ("user", "H01.2025.000123"),
        ("bot", "Anh/chị cho em 4 số cuối điện thoại đăng ký ạ."),
        ("user", tracker.MASKED),  # the phone digits are not shown again
        ("bot", "Hồ sơ đang được xử lý."),
        ("user", "1234"),  # after the form: ordinary text
    ]
    assert body["messages"][1]["buttons"] == CHOICES
    assert body["messages"][3]["custom"] == CARD
    assert "buttons" not in body["messages"][0] and "custom" not in body["messages"][0]
    (call,) = rasa_calls
    assert call.url.path == f"/conversations/{SENDER}/tracker"


def test_history_keeps_the_most_recent_messages() -> None:
    events = [user(f"câu {i}") for i in range(tracker.HISTORY_LIMIT + 50)]
    messages = tracker.history_from_events(events)
    assert len(messages) == tracker.HISTORY_LIMIT
    assert messages[-1]["text"] == f"câu {tracker.HISTORY_LIMIT + 49}"


@pytest.mark.parametrize("events", [None, "x", [None, 1, "bot", {"event": "bot"}, {"event": "user", "text": 5}]])
def test_history_ignores_malformed_events(events: Any) -> None:
    assert tracker.history_from_events(events) == []


@pytest.mark.parametrize(
    "answer",
    [
        lambda request: (_ for _ in ()).throw(httpx.ConnectError("refused", request=request)),
        lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=request)),
        lambda request: httpx.Response(500, text="boom"),
        lambda request: httpx.Response(200, text="<html>not json"),
        lambda request: httpx.Response(200, json=["not", "a", "tracker"]),
    ],
    ids=["refused", "timeout", "error-500", "not-json", "wrong-shape"],
)
def test_history_when_rasa_cannot_answer(answer: Callable[[httpx.Request], httpx.Response]) -> None:
    with make_client(answer) as client:
        response = client.get("/api/chat/history", params={"sender": SENDER})
    assert response.status_code == 200
    assert response.json() == {"sender": SENDER, "available": False, "messages": []}


@pytest.mark.parametrize("sender", ["", "a b", "web-<script>", "x" * 129])
def test_history_rejects_malformed_senders(client: TestClient, sender: str) -> None:
    response = client.get("/api/chat/history", params={"sender": sender})
    assert response.status_code == 422
    assert response.json()["error"].startswith("Dữ liệu gửi lên không hợp lệ")


@pytest.mark.parametrize("sender", ["zalo-1234567890", "test-sender", SENDER.upper()])
def test_history_refuses_other_channels_conversations(
    client: TestClient, rasa_calls: list[httpx.Request], sender: str
) -> None:
    response = client.get("/api/chat/history", params={"sender": sender})
    assert response.status_code == 422
    assert "web-" in response.json()["error"]
    assert rasa_calls == []


@pytest.mark.parametrize("sender", ["web-abc", "web-" + SENDER[4:].upper()])
def test_history_is_only_for_web_widget_conversations(
    client: TestClient, rasa_calls: list[httpx.Request], sender: str
) -> None:
    response = client.get("/api/chat/history", params={"sender": sender})
    assert response.status_code == 403
    assert "web" in response.json()["error"]
    assert rasa_calls == []


def test_history_accepts_what_chat_accepts() -> None:
    history_sender = TypeAdapter(routes.SenderQuery)
    for sender in (SENDER, "web-abc", "zalo-1", "web x", "web-", "w" * 129):
        try:
            ChatRequest(sender=sender, message="x")
            chat_ok = True
        except ValidationError:
            chat_ok = False
        try:
            history_sender.validate_python(sender)
            history_ok = True
        except ValidationError:
            history_ok = False
        assert chat_ok == history_ok, sender
    ChatRequest(sender=SENDER, message="x")  # a widget id is a valid chat sender


@pytest.mark.parametrize(("path", "media_type"), [("/widget.js", "text/javascript"), ("/widget.css", "text/css")])
def test_static_files(client: TestClient, path: str, media_type: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert client.head(path).status_code == 200


def test_widget_script_never_parses_html() -> None:
    source = (STATIC / "widget.js").read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/|^\s*//.*$", "", source, flags=re.S | re.M)
    for forbidden in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "createContextualFragment",
        "DOMParser",
    ):
        assert forbidden not in code, forbidden
    assert "MAX_CHARS = 2000" in code  # the API's limit (api/chat/schemas.py)


def test_demo_page_embeds_the_widget_with_one_tag() -> None:
    page = INDEX.read_text(encoding="utf-8")
    tags = re.findall(r"<script[^>]*\bsrc=[^>]*>", page)
    assert len(tags) == 1 and 'src="/widget.js"' in tags[0]
    for attribute in ('data-title="Trợ lý thủ tục hành chính"', 'data-unit="Phường Bến Thành"', "data-color=", "defer"):
        assert attribute in tags[0]
    assert "trang minh họa" in page


# --- cross-origin access -------------------------------------------------------------------------
SITE = "https://phuong-ben-thanh.example.vn"


def cors_client(origins: list[str]) -> TestClient:
    app = FastAPI()
    install_cors(app, origins)

    @app.post("/api/chat")
    async def chat() -> dict[str, list[Any]]:
        return {"messages": []}

    @app.get("/api/chat/history")
    async def history() -> dict[str, Any]:
        return {"messages": [], "available": True}

    @app.get("/api/procedures/search")
    async def search() -> list[Any]:
        return []

    return TestClient(app)


def preflight(client: TestClient, path: str, origin: str, method: str = "POST") -> httpx.Response:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type",
        },
    )


def test_cors_allows_the_configured_sites_on_the_widget_endpoints() -> None:
    client = cors_client([SITE])
    response = preflight(client, "/api/chat", SITE)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SITE
    assert "access-control-allow-credentials" not in response.headers
    response = client.post("/api/chat", headers={"Origin": SITE}, json={})
    assert response.headers["access-control-allow-origin"] == SITE
    response = client.get("/api/chat/history", headers={"Origin": SITE})
    assert response.headers["access-control-allow-origin"] == SITE


def test_cors_refuses_other_sites_and_other_endpoints() -> None:
    client = cors_client([SITE])
    response = preflight(client, "/api/chat", "https://evil.example")
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    assert (
        "access-control-allow-origin"
        not in client.post("/api/chat", headers={"Origin": "https://evil.example"}).headers
    )
    response = client.get("/api/procedures/search", headers={"Origin": SITE})
    assert "access-control-allow-origin" not in response.headers


def test_cors_any_site() -> None:
    response = preflight(cors_client(["*"]), "/api/chat", "https://any.example")
    assert response.headers["access-control-allow-origin"] == "*"


def test_cors_origins_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.settings import get_settings

    monkeypatch.setenv("TTHC_CORS_ORIGINS", f" {SITE}/ , https://xa.example.vn,,")
    get_settings.cache_clear()  # the settings are read once per process
    assert cors_origins() == [SITE, "https://xa.example.vn"]
    monkeypatch.delenv("TTHC_CORS_ORIGINS")
    get_settings.cache_clear()
    assert cors_origins() == []
    app = FastAPI()
    assert install_cors(app) == [] and app.user_middleware == []
