"""An officer takes over a web chat and a Zalo chat from the console, on the real stack (Rasa, the
action server, the API; Zalo is the fake platform of tests/fakes/zalo.py). The citizen sees the
officer's replies in the same channel, then the assistant answers again after the hand-back.

Office hours do not matter: a request made at night is ``out_of_hours`` and can be taken as well.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from functools import partial
from typing import Any

import httpx
import pytest

from cli.stack import Stack
from core.privacy import sender_hash
from tests.channels.conftest import wait_for as wait_until
from tests.fakes.zalo import FakeZalo, signed_event, text_event

pytestmark = pytest.mark.e2e

ASK_FOR_A_PERSON = "cho tôi nói chuyện với cán bộ"
BIRTH_QUESTION = "đăng ký khai sinh cần giấy tờ gì"

# The real stack answers more slowly than the in-process channel tests.
wait_for = partial(wait_until, timeout=15.0)


class StaffClient:
    """An officer using the console's JSON API over HTTP, logged in through the login form."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.csrf = ""

    def login(self, role: str) -> None:
        from tests.staff import accounts

        usernames = getattr(accounts, "STAFF_USERNAMES", {})
        form = self.http.get("/staff/login")
        assert form.status_code == 200, form.text
        fields = {"username": usernames.get(role, role), "password": accounts.STAFF_PASSWORDS[role]}
        token = re.search(r'name="csrf_token" value="([^"]*)"', form.text)
        if token:
            fields["csrf_token"] = token.group(1)
        done = self.http.post("/staff/login", data=fields)
        assert done.status_code in {200, 303}, done.text
        page = self.http.get("/staff/console")
        assert page.status_code == 200, page.text
        meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
        assert meta, "the console page carries the CSRF token"
        self.csrf = meta.group(1)

    def get(self, path: str) -> Any:
        response = self.http.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    def post_raw(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.http.post(path, json=body or {}, headers={"X-CSRF-Token": self.csrf})

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.post_raw(path, body)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def agent(stack: Stack) -> Iterator[StaffClient]:
    client = StaffClient(stack.config.api_url)
    try:
        client.login("agent")
        yield client
    finally:
        client.http.close()


def find_request(agent: StaffClient, sender: str) -> dict[str, Any]:
    """The console shows a pseudonymous tag, never the conversation id: match on that tag."""
    tag = sender_hash(sender)[:6]

    def found() -> dict[str, Any] | None:
        requests = agent.get("/staff/api/handoffs")["requests"]
        return next((r for r in requests if r["citizen"].endswith("#" + tag)), None)

    return wait_for(found, what="the request in the console's queue")


class CitizenStream:
    """GET /api/chat/events read in a thread, as the widget's EventSource does."""

    def __init__(self, base_url: str, sender: str, after: int) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.ended = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(base_url, sender, after), daemon=True)
        self._thread.start()

    def _read(self, base_url: str, sender: str, after: int) -> None:
        try:
            with httpx.Client(base_url=base_url, timeout=httpx.Timeout(10, read=60)) as client:
                with client.stream("GET", "/api/chat/events", params={"sender": sender, "after": after}) as response:
                    name = None
                    for line in response.iter_lines():
                        if line.startswith("event:"):
                            name = line.partition(":")[2].strip()
                        elif line.startswith("data:") and name:
                            self.events.append((name, json.loads(line.partition(":")[2])))
                        elif not line:
                            name = None
        finally:
            self.ended.set()

    def kinds(self) -> list[str]:
        return [data["kind"] for name, data in self.events if name == "handoff"]


