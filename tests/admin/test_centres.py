"""Service centres managed by editors: checks against the store, audit, and the demo seed never
putting placeholders back over a unit staff manage."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from knowledge.centres import service
from knowledge.centres.models import ServiceCentre
from knowledge.centres.schemas import CentreInput
from knowledge.seed.loader import SEED_DIR
from knowledge.units.loader import folded_name
from knowledge.units.models import AdministrativeUnit
from tests.admin.conftest import EDITOR, audit_rows


@pytest.fixture
def units(seeded: Session) -> Session:
    for code, name in (("26743", "Phường Bến Thành"), ("00070", "Phường Hoàn Kiếm")):
        seeded.add(
            AdministrativeUnit(
                code=code,
                name=name,
                type="phuong",
                level="commune",
                status="current",
                province_code="79",
                province_name="Thành phố Hồ Chí Minh",
                name_folded=folded_name(name, "phuong"),
            )
        )
    seeded.commit()
    service.seed_demo_centres(seeded, SEED_DIR / "centres.yaml")
    seeded.commit()
    return seeded


def _input(**changes: object) -> CentreInput:
    data: dict[str, object] = {
        "unit_code": "26743",
        "name": "Trung tâm Phục vụ hành chính công phường Bến Thành",
        "address": "Số 1 đường Minh Họa",
        "phone": "028 3829 1234",
        "email": "tiepnhan@benthanh.example.vn",
        "hours": "Thứ Hai – Thứ Sáu 7:30–11:30, 13:00–17:00",
        "receives_levels": ["xa"],
    }
    data.update(changes)
    return CentreInput.model_validate(data)


def test_create_checks_the_unit_and_procedures_and_is_audited(units: Session) -> None:
    with pytest.raises(service.CentreCheckError) as refused:
        service.create(units, _input(unit_code="99999", extra_procedures=["1.001193", "9.999999"]), actor=EDITOR)
    assert set(refused.value.errors) == {"unit_code", "extra_procedures"}
    assert "9.999999" in refused.value.errors["extra_procedures"]
    units.rollback()

    centre = service.create(units, _input(extra_procedures=["1.001193"]), actor=EDITOR)
    units.commit()
    assert centre.origin == "admin" and centre.email == "tiepnhan@benthanh.example.vn"
    [entry] = audit_rows(units, action="centre.create")
    assert entry.entity_id == str(centre.id) and entry.before is None and entry.after["phone"] == "028 3829 1234"


def test_editing_a_demo_centre_takes_the_unit_out_of_the_demo_seed(units: Session) -> None:
    [demo] = service.for_unit(units, "26743")
    assert demo.is_demo and demo.origin == "seed"
    _, changed = service.update(units, demo.id, _input(is_demo=False), actor=EDITOR)
    units.commit()
    assert changed
    service.seed_demo_centres(units, SEED_DIR / "centres.yaml")
    units.commit()
    [kept] = service.for_unit(units, "26743")  # the renamed centre is not joined by a new placeholder
    assert kept.name == "Trung tâm Phục vụ hành chính công phường Bến Thành" and not kept.is_demo
    [entry] = audit_rows(units, action="centre.update")
    assert entry.before["is_demo"] is True and entry.after["is_demo"] is False
    # Other units still get their demo centre.
    assert service.for_unit(units, "00070")[0].is_demo


def test_saving_without_changes_is_not_audited(units: Session) -> None:
    centre = service.create(units, _input(unit_code="00070", name="Trung tâm phường Hoàn Kiếm"), actor=EDITOR)
    units.commit()
    same = _input(unit_code="00070", name="Trung tâm phường Hoàn Kiếm")
    _, changed = service.update(units, centre.id, same, actor=EDITOR)
    assert not changed
    assert [e.action for e in audit_rows(units)] == ["centre.create"]
    with pytest.raises(service.CentreNotFoundError):
        service.update(units, 99999, same, actor=EDITOR)


def test_browse_by_unit_name_without_diacritics(units: Session) -> None:
    page = service.browse(units, query="ben thanh")
    assert [r.centre.unit_code for r in page.rows] == ["26743"]
    assert page.rows[0].unit_name == "Phường Bến Thành"
    assert [r.centre.unit_code for r in service.browse(units, query="2674").rows] == ["26740", "26743"]
    assert service.browse(units).total == units.query(ServiceCentre).count()
