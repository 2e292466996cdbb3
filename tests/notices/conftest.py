"""A small administrative map (real codes and names, enough to scope notices) and two procedures."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from core.audit.actor import Actor
from knowledge.procedures import service as procedures
from knowledge.units.loader import folded_name
from knowledge.units.models import AdministrativeUnit, UnitSuccession
from tests.admin.conftest import record

EDITOR = Actor("bientap", "editor")
BEN_THANH, HOAN_KIEM, CAU_ONG_LANH = "26743", "00070", "26758"
HCMC, HANOI = "79", "01"
PHAM_NGU_LAO = "26749"  # former ward, went whole to Phường Bến Thành
FORMER_CAU_ONG_LANH = "26752"  # former ward, split between Bến Thành and the new Cầu Ông Lãnh
KHAI_SINH, KET_HON = "9.160001", "9.160002"

_CURRENT = [
    (HCMC, "Thành phố Hồ Chí Minh", "thanh_pho", "province", HCMC, "Thành phố Hồ Chí Minh"),
    (HANOI, "Thành phố Hà Nội", "thanh_pho", "province", HANOI, "Thành phố Hà Nội"),
    (BEN_THANH, "Phường Bến Thành", "phuong", "commune", HCMC, "Thành phố Hồ Chí Minh"),
    (CAU_ONG_LANH, "Phường Cầu Ông Lãnh", "phuong", "commune", HCMC, "Thành phố Hồ Chí Minh"),
    (HOAN_KIEM, "Phường Hoàn Kiếm", "phuong", "commune", HANOI, "Thành phố Hà Nội"),
]


def _unit(
    code: str, name: str, unit_type: str, level: str, province: str, province_name: str, status: str
) -> AdministrativeUnit:
    return AdministrativeUnit(
        code=code,
        name=name,
        type=unit_type,
        level=level,
        status=status,
        province_code=province,
        province_name=province_name,
        district_name="Quận 1" if status == "former" else None,
        name_folded=folded_name(name, unit_type),
    )


@pytest.fixture
def units(session: Session) -> Session:
    current = {row[0]: _unit(*row, "current") for row in _CURRENT}
    session.add_all(current.values())
    hcmc = ("phuong", "commune", HCMC, "Thành phố Hồ Chí Minh", "former")
    pham_ngu_lao = _unit(PHAM_NGU_LAO, "Phường Phạm Ngũ Lão", *hcmc)
    split = _unit(FORMER_CAU_ONG_LANH, "Phường Cầu Ông Lãnh", *hcmc)
    session.add_all([pham_ngu_lao, split])
    session.flush()
    session.add_all(
        [
            UnitSuccession(former_id=pham_ngu_lao.id, current_id=current[BEN_THANH].id, partial=False),
            UnitSuccession(former_id=split.id, current_id=current[BEN_THANH].id, partial=True),
            UnitSuccession(former_id=split.id, current_id=current[CAU_ONG_LANH].id, partial=True),
        ]
    )
    session.commit()
    return session


@pytest.fixture
def store(units: Session) -> Session:
    """The map and two (test) procedures."""
    for code in (KHAI_SINH, KET_HON):
        procedures.upsert(units, record(code), actor=Actor("cli"), origin="import")
    units.commit()
    return units
