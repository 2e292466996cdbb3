"""The production profile end to end: chat with a follow-up, widget history, console takeover and
Zalo, then a replica killed mid-conversations and the whole stack restarted between two messages."""

from __future__ import annotations

import threading
import time
import uuid
from functools import partial
from typing import Any

import httpx
import pytest

from api.rasa.gateway import rendezvous_order
from tests.channels.conftest import wait_for as wait_until
from tests.e2e.test_takeover import ASK_FOR_A_PERSON, StaffClient, find_request
from tests.fakes.zalo import signed_event, text_event
from tests.production.conftest import BIRTH_CODE, BIRTH_QUESTION, FEE_FOLLOW_UP, ProductionStack, health

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
wait_for = partial(wait_until, timeout=30.0)


def test_health_lists_every_replica_and_store(prod: ProductionStack) -> None:
    status, body = health(prod)
    assert status == 200, body
    assert body["components"] == {
        "rasa-1": "up",
        "rasa-2": "up",
        "action_server": "up",
        "database": "up",
        "redis": "up",
    }


def test_chat_and_follow_up_on_the_same_conversation(prod: ProductionStack) -> None:
    sender = f"web-{uuid.uuid4()}"
    assert BIRTH_CODE in prod.text(sender, BIRTH_QUESTION)
    follow_up = prod.text(sender, FEE_FOLLOW_UP)
    assert "khai sinh" in follow_up.lower(), follow_up
    # The conversation is in Rasa's SQL tracker store, on the shared PostgreSQL database.
    from sqlalchemy import create_engine, text

    engine = create_engine(prod.database_url)
    try:
        with engine.connect() as connection:
            events = connection.execute(
                text("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'user'"), {"s": sender}
            ).scalar_one()
    finally:
        engine.dispose()
    assert events == 2


def test_console_takeover_of_a_web_chat(prod: ProductionStack) -> None:
    sender = f"web-{uuid.uuid4()}"
    agent = StaffClient(prod.stack.config.api_url)
    try:
        agent.login("agent")
        asked = prod.say(sender, ASK_FOR_A_PERSON).json()
        assert asked["handoff"]["status"] in {"queued", "out_of_hours"}
        request = find_request(agent, sender)
        taken = agent.post(f"/staff/api/handoffs/{request['id']}/take")
        assert taken["request"]["status"] == "taken" and taken["assistant_paused"] is True
        during = prod.say(sender, "Tôi muốn hỏi về việc đăng ký khai sinh cho con").json()
        assert during["messages"] == []
        reply = "Chào anh/chị, em là cán bộ tổng đài."
        agent.post(f"/staff/api/handoffs/{request['id']}/reply", {"text": reply})
        history = prod.api.get("/api/chat/history", params={"sender": sender}).json()
        assert ("agent", reply) in [(m["from"], m.get("text")) for m in history["messages"]]
        back = agent.post(f"/staff/api/handoffs/{request['id']}/hand-back")
        assert back["assistant_resumed"] is True
        assert BIRTH_CODE in prod.text(sender, BIRTH_QUESTION)
    finally:
        agent.http.close()


def zalo_send(prod: ProductionStack, user_id: str, text: str, msg_id: str) -> None:
    raw, headers = signed_event(text_event(user_id, text, msg_id))
    response = prod.api.post("/webhooks/zalo", content=raw, headers=headers)
    assert response.status_code == 200 and response.json()["status"] == "accepted", response.text


def zalo_texts(prod: ProductionStack, user_id: str) -> list[str]:
    return [m.get("text") or "" for m in prod.zalo.messages_to(user_id)]


