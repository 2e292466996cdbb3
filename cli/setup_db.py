"""Creates, migrates and seeds the knowledge store."""

from __future__ import annotations

from knowledge import migrate
from knowledge.db import session_scope
from knowledge.seed.loader import seed_procedures


def prepare_database(log=print) -> None:  # noqa: ANN001
    migrate.upgrade()
    with session_scope() as session:
        report = seed_procedures(session)
    log(
        f"knowledge store ready: procedures +{len(report.added)} added, "
        f"{len(report.updated)} updated, {len(report.unchanged)} unchanged"
    )
