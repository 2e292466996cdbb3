"""Fact quality of the catalogue: how many fee and deadline facts of each kind the store holds (for
the whole store and by where the records came from), which records carry open quality flags (set
by the importer, knowledge/importer/), and an editor's confirmation that clears them.

A confirmation is an edit like any other: a new version (its note says what was checked) and an
audit entry ``procedure.confirm`` in the caller's transaction (``service.edit``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.audit.actor import Actor
from core.db import CATALOGUE_LOCK, begin_writing
from knowledge.procedures import service
from knowledge.procedures.facts import (
    DEADLINE_KIND_LABELS,
    DEADLINE_KINDS,
    FEE_KIND_LABELS,
    FEE_KINDS,
    QUALITY_FLAG_KINDS,
)
from knowledge.procedures.models import Procedure, ProcedureChannel, ProcedureVersion
from knowledge.procedures.schemas import ProcedureRecord

# Where a record came from (Procedure.origin), in report order, with the names editors read.
ORIGINS: tuple[str, ...] = ("seed", "import", "admin")
ORIGIN_LABELS: dict[str, str] = {"seed": "tệp đã duyệt", "import": "nhập từ tệp", "admin": "biên tập viên"}
CONFIRM_ACTION = "procedure.confirm"
MAX_NOTE = 500


def _zeros(kinds: Iterable[str]) -> dict[str, int]:
    return {kind: 0 for kind in kinds}


def flag_label(kind: str) -> str:
    """The Vietnamese name of a flag kind (the kind itself for one this version does not know)."""
    return QUALITY_FLAG_KINDS.get(kind, kind)


# --- counts of facts by kind -----------------------------------------------------------------------


@dataclass(frozen=True)
class KindCounts:
    """Channels by fee kind and by deadline kind (every kind listed, zero included)."""

    procedures: int = 0
    channels: int = 0
    fee: dict[str, int] = field(default_factory=lambda: _zeros(FEE_KINDS))
    deadline: dict[str, int] = field(default_factory=lambda: _zeros(DEADLINE_KINDS))

    def to_dict(self) -> dict[str, Any]:
        return {
            "procedures": self.procedures,
            "channels": self.channels,
            "fee": dict(self.fee),
            "deadline": dict(self.deadline),
        }


@dataclass(frozen=True)
class FactCounts:
    all: KindCounts
    by_origin: dict[str, KindCounts]  # every origin of ORIGINS (and any other found), zero included

    def to_dict(self) -> dict[str, Any]:
        return {"all": self.all.to_dict(), "by_origin": {k: v.to_dict() for k, v in self.by_origin.items()}}


def fact_counts(session: Session) -> FactCounts:
    """Channels of every procedure in the store (published or not) by fee kind and deadline kind,
    for the whole store and split by origin (seed, import, admin)."""
    origins = list(ORIGINS)
    procedures: dict[str, int] = dict.fromkeys(origins, 0)
    for origin, count in session.execute(select(Procedure.origin, func.count()).group_by(Procedure.origin)):
        if origin not in procedures:
            origins.append(origin)
        procedures[origin] = count
    fee: dict[str, dict[str, int]] = {o: _zeros(FEE_KINDS) for o in origins}
    deadline: dict[str, dict[str, int]] = {o: _zeros(DEADLINE_KINDS) for o in origins}
    channels: dict[str, int] = dict.fromkeys(origins, 0)
    rows = session.execute(
        select(Procedure.origin, ProcedureChannel.fee_kind, ProcedureChannel.deadline_kind, func.count())
        .join(Procedure, ProcedureChannel.procedure_id == Procedure.id)
        .group_by(Procedure.origin, ProcedureChannel.fee_kind, ProcedureChannel.deadline_kind)
    )
    for origin, fee_kind, deadline_kind, count in rows:
        fee[origin][fee_kind] = fee[origin].get(fee_kind, 0) + count
        deadline[origin][deadline_kind] = deadline[origin].get(deadline_kind, 0) + count
        channels[origin] += count
    by_origin = {
        o: KindCounts(procedures=procedures[o], channels=channels[o], fee=fee[o], deadline=deadline[o]) for o in origins
    }
    return FactCounts(all=_total(by_origin.values()), by_origin=by_origin)


def _total(parts: Iterable[KindCounts]) -> KindCounts:
    fee: dict[str, int] = _zeros(FEE_KINDS)
    deadline: dict[str, int] = _zeros(DEADLINE_KINDS)
    procedures = channels = 0
    for part in parts:
        procedures += part.procedures
        channels += part.channels
        for kind, count in part.fee.items():
            fee[kind] = fee.get(kind, 0) + count
        for kind, count in part.deadline.items():
            deadline[kind] = deadline.get(kind, 0) + count
    return KindCounts(procedures=procedures, channels=channels, fee=fee, deadline=deadline)


def fee_kind_label(kind: str) -> str:
    return FEE_KIND_LABELS.get(kind, kind)


def deadline_kind_label(kind: str) -> str:
    return DEADLINE_KIND_LABELS.get(kind, kind)


# --- records with open quality flags -------------------------------------------------------------


@dataclass(frozen=True)
class FlagView:
    kind: str
    label: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "label": self.label, "detail": self.detail}


@dataclass(frozen=True)
class FlaggedRecord:
    code: str
    name: str
    origin: str
    published: bool
    updated_at: dt.datetime | None
    flags: list[FlagView]
    version: int = 0  # the latest version (an editor's confirmation names the one they checked)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "origin": self.origin,
            "published": self.published,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "version": self.version,
            "flags": [f.to_dict() for f in self.flags],
        }


@dataclass(frozen=True)
class FlaggedList:
    total: int  # records with open flags that match the filters (before limit/offset)
    by_kind: dict[str, int]  # records (not flags) per flag kind, over the same filter, most first
    rows: list[FlaggedRecord]
    flags_by_kind: dict[str, int] = field(default_factory=dict)  # flags per kind (a record may have several)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_kind": [
                {"kind": k, "label": flag_label(k), "records": n, "flags": self.flags_by_kind.get(k, 0)}
                for k, n in self.by_kind.items()
            ],
            "records": [r.to_dict() for r in self.rows],
        }


def _flags(raw: Any) -> list[FlagView]:
    views: list[FlagView] = []
    for item in raw or []:
        if isinstance(item, dict) and item.get("kind"):
            kind = str(item["kind"])
            views.append(FlagView(kind, flag_label(kind), str(item.get("detail") or "")))
    return views


def flagged(
    session: Session,
    *,
    kind: str | None = None,
    origin: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> FlaggedList:
    """Procedures (published or not) with open quality flags, by code; ``kind`` keeps those with a
    flag of that kind, ``origin`` those of that origin. ``by_kind`` counts records per kind over
    every flagged record of the origin filter (so a queue can show each kind's size)."""
    stmt = select(
        Procedure.id,
        Procedure.code,
        Procedure.name,
        Procedure.origin,
        Procedure.published,
        Procedure.updated_at,
        Procedure.quality_flags,
    ).order_by(Procedure.code)
    if origin:
        stmt = stmt.where(Procedure.origin == origin)
    # JSON emptiness is spelled differently by SQLite and PostgreSQL: read the lists and filter here
    # (a few thousand small lists).
    records: list[tuple[int, FlaggedRecord]] = []
    for procedure_id, code, name, row_origin, published, updated_at, raw in session.execute(stmt):
        views = _flags(raw)
        if views:
            records.append((procedure_id, FlaggedRecord(code, name, row_origin, bool(published), updated_at, views)))
    per_kind: dict[str, int] = {}
    flags_per_kind: dict[str, int] = {}
    for _, record in records:
        for flag_kind in {f.kind for f in record.flags}:
            per_kind[flag_kind] = per_kind.get(flag_kind, 0) + 1
        for flag in record.flags:
            flags_per_kind[flag.kind] = flags_per_kind.get(flag.kind, 0) + 1
    by_kind = dict(sorted(per_kind.items(), key=lambda item: (-item[1], item[0])))
    if kind:
        records = [(i, r) for i, r in records if any(f.kind == kind for f in r.flags)]
    window = records[offset:] if limit is None else records[offset : offset + limit]
    versions: dict[int, int] = {
        procedure_id: version
        for procedure_id, version in session.execute(
            select(ProcedureVersion.procedure_id, func.max(ProcedureVersion.version))
            .where(ProcedureVersion.procedure_id.in_([i for i, _ in window]))
            .group_by(ProcedureVersion.procedure_id)
        )
    }
    rows = [replace(r, version=versions.get(i, 0)) for i, r in window]
    return FlaggedList(total=len(records), by_kind=by_kind, rows=rows, flags_by_kind=flags_per_kind)


def open_flags(procedure: Procedure) -> list[FlagView]:
    """The open flags of a procedure, with their Vietnamese names."""
    return _flags(procedure.quality_flags)


def keep_open_flags(procedure: Procedure, record: ProcedureRecord) -> ProcedureRecord:
    """``record`` (an editor's edit of ``procedure``) with the stored open flags: correcting a
    record does not clear them; the editor's confirmation (``confirm``) does."""
    return record.model_copy(update={"quality_flags": service.to_record(procedure).quality_flags})


# --- an editor's confirmation --------------------------------------------------------------------


def confirm(
    session: Session,
    code: str,
    actor: Actor,
    note: str | None = None,
    *,
    expected_version: int | None = None,
) -> service.ChangeOutcome:
    """Clear the open quality flags of ``code`` once an editor has checked the record against its
    source: a new version whose note names what was checked (and the editor's ``note``) and an
    audit entry ``procedure.confirm``, like any edit (``service.edit``: the record becomes curated,
    origin "admin", so a later import does not silently overwrite it). Nothing changes (and
    ``changed`` is False) when there is no open flag. ``expected_version`` refuses with
    StaleVersionError when someone saved the record after the editor opened it."""
    begin_writing(session, lock=CATALOGUE_LOCK)  # the flags read here are the ones cleared
    procedure = service.require(session, code)
    flags = _flags(procedure.quality_flags)
    if not flags:
        return service.ChangeOutcome(procedure.code, changed=False, version=service.current_version(procedure))
    record = service.to_record(procedure).model_copy(update={"quality_flags": []})
    labels = ", ".join(dict.fromkeys(f.label for f in flags))
    text = f"đã kiểm tra với nguồn, gỡ cảnh báo: {labels}"
    note = " ".join((note or "").split())[:MAX_NOTE]
    if note:
        text += f" — {note}"
    return service.edit(
        session,
        procedure.code,
        record,
        actor=actor,
        expected_version=expected_version,
        note=text,
        action=CONFIRM_ACTION,
    )