def test_zalo_question_and_follow_up(prod: ProductionStack) -> None:
    user_id = f"84{uuid.uuid4().int % 10**12:012d}"
    zalo_send(prod, user_id, BIRTH_QUESTION, f"prod-{user_id}-1")
    wait_for(lambda: any(BIRTH_CODE in t for t in zalo_texts(prod, user_id)), what="the answer on Zalo")
    first = len(prod.zalo.messages_to(user_id))
    zalo_send(prod, user_id, FEE_FOLLOW_UP, f"prod-{user_id}-2")
    wait_for(
        lambda: any("phí" in t.lower() for t in zalo_texts(prod, user_id)[first:]),
        what="the follow-up's answer on Zalo",
    )
    assert all("Xin lỗi" not in t for t in zalo_texts(prod, user_id)), zalo_texts(prod, user_id)


def _owned_by(urls: list[str], url: str, count: int) -> list[str]:
    senders = (f"web-{uuid.uuid4()}" for _ in range(10_000))
    chosen: list[str] = []
    for sender in senders:
        if rendezvous_order(urls, sender)[0] == url:
            chosen.append(sender)
            if len(chosen) == count:
                return chosen
    raise AssertionError("no sender for the replica")


def test_a_killed_replica_hands_its_senders_to_the_other_with_their_context(prod: ProductionStack) -> None:
    stack = prod.stack
    urls = list(stack.config.rasa_urls.values())
    victims = _owned_by(urls, stack.config.rasa_urls["rasa-1"], 4)
    others = _owned_by(urls, stack.config.rasa_urls["rasa-2"], 2)
    senders = victims + others
    for sender in senders:
        assert BIRTH_CODE in prod.text(sender, BIRTH_QUESTION)

    statuses: list[int] = []
    answers: dict[str, list[str]] = {s: [] for s in senders}
    stop = threading.Event()

    def talk(sender: str) -> None:
        # Follow-ups keep coming while the replica dies.
        with httpx.Client(base_url=stack.config.api_url, timeout=60) as client:
            while not stop.is_set():
                response = client.post("/api/chat", json={"sender": sender, "message": FEE_FOLLOW_UP})
                statuses.append(response.status_code)
                if response.status_code == 200:
                    answers[sender].append("\n".join(m.get("text") or "" for m in response.json()["messages"]))
                time.sleep(0.2)

    threads = [threading.Thread(target=talk, args=(s,)) for s in senders]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        stack.kill("rasa-1")
        time.sleep(4.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=90)
    try:
        assert statuses and all(code < 500 for code in statuses), statuses
        replies = [a for texts in answers.values() for a in texts]
        apologies = sum("Xin lỗi" in a for a in replies)
        print(f"replica killed: {len(replies)} answers during the kill window, {apologies} apologies")
        # After the kill every sender still gets answers that know the procedure (context intact).
        for sender in senders:
            last = prod.text(sender, FEE_FOLLOW_UP)
            assert "khai sinh" in last.lower(), (sender in victims, last)
        status, body = health(prod)
        assert status == 503 and body["down"] == ["rasa-1"]
    finally:
        stack.start(only=["rasa-1"])
        stack.wait_healthy(timeout=300)
    assert health(prod)[0] == 200
    # Back up: its senders return to it, with the context the other replica added.
    for sender in victims:
        assert "khai sinh" in prod.text(sender, FEE_FOLLOW_UP).lower()


def test_the_whole_stack_restarts_between_two_messages(prod: ProductionStack) -> None:
    sender = f"web-{uuid.uuid4()}"
    assert BIRTH_CODE in prod.text(sender, BIRTH_QUESTION)
    prod.stack.stop()
    started = time.monotonic()
    prod.stack.start()
    prod.stack.wait_healthy(timeout=300)
    print(f"production stack restarted in {time.monotonic() - started:.1f} s")
    # The widget's history survives the restart (read from Rasa's SQL tracker store) ...
    history: dict[str, Any] = prod.api.get("/api/chat/history", params={"sender": sender}).json()
    lines = [(m["from"], m.get("text") or "") for m in history["messages"]]
    assert ("user", BIRTH_QUESTION) in lines
    assert any(who == "bot" and BIRTH_CODE in text for who, text in lines), lines
    # ... and so does the conversation's context.
    assert "khai sinh" in prod.text(sender, FEE_FOLLOW_UP).lower()
