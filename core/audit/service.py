"""Writing and reading the audit log. An entry is added in the caller's transaction, so a change
and its audit entry are committed (or rolled back) together."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.audit.actor import Actor
from core.audit.models import AuditEntry
from core.db import utcnow
from core.pagination import Page


def _jsonable(value: Any) -> Any:
    """Dates and other values the JSON column cannot hold become text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str | int | None,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """``actor``: the officer (a staff principal is an ``Actor``), or ``CLI`` / ``SEED`` for
    changes made outside the web pages."""
    entry = AuditEntry(
        at=utcnow(),
        actor=actor.username,
        actor_role=None if actor.role is None else str(actor.role),
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        before=_jsonable(before),
        after=_jsonable(after),
    )
    session.add(entry)
    session.flush()
    return entry


AuditPage = Page[AuditEntry]


def list_entries(
    session: Session,
    *,
    actor: str | None = None,
    entity_type: str | None = None,
    action_prefix: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> AuditPage:
    stmt = select(AuditEntry)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if entity_type:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if action_prefix:
        stmt = stmt.where(AuditEntry.action.startswith(action_prefix, autoescape=True))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, page)
    entries = session.scalars(stmt.order_by(AuditEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)).all()
    return AuditPage(list(entries), total, page, per_page)
