"""The API in process on a private SQLite database (Rasa and the action server not running), and
TestClients that reach it from a chosen client address."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cli.stack import free_port as _closed_port  # nothing listens there
from tests.staff.fixtures import clear_app_caches as _clear_caches

ClientAt = Callable[..., TestClient]


@pytest.fixture
def api_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """A migrated private database and unreachable Rasa; set more variables on the returned
    monkeypatch before calling ``client_at``."""
    from database import migrate

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.delenv("TTHC_DATABASE_URL", raising=False)
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TTHC_RASA_URL", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("TTHC_ACTION_SERVER_URL", f"http://127.0.0.1:{_closed_port()}")
    for name in ("TTHC_METRICS_TOKEN", "TTHC_METRICS_ALLOW", "TTHC_TRUSTED_PROXIES", "TTHC_RASA_URLS"):
        monkeypatch.delenv(name, raising=False)
    _clear_caches()
    migrate.upgrade()
    yield monkeypatch
    _clear_caches()


@pytest.fixture
def client_at(api_env: pytest.MonkeyPatch) -> Iterator[ClientAt]:
    """``client_at("203.0.113.7")``: a started app (built now, with the variables set so far)
    whose requests come from that address."""
    from api.main import create_app

    opened: list[TestClient] = []

    def make(address: str = "127.0.0.1") -> TestClient:
        _clear_caches()  # the settings as the test has set them
        client = TestClient(create_app(), client=(address, 50000))
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)
