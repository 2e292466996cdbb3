"""Staff-side fixtures, registered for the whole suite by tests/conftest.py (``pytest_plugins``).

``staff_client``: the API in process on a private copy of a migrated, seeded database with one
account per role (tests/staff/accounts.py); Rasa and the action server are not running. The seeded
database is built once per test session and copied for each test (seeding takes seconds).

``login(client, role)`` logs a client in through the real login form (plain function, importable
from tests.staff.conftest, and a fixture of the same name that returns it).

Like tests/conftest.py, this module imports only the standard library and pytest at module level:
the Rasa environment loads it too.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.staff.accounts import STAFF_PASSWORDS, STAFF_USERNAMES, create_test_accounts

DATABASE = "tthc.sqlite3"


def clear_app_caches() -> None:
    from core import db
    from core.settings import get_settings

    if db.get_engine.cache_info().currsize:
        db.get_engine().dispose()  # its connections, so that a test database can be dropped
    for cached in (get_settings, db.get_engine, db.get_sessionmaker):
        cached.cache_clear()


# PostgreSQL runs (TTHC_TEST_DATABASE=postgresql): the application's database is a copy of a
# template built once per test session: "migrated" (the schema only), "seeded" (what
# ``prepare_database`` makes: units, procedures, demo centres and dossiers), "staff" (seeded + the
# test accounts). On SQLite (the default) the fixtures keep their files in the test's data dir.


def on_postgresql() -> bool:
    from tests.databases import test_database_kind

    return test_database_kind() == "postgresql"


def _on_database(url: str, work: Any) -> None:
    """``work()`` with the application's settings pointing at ``url``."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("TTHC_DATABASE_URL", url)
        clear_app_caches()
        try:
            work()
        finally:
            clear_app_caches()


def _migrate(url: str) -> None:
    from database import migrate

    migrate.upgrade(url)


def _seed(url: str) -> None:
    from cli.setup_db import prepare_database

    _on_database(url, lambda: prepare_database(lambda *_: None))


def _add_accounts(url: str) -> None:
    from core import db

    def work() -> None:
        with db.session_scope() as session:
            create_test_accounts(session)

    _on_database(url, work)


TEMPLATES: dict[str, tuple[Any, str | None]] = {
    "migrated": (_migrate, None),
    "seeded": (_seed, None),
    "staff": (_add_accounts, "seeded"),
}


@pytest.fixture(scope="session")
def database_templates() -> Iterator[Any]:
    """The PostgreSQL templates of this test session (tests.databases.DatabaseTemplates), dropped
    at its end with every copy a test left."""
    from tests.databases import DatabaseTemplates

    templates = DatabaseTemplates()
    try:
        yield templates
    finally:
        templates.drop_all()


def postgres_copy(templates: Any, name: str) -> str:
    """A fresh database copied from the template ``name`` (built first if needed, after its base);
    the caller drops it with ``templates.drop(url)``."""
    _ensure_template(templates, name)
    return str(templates.clone(name))


def _ensure_template(templates: Any, name: str) -> None:
    build, base = TEMPLATES[name]
    if base is not None:
        _ensure_template(templates, base)
    templates.template(name, build, base)


@contextmanager
def application_database(request: pytest.FixtureRequest, monkeypatch: Any, name: str) -> Iterator[str | None]:
    """On PostgreSQL runs, TTHC_DATABASE_URL names a fresh copy of the template ``name`` for the
    duration (then dropped); yields its URL, or None on SQLite runs (nothing done)."""
    if not on_postgresql():
        yield None
        return
    templates = request.getfixturevalue("database_templates")
    url = postgres_copy(templates, name)
    monkeypatch.setenv("TTHC_DATABASE_URL", url)
    try:
        yield url
    finally:
        clear_app_caches()
        templates.drop(url)


@pytest.fixture(scope="session")
def seeded_staff_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, seeded database with the test accounts (built once, copied per test)."""
    from sqlalchemy import text

    from cli.setup_db import prepare_database
    from core import db
    from tests.staff.accounts import create_test_accounts

    folder = tmp_path_factory.mktemp("staff-template")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("TTHC_DATA_DIR", str(folder))
    clear_app_caches()
    try:
        prepare_database(lambda *_: None)
        with db.session_scope() as session:
            create_test_accounts(session)
        with db.get_engine().connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.get_engine().dispose()
    finally:
        monkeypatch.undo()
        clear_app_caches()
    return folder / DATABASE


@pytest.fixture
def staff_client(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with application_database(request, monkeypatch, "staff") as postgres_url:
        yield from _staff_client(request, tmp_path, monkeypatch, postgres_url)


def _staff_client(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str | None
) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from api.main import create_app
    from cli.stack import free_port  # nothing listens there: Rasa and the actions are "down"

    data_dir = tmp_path / "staff-data"
    data_dir.mkdir()
    if postgres_url is None:
        shutil.copyfile(request.getfixturevalue("seeded_staff_database"), data_dir / DATABASE)
    monkeypatch.setenv("TTHC_DATA_DIR", str(data_dir))
    monkeypatch.setenv("TTHC_RASA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("TTHC_ACTION_SERVER_URL", f"http://127.0.0.1:{free_port()}")
    # Never the repository's data/nlu/learned.yml (tests that need the file set their own).
    monkeypatch.setenv("TTHC_LEARNED_NLU_PATH", str(tmp_path / "learned.yml"))
    clear_app_caches()
    try:
        with TestClient(create_app()) as client:
            yield client
    finally:
        clear_app_caches()


def login(client: Any, role: str) -> Any:
    """Log ``client`` in as the test account of ``role`` through the login form (any previous
    session is replaced). Returns the response of the form's POST (a redirect)."""
    form = client.get("/staff/login")
    assert form.status_code == 200, form.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, "the login form carries a CSRF token"
    response = client.post(
        "/staff/login",
        data={"username": STAFF_USERNAMES[role], "password": STAFF_PASSWORDS[role], "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response


@pytest.fixture(name="login")
def login_fixture() -> Any:
    return login
