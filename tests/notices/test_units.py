"""Each commune its own: a widget's data-unit (a code, or a current or former name) becomes the
official code of one current unit, or no unit at all when it does not name one without doubt."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from servicedesk.conversations.units import official_unit, official_unit_code
from tests.notices.conftest import BEN_THANH, CAU_ONG_LANH, FORMER_CAU_ONG_LANH, HCMC, HOAN_KIEM, PHAM_NGU_LAO


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (BEN_THANH, BEN_THANH),  # a current unit's code
        (f"  {HOAN_KIEM} ", HOAN_KIEM),
        (HCMC, HCMC),  # a province's code
        (PHAM_NGU_LAO, BEN_THANH),  # a former ward's code: it went whole to Bến Thành
        (FORMER_CAU_ONG_LANH, None),  # a former ward split between two: no unit
        ("99999", None),
        ("2674", None),  # not a code's length
        ("Phường Bến Thành", BEN_THANH),  # names, as before
        ("phường bến thành, thành phố hồ chí minh", BEN_THANH),
        ("Phường Phạm Ngũ Lão", BEN_THANH),  # a former name that went whole to one unit
        ("Phường Cầu Ông Lãnh", CAU_ONG_LANH),  # the current unit of that name wins
        ("Bến Thành ơi", None),
        ("", None),
        (None, None),
    ],
)
def test_official_unit_code(units: Session, text: str | None, code: str | None) -> None:
    assert official_unit_code(units, text) == code


def test_official_unit_gives_name_and_province(units: Session) -> None:
    unit = official_unit(units, PHAM_NGU_LAO)
    assert unit is not None
    assert (unit.code, unit.name, unit.province_name) == (BEN_THANH, "Phường Bến Thành", "Thành phố Hồ Chí Minh")
    assert official_unit(units, "Xã Minh Họa") is None
