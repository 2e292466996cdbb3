"""Notices: which ones a citizen sees (unit and procedure scopes, validity window, withdrawn), how
they are said, and the editors' checks and audit. SQLite and PostgreSQL (the ``session`` fixture)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session

from knowledge.notices import service
from knowledge.notices.service import NoticeInvalid, NoticeView
from tests.admin.conftest import audit_rows
from tests.notices.conftest import (
    BEN_THANH,
    CAU_ONG_LANH,
    EDITOR,
    HANOI,
    HCMC,
    HOAN_KIEM,
    KET_HON,
    KHAI_SINH,
    PHAM_NGU_LAO,
)

NOW = dt.datetime(2026, 8, 28, 3, 0)  # naive UTC: 10:00 in Vietnam


def _create(session: Session, **changes: Any) -> int:
    fields: dict[str, Any] = {
        "title": "Nghỉ lễ Quốc khánh",
        "body": "Bộ phận một cửa nghỉ từ 30/8 đến 2/9, làm việc lại ngày 3/9.",
        "starts_at": NOW - dt.timedelta(hours=1),
        "ends_at": NOW + dt.timedelta(days=3),
        "actor": EDITOR,
        "now": NOW,
    }
    fields.update(changes)
    notice = service.create_notice(session, **fields)
    session.commit()
    return notice.id


def _ids(notices: list[NoticeView]) -> list[int]:
    return [n.id for n in notices]


def test_a_notice_for_every_unit_shows_everywhere_even_without_a_unit(store: Session) -> None:
    everywhere = _create(store)
    for unit in (None, BEN_THANH, HOAN_KIEM):
        assert _ids(service.active_notices(store, unit_code=unit, now=NOW)) == [everywhere]


def test_a_unit_notice_shows_only_with_its_unit(store: Session) -> None:
    ben_thanh = _create(store, title="Bến Thành đổi giờ tiếp dân", unit_codes=[BEN_THANH])
    assert _ids(service.active_notices(store, unit_code=BEN_THANH, now=NOW)) == [ben_thanh]
    assert service.active_notices(store, unit_code=HOAN_KIEM, now=NOW) == []
    assert service.active_notices(store, unit_code=None, now=NOW) == []  # never without its unit


def test_a_province_code_scopes_every_commune_of_the_province(store: Session) -> None:
    whole_city = _create(store, unit_codes=[HCMC])
    assert _ids(service.active_notices(store, unit_code=BEN_THANH, now=NOW)) == [whole_city]
    assert _ids(service.active_notices(store, unit_code=CAU_ONG_LANH, now=NOW)) == [whole_city]
    assert service.active_notices(store, unit_code=HOAN_KIEM, now=NOW) == []


def test_a_procedure_notice_shows_only_when_that_procedure_is_asked_about(store: Session) -> None:
    general = _create(store)
    fee = _create(store, title="Lệ phí khai sinh thay đổi", procedure_codes=[KHAI_SINH], severity="warning")
    assert _ids(service.active_notices(store, unit_code=BEN_THANH, now=NOW)) == [general]
    assert _ids(service.active_notices(store, unit_code=BEN_THANH, procedure_code=KET_HON, now=NOW)) == [general]
    # Warnings first, then the most recent.
    assert _ids(service.active_notices(store, unit_code=BEN_THANH, procedure_code=KHAI_SINH, now=NOW)) == [
        fee,
        general,
    ]


def test_both_scopes_must_fit(store: Session) -> None:
    both = _create(store, unit_codes=[HOAN_KIEM], procedure_codes=[KET_HON])
    assert service.active_notices(store, unit_code=BEN_THANH, procedure_code=KET_HON, now=NOW) == []
    assert service.active_notices(store, unit_code=HOAN_KIEM, now=NOW) == []
    assert _ids(service.active_notices(store, unit_code=HOAN_KIEM, procedure_code=KET_HON, now=NOW)) == [both]


def test_only_notices_within_their_window_and_not_withdrawn_show(store: Session) -> None:
    later = _create(
        store, title="Bảo trì cổng", starts_at=NOW + dt.timedelta(days=1), ends_at=NOW + dt.timedelta(days=5)
    )
    current = _create(store)
    assert _ids(service.active_notices(store, unit_code=None, now=NOW)) == [current]
    tomorrow = NOW + dt.timedelta(days=1, minutes=1)
    assert _ids(service.active_notices(store, unit_code=None, now=tomorrow)) == [later, current]
    ended = NOW + dt.timedelta(days=3)  # ends_at itself is already past the notice
    assert _ids(service.active_notices(store, unit_code=None, now=ended)) == [later]

    service.withdraw_notice(store, current, actor=EDITOR, now=NOW)
    store.commit()
    assert service.active_notices(store, unit_code=None, now=NOW) == []
    assert service.status_of(service.get_notice(store, current), NOW) == "withdrawn"
    assert service.status_of(service.get_notice(store, later), NOW) == "upcoming"


def test_notice_text_says_until_when_in_vietnam_time() -> None:
    whole_days = NoticeView(
        id=1,
        title="Nghỉ lễ Quốc khánh",
        body="Bộ phận một cửa nghỉ từ 30/8 đến 2/9.",
        severity="warning",
        ends_at=dt.datetime(2026, 9, 2, 17, 0),  # midnight of 3/9 in Vietnam: to the end of 2/9
        unit_codes=(),
        procedure_codes=(),
    )
    assert service.notice_text(whole_days) == (
        "Thông báo: Nghỉ lễ Quốc khánh. Bộ phận một cửa nghỉ từ 30/8 đến 2/9. (đến hết ngày 02/09/2026)"
    )
    maintenance = NoticeView(
        id=2,
        title="Cổng dịch vụ công bảo trì.",
        body="Hồ sơ trực tuyến tạm ngừng nhận.",
        severity="info",
        ends_at=dt.datetime(2026, 12, 5, 23, 0),  # 06:00 on 6/12 in Vietnam
        unit_codes=(),
        procedure_codes=(),
    )
    assert service.notice_text(maintenance) == (
        "Thông báo: Cổng dịch vụ công bảo trì. Hồ sơ trực tuyến tạm ngừng nhận. (đến 06:00 ngày 06/12/2026)"
    )
    assert service.until_text(dt.datetime(2026, 9, 2, 16, 59)) == "đến hết ngày 02/09/2026"  # 23:59


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"title": "  "}, "title", "tiêu đề"),
        ({"title": "x" * 201}, "title", "200 ký tự"),
        ({"body": ""}, "body", "nội dung"),
        ({"severity": "urgent"}, "severity", "Cảnh báo"),
        ({"ends_at": NOW - dt.timedelta(hours=2)}, "ends_at", "sau thời điểm bắt đầu"),
        ({"starts_at": NOW - dt.timedelta(days=2), "ends_at": NOW - dt.timedelta(days=1)}, "ends_at", "đã qua"),
        ({"unit_codes": ["99999"]}, "unit_codes", "99999"),
        ({"unit_codes": [PHAM_NGU_LAO]}, "unit_codes", "hiện hành"),  # a former unit's code
        ({"procedure_codes": [KHAI_SINH, "9.999999"]}, "procedure_codes", "9.999999"),
    ],
)
def test_invalid_notices_are_refused_in_vietnamese(
    store: Session, changes: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(NoticeInvalid) as refused:
        _create(store, **changes)
    assert refused.value.field == field
    assert words in refused.value.message
    store.rollback()
    assert service.list_notices(store) == []


def test_changes_are_audited_and_codes_tidied(store: Session) -> None:
    notice_id = _create(store, unit_codes=[f" {BEN_THANH}", BEN_THANH, HANOI], procedure_codes=[KHAI_SINH])
    notice = service.get_notice(store, notice_id)
    assert notice.unit_codes == [BEN_THANH, HANOI] and notice.created_by == "bientap"
    [created] = audit_rows(store, action="notice.create")
    assert created.entity_type == "notice" and created.entity_id == str(notice_id) and created.before is None

    fields: dict[str, Any] = {
        "title": notice.title,
        "body": notice.body,
        "starts_at": notice.starts_at,
        "ends_at": notice.ends_at,
        "unit_codes": notice.unit_codes,
        "procedure_codes": notice.procedure_codes,
        "actor": EDITOR,
        "now": NOW,
    }
    _, changed = service.update_notice(store, notice_id, **fields)
    assert not changed and audit_rows(store, action="notice.update") == []
    _, changed = service.update_notice(store, notice_id, **{**fields, "title": "Nghỉ lễ 2/9"})
    store.commit()
    assert changed
    [updated] = audit_rows(store, action="notice.update")
    assert updated.before["title"] == "Nghỉ lễ Quốc khánh" and updated.after["title"] == "Nghỉ lễ 2/9"

    service.withdraw_notice(store, notice_id, actor=EDITOR, now=NOW)
    service.withdraw_notice(store, notice_id, actor=EDITOR, now=NOW)  # twice: nothing more
    store.commit()
    [withdrawn] = audit_rows(store, action="notice.withdraw")
    assert withdrawn.before["withdrawn_at"] is None and withdrawn.after["withdrawn_at"]
    with pytest.raises(NoticeInvalid, match="đã gỡ"):
        service.update_notice(store, notice_id, **fields)
    with pytest.raises(service.NoticeNotFound):
        service.withdraw_notice(store, 999, actor=EDITOR)
