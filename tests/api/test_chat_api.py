"""The bridge on its own, with Rasa and the action server not running (nothing listens on their
ports): bad input gets clear 4xx answers, and the citizen still gets a polite reply."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"sender": "web-1"},
        {"message": "xin chào"},
        {"sender": "web-1", "message": ""},
        {"sender": "web-1", "message": "   "},
        {"sender": "web-1", "message": "a" * 5000},
        {"sender": "web-1", "message": 123},
        {"sender": ["x"], "message": "xin chào"},
        {"sender": "", "message": "xin chào"},
        {"sender": "web 1<script>", "message": "xin chào"},
        {"sender": "web-1", "message": "xin chào", "extra": 1},
        [],
        "không phải JSON object",
    ],
)
def test_invalid_chat_input_is_a_clear_422(client: TestClient, body: object) -> None:
    response = client.post("/api/chat", json=body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["error"].startswith("Dữ liệu gửi lên không hợp lệ")
    assert payload["detail"]


def test_malformed_json_is_a_4xx(client: TestClient) -> None:
    response = client.post("/api/chat", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422


def test_rasa_down_gives_a_polite_apology_not_a_500(client: TestClient) -> None:
    response = client.post("/api/chat", json={"sender": "web-1", "message": "đăng ký khai sinh cần gì"})
    assert response.status_code == 200
    (message,) = response.json()["messages"]
    assert "Xin lỗi" in message["text"] and "tổng đài" in message["text"]


def test_health_names_what_is_down(client: TestClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 503
    body = response.json()
    assert set(body["down"]) == {"rasa", "action_server"}
    assert body["components"]["database"] == "up"


def test_openapi_and_chat_page_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert "/api/chat" in client.get("/openapi.json").json()["paths"]
    page = client.get("/")
    assert page.status_code == 200 and "Trợ lý thủ tục hành chính" in page.text
