"""Synthetic staff accounts of the test databases (one per role). Not real people; the passwords
exist only in tests and in stacks started by tests."""

from __future__ import annotations

from core.audit.actor import Actor

STAFF_USERNAMES: dict[str, str] = {
    "admin": "quantri",
    "editor": "bientap",
    "agent": "tongdai",
    "analyst": "thongke",
}
STAFF_PASSWORDS: dict[str, str] = {
    "admin": "thu-nghiem-quan-tri-01",
    "editor": "thu-nghiem-bien-tap-02",
    "agent": "thu-nghiem-tong-dai-03",
    "analyst": "thu-nghiem-thong-ke-04",
}
DISPLAY_NAMES: dict[str, str] = {
    "admin": "Quản trị (thử nghiệm)",
    "editor": "Biên tập viên (thử nghiệm)",
    "agent": "Cán bộ tổng đài (thử nghiệm)",
    "analyst": "Cán bộ thống kê (thử nghiệm)",
}


def create_test_accounts(session) -> None:  # noqa: ANN001 - a SQLAlchemy session, imported lazily
    """One account per role, in ``session`` (the caller commits)."""
    from servicedesk.accounts import service

    for role, username in STAFF_USERNAMES.items():
        if service.get_by_username(session, username) is None:
            service.create_account(
                session,
                username=username,
                password=STAFF_PASSWORDS[role],
                display_name=DISPLAY_NAMES[role],
                role=role,
                actor=Actor("tests"),
            )


def create_accounts_in(database: str) -> None:
    """The same accounts in the SQLite file of a stack started by the tests."""
    from sqlalchemy.orm import Session

    from core.db import make_engine

    engine = make_engine(f"sqlite:///{database}")
    try:
        with Session(engine) as session:
            create_test_accounts(session)
            session.commit()
    finally:
        engine.dispose()
