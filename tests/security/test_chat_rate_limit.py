"""Finding 14: /api/chat had no per-client rate limit (2,324 requests from one address in 56 s, all
served). Now each client address may send ``TTHC_CHAT_RATE_LIMIT`` messages (default
"30/minute;600/hour", moving windows); beyond that: 429, a Vietnamese message and Retry-After.

Rasa is not running here: an accepted message gets the assistant's apology (200), which is enough
to tell served from refused.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cli.stack import free_port
from tests.staff.fixtures import clear_app_caches

SENDER = "web-00000000-0000-4000-8000-000000000014"


@pytest.fixture
def make_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``make_app(limit=None)``: the app on a migrated empty store, Rasa down; ``limit`` sets
    TTHC_CHAT_RATE_LIMIT (None: the default)."""
    from database import migrate

    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TTHC_RASA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("TTHC_ACTION_SERVER_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.delenv("TTHC_CHAT_RATE_LIMIT", raising=False)
    clear_app_caches()
    migrate.upgrade()

    def make(limit: str | None = None) -> Any:
        from api.main import create_app

        if limit is not None:
            monkeypatch.setenv("TTHC_CHAT_RATE_LIMIT", limit)
        clear_app_caches()
        return create_app()

    yield make
    clear_app_caches()


def _post(client: TestClient, n: int = 0) -> Any:
    return client.post("/api/chat", json={"sender": SENDER, "message": f"thủ tục khai sinh {n}"})


def test_finding_14_one_address_is_refused_beyond_the_default_limit(make_app: Any) -> None:
    with TestClient(make_app()) as client:
        served = [_post(client, n).status_code for n in range(30)]
        assert served == [200] * 30
        refused = _post(client, 30)
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"].startswith("Anh/chị gửi tin nhắn quá nhanh")
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 60 and body["retry_after"] == retry_after
    assert "giây" in body["error"] or "phút" in body["error"]


def test_finding_14_the_limit_is_per_client_address_and_configurable(make_app: Any) -> None:
    app = make_app("3/minute")
    with TestClient(app, client=("198.51.100.10", 40000)) as first:
        assert [_post(first, n).status_code for n in range(3)] == [200, 200, 200]
        assert _post(first, 3).status_code == 429
        # Another citizen, elsewhere, is still served.
        other = TestClient(app, client=("198.51.100.11", 40000))
        assert _post(other).status_code == 200
        # Refused messages are not counted: the first client stays refused, not further behind.
        assert _post(first, 4).status_code == 429


def test_finding_14_retry_after_is_when_the_window_frees_a_slot(make_app: Any) -> None:
    app = make_app("1 per 2 seconds")
    with TestClient(app) as client:
        assert _post(client).status_code == 200
        refused = _post(client)
        assert refused.status_code == 429 and refused.headers["retry-after"] in ("1", "2")
        time.sleep(int(refused.headers["retry-after"]) + 0.2)
        assert _post(client).status_code == 200


def test_finding_14_the_429_is_documented(make_app: Any) -> None:
    operation = make_app().openapi()["paths"]["/api/chat"]["post"]
    documented = operation["responses"]["429"]
    assert "Retry-After" in documented["headers"]
    schema = documented["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"error", "retry_after"} <= set(make_app().openapi()["components"]["schemas"][schema]["properties"])
