"""The HTTP side of dossier news, in process: the push endpoint's token (constant-time, checked
before the body is read; 404 while unconfigured), a push waking the poller of the API worker, and
the web widget's pending news with their acknowledgement."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cli.stack import free_port as _closed_port  # nothing listens there
from core.db import utcnow
from tests.dossier_news.helpers import CODE, WEB_SENDER, news_settings
from tests.staff.fixtures import clear_app_caches

TOKEN = "push-token-for-tests-0123456789"
AppFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppFactory]:
    """The API on a private SQLite database with every table; the lifespan (and so the poller) runs."""
    opened: list[TestClient] = []

    def make(push_token: str | None = TOKEN) -> TestClient:
        from api.main import create_app
        from core.db import Base, get_engine

        monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("TTHC_RASA_URL", f"http://127.0.0.1:{_closed_port()}")
        monkeypatch.setenv("TTHC_ACTION_SERVER_URL", f"http://127.0.0.1:{_closed_port()}")
        monkeypatch.delenv("TTHC_DATABASE_URL", raising=False)
        if push_token is None:
            monkeypatch.delenv("TTHC_DOSSIER_PUSH_TOKEN", raising=False)
        else:
            monkeypatch.setenv("TTHC_DOSSIER_PUSH_TOKEN", push_token)
        clear_app_caches()
        import database.models  # noqa: F401 - every table

        Base.metadata.create_all(get_engine())
        client = TestClient(create_app())
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)
    clear_app_caches()


def push(client: TestClient, body: object, authorization: str | None = f"Bearer {TOKEN}") -> object:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return client.post("/api/dossiers/events", json=body, headers=headers)


# --- the push endpoint ---------------------------------------------------------------------------


def test_push_is_off_without_a_token(make_client: AppFactory) -> None:
    client = make_client(push_token=None)
    response = client.post("/api/dossiers/events", json={"MaHoSo": CODE}, headers={"Authorization": "Bearer x"})
    assert response.status_code == 404
    assert "chưa nhận thông báo đẩy" in response.json()["error"]


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}"],
)
def test_push_refuses_a_wrong_or_missing_token(make_client: AppFactory, authorization: str | None) -> None:
    client = make_client()
    response = push(client, {"MaHoSo": CODE}, authorization)
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert "Mã xác thực không đúng" in response.json()["error"]  # type: ignore[attr-defined]
    assert response.headers["WWW-Authenticate"] == "Bearer"  # type: ignore[attr-defined]


def test_the_token_is_checked_before_the_body(make_client: AppFactory) -> None:
    client = make_client()
    assert push(client, {"not": "an event"}, "Bearer wrong").status_code == 401  # type: ignore[attr-defined]
    invalid = push(client, {"TrangThai": "DA_CO_KET_QUA"})
    assert invalid.status_code == 422  # type: ignore[attr-defined]
    assert "MaHoSo" in invalid.json()["error"]  # type: ignore[attr-defined]


def test_push_accepts_one_event_or_a_list(make_client: AppFactory) -> None:
    client = make_client()
    one = push(client, {"MaHoSo": CODE, "TrangThai": "DA_CO_KET_QUA", "ThoiGian": "16/07/2025 15:00"})
    assert one.status_code == 202 and one.json() == {"received": 1, "due": 0}  # type: ignore[attr-defined]
    many = push(client, [{"MaHoSo": CODE}, {"MaHoSo": "000.00.01.H29-250710-0099", "Khac": 1}])
    assert many.status_code == 202 and many.json()["received"] == 2  # type: ignore[attr-defined]


# --- a push, the poller, the widget --------------------------------------------------------------


def _local_dossier_and_subscription(status: str) -> None:
    """A synthetic dossier in our own database (the local connector) in ``status``, followed by a
    web citizen who was shown it "processing"."""
    from core.db import session_scope
    from servicedesk.dossier_news import service
    from servicedesk.dossiers.models import Dossier, DossierStatusEvent

    now = utcnow()
    with session_scope() as session:
        dossier = Dossier(
            code=CODE,
            procedure_code="1.004194",
            procedure_name="Đăng ký tạm trú",
            receiving_unit_name="Phường Bến Thành",
            received_at=now - dt.timedelta(days=3),
            status="processing",
            is_synthetic=True,
        )
        dossier.events = [DossierStatusEvent(status="processing", at=now - dt.timedelta(days=2))]
        session.add(dossier)
        session.flush()
        service.subscribe(
            session,
            dossier_code=CODE,
            sender_id=WEB_SENDER,
            status="processing",
            status_at=None,
            settings=news_settings(news_poll_seconds=900.0),
        )
        dossier.status = status
        dossier.events.append(DossierStatusEvent(status=status, at=now - dt.timedelta(minutes=5)))


def test_a_push_reaches_the_widget_once(make_client: AppFactory) -> None:
    client = make_client()
    _local_dossier_and_subscription("supplement_required")
    assert client.get("/api/dossiers/news", params={"sender": WEB_SENDER}).json() == {"news": []}

    response = push(client, {"MaHoSo": CODE.lower()})
    assert response.json() == {"received": 1, "due": 1}  # type: ignore[attr-defined]
    # Well inside the poller's 5 s tick: only the wake-up of the push explains the news so soon.
    deadline = time.monotonic() + 3
    news: list[dict[str, object]] = []
    while time.monotonic() < deadline and not news:
        news = client.get("/api/dossiers/news", params={"sender": WEB_SENDER}).json()["news"]
        time.sleep(0.1)
    assert len(news) == 1, "the push woke the poller"
    item = news[0]
    assert item["status"] == "supplement_required" and str(item["at"]).endswith("+07:00")
    assert "Cần bổ sung hồ sơ" in str(item["text"]) and "minh họa" in str(item["text"])

    again = client.get("/api/dossiers/news", params={"sender": WEB_SENDER}).json()["news"]
    assert [n["id"] for n in again] == [item["id"]]  # until acknowledged
    ack = client.post("/api/dossiers/news/ack", json={"sender": WEB_SENDER, "ids": [item["id"]]})
    assert ack.status_code == 200 and ack.json() == {"acknowledged": 1}
    assert client.get("/api/dossiers/news", params={"sender": WEB_SENDER}).json() == {"news": []}
    repeat = client.post("/api/dossiers/news/ack", json={"sender": WEB_SENDER, "ids": [item["id"]]})
    assert repeat.json() == {"acknowledged": 0}


def test_widget_news_refuse_other_conversation_ids(make_client: AppFactory) -> None:
    client = make_client()
    guessable = client.get("/api/dossiers/news", params={"sender": "web-1"})
    assert guessable.status_code == 403 and "web-<UUID>" in guessable.json()["error"]
    zalo = client.get("/api/dossiers/news", params={"sender": "zalo-8400000000001"})
    assert zalo.status_code == 422 and "web-" in zalo.json()["error"]
    assert client.get("/api/dossiers/news").status_code == 422
    empty = client.post("/api/dossiers/news/ack", json={"sender": WEB_SENDER, "ids": []})
    assert empty.status_code == 422 and "ids" in empty.json()["error"]
    other = client.post("/api/dossiers/news/ack", json={"sender": "web-1", "ids": [1]})
    assert other.status_code == 403
