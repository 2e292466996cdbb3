"""Notices over HTTP, on the seeded store (the real administrative map): the public endpoint the
widget reads, the data-unit resolve endpoint, and the editors' pages (roles, CSRF, audit)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from core.audit.actor import Actor
from core.db import session_scope, utcnow
from knowledge.notices import service
from tests.staff.conftest import login

BEN_THANH, HOAN_KIEM, PHAM_NGU_LAO = "26743", "00070", "26749"


def _notice(**changes: Any) -> int:
    fields: dict[str, Any] = {
        "title": "Nghỉ lễ Quốc khánh",
        "body": "Bộ phận một cửa nghỉ từ 30/8 đến 2/9. Xem https://dichvucong.gov.vn để nộp trực tuyến.",
        "ends_at": utcnow() + dt.timedelta(days=2),
        "actor": Actor("bientap", "editor"),
    }
    fields.update(changes)
    with session_scope() as session:
        return service.create_notice(session, **fields).id


def _csrf(client: Any, path: str = "/staff/notices") -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get(path).text)
    assert match
    return match.group(1)


def test_public_notices_of_a_unit_by_code_current_or_former_name(staff_client: Any) -> None:
    everywhere = _notice(title="Cổng dịch vụ công bảo trì")
    ben_thanh = _notice(unit_codes=[BEN_THANH], severity="warning")
    _notice(title="Chỉ khi hỏi khai sinh", procedure_codes=["1.001193"])
    for unit in (BEN_THANH, "Phường Bến Thành", "phường phạm ngũ lão, thành phố hồ chí minh", PHAM_NGU_LAO):
        body = staff_client.get("/api/notices", params={"unit": unit}).json()
        assert body["unit"] == {"code": BEN_THANH, "name": "Phường Bến Thành", "province": "Thành phố Hồ Chí Minh"}
        assert [n["id"] for n in body["notices"]] == [ben_thanh, everywhere], unit
    first = body["notices"][0]
    assert first["severity"] == "warning" and re.fullmatch(r"đến \d\d:\d\d ngày \d\d/\d\d/\d{4}", first["until"])
    assert first["text"].startswith("Thông báo: Nghỉ lễ Quốc khánh. Bộ phận một cửa")

    other = staff_client.get("/api/notices", params={"unit": HOAN_KIEM}).json()
    assert other["unit"]["name"] == "Phường Hoàn Kiếm"
    assert [n["id"] for n in other["notices"]] == [everywhere]
    unknown = staff_client.get("/api/notices", params={"unit": "Xã Minh Họa"}).json()
    assert unknown["unit"] is None and [n["id"] for n in unknown["notices"]] == [everywhere]
    assert [n["id"] for n in staff_client.get("/api/notices").json()["notices"]] == [everywhere]
    with_procedure = staff_client.get("/api/notices", params={"unit": HOAN_KIEM, "procedure": "1.001193"}).json()
    assert len(with_procedure["notices"]) == 2
    assert staff_client.get("/api/notices", params={"unit": "x" * 121}).status_code == 422


def test_widget_unit_resolves_a_data_unit(staff_client: Any) -> None:
    found = staff_client.get("/api/widget/unit", params={"name": PHAM_NGU_LAO})
    assert found.status_code == 200
    assert found.json() == {
        "unit": {"code": BEN_THANH, "name": "Phường Bến Thành", "province": "Thành phố Hồ Chí Minh"}
    }
    assert staff_client.get("/api/widget/unit", params={"name": "Xã Minh Họa"}).json() == {"unit": None}
    assert staff_client.get("/api/widget/unit", params={"name": ""}).status_code == 422


def _form(**changes: str) -> dict[str, str]:
    end = (utcnow() + dt.timedelta(days=10)).date().isoformat()
    data = {
        "title": "Tạm ngừng tiếp nhận hồ sơ đất đai",
        "body": "Bộ phận một cửa tạm ngừng nhận hồ sơ đất đai để chuyển hệ thống.",
        "severity": "warning",
        "starts_date": "",
        "starts_time": "",
        "ends_date": end,
        "ends_time": "",
        "unit_codes": f"{BEN_THANH}\n{HOAN_KIEM}",
        "procedure_codes": "",
    }
    data.update(changes)
    return data


def test_an_editor_publishes_edits_and_withdraws_a_notice(staff_client: Any) -> None:
    from core.audit.models import AuditEntry

    login(staff_client, "editor")
    home = staff_client.get("/staff/")
    assert 'href="/staff/notices"' in home.text  # in the staff navigation
    token = _csrf(staff_client)
    assert "Chưa có thông báo nào" in staff_client.get("/staff/notices").text
    assert staff_client.get("/staff/notices/new").status_code == 200

    refused = staff_client.post("/staff/notices/new", data={**_form(unit_codes="99999"), "csrf_token": token})
    assert refused.status_code == 422 and "99999" in refused.text
    no_end = staff_client.post("/staff/notices/new", data={**_form(ends_date=""), "csrf_token": token})
    assert no_end.status_code == 422 and "Cần ngày kết thúc" in no_end.text

    created = staff_client.post("/staff/notices/new", data={**_form(), "csrf_token": token}, follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/staff/notices?done=created"
    listing = staff_client.get("/staff/notices?done=created").text
    assert "Đã đăng thông báo" in listing and "Tạm ngừng tiếp nhận hồ sơ đất đai" in listing
    assert "Phường Bến Thành (26743)" in listing and "Đang hiển thị" in listing
    notice_id = int(re.search(r'id="notice-(\d+)"', listing).group(1))  # type: ignore[union-attr]
    shown = staff_client.get("/api/notices", params={"unit": BEN_THANH}).json()["notices"]
    assert [n["id"] for n in shown] == [notice_id]
    assert shown[0]["until"].startswith("đến hết ngày ")

    edit = staff_client.get(f"/staff/notices/{notice_id}/edit")
    assert edit.status_code == 200 and "Tạm ngừng tiếp nhận hồ sơ đất đai" in edit.text
    saved = staff_client.post(
        f"/staff/notices/{notice_id}/edit",
        data={**_form(title="Tạm ngừng nhận hồ sơ đất đai", ends_time="17:00"), "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.headers["location"] == "/staff/notices?done=saved"
    shown = staff_client.get("/api/notices", params={"unit": HOAN_KIEM}).json()["notices"]
    assert shown[0]["title"] == "Tạm ngừng nhận hồ sơ đất đai" and shown[0]["until"].startswith("đến 17:00 ngày ")

    withdrawn = staff_client.post(
        f"/staff/notices/{notice_id}/withdraw", data={"csrf_token": token}, follow_redirects=False
    )
    assert withdrawn.headers["location"] == "/staff/notices?done=withdrawn"
    assert staff_client.get("/api/notices", params={"unit": BEN_THANH}).json()["notices"] == []
    assert "Đã gỡ" in staff_client.get("/staff/notices").text
    assert staff_client.get("/staff/notices/999/edit").status_code == 404

    with session_scope() as session:
        actions = [
            (e.action, e.actor)
            for e in session.query(AuditEntry).filter(AuditEntry.entity_type == "notice").order_by(AuditEntry.id)
        ]
    assert [a for a, _ in actions] == ["notice.create", "notice.update", "notice.withdraw"]
    assert {actor for _, actor in actions} == {login_name(staff_client)}


def login_name(client: Any) -> str:
    from tests.staff.accounts import STAFF_USERNAMES

    return STAFF_USERNAMES["editor"]


@pytest.mark.parametrize("role", ["agent", "analyst"])
def test_other_roles_may_not_manage_notices(staff_client: Any, role: str) -> None:
    login(staff_client, role)
    assert staff_client.get("/staff/notices").status_code == 403
    assert 'href="/staff/notices"' not in staff_client.get("/staff/").text
