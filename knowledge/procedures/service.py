"""Reading and writing procedures. Every write goes through ``upsert`` and leaves a version."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.vntext import normalize_folded
from knowledge.procedures.models import (
    Procedure,
    ProcedureAlias,
    ProcedureChannel,
    ProcedureDocument,
    ProcedureVersion,
)
from knowledge.procedures.schemas import ProcedureRecord


class AliasConflictError(ValueError):
    """An alias already names another procedure."""


@dataclass(frozen=True)
class UpsertResult:
    code: str
    created: bool
    changed: bool


def _load_options():  # noqa: ANN202 - SQLAlchemy option tuple
    return (
        selectinload(Procedure.channels),
        selectinload(Procedure.documents),
        selectinload(Procedure.aliases),
    )


def get_by_code(session: Session, code: str, *, include_unpublished: bool = False) -> Procedure | None:
    stmt = select(Procedure).where(Procedure.code == code.strip()).options(*_load_options())
    if not include_unpublished:
        stmt = stmt.where(Procedure.published.is_(True))
    return session.scalars(stmt).first()


def list_published(session: Session) -> list[Procedure]:
    stmt = select(Procedure).where(Procedure.published.is_(True)).options(*_load_options())
    return list(session.scalars(stmt))


def to_record(procedure: Procedure) -> ProcedureRecord:
    return ProcedureRecord.model_validate(
        {
            "code": procedure.code,
            "name": procedure.name,
            "official_name": procedure.official_name,
            "levels": procedure.levels,
            "field": procedure.field,
            "agency": procedure.agency,
            "receiving_place": procedure.receiving_place,
            "applicants": procedure.applicants,
            "publishing_decision": procedure.publishing_decision,
            "aliases": [a.alias for a in procedure.aliases],
            "steps": procedure.steps,
            "channels": [
                {
                    "kind": c.kind,
                    "processing_time": c.processing_time,
                    "processing_days": c.processing_days,
                    "fee": c.fee,
                    "fee_vnd": c.fee_vnd,
                    "note": c.note,
                }
                for c in procedure.channels
            ],
            "documents": [
                {
                    "name": d.name,
                    "form": d.form,
                    "kind": d.kind,
                    "count": d.count,
                    "required": d.required,
                    "condition": d.condition,
                }
                for d in procedure.documents
            ],
            "conditions": procedure.conditions,
            "result": procedure.result,
            "legal_basis": procedure.legal_basis,
            "online_url": procedure.online_url,
            "source_url": procedure.source_url,
            "source_note": procedure.source_note,
            "last_verified": procedure.last_verified,
        }
    )


_SCALAR_FIELDS = (
    "name",
    "official_name",
    "levels",
    "field",
    "agency",
    "receiving_place",
    "applicants",
    "publishing_decision",
    "steps",
    "conditions",
    "result",
    "online_url",
    "source_url",
    "source_note",
    "last_verified",
)


def upsert(
    session: Session,
    record: ProcedureRecord,
    *,
    actor: str,
    origin: str = "seed",
    note: str | None = None,
    keep_aliases: bool = False,
) -> UpsertResult:
    """Create or update the procedure with ``record.code``; a no-op when nothing changed.

    ``keep_aliases`` lets a catalogue import refresh official facts without dropping the aliases
    that admins and seed files curate.
    """
    existing = get_by_code(session, record.code, include_unpublished=True)
    if existing is not None:
        before = to_record(existing)
        if keep_aliases:
            record = record.model_copy(update={"aliases": _merge(before.aliases, record.aliases)})
        if before == record:
            return UpsertResult(record.code, created=False, changed=False)
        procedure = existing
    else:
        procedure = Procedure(code=record.code, origin=origin)
        session.add(procedure)

    for name in _SCALAR_FIELDS:
        setattr(procedure, name, getattr(record, name))
    procedure.legal_basis = [lb.model_dump() for lb in record.legal_basis]
    procedure.channels = [ProcedureChannel(position=i, **c.model_dump()) for i, c in enumerate(record.channels)]
    procedure.documents = [ProcedureDocument(position=i, **d.model_dump()) for i, d in enumerate(record.documents)]
    _replace_aliases(session, procedure, record.aliases)
    session.flush()

    version = len(procedure.versions) + 1
    procedure.versions.append(
        ProcedureVersion(
            version=version, snapshot=record.model_dump(mode="json"), changed_by=actor, change_note=note
        )
    )
    session.flush()
    return UpsertResult(record.code, created=existing is None, changed=True)


def _merge(first: list[str], second: list[str]) -> list[str]:
    return first + [a for a in second if a not in first]


def _replace_aliases(session: Session, procedure: Procedure, aliases: list[str]) -> None:
    wanted = {normalize_folded(a): a for a in aliases if normalize_folded(a)}
    if wanted:
        clashes = session.scalars(
            select(ProcedureAlias).where(
                ProcedureAlias.alias_folded.in_(wanted), ProcedureAlias.procedure_id != procedure.id
            )
        ).all()
        if clashes:
            names = ", ".join(f"“{c.alias}” ({c.procedure.code})" for c in clashes)
            raise AliasConflictError(f"Tên gọi đã dùng cho thủ tục khác: {names}")
    # Keep the rows whose folded key stays, so a unique key is never deleted and re-inserted.
    kept = [a for a in procedure.aliases if a.alias_folded in wanted]
    for alias in kept:
        alias.alias = wanted[alias.alias_folded]
    kept_keys = {a.alias_folded for a in kept}
    procedure.aliases = kept + [
        ProcedureAlias(alias=alias, alias_folded=key) for key, alias in wanted.items() if key not in kept_keys
    ]


def set_published(session: Session, code: str, published: bool, *, actor: str) -> bool:
    """Publish or withdraw a procedure; recorded as a version, which is also what tells every
    process's search index that the catalogue changed. Returns False for an unknown code."""
    procedure = get_by_code(session, code, include_unpublished=True)
    if procedure is None:
        return False
    if procedure.published != published:
        procedure.published = published
        procedure.versions.append(
            ProcedureVersion(
                version=len(procedure.versions) + 1,
                snapshot=to_record(procedure).model_dump(mode="json"),
                changed_by=actor,
                change_note="xuất bản" if published else "ngừng xuất bản",
            )
        )
        session.flush()
    return True
