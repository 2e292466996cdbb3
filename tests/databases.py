"""The real services of the tests: a PostgreSQL server and a Redis server, never their defaults.

Every test database is created here (``tthc_test_<purpose>_<random>``) and dropped by the test that
made it; every Redis key of a test starts with its own ``tthc-test-<random>`` prefix. The servers
are found through TTHC_TEST_POSTGRES_URL (an administrative connection, to the ``postgres``
database, used only to create and drop) and TTHC_TEST_REDIS_URL.

Like tests/conftest.py this module imports only the standard library at module level (the Rasa
environment loads the fixtures that import it); SQLAlchemy is imported inside the functions.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections.abc import Callable
from typing import Any

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
PREFIX = "tthc_test_"
_NAME = re.compile(r"^tthc_test_[a-z0-9_]{1,50}$")


def postgres_admin_url() -> str:
    return os.environ.get("TTHC_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def redis_test_url() -> str:
    return os.environ.get("TTHC_TEST_REDIS_URL") or DEFAULT_REDIS_URL


def unique_redis_prefix() -> str:
    return f"tthc-test-{secrets.token_hex(6)}"


def _database_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    name = make_url(url).database or ""
    # Only databases this module made are ever dropped: never the server's defaults.
    if not _NAME.match(name):
        raise ValueError(f"not a test database: {name!r}")
    return name


def _admin(statement: str, **params: Any) -> None:
    """One statement on the administrative connection, outside a transaction (CREATE/DROP
    DATABASE cannot run inside one)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT", poolclass=_null_pool())
    try:
        with engine.connect() as connection:
            connection.execute(text(statement), params)
    finally:
        engine.dispose()


def _null_pool() -> Any:
    from sqlalchemy.pool import NullPool

    return NullPool


def _new_name(purpose: str) -> str:
    purpose = re.sub(r"[^a-z0-9_]", "_", purpose.lower())[:24] or "db"
    return f"{PREFIX}{purpose}_{secrets.token_hex(5)}"


def _url_for(name: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(postgres_admin_url()).set(database=name)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def create_database(prefix: str) -> str:
    """A new empty database (UTF-8); returns its SQLAlchemy URL (postgresql+psycopg)."""
    name = _new_name(prefix)
    _admin(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
    return _url_for(name)


def clone_database(template_url: str, prefix: str) -> str:
    """A copy of the database at ``template_url`` (CREATE DATABASE … TEMPLATE: a file copy, much
    faster than migrating and seeding again). Nobody may be connected to the template meanwhile."""
    template = _database_name(template_url)
    name = _new_name(prefix)
    _terminate(template)
    _admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    return _url_for(name)


def _terminate(name: str) -> None:
    _admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()",
        name=name,
    )


def drop_database(url: str) -> None:
    """Drops a test database, ending whatever connections are still open on it first."""
    name = _database_name(url)
    _terminate(name)
    _admin(f"DROP DATABASE IF EXISTS {name}")


def test_database_kind() -> str:
    """The database of the tests that run the application on a database of their own (the API,
    staff, actions and channel fixtures): TTHC_TEST_DATABASE=postgresql, or SQLite by default."""
    kind = (os.environ.get("TTHC_TEST_DATABASE") or "sqlite").strip().lower()
    if kind not in ("sqlite", "postgresql"):
        raise ValueError(f"TTHC_TEST_DATABASE must be sqlite or postgresql, not {kind!r}")
    return kind


class DatabaseTemplates:
    """PostgreSQL databases built once per test session (migrated, seeded…) and copied for each
    test with CREATE DATABASE … TEMPLATE (tens of milliseconds, where seeding takes seconds)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._templates: dict[str, str] = {}
        self._clones: set[str] = set()

    def template(self, name: str, build: Callable[[str], None], base: str | None = None) -> str:
        """The template ``name``: made once by ``build(url)`` on an empty database, or on a copy
        of the template ``base`` when given (which must exist already)."""
        with self._lock:
            if name not in self._templates:
                url = clone_database(self._templates[base], f"tpl_{name}") if base else create_database(f"tpl_{name}")
                try:
                    build(url)
                except BaseException:
                    drop_database(url)
                    raise
                self._templates[name] = url
            return self._templates[name]

    def clone(self, name: str) -> str:
        with self._lock:
            url = clone_database(self._templates[name], name)
            self._clones.add(url)
            return url

    def drop(self, url: str) -> None:
        with self._lock:
            self._clones.discard(url)
        drop_database(url)

    def drop_all(self) -> None:
        with self._lock:
            urls = [*self._clones, *self._templates.values()]
            self._clones.clear()
            self._templates.clear()
        for url in urls:
            drop_database(url)
