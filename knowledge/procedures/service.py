"""Reading and writing procedures. Every write goes through ``upsert`` and leaves a version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from bot.vntext import normalize_folded
from core.audit import service as audit
from core.audit.actor import Actor
from core.db import CATALOGUE_LOCK, begin_writing, database_key
from core.errors import ConflictError, NotFoundError
from core.pagination import Page
from knowledge.procedures.models import (
    Procedure,
    ProcedureAlias,
    ProcedureChannel,
    ProcedureDocument,
    ProcedureVersion,
)
from knowledge.procedures.schemas import ProcedureRecord

ADMIN_ORIGIN = "admin"


class AliasConflictError(ConflictError, ValueError):
    """An alias already names another procedure."""


@dataclass(frozen=True)
class UpsertResult:
    code: str
    created: bool
    changed: bool


def _load_options() -> tuple[LoaderOption, ...]:
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


def names_by_code(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Procedure names for codes (published or not: a conversation may name one since unpublished);
    codes of no procedure are left out."""
    wanted = set(codes)
    if not wanted:
        return {}
    rows = session.execute(select(Procedure.code, Procedure.name).where(Procedure.code.in_(wanted)))
    return {code: name for code, name in rows}


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
                    "fee_kind": c.fee_kind or "unknown",
                    "fee_unit": c.fee_unit,
                    "fee_basis": c.fee_basis,
                    "deadline_kind": c.deadline_kind or "unknown",
                    "condition": c.condition,
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
                    "applies_when": d.applies_when,
                    "form_url": d.form_url,
                }
                for d in procedure.documents
            ],
            "guidance": list(procedure.guidance or []),
            "checklist_questions": list(procedure.checklist_questions or []),
            "conditions": procedure.conditions,
            "result": procedure.result,
            "legal_basis": procedure.legal_basis,
            "online_url": procedure.online_url,
            "source_url": procedure.source_url,
            "source_note": procedure.source_note,
            "last_verified": procedure.last_verified,
            "quality_flags": list(procedure.quality_flags or []),
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
    "guidance",
)