def test_an_officer_takes_over_a_web_chat(api: httpx.Client, stack: Stack, agent: StaffClient) -> None:
    sender = f"web-{uuid.uuid4()}"

    def say(text: str) -> dict[str, Any]:
        response = api.post("/api/chat", json={"sender": sender, "message": text, "unit": "Phường Bến Thành"})
        assert response.status_code == 200, response.text
        return response.json()

    asked = say(ASK_FOR_A_PERSON)
    assert "cán bộ" in " ".join(m.get("text") or "" for m in asked["messages"])
    assert asked["handoff"]["status"] in {"queued", "out_of_hours"}
    stream = CitizenStream(stack.config.api_url, sender, asked["handoff"]["cursor"])
    request = find_request(agent, sender)
    assert request["channel"] == "web" and request["status"] in {"queued", "out_of_hours"}

    taken = agent.post(f"/staff/api/handoffs/{request['id']}/take")
    assert taken["request"]["status"] == "taken" and taken["request"]["mine"] is True
    assert taken["assistant_paused"] is True
    refused = agent.post_raw(f"/staff/api/handoffs/{request['id']}/take")
    assert refused.status_code == 409

    # The citizen's message goes to the officer: no reply from the assistant, no apology.
    during = say("Tôi muốn hỏi về việc đăng ký khai sinh cho con")
    assert during["messages"] == [] and during["handoff"]["status"] == "taken"
    conversation = wait_for(
        lambda: (
            (c := agent.get(f"/staff/api/handoffs/{request['id']}"))
            and any(m["author"] == "citizen" for m in c["messages"])
            and c
        ),
        what="the citizen's message in the console",
    )
    assert conversation["last_citizen_text"] == "Tôi muốn hỏi về việc đăng ký khai sinh cho con"
    assert any(h["from"] == "user" and h["text"] == ASK_FOR_A_PERSON for h in conversation["history"])

    reply = "Chào anh/chị, em là cán bộ tổng đài. Anh/chị cần giấy chứng sinh và căn cước của cha hoặc mẹ ạ."
    agent.post(f"/staff/api/handoffs/{request['id']}/reply", {"text": reply})
    wait_for(lambda: "message" in stream.kinds(), what="the reply on the citizen's stream")
    officer_line = next(data for name, data in stream.events if name == "handoff" and data["kind"] == "message")
    assert officer_line["text"] == reply and officer_line["agent"]

    history = api.get("/api/chat/history", params={"sender": sender}).json()
    lines = [(m["from"], m.get("text")) for m in history["messages"]]
    assert ("agent", reply) in lines and ("user", "Tôi muốn hỏi về việc đăng ký khai sinh cho con") in lines
    assert history["handoff"]["status"] == "taken"

    back = agent.post(f"/staff/api/handoffs/{request['id']}/hand-back")
    assert back["request"]["status"] == "closed" and back["assistant_resumed"] is True
    assert stream.ended.wait(10), "the citizen's stream ends after the hand-back"
    assert stream.kinds() == ["taken", "message", "closed"]

    after = say(BIRTH_QUESTION)
    assert "1.001193" in " ".join(m.get("text") or "" for m in after["messages"])
    assert "handoff" not in after


def zalo_post(api: httpx.Client, event: dict[str, Any]) -> None:
    raw, headers = signed_event(event)
    response = api.post("/webhooks/zalo", content=raw, headers=headers)
    assert response.status_code == 200 and response.json()["status"] == "accepted", response.text


def texts_to(zalo: FakeZalo, user_id: str) -> list[str]:
    return [m.get("text") or "" for m in zalo.messages_to(user_id)]


def test_an_officer_takes_over_a_zalo_chat(api: httpx.Client, zalo_platform: FakeZalo, agent: StaffClient) -> None:
    user_id = f"84{uuid.uuid4().int % 10**12:012d}"
    sender = f"zalo-{user_id}"
    numbers = iter(range(1, 100))

    def send(text: str) -> None:
        zalo_post(api, text_event(user_id, text, f"takeover-{user_id}-{next(numbers)}"))

    send(ASK_FOR_A_PERSON)
    wait_for(
        lambda: any("cán bộ" in t for t in texts_to(zalo_platform, user_id)), what="the bot's handoff reply on Zalo"
    )
    request = find_request(agent, sender)
    assert request["channel"] == "zalo"

    agent.post(f"/staff/api/handoffs/{request['id']}/take")
    wait_for(
        lambda: any("đã tham gia" in t for t in texts_to(zalo_platform, user_id)), what="the joined notice on Zalo"
    )
    delivered = len(zalo_platform.messages_to(user_id))

    send("Tôi cần hỏi thủ tục chuyển nhượng đất")
    wait_for(
        lambda: any(
            m["author"] == "citizen" and m["text"] == "Tôi cần hỏi thủ tục chuyển nhượng đất"
            for m in agent.get(f"/staff/api/handoffs/{request['id']}")["messages"]
        ),
        what="the Zalo citizen's message in the console",
    )
    time.sleep(0.5)
    assert len(zalo_platform.messages_to(user_id)) == delivered, "the assistant must not answer a taken chat"

    agent.post(f"/staff/api/handoffs/{request['id']}/reply", {"text": "Anh/chị cho em biết thửa đất ở xã nào ạ?"})
    reply = wait_for(
        lambda: next((t for t in texts_to(zalo_platform, user_id) if "thửa đất ở xã nào" in t), None),
        what="the officer's reply delivered to Zalo",
    )
    assert reply.startswith("Cán bộ ")

    agent.post(f"/staff/api/handoffs/{request['id']}/hand-back")
    wait_for(
        lambda: any("Trợ lý tự động tiếp tục" in t for t in texts_to(zalo_platform, user_id)),
        what="the hand-back notice",
    )
    send(BIRTH_QUESTION)
    wait_for(
        lambda: any("1.001193" in t for t in texts_to(zalo_platform, user_id)),
        what="the assistant answering again on Zalo",
    )
