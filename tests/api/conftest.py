"""An in-process API on a private database; Rasa and the action server are not running."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cli.stack import free_port as _closed_port  # nothing listens there
from tests.staff.fixtures import application_database
from tests.staff.fixtures import clear_app_caches as _clear_caches


@pytest.fixture
def client(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The API on an empty migrated database (a SQLite file, or a copy of the session's migrated
    PostgreSQL template when TTHC_TEST_DATABASE=postgresql)."""
    from api.main import create_app
    from database import migrate

    monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TTHC_RASA_URL", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("TTHC_ACTION_SERVER_URL", f"http://127.0.0.1:{_closed_port()}")
    with application_database(request, monkeypatch, "migrated") as postgres_url:
        _clear_caches()
        if postgres_url is None:
            migrate.upgrade()
        with TestClient(create_app()) as test_client:
            yield test_client
        _clear_caches()


@pytest.fixture(scope="module")
def seeded_client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A seeded knowledge store (procedures, units, demo centres) behind the API."""
    from api.main import create_app
    from cli.setup_db import prepare_database

    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("TTHC_DATA_DIR", str(tmp_path_factory.mktemp("seeded")))
        with application_database(request, monkeypatch, "seeded") as postgres_url:
            _clear_caches()
            if postgres_url is None:
                prepare_database(lambda *_: None)
            with TestClient(create_app()) as test_client:
                yield test_client
            _clear_caches()