def upsert(
    session: Session,
    record: ProcedureRecord,
    *,
    actor: Actor,
    origin: str = "seed",
    note: str | None = None,
    keep_aliases: bool = False,
) -> UpsertResult:
    """Create or update the procedure with ``record.code``; a no-op when nothing changed (and for
    a seed record over one an editor has changed since: origin "admin").

    ``keep_aliases`` lets a catalogue import refresh official facts without dropping the aliases
    that admins and seed files curate.
    """
    begin_writing(session, lock=CATALOGUE_LOCK)  # an import's check-then-write must not interleave with this
    existing = get_by_code(session, record.code, include_unpublished=True)
    if existing is not None and origin == "seed" and existing.origin == ADMIN_ORIGIN:
        # An editor changed it in the admin after the seed file was written: the edit is the
        # newer reviewed fact, so a restart (which reloads the seed) must not undo it.
        return UpsertResult(record.code, created=False, changed=False)
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
    procedure.quality_flags = [flag.model_dump() for flag in record.quality_flags]
    procedure.checklist_questions = [q.model_dump(mode="json") for q in record.checklist_questions]
    procedure.channels = [ProcedureChannel(position=i, **c.model_dump()) for i, c in enumerate(record.channels)]
    procedure.documents = [
        ProcedureDocument(position=i, **d.model_dump(mode="json")) for i, d in enumerate(record.documents)
    ]
    _replace_aliases(session, procedure, record.aliases)
    session.flush()

    version = len(procedure.versions) + 1
    procedure.versions.append(
        ProcedureVersion(
            version=version, snapshot=record.model_dump(mode="json"), changed_by=actor.username, change_note=note
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


def set_published(session: Session, code: str, published: bool, *, actor: Actor) -> bool:
    """Publish or withdraw a procedure; recorded as a version, which is also what tells every
    process's search index that the catalogue changed. Returns False for an unknown code."""
    begin_writing(session, lock=CATALOGUE_LOCK)
    procedure = get_by_code(session, code, include_unpublished=True)
    if procedure is None:
        return False
    if procedure.published != published:
        procedure.published = published
        procedure.versions.append(
            ProcedureVersion(
                version=len(procedure.versions) + 1,
                snapshot=to_record(procedure).model_dump(mode="json"),
                changed_by=actor.username,
                change_note="xuất bản" if published else "ngừng xuất bản",
            )
        )
        session.flush()
    return True


# --- Staff changes (knowledge admin): optimistic concurrency, audit, history ----------------------


class ProcedureNotFoundError(NotFoundError, LookupError):
    def __init__(self, code: str) -> None:
        super().__init__(f"Không có thủ tục mã {code} trong kho tri thức")
        self.code = code


class VersionNotFoundError(NotFoundError, LookupError):
    def __init__(self, code: str, version: int) -> None:
        super().__init__(f"Thủ tục {code} không có phiên bản {version}")


class ProcedureExistsError(ConflictError, ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(f"Mã thủ tục {code} đã có trong kho tri thức")
        self.code = code


class StaleVersionError(ConflictError, ValueError):
    """Someone saved the procedure after the editor opened it."""

    def __init__(self, code: str, expected: int, current: int, changed_by: str | None = None) -> None:
        who = f" ({changed_by})" if changed_by else ""
        super().__init__(
            f"Thủ tục {code} đã được sửa thành phiên bản {current}{who} sau khi bạn mở phiên bản {expected}. "
            "Không lưu để khỏi ghi đè thay đổi đó: hãy xem phiên bản mới nhất rồi sửa lại."
        )
        self.code = code
        self.expected = expected
        self.current = current


@dataclass(frozen=True)
class ChangeOutcome:
    code: str
    changed: bool
    version: int  # the latest version after the operation


def current_version(procedure: Procedure) -> int:
    return max((v.version for v in procedure.versions), default=0)


def require(session: Session, code: str) -> Procedure:
    procedure = get_by_code(session, code, include_unpublished=True)
    if procedure is None:
        raise ProcedureNotFoundError(code)
    return procedure


def _audit_state(procedure: Procedure) -> dict[str, Any]:
    return {**to_record(procedure).model_dump(mode="json"), "published": procedure.published}


def _check_version(procedure: Procedure, expected_version: int | None) -> None:
    latest = current_version(procedure)
    if expected_version is not None and expected_version != latest:
        changed_by = procedure.versions[-1].changed_by if procedure.versions else None
        raise StaleVersionError(procedure.code, expected_version, latest, changed_by)


def create(
    session: Session, record: ProcedureRecord, *, actor: Actor, published: bool = False, note: str | None = None
) -> ChangeOutcome:
    """A new procedure written by an editor; unpublished (a draft) unless ``published``."""
    if get_by_code(session, record.code, include_unpublished=True) is not None:
        raise ProcedureExistsError(record.code)
    upsert(session, record, actor=actor, origin=ADMIN_ORIGIN, note=note or "tạo mới")
    procedure = require(session, record.code)
    procedure.published = published
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="procedure.create",
        entity_type="procedure",
        entity_id=record.code,
        before=None,
        after=_audit_state(procedure),
    )
    return ChangeOutcome(record.code, changed=True, version=current_version(procedure))


def edit(
    session: Session,
    code: str,
    record: ProcedureRecord,
    *,
    actor: Actor,
    expected_version: int | None,
    note: str | None = None,
    action: str = "procedure.update",
) -> ChangeOutcome:
    """Replace the facts of ``code`` with ``record`` as an editor; refused with StaleVersionError
    when the stored version is not the one the editor started from."""
    begin_writing(session, lock=CATALOGUE_LOCK)  # the version check and the write see one catalogue
    procedure = require(session, code)
    if record.code != procedure.code:
        raise ValueError("Không đổi được mã thủ tục; hãy tạo thủ tục mới với mã khác")
    _check_version(procedure, expected_version)
    stored = to_record(procedure)
    if set(record.levels) == set(stored.levels):
        # Levels are a set (a form lists them in its own order): same set, no change.
        record = record.model_copy(update={"levels": stored.levels})
    before = _audit_state(procedure)
    result = upsert(session, record, actor=actor, origin=ADMIN_ORIGIN, note=note or "sửa nội dung")
    if not result.changed:
        return ChangeOutcome(code, changed=False, version=current_version(procedure))
    procedure.origin = ADMIN_ORIGIN
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type="procedure",
        entity_id=code,
        before=before,
        after=_audit_state(procedure),
    )
    return ChangeOutcome(code, changed=True, version=current_version(procedure))


def get_version(session: Session, code: str, version: int) -> ProcedureVersion:
    procedure = require(session, code)
    for item in procedure.versions:
        if item.version == version:
            return item
    raise VersionNotFoundError(code, version)


def revert(session: Session, code: str, version: int, *, actor: Actor, expected_version: int | None) -> ChangeOutcome:
    """Write a new version equal to ``version``'s snapshot; history is never rewritten."""
    old = get_version(session, code, version)
    record = ProcedureRecord.model_validate(old.snapshot)
    return edit(
        session,
        code,
        record,
        actor=actor,
        expected_version=expected_version,
        note=f"khôi phục phiên bản {version}",
        action="procedure.revert",
    )


def publish(session: Session, code: str, published: bool, *, actor: Actor) -> ChangeOutcome:
    """Publish or withdraw as an editor (audited); unpublished procedures are never answered to
    citizens (search and ``get_by_code`` only see published ones)."""
    procedure = require(session, code)
    if procedure.published == published:
        return ChangeOutcome(code, changed=False, version=current_version(procedure))
    set_published(session, code, published, actor=actor)
    audit.record(
        session,
        actor=actor,
        action="procedure.publish" if published else "procedure.unpublish",
        entity_type="procedure",
        entity_id=code,
        before={"published": not published},
        after={"published": published},
    )
    return ChangeOutcome(code, changed=True, version=current_version(procedure))


def catalogue_fingerprint(session: Session) -> str:
    """Changes whenever any procedure changes (every change writes a version), so a preview
    computed against it can tell that the store moved on."""
    latest, versions = session.execute(select(func.max(ProcedureVersion.id), func.count(ProcedureVersion.id))).one()
    count = session.scalar(select(func.count(Procedure.id)))
    return f"{latest or 0}:{versions}:{count}"


# --- Browsing the catalogue as an editor (all procedures, published or not) ------------------------


@dataclass(frozen=True)
class ProcedureRow:
    code: str
    name: str
    levels: list[str]
    field: str | None
    published: bool
    origin: str
    version: int
    updated_at: dt.datetime | None


ProcedurePage = Page[ProcedureRow]


@lru_cache(maxsize=16384)
def _folded(text: str) -> str:
    return normalize_folded(text)


def browse(
    session: Session,
    *,
    query: str = "",
    level: str | None = None,
    field: str | None = None,
    published: bool | None = None,
    page: int = 1,
    per_page: int = 50,
) -> ProcedurePage:
    """Filter by level, field and published, and match every word of ``query`` against the code,
    name and aliases, folded (so "dang ky ket hon" and "đk kết hôn" find "Đăng ký kết hôn")."""
    stmt = select(
        Procedure.id,
        Procedure.code,
        Procedure.name,
        Procedure.levels,
        Procedure.field,
        Procedure.published,
        Procedure.origin,
        Procedure.updated_at,
    )
    if field:
        stmt = stmt.where(Procedure.field == field)
    if published is not None:
        stmt = stmt.where(Procedure.published.is_(published))
    rows = [r for r in session.execute(stmt) if not level or level in (r.levels or [])]

    tokens = _folded(query).split() if query.strip() else []
    needle = query.strip().lower()
    if tokens:
        haystacks = _haystacks(session)

        def matches(r: Any) -> bool:
            if r.code.lower().startswith(needle):
                return True
            haystack = haystacks.get(r.id) or f"{r.code} {_folded(r.name)}"
            return all(token in haystack for token in tokens)

        def rank(r: Any) -> tuple[int, str]:
            if r.code.lower() == needle:
                return (0, r.code)
            if r.code.lower().startswith(needle):
                return (1, r.code)
            return (2 if _folded(r.name).startswith(" ".join(tokens)) else 3, r.code)

        rows = sorted((r for r in rows if matches(r)), key=rank)
    else:
        rows.sort(key=lambda r: r.code)

    total = len(rows)
    page = max(1, min(page, max(1, -(-total // per_page))))
    window = rows[(page - 1) * per_page : page * per_page]
    versions: dict[int, int] = {
        procedure_id: version
        for procedure_id, version in session.execute(
            select(ProcedureVersion.procedure_id, func.max(ProcedureVersion.version))
            .where(ProcedureVersion.procedure_id.in_([r.id for r in window]))
            .group_by(ProcedureVersion.procedure_id)
        )
    }
    return ProcedurePage(
        rows=[
            ProcedureRow(
                r.code,
                r.name,
                list(r.levels or []),
                r.field,
                r.published,
                r.origin,
                versions.get(r.id, 0),
                r.updated_at,
            )
            for r in window
        ],
        total=total,
        page=page,
        per_page=per_page,
    )


_HAYSTACKS: dict[str, tuple[str, dict[int, str]]] = {}


def _haystacks(session: Session) -> dict[int, str]:
    """Folded code, name and aliases per procedure, rebuilt only when the catalogue changed."""
    key = database_key(session)
    fingerprint = catalogue_fingerprint(session)
    cached = _HAYSTACKS.get(key)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    aliases: dict[int, list[str]] = {}
    for procedure_id, folded in session.execute(select(ProcedureAlias.procedure_id, ProcedureAlias.alias_folded)):
        aliases.setdefault(procedure_id, []).append(folded)
    built = {
        procedure_id: " ".join([code, _folded(name), *aliases.get(procedure_id, [])])
        for procedure_id, code, name in session.execute(select(Procedure.id, Procedure.code, Procedure.name))
    }
    _HAYSTACKS[key] = (fingerprint, built)
    return built


def fields(session: Session) -> list[str]:
    """Every field (lĩnh vực) in the catalogue, for the list's filter."""
    return sorted(f for f in session.scalars(select(Procedure.field).distinct()) if f)
