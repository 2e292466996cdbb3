"""The application with TTHC_REDIS_URL: two apps (two API workers) share the chat rate limit, and
an app whose Redis is unreachable starts, serves and limits all the same (per process), with no
error reaching a citizen. Rasa is not running: an accepted message gets the apology (200)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cli.stack import free_port
from tests.staff.fixtures import clear_app_caches

SENDER = "web-00000000-0000-4000-8000-00000000aa14"


@pytest.fixture
def make_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str], Any]]:
    """``make_app(redis_url, prefix)``: the app on a migrated empty store, 3 chat messages a minute."""
    from database import migrate

    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TTHC_RASA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("TTHC_ACTION_SERVER_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("TTHC_CHAT_RATE_LIMIT", "3/minute")
    clear_app_caches()
    migrate.upgrade()

    def make(redis_url: str, prefix: str) -> Any:
        from api.main import create_app

        monkeypatch.setenv("TTHC_REDIS_URL", redis_url)
        monkeypatch.setenv("TTHC_REDIS_PREFIX", prefix)
        clear_app_caches()
        return create_app()

    yield make
    clear_app_caches()


def post(client: TestClient) -> int:
    return client.post("/api/chat", json={"sender": SENDER, "message": "thủ tục khai sinh"}).status_code


def test_two_api_workers_share_the_chat_limit(make_app: Callable[[str, str], Any], redis_url: str, prefix: str) -> None:
    first, second = make_app(redis_url, prefix), make_app(redis_url, prefix)
    with TestClient(first) as one, TestClient(second) as other:
        hubs = [app.state.context.hub for app in (first, second)]
        deadline = time.monotonic() + 5
        while not all(hub.subscribed.is_set() for hub in hubs):  # each worker's subscriber is up
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert [post(one), post(other), post(one)] == [200, 200, 200]
        assert post(other) == 429
        assert post(one) == 429


def test_an_unreachable_redis_never_reaches_a_citizen(
    make_app: Callable[[str, str], Any], closed_port_url: str
) -> None:
    with TestClient(make_app(closed_port_url, "unused")) as client:
        assert [post(client) for _ in range(4)] == [200, 200, 200, 429]
        assert client.get("/staff/login").status_code == 200
