"""The checklist routes in-process on the seeded store: save, JSON, the printable page, the PDF
(Vietnamese text in the shipped DejaVu font), and the editors' checklist page."""

from __future__ import annotations

import re
import zlib
from typing import Any

import pytest

from tests.staff.conftest import login

BIRTH = "1.001193"
RESIDENCE = "1.004222"


def _save(client: Any, **body: Any) -> dict[str, Any]:
    response = client.post("/api/checklists", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_lists_differ_by_answers_and_read_back(seeded_client: Any) -> None:
    rented = _save(seeded_client, procedure_code=RESIDENCE, answers={"cho_o": "thue_muon", "_channel": "in_person"})
    own = _save(seeded_client, procedure_code=RESIDENCE, answers={"cho_o": "nha_minh", "_channel": "online"})
    assert rented["token"] != own["token"]
    assert rented["url"].endswith(f"/checklists/{rented['token']}")
    assert rented["pdf_url"] == rented["url"] + ".pdf"

    first = seeded_client.get(f"/api/checklists/{rented['token']}").json()
    second = seeded_client.get(f"/api/checklists/{own['token']}").json()
    names = [i["name"] for i in first["checklist"]["items"]]
    other = [i["name"] for i in second["checklist"]["items"]]
    assert names != other
    assert any(n.startswith("Hợp đồng, văn bản cho thuê") for n in names)
    assert any(n.startswith("Giấy tờ chứng minh chỗ ở hợp pháp") for n in other)
    assert first["checklist"]["channels"][0]["fee"].startswith("20.000 đồng")
    assert "10.000 đồng" in second["checklist"]["channels"][0]["fee"]
    assert first["procedure_changed"] is False


def test_refusals(seeded_client: Any) -> None:
    assert seeded_client.post("/api/checklists", json={"procedure_code": "9.999999"}).status_code == 404
    bad = seeded_client.post("/api/checklists", json={"procedure_code": BIRTH, "answers": {"bo_roi": "co_le"}})
    assert bad.status_code == 422 and "co_le" in bad.json()["error"]
    unit = seeded_client.post("/api/checklists", json={"procedure_code": BIRTH, "unit_code": "99999"})
    assert unit.status_code == 422
    for path in (
        "/api/checklists/khong-co-danh-sach",
        "/checklists/khong-co-danh-sach",
        "/checklists/khong-co-danh-sach.pdf",
    ):
        assert seeded_client.get(path).status_code == 404, path


def test_printable_page(seeded_client: Any) -> None:
    saved = _save(
        seeded_client,
        procedure_code=BIRTH,
        answers={"bo_roi": "co", "nguoi_di": "skip", "_channel": "in_person"},
        unit_code="26743",
    )
    page = seeded_client.get(f"/checklists/{saved['token']}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "Danh sách giấy tờ của tôi" in text and "In danh sách" in text
    assert f'href="/checklists/{saved["token"]}.pdf"' in text
    assert '<link rel="stylesheet" href="/static/checklist-print.css">' in text
    style = seeded_client.get("/static/checklist-print.css").text
    assert "/static/fonts/DejaVuSans.ttf" in style and "@media print" in style
    assert "Biên bản về việc trẻ bị bỏ rơi do cơ quan có thẩm quyền lập" in text
    maybe = text.split('id="maybe-items"', 1)[1].split("</ul>", 1)[0]
    assert "Văn bản ủy quyền (có chứng thực)" in maybe and "Trường hợp ủy quyền" in maybe  # skipped question
    assert "Miễn phí" in text and "Trung tâm Phục vụ hành chính công phường Bến Thành" in text
    assert seeded_client.get("/static/fonts/DejaVuSans.ttf").status_code == 200


def _pdf_text(content: bytes) -> str:
    """The Unicode text a PDF viewer maps the glyphs to: fpdf2 writes a ToUnicode CMap per font."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S)
    out = [content.decode("latin-1")]  # fpdf2 leaves the ToUnicode CMaps uncompressed
    for stream in streams:
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(out)


def test_pdf_has_the_vietnamese_font_and_text(seeded_client: Any) -> None:
    saved = _save(seeded_client, procedure_code=BIRTH, answers={"bo_roi": "co", "_channel": "online"})
    response = seeded_client.get(f"/checklists/{saved['token']}.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    content = response.content
    assert content.startswith(b"%PDF-")
    assert b"DejaVuSans" in content and b"/FontFile2" in content  # the shipped font, embedded
    cmaps = _pdf_text(content)
    assert "beginbfchar" in cmaps or "beginbfrange" in cmaps
    # Letters only Vietnamese uses are mapped: ị (U+1ECB), ả (U+1EA3), ờ (U+1EDD), đ (U+0111).
    for codepoint in ("1ECB", "1EA3", "1EDD", "0111"):
        assert f"<{codepoint}>" in cmaps.upper(), codepoint


@pytest.mark.parametrize("role", ["agent", "analyst"])
def test_checklist_admin_needs_an_editor(staff_client: Any, role: str) -> None:
    login(staff_client, role)
    assert staff_client.get(f"/staff/procedures/{BIRTH}/checklist", follow_redirects=False).status_code in (303, 403)


def _csrf(text: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert match
    return match.group(1)


def _form(text: str) -> dict[str, str]:
    import html

    data = {
        m.group(1): html.unescape(m.group(2))
        for m in re.finditer(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', text)
    }
    textarea = re.search(r'<textarea[^>]*name="questions"[^>]*>(.*?)</textarea>', text, re.S)
    assert textarea
    data["questions"] = html.unescape(textarea.group(1))
    return data


def test_editor_changes_the_mapping_as_a_new_version(staff_client: Any) -> None:
    login(staff_client, "editor")
    page = staff_client.get(f"/staff/procedures/{BIRTH}/checklist")
    assert page.status_code == 200
    assert "bo_roi | Trẻ có phải là trẻ bị bỏ rơi không?" in page.text
    form = _form(page.text)
    assert form["rule-2"] == "bo_roi = co"
    version = int(form["version"])

    broken = {**form, "rule-2": "bo_roi co"}
    refused = staff_client.post(f"/staff/procedures/{BIRTH}/checklist", data=broken)
    assert refused.status_code == 422 and "mã_câu_hỏi = mã_lựa_chọn" in refused.text
    unknown = {**form, "rule-2": "khong_co = co"}
    assert staff_client.post(f"/staff/procedures/{BIRTH}/checklist", data=unknown).status_code == 422

    changed = {
        **form,
        "questions": form["questions"].replace("Trẻ có phải là trẻ bị bỏ rơi không?", "Bé có bị bỏ rơi không?"),
        "change_note": "sửa câu hỏi cho dễ hiểu",
    }
    saved = staff_client.post(f"/staff/procedures/{BIRTH}/checklist", data=changed, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    after = staff_client.get(saved.headers["location"])
    assert "Đã lưu câu hỏi" in after.text and "Bé có bị bỏ rơi không?" in after.text
    history = staff_client.get(f"/staff/procedures/{BIRTH}/history")
    assert "sửa câu hỏi cho dễ hiểu" in history.text and f"phiên bản {version + 1}" in history.text
    stale = staff_client.post(f"/staff/procedures/{BIRTH}/checklist", data=changed)
    assert stale.status_code == 409
    # The citizens' side follows.
    created = staff_client.post("/api/checklists", json={"procedure_code": BIRTH, "answers": {"bo_roi": "co"}}).json()
    body = staff_client.get(f"/api/checklists/{created['token']}").json()
    assert body["checklist"]["answers"][0]["question"] == "Bé có bị bỏ rơi không?"

    # The general edit form (which does not show the questions) keeps them.
    from tests.admin.test_routes import _edit_form

    data = {**_edit_form(staff_client, BIRTH), "change_note": "sửa nội dung khác"}
    data["applicants"] = data["applicants"] + " (đối tượng, sửa thử)"
    edited = staff_client.post(f"/staff/procedures/{BIRTH}/edit", data=data, follow_redirects=False)
    assert edited.status_code == 303, edited.text[:2000]
    again = _form(staff_client.get(f"/staff/procedures/{BIRTH}/checklist").text)
    assert "Bé có bị bỏ rơi không?" in again["questions"] and again["rule-2"] == "bo_roi = co"
