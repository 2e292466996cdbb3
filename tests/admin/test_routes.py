"""The knowledge admin's pages through HTTP (in-process app on a migrated, seeded private database):
roles, CSRF, edit with validation and stale-version refusal, history/diff/revert, publish, import
with preview, centres."""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path
from typing import Any

import pytest

from knowledge.importer import staging
from tests.staff.conftest import login

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "importer" / "sample.csv"
CODE = "1.004746"  # Đăng ký lại kết hôn (seed)
PAGES = [
    "/staff/procedures",
    "/staff/procedures/new",
    f"/staff/procedures/{CODE}",
    f"/staff/procedures/{CODE}/edit",
    f"/staff/procedures/{CODE}/history",
    "/staff/import",
    "/staff/centres",
    "/staff/centres/new",
]
POSTS = [
    "/staff/procedures/new",
    f"/staff/procedures/{CODE}/edit",
    f"/staff/procedures/{CODE}/revert/1",
    f"/staff/procedures/{CODE}/publish",
    f"/staff/procedures/{CODE}/unpublish",
    "/staff/import",
    "/staff/import/aaaaaaaaaaaaaaaaaaaaaaaa/commit",
    "/staff/centres/new",
    "/staff/centres/1/edit",
]


@pytest.fixture(autouse=True)
def _private_staging(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staging, "staging_root", lambda: tmp_path / "imports")


def _csrf(client: Any) -> str:
    page = client.get("/staff/procedures")
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert match, "the staff base template carries the CSRF token"
    return match.group(1)


def _editor(client: Any) -> str:
    login(client, "editor")
    return _csrf(client)


def _edit_form(client: Any, code: str = CODE) -> dict[str, Any]:
    """The edit form as the browser would post it (every named input with its value)."""
    html = client.get(f"/staff/procedures/{code}/edit").text
    form = html[html.index('id="procedure-form"') :]
    form = form[: form.index("</form>")]
    form = re.sub(r"<template.*?</template>", "", form, flags=re.S)
    data: dict[str, Any] = {}

    def put(name: str, value: str) -> None:
        if name in data:
            data[name] = [*data[name], value] if isinstance(data[name], list) else [data[name], value]
        else:
            data[name] = value

    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'\bname="([^"]+)"', tag)
        if not name:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if kind and kind.group(1) == "checkbox" and " checked" not in tag:
            continue
        put(name.group(1), htmllib.unescape(value.group(1) if value else ""))
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, flags=re.S):
        put(name, htmllib.unescape(body))
    for name, body in re.findall(r'<select[^>]*\bname="([^"]+)"[^>]*>(.*?)</select>', form, flags=re.S):
        selected = re.search(r'<option value="([^"]*)" selected', body)
        put(name, selected.group(1) if selected else "")
    return data


@pytest.mark.parametrize("role", ["agent", "analyst"])
def test_other_roles_are_refused_every_admin_page_and_action(staff_client: Any, role: str) -> None:
    login(staff_client, role)
    token = _csrf_any(staff_client)
    for path in PAGES:
        assert staff_client.get(path, follow_redirects=False).status_code == 403, path
    for path in POSTS:
        response = staff_client.post(path, data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 403, path


def _csrf_any(client: Any) -> str:
    for path in ("/staff", "/staff/console", "/staff/analytics"):
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get(path).text)
        if match:
            return match.group(1)
    return ""


def test_anonymous_visitors_are_sent_to_the_login_page(staff_client: Any) -> None:
    for path in PAGES:
        response = staff_client.get(path, follow_redirects=False)
        assert response.status_code == 303 and "/staff/login" in response.headers["location"], path


def test_admin_passes(staff_client: Any) -> None:
    login(staff_client, "admin")
    for path in PAGES:
        assert staff_client.get(path).status_code == 200, path


def test_list_searches_without_diacritics_and_filters(staff_client: Any) -> None:
    _editor(staff_client)
    page = staff_client.get("/staff/procedures", params={"q": "dang ky lai ket hon"})
    assert page.status_code == 200 and CODE in page.text and "Đăng ký lại kết hôn" in page.text
    unpublished = staff_client.get("/staff/procedures", params={"published": "no"})
    assert "0 thủ tục" in unpublished.text


