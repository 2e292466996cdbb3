"""The Alembic migrations build exactly the schema the models describe, on SQLite (the embedded
default) and on PostgreSQL (production)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from core.db import Base, make_engine
from database.migrate import alembic_config
from tests import databases


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    url = databases.create_database("migrations")
    try:
        yield url
    finally:
        databases.drop_database(url)


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_reach_the_models_schema(database_url: str) -> None:
    import database.models  # noqa: F401

    config = alembic_config(database_url)
    command.upgrade(config, "head")
    command.check(config)  # raises if autogenerate would produce any operation
    assert set(Base.metadata.tables) <= _tables(database_url)


def test_downgrade_to_base_and_back(database_url: str) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    assert _tables(database_url) <= {"alembic_version"}
    command.upgrade(config, "head")
    command.check(config)
