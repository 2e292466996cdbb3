"""Every conversation flow, through POST /api/chat on the real stack, checked against the
knowledge store (and the database, where the flow records something)."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from cli.stack import Stack
from tests.e2e.conftest import Conversation

pytestmark = pytest.mark.e2e


def _texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def _buttons(messages: list[dict]) -> list[dict]:
    return [b for m in messages for b in (m.get("buttons") or [])]


def _db(stack: Stack) -> sqlite3.Connection:
    return sqlite3.connect(stack.config.data_dir / "tthc.sqlite3")


# --- procedures -------------------------------------------------------------------------------


def test_aspect_answers_and_follow_ups_keep_the_procedure(conversation: Conversation, api: httpx.Client) -> None:
    record = api.get("/api/procedures/1.004222").json()
    first = conversation.text("đăng ký thường trú cần giấy tờ gì")
    assert "1.004222" in first
    fee = conversation.text("còn lệ phí thì sao?")
    for channel in record["channels"]:
        if channel["fee"]:
            assert channel["fee"] in fee
    time_answer = conversation.text("mất bao lâu vậy")
    assert "1.004222" in time_answer and record["channels"][0]["processing_time"] in time_answer
    online = conversation.text("có nộp online được không")
    assert "1.004222" in online and "trực tuyến" in online


def test_procedure_card_carries_source_and_structured_payload(conversation: Conversation) -> None:
    messages = conversation.say("thủ tục đăng ký kết hôn như thế nào")
    card = next(m["custom"] for m in messages if m.get("custom"))
    assert card["type"] == "procedure_card" and card["code"] == "1.000894"
    assert card["source_url"].startswith("https://")
    assert "Nguồn:" in _texts(messages)


def test_ambiguous_question_offers_three_choices_that_work(conversation: Conversation) -> None:
    messages = conversation.say("khai sinh")
    buttons = _buttons(messages)
    assert 2 <= len(buttons) <= 3
    assert any("1.001193" in b["title"] for b in buttons)
    chosen = next(b for b in buttons if "1.001193" in b["title"])
    assert "1.001193" in conversation.text(chosen["payload"])


def test_rating_is_offered_once_and_stored(conversation: Conversation, stack: Stack) -> None:
    messages = conversation.say("lệ phí đăng ký tạm trú bao nhiêu")
    rating_buttons = [b for b in _buttons(messages) if b["payload"].startswith("/rate_service")]
    assert len(rating_buttons) == 5
    assert "cảm ơn" in conversation.text(rating_buttons[3]["payload"])
    with _db(stack) as db:
        scores = [row[0] for row in db.execute("SELECT score FROM rating WHERE procedure_code = '1.004194'")]
    assert 4 in scores
    again = conversation.say("đăng ký tạm trú cần giấy tờ gì")
    assert not [b for b in _buttons(again) if b["payload"].startswith("/rate_service")]


def test_missing_fact_is_admitted_with_the_source(conversation: Conversation, api: httpx.Client) -> None:
    # 2.000815 (chứng thực bản sao) has no published processing time in the catalogue.
    record = api.get("/api/procedures/2.000815").json()
    assert all(c["processing_time"] is None for c in record["channels"])
    text = conversation.text("chứng thực bản sao từ bản chính mất bao lâu")
    assert "chưa có thông tin" in text and record["source_url"] in text


# --- where to go -------------------------------------------------------------------------------


def test_submission_place_for_the_citizens_commune(conversation: Conversation) -> None:
    conversation.text("đăng ký khai sinh cần giấy tờ gì")
    text = conversation.text("nộp hồ sơ ở đâu")
    assert "cấp xã" in text and "xã/phường" in text
    text = conversation.text("phường Bến Thành")
    assert "1.001193" in text and "Trung tâm Phục vụ hành chính công phường Bến Thành" in text
    assert "minh họa" in text


def test_find_office_from_a_former_name(conversation: Conversation) -> None:
    text = conversation.text("trung tâm hành chính công phường Bến Nghé quận 1 ở đâu")
    assert "Bến Nghé" in text and "nay thuộc" in text


def test_former_commune_without_diacritics(conversation: Conversation, api: httpx.Client) -> None:
    expected = api.get("/api/units/resolve", params={"q": "phuong 5 quan 3"}).json()[0]["successors"][0]
    text = conversation.text("phuong 5 quan 3 sau sap nhap la phuong gi")
    assert expected["name"] in text and expected["code"] in text


def test_split_commune_lists_every_successor_with_a_caveat(conversation: Conversation, api: httpx.Client) -> None:
    successors = api.get("/api/units/resolve", params={"q": "phường Kim Mã quận Ba Đình"}).json()[0]["successors"]
    assert len(successors) > 1
    text = conversation.text("phường Kim Mã quận Ba Đình cũ giờ thuộc phường nào")
    for successor in successors:
        assert successor["name"] in text
    assert "chia" in text and "thôn" in text


# --- dossier status ----------------------------------------------------------------------------


def test_dossier_lookup_success_after_a_malformed_code(conversation: Conversation) -> None:
    assert "mã hồ sơ" in conversation.text("tra cứu hồ sơ").lower()
    hint = conversation.text("12345")
    assert "định dạng" in hint and "000.00.01.H29-250710-0012" in hint
    assert "4 số cuối" in conversation.text("000.00.01.DEMO-250710-0001")
    result = conversation.text("0001")
    assert "Đã trả kết quả" in result and "Đăng ký khai sinh" in result and "minh họa" in result


def test_finding_7_last_four_digits_0008_verify(conversation: Conversation) -> None:
    """Issue 12, finding 7: "0008" looks like a code's sequence number and the extractor tags it
    as a dossier_code; while the digits are asked for it must not replace the code (domain.yml
    mapping conditions). Demo dossier 8's phone is 0900000008."""
    assert "mã hồ sơ" in conversation.text("tra cứu hồ sơ").lower()
    assert "4 số cuối" in conversation.text("000.00.01.DEMO-250804-0008")
    result = conversation.text("0008")
    assert "Hồ sơ 000.00.01.DEMO-250804-0008" in result and "minh họa" in result
    assert "định dạng" not in result


