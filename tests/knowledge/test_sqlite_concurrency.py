"""An import on SQLite while another process commits: the import waits for the write lock rather
than failing its rows with "database is locked" (core.db.begin_writing)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

import database.models  # noqa: F401 - every table
from core.audit.actor import Actor
from core.audit.models import AuditEntry
from core.db import Base, make_engine
from knowledge.importer.service import import_file

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "importer" / "sample.csv"


def test_a_commit_elsewhere_during_an_import_does_not_reject_its_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    importer, other = make_engine(url), make_engine(url)
    Base.metadata.create_all(importer)
    committed = threading.Event()

    def commit_elsewhere() -> None:
        with Session(other) as session:
            session.add(AuditEntry(at=dt.datetime(2026, 11, 24), actor="khac", action="x", entity_type="x"))
            session.commit()
        committed.set()

    writer: list[threading.Thread] = []

    @event.listens_for(importer, "before_cursor_execute")
    def _first_insert(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # Just before the import's first write, another process commits (it may have to wait
        # for the import's lock: then it commits afterwards, which is what we want).
        if statement.startswith("INSERT INTO procedure ") and not writer:
            writer.append(threading.Thread(target=commit_elsewhere))
            writer[0].start()
            writer[0].join(timeout=0.5)

    with Session(importer) as session:
        report = import_file(session, SAMPLE, actor=Actor("bientap"), dry_run=True, commit=False)
        session.rollback()
    writer[0].join(timeout=30)
    assert committed.is_set()
    assert [(row.code, row.status) for row in report.rows] == [("9.000001", "added"), ("9.000002", "added")]
    importer.dispose()
    other.dispose()
