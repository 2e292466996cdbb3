"""The console's routes in process (the lead's ``staff_client``: a migrated, seeded private database
with one account per role; Rasa is not running, so the tracker is simply not told)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from core.db import session_scope
from servicedesk.handoff import service
from servicedesk.handoff.models import HandoffMessage, HandoffRequest
from servicedesk.zalo.models import ZaloOutboxMessage

OFFICE = dt.datetime(2026, 11, 24, 9, 0, tzinfo=service.VIETNAM)
WEB_SENDER = "web-3f2b8c1e-9d4a-4b6e-8f1a-2c3d4e5f6a7b"
ZALO_USER = "8412345678901"

JSON_ROUTES = [
    ("GET", "/staff/api/handoffs"),
    ("GET", "/staff/api/handoffs/stream"),
    ("GET", "/staff/api/handoffs/1"),
    ("POST", "/staff/api/handoffs/1/take"),
    ("POST", "/staff/api/handoffs/1/reply"),
    ("POST", "/staff/api/handoffs/1/hand-back"),
]


def open_request(sender: str = WEB_SENDER, channel: str = "web") -> int:
    with session_scope() as session:
        return service.request_handoff(
            session, sender_id=sender, channel=channel, procedure_code="1.001193", now=OFFICE
        ).request.id


def csrf_of(client: Any) -> str:
    page = client.get("/staff/console")
    assert page.status_code == 200, page.text
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert match, "the staff base page carries the CSRF token"
    return match.group(1)


def post(client: Any, path: str, json: dict[str, Any] | None = None, token: str | None = None) -> Any:
    return client.post(path, json=json if json is not None else {}, headers={"X-CSRF-Token": token or csrf_of(client)})


def test_anonymous_visitors_are_sent_to_the_login(staff_client: Any) -> None:
    for method, path in JSON_ROUTES:
        response = staff_client.request(method, path, json={})
        assert response.status_code == 401, (method, path)
        assert "error" in response.json()
    page = staff_client.get("/staff/console", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/staff/login")


@pytest.mark.parametrize("role", ["editor", "analyst"])
def test_other_roles_are_refused(staff_client: Any, login: Any, role: str) -> None:
    login(staff_client, role)
    for method, path in JSON_ROUTES:
        response = staff_client.request(method, path, json={"text": "x"})
        assert response.status_code == 403, (role, method, path)
    assert staff_client.get("/staff/console", follow_redirects=False).status_code == 403


def test_the_console_page(staff_client: Any, login: Any) -> None:
    login(staff_client, "agent")
    page = staff_client.get("/staff/console")
    assert page.status_code == 200
    for part in ("/staff/static/console.js", "/staff/static/console.css", 'id="queue"', "Gợi ý trả lời", "aria-live"):
        assert part in page.text


def test_an_agent_takes_replies_and_hands_back_a_web_chat(staff_client: Any, login: Any) -> None:
    request_id = open_request()
    login(staff_client, "agent")
    token = csrf_of(staff_client)
    queue = staff_client.get("/staff/api/handoffs").json()
    [listed] = [r for r in queue["requests"] if r["id"] == request_id]
    assert listed["status"] == "queued" and listed["channel"] == "web" and listed["procedure_code"] == "1.001193"
    assert listed["procedure_name"] and WEB_SENDER not in str(listed)  # a pseudonymous tag, not the id
    assert queue["cursor"] >= 1

    refused = post(staff_client, f"/staff/api/handoffs/{request_id}/reply", {"text": "Chào anh/chị"}, token)
    assert refused.status_code == 409 and "nhận" in refused.json()["error"]
    no_csrf = staff_client.post(f"/staff/api/handoffs/{request_id}/take", json={})
    assert no_csrf.status_code == 403

    taken = post(staff_client, f"/staff/api/handoffs/{request_id}/take", token=token)
    assert taken.status_code == 200, taken.text
    body = taken.json()
    assert body["request"]["status"] == "taken" and body["request"]["mine"] is True
    assert body["assistant_paused"] is False  # Rasa is not running in process: the change stands anyway
    assert post(staff_client, f"/staff/api/handoffs/{request_id}/take", token=token).status_code == 409

    blank = post(staff_client, f"/staff/api/handoffs/{request_id}/reply", {"text": "   "}, token)
    assert blank.status_code == 422 and "error" in blank.json()
    replied = post(staff_client, f"/staff/api/handoffs/{request_id}/reply", {"text": "Chào anh/chị"}, token)
    assert replied.status_code == 200 and replied.json()["message"]["author"] == "agent"

    conversation = staff_client.get(f"/staff/api/handoffs/{request_id}").json()
    assert conversation["history_available"] is False
    assert [(m["author"], m["kind"]) for m in conversation["messages"]] == [("system", "taken"), ("agent", "message")]

    back = post(staff_client, f"/staff/api/handoffs/{request_id}/hand-back", token=token)
    assert back.status_code == 200 and back.json()["request"]["status"] == "closed"
    assert post(staff_client, f"/staff/api/handoffs/{request_id}/hand-back", token=token).status_code == 409
    assert all(r["id"] != request_id for r in staff_client.get("/staff/api/handoffs").json()["requests"])
    assert staff_client.get("/staff/api/handoffs/99999").status_code == 404


def test_a_second_officer_cannot_take_or_answer_a_taken_chat(staff_client: Any, login: Any) -> None:
    request_id = open_request()
    login(staff_client, "agent")
    assert post(staff_client, f"/staff/api/handoffs/{request_id}/take").status_code == 200
    login(staff_client, "admin")  # another officer (admins pass every role check)
    token = csrf_of(staff_client)
    assert post(staff_client, f"/staff/api/handoffs/{request_id}/take", token=token).status_code == 409
    reply = post(staff_client, f"/staff/api/handoffs/{request_id}/reply", {"text": "Chào"}, token)
    assert reply.status_code == 403
    # an admin may hand back a conversation an officer left open
    assert post(staff_client, f"/staff/api/handoffs/{request_id}/hand-back", token=token).status_code == 200


def test_a_zalo_chat_is_answered_through_the_outbox(staff_client: Any, login: Any) -> None:
    sender = f"zalo-{ZALO_USER}"
    request_id = open_request(sender, "zalo")
    login(staff_client, "agent")
    token = csrf_of(staff_client)
    assert post(staff_client, f"/staff/api/handoffs/{request_id}/take", token=token).status_code == 200
    assert (
        post(
            staff_client, f"/staff/api/handoffs/{request_id}/reply", {"text": "Anh/chị ở xã nào ạ?"}, token
        ).status_code
        == 200
    )
    assert post(staff_client, f"/staff/api/handoffs/{request_id}/hand-back", token=token).status_code == 200
    with session_scope() as session:
        rows = session.scalars(select(ZaloOutboxMessage).order_by(ZaloOutboxMessage.id)).all()
        texts = [row.payload["text"] for row in rows]
        assert all(row.recipient_id == ZALO_USER for row in rows)
        assert len(texts) == 3
        assert "đã tham gia" in texts[0]
        assert texts[1].startswith("Cán bộ ") and texts[1].endswith("Anh/chị ở xã nào ạ?")
        assert "Trợ lý tự động tiếp tục" in texts[2]
        request = session.get(HandoffRequest, request_id)
        assert request is not None and request.status == "closed"
        assert session.scalar(select(HandoffMessage).where(HandoffMessage.author == "citizen")) is None
