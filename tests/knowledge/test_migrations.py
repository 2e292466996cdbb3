"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect

from core.db import Base, make_engine
from database.migrate import alembic_config


def test_migrations_reach_the_models_schema(tmp_path: Path) -> None:
    import database.models  # noqa: F401

    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.check(config)  # raises if autogenerate would produce any operation
    tables = set(inspect(make_engine(url)).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_downgrade_to_base_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    assert set(inspect(make_engine(url)).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")
