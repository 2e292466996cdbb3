"""Shared fixtures.

The suite runs in two environments, like the product: tests/rasa_runtime in the Rasa runtime
(custom NLU components, trained-model checks), everything else in the application environment.
So this file imports only the standard library and pytest at module level.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_DIR = PROJECT_ROOT.parent / "shared" / "reference"

collect_ignore = [] if importlib.util.find_spec("rasa") else ["rasa_runtime"]
# Staff fixtures (staff_client, login) for every folder that tests staff routes.
pytest_plugins = ["tests.staff.fixtures"]


@pytest.fixture(scope="session")
def postgres_test_database() -> Iterator[str]:
    """One PostgreSQL database for the whole test session, with every table (dropped at the end).
    Tests share it one after the other; the ``session`` fixture empties it after each test."""
    import database.models  # noqa: F401 - registers every table on Base.metadata
    from core.db import Base, make_engine
    from tests import databases

    url = databases.create_database("session")
    try:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield url
    finally:
        databases.drop_database(url)


_test_number = iter(range(1, 1_000_000))


def _empty_postgres_database(url: str) -> None:
    """Back to the state of a fresh database: the tables the test wrote to (rows, or a sequence it
    advanced) truncated with their identities restarted. Only those: TRUNCATE costs a few
    milliseconds per table even when empty, so all 26 tables each time took ~110 ms against
    ~10 ms this way. Fails rather than waits if a test left a transaction open."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from core.db import Base, normalise_url

    names = [table.name for table in Base.metadata.sorted_tables]
    with_rows = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in names)
    advanced = (
        "SELECT owner.relname FROM pg_sequences used "
        "JOIN pg_class sequence ON sequence.relname = used.sequencename AND sequence.relkind = 'S' "
        "JOIN pg_depend link ON link.objid = sequence.oid AND link.deptype IN ('a', 'i') "
        "JOIN pg_class owner ON owner.oid = link.refobjid "
        "WHERE used.schemaname = current_schema() AND used.last_value IS NOT NULL"
    )
    engine = create_engine(normalise_url(url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(text("SET LOCAL lock_timeout = '10s'"))
            dirty = set(connection.scalars(text(with_rows))) | set(connection.scalars(text(advanced)))
            if dirty:
                tables = ", ".join(f'"{name}"' for name in names if name in dirty)
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Session]:
    """A session on an empty database with every table: a fresh SQLite file, or the test
    session's PostgreSQL database (emptied after the test)."""
    from sqlalchemy.orm import sessionmaker

    import database.models  # noqa: F401 - registers every table on Base.metadata
    from core.db import Base, make_engine

    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'test.sqlite3'}")
        Base.metadata.create_all(engine)
    else:
        base_url = request.getfixturevalue("postgres_test_database")
        # A distinct URL per test (the connection's application_name): process-wide caches keyed
        # by database (core.db.database_key) then never carry one test's data into the next,
        # as on SQLite where every test has its own file.
        engine = make_engine(f"{base_url}?application_name=tthc_test_{next(_test_number)}")
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    try:
        with factory() as db:
            yield db
    finally:
        engine.dispose()
        if request.param == "postgresql":
            _empty_postgres_database(base_url)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE_DIR.exists():
        pytest.skip("shared/reference is not beside the project")
    return REFERENCE_DIR