def test_dossier_code_given_up_front(conversation: Conversation) -> None:
    assert "4 số cuối" in conversation.text("tra cứu hồ sơ 000.00.01.DEMO-250710-0002 giúp em")


def test_unknown_code_reveals_nothing_and_failures_are_rate_limited(conversation: Conversation) -> None:
    conversation.text("kiểm tra tình trạng hồ sơ")
    conversation.text("000.00.01.H29-250710-9999")  # well formed, unknown
    first = conversation.text("1234")
    assert "chưa tìm thấy" in first
    texts = [conversation.text(f"{n:04d}") for n in range(1235, 1240)]
    assert any("quá nhiều" in t.lower() or "tạm khóa" in t.lower() or "thử lại sau" in t.lower() for t in texts)
    # While limited, even the right digits of a real dossier are refused.
    conversation.text("tra cứu hồ sơ")
    conversation.text("000.00.01.DEMO-250710-0001")
    limited = conversation.text("0001")
    assert "Đã trả kết quả" not in limited


def test_wrong_digits_for_a_real_dossier_reveal_nothing(conversation: Conversation) -> None:
    conversation.text("tra cứu hồ sơ")
    conversation.text("000.00.01.DEMO-250710-0003")
    text = conversation.text("9876")
    assert "chưa tìm thấy" in text
    assert "Trạng thái" not in text and "Nơi tiếp nhận" not in text


# --- feedback, handoff, fallback ----------------------------------------------------------------


def test_feedback_gets_a_reference_and_is_stored(conversation: Conversation, stack: Stack) -> None:
    conversation.text("tôi muốn gửi phản ánh")
    conversation.text("Cán bộ một cửa hướng dẫn không rõ ràng, tôi phải đi lại ba lần")
    text = conversation.text("0900000123")
    assert "PA-" in text and "liên hệ lại" in text
    reference = text.split("Mã tiếp nhận: ")[1].split(".")[0]
    with _db(stack) as db:
        row = db.execute("SELECT content, contact FROM feedback WHERE reference = ?", (reference,)).fetchone()
    assert row[0].startswith("Cán bộ một cửa") and row[1] == "0900000123"


def test_handoff_request_is_recorded(conversation: Conversation, stack: Stack) -> None:
    text = conversation.text("cho tôi nói chuyện với cán bộ")
    assert "cán bộ" in text and ("hàng chờ" in text or "ngoài giờ" in text.lower())
    with _db(stack) as db:
        count = db.execute(
            "SELECT count(*) FROM handoff_request WHERE sender_id = ?", (conversation.sender,)
        ).fetchone()[0]
    assert count == 1


def test_repeated_misunderstanding_offers_a_person(conversation: Conversation) -> None:
    conversation.say("xkcd qwrt zzpl")
    messages = conversation.say("mnbv lkjh poiu")
    assert any(b["payload"] == "/request_human" for b in _buttons(messages))
