"""A citizen's first real questions, answered by the real stack from the knowledge store."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import Conversation, documents_of

pytestmark = pytest.mark.e2e

FIVE_PROCEDURES = {
    "1.001193": "đăng ký khai sinh cần giấy tờ gì",
    "1.000894": "đăng ký kết hôn cần chuẩn bị giấy tờ gì ạ",
    "1.004222": "đăng ký thường trú cần những giấy tờ gì",
    "1.004194": "làm tạm trú cần mang theo giấy tờ gì vậy",
    "2.000815": "chứng thực bản sao từ bản chính cần mang gì",
}


def _required_documents(api: httpx.Client, code: str) -> list[str]:
    return [d["name"] for d in documents_of(api, code) if d["required"]]


def test_birth_registration_documents(conversation: Conversation, api: httpx.Client) -> None:
    messages = conversation.say("đăng ký khai sinh cần giấy tờ gì")
    text = "\n".join(m.get("text") or "" for m in messages)
    assert "1.001193" in text
    for name in _required_documents(api, "1.001193"):
        assert name in text
    assert any((m.get("custom") or {}).get("code") == "1.001193" for m in messages)


def test_without_diacritics_and_abbreviated(conversation: Conversation, api: httpx.Client) -> None:
    text = conversation.text("dk khai sinh can giay to gi a")
    assert "1.001193" in text
    for name in _required_documents(api, "1.001193"):
        assert name in text


@pytest.mark.parametrize(("code", "question"), FIVE_PROCEDURES.items())
def test_documents_for_five_procedures(api: httpx.Client, code: str, question: str) -> None:
    conversation = Conversation(api, f"web-five-{code}")
    text = conversation.text(question)
    assert code in text
    for name in _required_documents(api, code):
        assert name in text


def test_follow_up_fee_keeps_the_procedure(conversation: Conversation) -> None:
    conversation.text("đăng ký tạm trú cần giấy tờ gì")
    text = conversation.text("còn lệ phí thì sao?")
    assert "1.004194" in text and "Phí, lệ phí" in text


def test_greet_goodbye_and_out_of_scope(conversation: Conversation) -> None:
    assert "Xin chào" in conversation.text("xin chào")
    assert "ngoài phạm vi" in conversation.text("hôm nay thời tiết thế nào, mai có mưa không")
    assert "chúc anh/chị" in conversation.text("tạm biệt nhé")


def test_health_is_ok_when_everything_runs(api: httpx.Client) -> None:
    response = api.get("/api/health")
    assert response.status_code == 200
    assert response.json()["down"] == []


def test_invalid_input_is_refused_clearly(api: httpx.Client) -> None:
    response = api.post("/api/chat", json={"sender": "web-x", "message": "a" * 5000})
    assert response.status_code == 422
    assert "message" in response.json()["error"]


def test_rasa_parse_endpoint_returns_intents_and_entities(stack) -> None:  # noqa: ANN001
    response = httpx.post(
        f"{stack.config.rasa_url}/model/parse",
        params=stack.config.rasa_params,
        json={"text": "tra cứu hồ sơ 000.00.01.H29-250710-0012 ở phường Bến Thành"},
        timeout=30,
    )
    parsed = response.json()
    assert parsed["intent"]["name"] == "check_dossier_status"
    entities = {(e["entity"], e["value"]) for e in parsed["entities"] if e["extractor"] == "VietnameseEntityExtractor"}
    assert ("dossier_code", "000.00.01.H29-250710-0012") in entities
    assert ("unit", "Phường Bến Thành") in entities
