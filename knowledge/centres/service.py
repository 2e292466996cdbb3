"""Service centres: which one serves a commune, and what to tell a citizen about it."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.centres.models import ServiceCentre
from knowledge.centres.schemas import CentreRecord

DEMO_SOURCE = "knowledge/seed/centres.yaml (dữ liệu minh họa)"


def for_unit(session: Session, unit_code: str) -> list[ServiceCentre]:
    return list(session.scalars(select(ServiceCentre).where(ServiceCentre.unit_code == unit_code.strip())))


def seed_demo_centres(session: Session, path: Path) -> int:
    """Loads the demo centres file; idempotent (one centre per unit and name)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    changed = 0
    for item in data.get("centres", []):
        record = CentreRecord.model_validate({**item, "is_demo": True, "source": DEMO_SOURCE})
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


def describe(centre: ServiceCentre) -> str:
    """Address, hotline and hours, as a citizen reads them; demo data is labelled as such."""
    lines = [f"🏢 {centre.name}"]
    if centre.address:
        lines.append(f"• Địa chỉ: {centre.address}")
    if centre.phone:
        lines.append(f"• Điện thoại: {centre.phone}")
    if centre.hours:
        lines.append(f"• Giờ làm việc: {centre.hours}")
    if centre.is_demo:
        lines.append("(Thông tin minh họa — vui lòng kiểm tra trên cổng thông tin của xã/phường.)")
    return "\n".join(lines)
