"""Fixtures of the channel tests: a fake Zalo platform and a fake Rasa over real HTTP, and the bridge.

``bridge()`` starts the real application (``api.main.create_app``) with the Zalo router and the
outbox worker wired exactly as the lifespan should wire them, on a private migrated database;
call it again in the same test for a "restarted" bridge on the same database.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.channels.fake_rasa import FakeRasa
from tests.channels.fake_rasa import create_app as create_rasa_app
from tests.fakes import zalo as fake_zalo
from tests.fakes.zalo import FakeZalo, ThreadedServer
from tests.staff.fixtures import application_database
from tests.staff.fixtures import clear_app_caches as _clear_caches


@pytest.fixture(scope="module")
def zalo_server() -> Iterator[tuple[FakeZalo, ThreadedServer]]:
    state = FakeZalo()
    server = ThreadedServer(fake_zalo.create_app(state))
    server.start()
    yield state, server
    server.stop()


@pytest.fixture(scope="module")
def rasa_server() -> Iterator[tuple[FakeRasa, ThreadedServer]]:
    state = FakeRasa()
    server = ThreadedServer(create_rasa_app(state))
    server.start()
    yield state, server
    server.stop()


@pytest.fixture
def zalo(zalo_server: tuple[FakeZalo, ThreadedServer]) -> Iterator[FakeZalo]:
    state, server = zalo_server
    state.reset()
    if not server.running:
        server.start()
    yield state
    if not server.running:  # a test that played an outage must not leave Zalo down
        server.start()


@pytest.fixture
def rasa(rasa_server: tuple[FakeRasa, ThreadedServer]) -> FakeRasa:
    state, _server = rasa_server
    state.reset()
    return state


TEST_ENV = {
    "TTHC_ZALO_APP_ID": fake_zalo.APP_ID,
    "TTHC_ZALO_SECRET_KEY": fake_zalo.OA_SECRET_KEY,
    "TTHC_ZALO_APP_SECRET": fake_zalo.APP_SECRET,
    "TTHC_ZALO_ACCESS_TOKEN": fake_zalo.FIRST_ACCESS_TOKEN,
    "TTHC_ZALO_REFRESH_TOKEN": fake_zalo.FIRST_REFRESH_TOKEN,
    "TTHC_ZALO_WORKER_POLL_SECONDS": "0.05",
    "TTHC_ZALO_BACKOFF_BASE_SECONDS": "0.05",
    "TTHC_ZALO_BACKOFF_MAX_SECONDS": "0.2",
    "TTHC_ZALO_HTTP_TIMEOUT_SECONDS": "0.5",
    "TTHC_ZALO_CLAIM_TIMEOUT_SECONDS": "5",
    "TTHC_ZALO_SHUTDOWN_GRACE_SECONDS": "3",
    "TTHC_ZALO_INBOUND_RECOVERY_SECONDS": "0.2",
    "TTHC_ZALO_REFRESH_WAIT_SECONDS": "5",
}


@pytest.fixture
def env(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    zalo_server: tuple[FakeZalo, ThreadedServer],
    rasa_server: tuple[FakeRasa, ThreadedServer],
) -> Iterator[pytest.MonkeyPatch]:
    """A private migrated database (SQLite, or a PostgreSQL copy when TTHC_TEST_DATABASE=postgresql)
    and the TTHC_ZALO_* settings of the tests (monkeypatch to vary)."""
    from database import migrate

    for name, value in TEST_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TTHC_ZALO_API_BASE", zalo_server[1].url)
    monkeypatch.setenv("TTHC_ZALO_OAUTH_BASE", zalo_server[1].url)
    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TTHC_RASA_URL", rasa_server[1].url)
    monkeypatch.setenv("TTHC_RASA_TIMEOUT_SECONDS", "5")
    with application_database(request, monkeypatch, "migrated") as postgres_url:
        _clear_caches()
        if postgres_url is None:
            migrate.upgrade()
        yield monkeypatch
        _clear_caches()


def build_bridge() -> Any:
    """The product app: api/main.py wires the Zalo channel (the router, and the outbox worker
    started and stopped by the lifespan), with the settings the test has put in the environment."""
    from api.main import create_app
    from core.settings import get_settings

    get_settings.cache_clear()  # read once per process: a test may have changed TTHC_ZALO_* since
    return create_app()


@pytest.fixture
def bridge(env: pytest.MonkeyPatch) -> Callable[[], Any]:
    @contextmanager
    def run() -> Iterator[TestClient]:
        with TestClient(build_bridge()) as client:
            yield client

    return run


def wait_for(predicate: Callable[[], Any], timeout: float = 8.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def stays(predicate: Callable[[], Any], seconds: float = 0.3) -> bool:
    """The predicate holds for the whole period (nothing more happens)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not predicate():
            return False
        time.sleep(0.02)
    return True
