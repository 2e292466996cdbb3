"""Writers that read before they write, run at the same time from several connections (as several
action or API workers would): the per-day feedback reference and the catalogue edits.

On SQLite the database's one write lock serialises them; on PostgreSQL (READ COMMITTED) they take
an advisory lock (core.db.begin_writing / hold_lock): without it two complaints drew the same
``PA-…`` number and one of them failed to save.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.audit.actor import Actor
from core.db import session_scope
from knowledge.procedures import service as procedures
from knowledge.seed.loader import seed_procedures
from servicedesk.feedback.models import Feedback
from servicedesk.feedback.service import record_feedback
from tests.concurrency.test_claims import WORKERS, run_workers, sessions  # noqa: F401 - the fixture

NOW = dt.datetime(2026, 12, 5, 9, 30)


def test_feedback_recorded_at_once_by_every_worker_gets_distinct_references(
    sessions: sessionmaker[Session],
) -> None:
    def work(number: int) -> None:
        for attempt in range(3):
            with session_scope(sessions) as session:
                record_feedback(
                    session,
                    sender_id=f"web-synthetic-{number}-{attempt}",
                    content="Phản ánh thử nghiệm (dữ liệu tổng hợp)",
                    now=NOW,
                )

    run_workers(work)
    with sessions() as session:
        references = session.scalars(select(Feedback.reference)).all()
    assert len(references) == WORKERS * 3
    assert sorted(references) == [f"PA-20261205-{n:04d}" for n in range(1, WORKERS * 3 + 1)]


def test_concurrent_edits_from_the_same_version_let_exactly_one_win(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as session:
        seed_procedures(session)
        code = procedures.list_published(session)[0].code
        start_version = procedures.current_version(procedures.require(session, code))
    outcomes: list[str] = []

    with sessions() as session:  # what every editor's form was opened with
        record = procedures.to_record(procedures.require(session, code))

    def work(number: int) -> None:
        try:
            with session_scope(sessions) as session:
                changed = record.model_copy(update={"name": f"{record.name} (sửa {number})"})
                procedures.edit(
                    session,
                    code,
                    changed,
                    actor=Actor("editor-synthetic", role="editor"),
                    expected_version=start_version,
                )
            outcomes.append("saved")
        except procedures.StaleVersionError:
            outcomes.append("stale")

    run_workers(work)
    assert sorted(outcomes) == ["saved"] + ["stale"] * (WORKERS - 1)