def test_edit_saves_a_new_version_shown_in_history_with_a_diff(staff_client: Any) -> None:
    token = _editor(staff_client)
    form = _edit_form(staff_client)
    version = int(form["version"])
    form["channels-0-fee"] = "5.000 đồng (thử nghiệm)"
    form["change_note"] = "thử sửa lệ phí"
    form["csrf_token"] = token
    response = staff_client.post(f"/staff/procedures/{CODE}/edit", data=form, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/staff/procedures/{CODE}?done=saved"
    view = staff_client.get(response.headers["location"]).text
    assert "5.000 đồng (thử nghiệm)" in view and "Đã lưu" in view and "biên tập viên" in view

    history = staff_client.get(f"/staff/procedures/{CODE}/history").text
    assert f"So sánh phiên bản {version} với phiên bản {version + 1}" in history
    assert "thử sửa lệ phí" in history
    assert "Cách thức thực hiện" in history  # the changed field, by its Vietnamese name
    assert "+  fee: 5.000 đồng (thử nghiệm)" in history


def test_invalid_input_is_shown_next_to_the_field_and_kept(staff_client: Any) -> None:
    token = _editor(staff_client)
    form = _edit_form(staff_client)
    form.update({"csrf_token": token, "name": "X", "channels-0-fee_vnd": "năm nghìn", "source_url": "khong-phai-url"})
    response = staff_client.post(f"/staff/procedures/{CODE}/edit", data=form)
    assert response.status_code == 422
    text = response.text
    assert 'id="err-name"' in text and "Cần ít nhất 3 ký tự" in text
    assert 'id="err-channels-0-fee_vnd"' in text and "Phải là số nguyên" in text
    assert 'id="err-source_url"' in text
    assert 'value="năm nghìn"' in text and 'value="khong-phai-url"' in text


def test_saving_over_a_newer_version_is_refused_with_a_clear_message(staff_client: Any) -> None:
    token = _editor(staff_client)
    first = _edit_form(staff_client)
    second = dict(first)
    first.update({"csrf_token": token, "name": "Đăng ký lại kết hôn (A)"})
    second.update({"csrf_token": token, "name": "Đăng ký lại kết hôn (B)"})
    assert staff_client.post(f"/staff/procedures/{CODE}/edit", data=first, follow_redirects=False).status_code == 303
    refused = staff_client.post(f"/staff/procedures/{CODE}/edit", data=second)
    assert refused.status_code == 409
    assert "đã được sửa thành phiên bản" in refused.text
    assert 'value="Đăng ký lại kết hôn (B)"' in refused.text  # nothing typed is lost
    assert "Đăng ký lại kết hôn (A)" in staff_client.get(f"/staff/procedures/{CODE}").text


def test_post_without_csrf_is_refused(staff_client: Any) -> None:
    _editor(staff_client)
    form = _edit_form(staff_client)
    form.pop("csrf_token", None)
    assert staff_client.post(f"/staff/procedures/{CODE}/edit", data=form).status_code == 403
    assert staff_client.post(f"/staff/procedures/{CODE}/unpublish").status_code == 403


def test_revert_restores_an_old_version_as_a_new_one(staff_client: Any) -> None:
    token = _editor(staff_client)
    form = _edit_form(staff_client)
    original = int(form["version"])
    form.update({"csrf_token": token, "name": "Tên tạm"})
    staff_client.post(f"/staff/procedures/{CODE}/edit", data=form)
    response = staff_client.post(
        f"/staff/procedures/{CODE}/revert/{original}",
        data={"csrf_token": token, "expected_version": original + 1},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"].endswith("/history?done=reverted")
    history = staff_client.get(response.headers["location"]).text
    assert f"khôi phục phiên bản {original}" in history
    assert "Đăng ký lại kết hôn" in staff_client.get(f"/staff/procedures/{CODE}").text
    stale = staff_client.post(
        f"/staff/procedures/{CODE}/revert/{original}", data={"csrf_token": token, "expected_version": original}
    )
    assert stale.status_code == 409


def test_unpublished_procedures_are_not_served_to_citizens(staff_client: Any) -> None:
    token = _editor(staff_client)
    assert staff_client.get(f"/api/procedures/{CODE}").status_code == 200
    response = staff_client.post(
        f"/staff/procedures/{CODE}/unpublish", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303
    assert "Chưa xuất bản" in staff_client.get(response.headers["location"]).text
    assert staff_client.get(f"/api/procedures/{CODE}").status_code == 404
    staff_client.post(f"/staff/procedures/{CODE}/publish", data={"csrf_token": token})
    assert staff_client.get(f"/api/procedures/{CODE}").status_code == 200


def test_create_checks_the_code_and_starts_as_a_draft(staff_client: Any) -> None:
    token = _editor(staff_client)
    base = {"csrf_token": token, "name": "Thủ tục thử tạo mới", "levels": "xa", "version": "0"}
    bad = staff_client.post("/staff/procedures/new", data={**base, "code": "12345"})
    assert bad.status_code == 422 and "Mã thủ tục có dạng 1.001193" in bad.text
    taken = staff_client.post("/staff/procedures/new", data={**base, "code": CODE})
    assert taken.status_code == 409 and "đã có trong kho" in taken.text
    created = staff_client.post("/staff/procedures/new", data={**base, "code": "9.200001"}, follow_redirects=False)
    assert created.status_code == 303
    assert "Chưa xuất bản" in staff_client.get(created.headers["location"]).text
    assert staff_client.get("/api/procedures/9.200001").status_code == 404


def test_import_preview_then_commit(staff_client: Any) -> None:
    token = _editor(staff_client)
    with SAMPLE.open("rb") as handle:
        uploaded = staff_client.post(
            "/staff/import",
            data={"csrf_token": token},
            files={"file": ("sample.csv", handle, "text/csv")},
            follow_redirects=False,
        )
    assert uploaded.status_code == 303
    preview_url = uploaded.headers["location"]
    preview = staff_client.get(preview_url).text
    assert "Chưa có gì được ghi" in preview and "Thêm mới (2)" in preview and "Xác nhận nhập" in preview
    assert staff_client.get("/staff/procedures/9.000001").status_code == 404

    done = staff_client.post(preview_url + "/commit", data={"csrf_token": token})
    assert done.status_code == 200 and "2 thêm mới" in done.text
    assert "Đăng ký thử nghiệm khai sinh" in staff_client.get("/staff/procedures/9.000001").text
    again = staff_client.post(preview_url + "/commit", data={"csrf_token": token})
    assert again.status_code == 409 and "Bản xem trước không còn" in again.text


def test_import_refuses_big_and_unknown_files(staff_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    token = _editor(staff_client)
    monkeypatch.setattr(staging, "MAX_UPLOAD_BYTES", 100)
    form = {"csrf_token": token}
    big = staff_client.post("/staff/import", data=form, files={"file": ("big.csv", b"x" * 200, "text/csv")})
    assert big.status_code == 413 and "giới hạn" in big.text
    odd = staff_client.post("/staff/import", data=form, files={"file": ("a.pdf", b"%PDF", "application/pdf")})
    assert odd.status_code == 422 and "định dạng" in odd.text
    missing = staff_client.post("/staff/import", data={"csrf_token": token})
    assert missing.status_code == 422


def test_centres_create_with_validation_and_edit(staff_client: Any) -> None:
    token = _editor(staff_client)
    listing = staff_client.get("/staff/centres", params={"q": "ben thanh"})
    assert listing.status_code == 200 and "dữ liệu minh họa" in listing.text
    data = {
        "csrf_token": token,
        "unit_code": "26743",
        "name": "Trung tâm Phục vụ hành chính công phường Bến Thành",
        "phone": "12345",
        "email": "sai@",
        "hours": "cả ngày",
        "receives_levels": "xa",
    }
    refused = staff_client.post("/staff/centres/new", data=data)
    assert refused.status_code == 422
    for field in ("phone", "email", "hours"):
        assert f'id="err-{field}"' in refused.text
    data.update(phone="028 3829 1234", email="tiepnhan@benthanh.example.vn", hours="Thứ Hai – Thứ Sáu 7:30–11:30")
    created = staff_client.post("/staff/centres/new", data=data, follow_redirects=False)
    assert created.status_code == 303
    edit_url = created.headers["location"].split("?")[0]
    assert "tiepnhan@benthanh.example.vn" in staff_client.get(edit_url).text
    data["phone"] = "028 3829 9999"
    saved = staff_client.post(edit_url, data=data, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=centre-saved")
    assert "028 3829 9999" in staff_client.get("/staff/centres", params={"q": "26743"}).text


def test_saving_an_untouched_form_changes_nothing_for_every_seed_procedure(staff_client: Any) -> None:
    """The form shows every field exactly as stored: posting it back is never a change."""
    from knowledge.seed.loader import SEED_DIR

    token = _editor(staff_client)
    for path in sorted((SEED_DIR / "procedures").glob("*.yaml")):
        form = _edit_form(staff_client, path.stem)
        form["csrf_token"] = token
        response = staff_client.post(f"/staff/procedures/{path.stem}/edit", data=form, follow_redirects=False)
        assert response.status_code == 303, (path.stem, re.findall(r'class="adm-error"[^>]*>([^<]+)', response.text))
        assert response.headers["location"].endswith("?done=unchanged"), path.stem
