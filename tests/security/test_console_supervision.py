"""Finding 16: a second agent could read a conversation another agent had taken.

Decision (docs/security.md): intended, for supervision and shift hand-overs — any officer may read
any conversation, but only the officer who took it may reply or hand it back, and every reading of
a conversation another officer took is written to the audit log (``handoff.read``: who, when,
which request, whose it was). The console's live stream does not carry the words of such a
conversation to the other officers, so that opening it (audited) is the only way to read it.

The API in process on a seeded database (the lead's ``staff_client``); Rasa is not running.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from sqlalchemy import select

from core.audit.actor import Actor
from core.audit.models import AuditEntry
from core.db import session_scope
from servicedesk.handoff import service
from tests.staff.accounts import STAFF_USERNAMES

OFFICE = dt.datetime(2026, 11, 24, 9, 0, tzinfo=service.VIETNAM)
SENDER = "web-9a0c4e2d-6f1b-4d3a-8e5c-1b2a3c4d5e6f"
COLLEAGUE = ("tongdai2", "thu-nghiem-tong-dai-05", "Cán bộ tổng đài thứ hai (thử nghiệm)")


def add_colleague() -> None:
    from servicedesk.accounts import service as accounts

    username, password, name = COLLEAGUE
    with session_scope() as session:
        accounts.create_account(
            session, username=username, password=password, display_name=name, role="agent", actor=Actor("tests")
        )


def login_as(client: Any, username: str, password: str) -> None:
    form = client.get("/staff/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    response = client.post(
        "/staff/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def csrf_of(client: Any) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/staff/console").text)
    assert match
    return match.group(1)


def post(client: Any, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, json=body or {}, headers={"X-CSRF-Token": csrf_of(client)})


def reads_of(request_id: int) -> list[AuditEntry]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action == "handoff.read", AuditEntry.entity_id == str(request_id))
            )
        )


def a_taken_conversation(client: Any, login: Any) -> int:
    """A web chat taken by the test agent, with one line from the citizen and one from the agent."""
    with session_scope() as session:
        request_id = service.request_handoff(session, sender_id=SENDER, channel="web", now=OFFICE).request.id
    login(client, "agent")
    assert post(client, f"/staff/api/handoffs/{request_id}/take").status_code == 200
    with session_scope() as session:
        service.record_citizen_message(session, request_id, "Hồ sơ của tôi nộp hôm qua")
    replied = post(client, f"/staff/api/handoffs/{request_id}/reply", {"text": "Anh/chị chờ em kiểm tra ạ"})
    assert replied.status_code == 200
    return request_id


def test_finding_16_a_colleague_may_read_a_taken_conversation_and_the_reading_is_audited(
    staff_client: Any, login: Any
) -> None:
    add_colleague()
    request_id = a_taken_conversation(staff_client, login)
    assert staff_client.get(f"/staff/api/handoffs/{request_id}").status_code == 200
    assert reads_of(request_id) == []  # the officer reading their own conversation: nothing to record

    login_as(staff_client, *COLLEAGUE[:2])
    read = staff_client.get(f"/staff/api/handoffs/{request_id}")
    assert read.status_code == 200
    body = read.json()
    assert [m["text"] for m in body["messages"] if m["kind"] == "message"] == [
        "Hồ sơ của tôi nộp hôm qua",
        "Anh/chị chờ em kiểm tra ạ",
    ]
    assert body["request"]["mine"] is False
    [entry] = reads_of(request_id)
    assert (entry.actor, entry.actor_role, entry.entity_type) == (COLLEAGUE[0], "agent", "handoff_request")
    assert entry.after == {"status": "taken", "taken_by": STAFF_USERNAMES["agent"]}
    assert SENDER not in json.dumps(entry.after)  # the audit log names the request, not the citizen

    staff_client.get(f"/staff/api/handoffs/{request_id}")
    assert len(reads_of(request_id)) == 2  # every reading


def test_finding_16_only_the_officer_who_took_it_may_reply_or_hand_it_back(staff_client: Any, login: Any) -> None:
    add_colleague()
    request_id = a_taken_conversation(staff_client, login)
    login_as(staff_client, *COLLEAGUE[:2])
    reply = post(staff_client, f"/staff/api/handoffs/{request_id}/reply", {"text": "Tôi trả lời thay"})
    assert reply.status_code == 403
    assert "do cán bộ" in reply.json()["error"] and "phụ trách" in reply.json()["error"]
    back = post(staff_client, f"/staff/api/handoffs/{request_id}/hand-back")
    assert back.status_code == 403 and "phụ trách" in back.json()["error"]
    taken = post(staff_client, f"/staff/api/handoffs/{request_id}/take")
    assert taken.status_code == 409 and "đã được" in taken.json()["error"]
    with session_scope() as session:
        request = service.get_request(session, request_id)
        assert (request.status, request.taken_by) == ("taken", STAFF_USERNAMES["agent"])
        assert [m.text for m in service.transcript(session, request_id) if m.author == "agent"] == [
            "Anh/chị chờ em kiểm tra ạ"
        ]


def test_finding_16_the_live_stream_does_not_carry_a_colleagues_conversation(staff_client: Any, login: Any) -> None:
    from api.console.service import console_events

    add_colleague()
    request_id = a_taken_conversation(staff_client, login)

    def lines_seen_by(viewer: str) -> list[dict[str, Any]]:
        return [e.data["message"] for e in console_events(0, viewer) if e.data["request"]["id"] == request_id]

    own, theirs = lines_seen_by(STAFF_USERNAMES["agent"]), lines_seen_by(COLLEAGUE[0])
    assert [m["text"] for m in own if m["kind"] == "message"] == [
        "Hồ sơ của tôi nộp hôm qua",
        "Anh/chị chờ em kiểm tra ạ",
    ]
    assert [m["text"] for m in theirs if m["kind"] == "message"] == [None, None]
    assert [m["id"] for m in theirs] == [m["id"] for m in own]  # the queue still moves for everyone
