"""The call-back routes of the console in process (the lead's ``staff_client``: a migrated, seeded
private database with one account per role): roles, CSRF, the list with masked numbers and due
times, showing a number (audited), marking a call done (erased); the unit filter of the queue; the
presence ping."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlalchemy import select

from core.audit.models import AuditEntry
from core.db import session_scope
from servicedesk.callbacks import service
from servicedesk.callbacks.models import CallbackRequest
from servicedesk.handoff import service as handoff
from servicedesk.handoff.hours import VIETNAM
from servicedesk.handoff.models import OfficerPresence
from tests.staff.accounts import STAFF_USERNAMES

PHONE = "0912345678"  # synthetic
MASKED = "09•• ••• 678"
BEN_THANH = "26743"
SENDER = "web-5d1c2b3a-0f9e-4d8c-9b7a-6e5f4d3c2b1a"

JSON_ROUTES = [
    ("GET", "/staff/api/callbacks"),
    ("POST", "/staff/api/callbacks/1/reveal"),
    ("POST", "/staff/api/callbacks/1/done"),
    ("POST", "/staff/api/presence"),
]


def open_callback(sender: str = SENDER, *, unit_code: str | None = BEN_THANH, now: dt.datetime | None = None) -> int:
    with session_scope() as session:
        return service.request_callback(
            session,
            sender_id=sender,
            channel=sender.split("-")[0],
            phone="+84 912 345 678",
            preferred_time="Buổi sáng",
            unit_code=unit_code,
            procedure_code="1.001193",
            now=now,
        ).id


def csrf_of(client: Any) -> str:
    page = client.get("/staff/console")
    assert page.status_code == 200, page.text
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert match
    return match.group(1)


def post(client: Any, path: str, json: dict[str, Any] | None = None, token: str | None = None) -> Any:
    return client.post(path, json=json if json is not None else {}, headers={"X-CSRF-Token": token or csrf_of(client)})


def test_anonymous_visitors_are_refused(staff_client: Any) -> None:
    for method, path in JSON_ROUTES:
        response = staff_client.request(method, path, json={})
        assert response.status_code == 401, (method, path)


@pytest.mark.parametrize("role", ["editor", "analyst"])
def test_other_roles_are_refused(staff_client: Any, login: Any, role: str) -> None:
    callback_id = open_callback()
    login(staff_client, role)
    for method, path in JSON_ROUTES:
        path = path.replace("/1/", f"/{callback_id}/")
        assert staff_client.request(method, path, json={}).status_code == 403, (role, method, path)


def test_the_console_page_has_the_callback_tab(staff_client: Any, login: Any) -> None:
    login(staff_client, "agent")
    page = staff_client.get("/staff/console")
    for part in (
        'id="callbacks"',
        "Gọi lại",
        "/staff/static/console-callbacks.js",
        'id="unit-filter"',
        "Thứ Hai – Thứ Sáu, 7:30–11:30 và 13:00–17:00",
    ):
        assert part in page.text
    assert staff_client.get("/staff/static/console-callbacks.js").status_code == 200


def test_an_agent_lists_reveals_and_closes_a_callback(staff_client: Any, login: Any) -> None:
    callback_id = open_callback()
    login(staff_client, "agent")
    token = csrf_of(staff_client)

    listed = staff_client.get("/staff/api/callbacks")
    assert listed.status_code == 200 and listed.headers["cache-control"] == "no-store"
    [view] = [c for c in listed.json()["callbacks"] if c["id"] == callback_id]
    assert view["phone_masked"] == MASKED and PHONE not in listed.text and "912345678" not in listed.text
    assert SENDER not in listed.text  # a pseudonymous tag, not the conversation id
    assert view["preferred_time"] == "morning" and view["preferred_label"] == "Buổi sáng"
    assert view["due_text"].startswith("buổi sáng Thứ") and "(7:30–11:30)" in view["due_text"]
    assert view["due_at"].endswith("Z") and view["overdue"] is False
    assert view["unit_code"] == BEN_THANH and view["unit_name"]  # the seeded unit's official name
    assert view["procedure_name"]

    assert staff_client.post(f"/staff/api/callbacks/{callback_id}/reveal", json={}).status_code == 403  # no CSRF
    revealed = post(staff_client, f"/staff/api/callbacks/{callback_id}/reveal", token=token)
    assert revealed.status_code == 200 and revealed.json() == {"id": callback_id, "phone": PHONE}
    assert revealed.headers["cache-control"] == "no-store"

    done = post(staff_client, f"/staff/api/callbacks/{callback_id}/done", {"note": "Đã gọi, hẹn nộp hồ sơ"}, token)
    assert done.status_code == 200, done.text
    assert done.json()["callback"]["status"] == "done" and done.json()["callback"]["done_by"]
    assert all(c["id"] != callback_id for c in staff_client.get("/staff/api/callbacks").json()["callbacks"])
    assert post(staff_client, f"/staff/api/callbacks/{callback_id}/done", token=token).status_code == 409
    gone = post(staff_client, f"/staff/api/callbacks/{callback_id}/reveal", token=token)
    assert gone.status_code == 409 and "xóa" in gone.json()["error"]
    assert post(staff_client, "/staff/api/callbacks/99999/done", token=token).status_code == 404

    with session_scope() as session:
        stored = session.get(CallbackRequest, callback_id)
        assert stored is not None and stored.phone is None and stored.phone_masked == MASKED
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type == "callback_request").order_by(AuditEntry.id)
        ).all()
        assert actions == ["callback.reveal", "callback.done"]


def test_a_too_long_note_is_a_422(staff_client: Any, login: Any) -> None:
    callback_id = open_callback()
    login(staff_client, "agent")
    response = post(staff_client, f"/staff/api/callbacks/{callback_id}/done", {"note": "x" * 501})
    assert response.status_code == 422 and "error" in response.json()


def test_overdue_callbacks_are_marked(staff_client: Any, login: Any) -> None:
    long_ago = open_callback("web-overdue", now=dt.datetime(2026, 1, 5, 20, 0, tzinfo=VIETNAM))
    login(staff_client, "agent")
    body = staff_client.get("/staff/api/callbacks").json()
    [view] = [c for c in body["callbacks"] if c["id"] == long_ago]
    assert view["overdue"] is True and body["overdue"] >= 1
    assert view["due_text"] == "buổi sáng Thứ Ba, 06/01/2026 (7:30–11:30)"


def test_the_unit_filter_of_callbacks_and_queue(staff_client: Any, login: Any) -> None:
    ours = open_callback("web-unit-ours")
    theirs = open_callback("web-unit-theirs", unit_code="26116")
    with session_scope() as session:
        office = dt.datetime(2026, 11, 24, 9, 0, tzinfo=VIETNAM)
        queued = handoff.request_handoff(session, sender_id="web-unit-q", unit_code=BEN_THANH, now=office).request.id
        other = handoff.request_handoff(session, sender_id="web-unit-r", unit_code="26116", now=office).request.id
    login(staff_client, "agent")
    ids = [c["id"] for c in staff_client.get("/staff/api/callbacks", params={"unit": BEN_THANH}).json()["callbacks"]]
    assert ours in ids and theirs not in ids
    queue = staff_client.get("/staff/api/handoffs", params={"unit": BEN_THANH}).json()["requests"]
    assert [r["id"] for r in queue] == [queued]
    assert queue[0]["unit_code"] == BEN_THANH
    everything = {r["id"] for r in staff_client.get("/staff/api/handoffs").json()["requests"]}
    assert {queued, other} <= everything
    assert staff_client.get("/staff/api/callbacks", params={"unit": "Bến Thành"}).status_code == 422
    assert staff_client.get("/staff/api/handoffs", params={"unit": "<script>"}).status_code == 422


def test_the_console_pings_presence(staff_client: Any, login: Any) -> None:
    login(staff_client, "agent")
    token = csrf_of(staff_client)  # opening the page already counts the officer
    with session_scope() as session:
        assert session.get(OfficerPresence, STAFF_USERNAMES["agent"]) is not None
    assert staff_client.post("/staff/api/presence", json={}).status_code == 403  # no CSRF
    ping = post(staff_client, "/staff/api/presence", token=token)
    assert ping.status_code == 200
    assert ping.json()["online"] >= 1 and ping.json()["within_seconds"] == 90
