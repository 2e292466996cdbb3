"""Fixtures for the knowledge admin's services: a seeded store and a way to read the audit log."""

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
