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


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    from sqlalchemy.orm import sessionmaker

    import database.models  # noqa: F401 - registers every table on Base.metadata
    from core.db import Base, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'test.sqlite3'}")
    Base.metadata.create_all(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as db:
        yield db
    engine.dispose()


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE_DIR.exists():
        pytest.skip("shared/reference is not beside the project")
    return REFERENCE_DIR
