"""Fixtures for the knowledge admin's services: a seeded store and a way to read the audit log;
``flagged``: the staff client's database with two imported records that carry quality flags."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit.actor import Actor
from knowledge.procedures.schemas import ProcedureRecord
from knowledge.seed.loader import seed_procedures

EDITOR = Actor("bientap", "editor")


@pytest.fixture
def seeded(session: Session) -> Session:
    seed_procedures(session)
    session.commit()
    return session


def audit_rows(session: Session, **where: Any) -> list[Any]:
    from core.audit.models import AuditEntry

    stmt = select(AuditEntry).order_by(AuditEntry.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(AuditEntry, key) == value)
    return list(session.scalars(stmt))


def record(code: str = "9.100001", **changes: Any) -> ProcedureRecord:
    data: dict[str, Any] = {
        "code": code,
        "name": "Thủ tục thử nghiệm quản trị",
        "levels": ["xa"],
        "aliases": [f"thử quản trị {code}"],
        "steps": ["Nộp hồ sơ."],
        "channels": [
            {
                "kind": "in_person",
                "processing_time": "3 ngày làm việc",
                "processing_days": 3,
                "fee": "Miễn phí",
                "fee_vnd": 0,
            }
        ],
        "documents": [{"name": "Tờ khai", "kind": "original", "count": 1}],
        "source_url": "https://example.invalid/nguon",
    }
    data.update(changes)
    return ProcedureRecord.model_validate(data)


FLAGGED = "9.500001"
OTHER = "9.500002"
FLAG = {"kind": "fee_free_contradicted", "detail": "Ô phí: “Miễn phí”; mô tả: lệ phí theo Thông tư 244/2016/TT-BTC"}


def _imported(code: str, flags: list[dict[str, str]], **channel: Any) -> ProcedureRecord:
    return ProcedureRecord.model_validate(
        {
            "code": code,
            "name": f"Thủ tục thử hàng đợi {code}",
            "levels": ["tinh"],
            "channels": [
                {
                    "kind": "in_person",
                    "fee": "Miễn phí",
                    "fee_kind": "unclear",
                    "processing_time": "5 ngày làm việc",
                    "processing_days": 5,
                    "deadline_kind": "working_days",
                    **channel,
                }
            ],
            "documents": [{"name": "Tờ khai", "kind": "original", "count": 1}],
            "source_url": f"https://dichvucong.gov.vn/p/{code}",
            "quality_flags": flags,
        }
    )


@pytest.fixture
def flagged(staff_client: Any) -> Any:
    """The staff client, its database holding two imported records with open quality flags."""
    from core.db import session_scope
    from knowledge.procedures import service as procedures

    with session_scope() as session:
        procedures.upsert(session, _imported(FLAGGED, [FLAG]), actor=Actor("cli"), origin="import")
        procedures.upsert(
            session,
            _imported(OTHER, [{"kind": "deadline_unit_lost", "detail": "Cổng ghi “5”"}], processing_time="5"),
            actor=Actor("cli"),
            origin="import",
        )
    return staff_client
