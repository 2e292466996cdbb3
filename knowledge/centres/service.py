"""Service centres: which one serves a commune, and what to tell a citizen about it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.vntext import canonical_tones, fold
from core.audit import service as audit
from core.audit.actor import Actor
from core.errors import InvalidError, NotFoundError
from core.pagination import Page
from knowledge.centres.models import ServiceCentre
from knowledge.centres.schemas import CentreInput, CentreRecord
from knowledge.procedures.models import Procedure
from knowledge.units.models import AdministrativeUnit

DEMO_SOURCE = "knowledge/seed/centres.yaml (dữ liệu minh họa)"
ADMIN_ORIGIN = "admin"


def for_unit(session: Session, unit_code: str) -> list[ServiceCentre]:
    return list(session.scalars(select(ServiceCentre).where(ServiceCentre.unit_code == unit_code.strip())))


def seed_demo_centres(session: Session, path: Path) -> int:
    """Loads the demo centres file; idempotent (one centre per unit and name). Units whose centres
    staff have edited or created are left alone."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    changed = 0
    staff_units = set(session.scalars(select(ServiceCentre.unit_code).where(ServiceCentre.origin == ADMIN_ORIGIN)))
    for item in data.get("centres", []):
        record = CentreRecord.model_validate({**item, "is_demo": True, "source": DEMO_SOURCE})
        if record.unit_code in staff_units:
            continue  # staff manage this unit's centres now: placeholders must not come back
        existing = session.scalars(
            select(ServiceCentre).where(ServiceCentre.unit_code == record.unit_code, ServiceCentre.name == record.name)
        ).first()
        if existing is None:
            session.add(ServiceCentre(**record.model_dump()))
            changed += 1
        elif CentreRecord.model_validate(existing) != record:
            for key, value in record.model_dump().items():
                setattr(existing, key, value)
            changed += 1
    session.flush()
    return changed


# --- Staff management (knowledge admin) ---------------------------------------------------------


class CentreNotFoundError(NotFoundError, LookupError):
    def __init__(self, centre_id: int) -> None:
        super().__init__(f"Không có trung tâm số {centre_id}")


class CentreCheckError(InvalidError, ValueError):
    """Facts the form alone cannot check (the unit exists, the procedures exist); ``errors`` maps
    a field name to a Vietnamese message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class CentreRow:
    centre: ServiceCentre
    unit_name: str | None
    province_name: str | None


CentrePage = Page[CentreRow]


def browse(session: Session, *, query: str = "", page: int = 1, per_page: int = 50) -> CentrePage:
    """Centres by unit code, centre name, or the unit's name (folded: "ben thanh" finds "Bến Thành")."""
    stmt = select(ServiceCentre)
    needle = query.strip()
    if needle:
        folded = " ".join(fold(canonical_tones(needle)).split())  # as units.loader.folded_name stores it
        unit_codes = select(AdministrativeUnit.code).where(
            AdministrativeUnit.status == "current", AdministrativeUnit.name_folded.contains(folded)
        )
        stmt = stmt.where(
            or_(
                ServiceCentre.unit_code.startswith(needle),
                ServiceCentre.name.icontains(needle),
                ServiceCentre.unit_code.in_(unit_codes),
            )
        )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = max(1, min(page, max(1, -(-total // per_page))))
    ordered = stmt.order_by(ServiceCentre.unit_code, ServiceCentre.name)
    centres = list(session.scalars(ordered.offset((page - 1) * per_page).limit(per_page)))
    units = _current_units(session, {c.unit_code for c in centres})
    return CentrePage(
        rows=[CentreRow(c, *units.get(c.unit_code, (None, None))) for c in centres],
        total=total,
        page=page,
        per_page=per_page,
    )


def _current_units(session: Session, codes: set[str]) -> dict[str, tuple[str, str | None]]:
    if not codes:
        return {}
    rows = session.execute(
        select(AdministrativeUnit.code, AdministrativeUnit.name, AdministrativeUnit.province_name).where(
            AdministrativeUnit.code.in_(codes), AdministrativeUnit.status == "current"
        )
    )
    return {code: (name, province) for code, name, province in rows}


def get(session: Session, centre_id: int) -> ServiceCentre:
    centre = session.get(ServiceCentre, centre_id)
    if centre is None:
        raise CentreNotFoundError(centre_id)
    return centre


def unit_label(session: Session, unit_code: str) -> str | None:
    found = _current_units(session, {unit_code}).get(unit_code)
    return f"{found[0]}, {found[1]}" if found and found[1] else (found[0] if found else None)


def _check(session: Session, data: CentreInput) -> None:
    errors: dict[str, str] = {}
    if not _current_units(session, {data.unit_code}):
        errors["unit_code"] = (
            f"Không có đơn vị hành chính hiện hành mã {data.unit_code} (xã, phường, đặc khu hoặc tỉnh)"
        )
    if data.extra_procedures:
        known = set(session.scalars(select(Procedure.code).where(Procedure.code.in_(data.extra_procedures))))
        unknown = [c for c in data.extra_procedures if c not in known]
        if unknown:
            errors["extra_procedures"] = "Kho tri thức chưa có thủ tục: " + ", ".join(unknown)
    if errors:
        raise CentreCheckError(errors)


def _state(centre: ServiceCentre) -> dict[str, Any]:
    return {**CentreRecord.model_validate(centre).model_dump(mode="json"), "origin": centre.origin}


def create(session: Session, data: CentreInput, *, actor: Actor) -> ServiceCentre:
    _check(session, data)
    centre = ServiceCentre(**data.model_dump(), origin=ADMIN_ORIGIN)
    session.add(centre)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="centre.create",
        entity_type="service_centre",
        entity_id=str(centre.id),
        before=None,
        after=_state(centre),
    )
    return centre


def update(session: Session, centre_id: int, data: CentreInput, *, actor: Actor) -> tuple[ServiceCentre, bool]:
    """Returns the centre and whether anything changed; a staff edit takes the unit out of the
    demo seed's hands (origin "admin")."""
    centre = get(session, centre_id)
    _check(session, data)
    before = _state(centre)
    for key, value in data.model_dump().items():
        setattr(centre, key, value)
    centre.origin = ADMIN_ORIGIN
    session.flush()
    after = _state(centre)
    if {k: v for k, v in after.items() if k != "origin"} == {k: v for k, v in before.items() if k != "origin"}:
        centre.origin = before["origin"]
        session.flush()
        return centre, False
    audit.record(
        session,
        actor=actor,
        action="centre.update",
        entity_type="service_centre",
        entity_id=str(centre.id),
        before=before,
        after=after,
    )
    return centre, True
