"""Finding 2: a web client could pose as a Zalo conversation. And the bridge side of finding 9: the
bridge calls Rasa's HTTP API with Rasa's token.

The probe: ``POST /api/chat {"sender": "zalo-<any user id>", "message": "tôi muốn gặp cán bộ"}``
created a handoff the console showed as a Zalo chat, and the officer's reply was sent through the
Zalo API to that real Zalo user. Now the conversation id is the receiving channel's: the web API
accepts and addresses only ``web-…`` ids (422 otherwise), the Zalo webhook builds ``zalo-<user id>``
from the signed event, ``handle_citizen_message`` checks the id against the channel its caller
names, and the console answers through the channel stored on the request, refusing a request whose
stored channel and id disagree. Rasa is told the channel and a keyed hash of the client (never the
address or the Zalo user id) in the message's ``metadata``.

The real bridge over HTTP with the fakes of tests/channels (Rasa's REST channel and tracker wire
format; the Zalo platform); the action server's part is played by the real action
(actions/handoff.py) on what Rasa heard.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from core.privacy import sender_hash
from tests.channels.conftest import bridge, env, rasa, rasa_server, stays, wait_for, zalo, zalo_server  # noqa: F401
from tests.channels.fake_rasa import FakeRasa
from tests.fakes.zalo import signed_event, text_event
from tests.staff.fixtures import login

ZALO_USER = "8467700011122233344"
OTHER_ZALO_USER = "8467700011122233399"
WEB_SENDER = "web-5c1d7e0a-3b2f-4a11-9c8e-7d6f5e4a3b21"
ASK_FOR_AN_OFFICER = "tôi muốn gặp cán bộ"


@pytest.fixture
def accounts(env: pytest.MonkeyPatch) -> None:  # noqa: F811
    from core.db import session_scope
    from tests.staff.accounts import create_test_accounts

    with session_scope() as session:
        create_test_accounts(session)


def csrf_of(client: Any) -> str:
    page = client.get("/staff/console")
    assert page.status_code == 200, page.text
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text)
    assert match
    return match.group(1)


def staff_post(client: Any, path: str, token: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, json=body or {}, headers={"X-CSRF-Token": token})


def action_server_plays(rasa_state: FakeRasa) -> None:
    """What Rasa's action server does for every conversation Rasa heard asking for an officer:
    the real action_request_handoff, with the conversation id Rasa was given."""
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.handoff import ActionRequestHandoff

    for sender, message in list(rasa_state.calls):
        if "gặp cán bộ" in message:
            tracker = Tracker(sender, {}, {"text": message}, [], False, None, {}, None)
            ActionRequestHandoff().run(CollectingDispatcher(), tracker, {})


def handoff_requests() -> list[Any]:
    from core.db import session_scope
    from servicedesk.handoff.models import HandoffRequest

    with session_scope() as session:
        return [(r.id, r.sender_id, r.channel) for r in session.scalars(select(HandoffRequest))]


def open_request(sender: str, channel: str) -> int:
    from core.db import session_scope
    from servicedesk.handoff import service

    with session_scope() as session:
        return service.request_handoff(session, sender_id=sender, channel=channel).request.id


def outbox_rows() -> list[Any]:
    from core.db import session_scope
    from servicedesk.zalo.models import ZaloOutboxMessage

    with session_scope() as session:
        return [(row.recipient_hash, row.payload) for row in session.scalars(select(ZaloOutboxMessage))]


def test_finding_2_a_web_post_cannot_pose_as_a_zalo_conversation(bridge, rasa, zalo, accounts) -> None:  # noqa: F811
    with bridge() as client:
        response = client.post("/api/chat", json={"sender": f"zalo-{ZALO_USER}", "message": ASK_FOR_AN_OFFICER})
        assert response.status_code == 422
        assert "web-" in response.json()["error"] and "Mã hội thoại" in response.json()["error"]
        action_server_plays(rasa)
        assert rasa.calls == []
        assert handoff_requests() == []  # no Zalo handoff

        # Whatever the console shows, an officer's reply cannot reach that Zalo user.
        login(client, "agent")
        token = csrf_of(client)
        for request in client.get("/staff/api/handoffs").json()["requests"]:
            staff_post(client, f"/staff/api/handoffs/{request['id']}/take", token)
            reply = {"text": "Chào anh/chị, cán bộ xin nghe."}
            staff_post(client, f"/staff/api/handoffs/{request['id']}/reply", token, reply)
        # ... and later web posts under that id never become "the citizen's words".
        again = client.post("/api/chat", json={"sender": f"zalo-{ZALO_USER}", "message": "số CCCD của tôi là 0790"})
        assert again.status_code == 422
        assert stays(lambda: zalo.messages_to(ZALO_USER) == [], seconds=0.5)
    assert outbox_rows() == []


@pytest.mark.parametrize("path", ["/api/chat/history", "/api/chat/events"])
@pytest.mark.parametrize("sender", [f"zalo-{ZALO_USER}", "test-1", "WEB-1"])
def test_finding_2_the_web_endpoints_address_only_web_conversations(
    bridge,
    rasa,
    path: str,
    sender: str,  # noqa: F811
) -> None:
    with bridge() as client:
        response = client.get(path, params={"sender": sender})
    assert response.status_code == 422
    assert "web-" in response.json()["error"]
    assert rasa.api_calls == []  # the tracker of that conversation was not read


def test_finding_2_the_console_answers_through_the_stored_channel_and_refuses_a_mismatch(
    bridge,
    rasa,
    zalo,
    accounts,
    caplog,  # noqa: F811
) -> None:
    caplog.set_level(logging.WARNING)
    forged_zalo = open_request(f"zalo-{ZALO_USER}", "web")  # an id that says Zalo, stored as a web chat
    forged_web = open_request(WEB_SENDER, "zalo")  # and the other way round
    genuine = open_request(f"zalo-{OTHER_ZALO_USER}", "zalo")
    with bridge() as client:
        login(client, "agent")
        token = csrf_of(client)
        for request_id in (forged_zalo, forged_web):
            taken = staff_post(client, f"/staff/api/handoffs/{request_id}/take", token)
            assert taken.status_code == 409, taken.text
            assert "không khớp" in taken.json()["error"]
            reply = staff_post(client, f"/staff/api/handoffs/{request_id}/reply", token, {"text": "Chào anh/chị"})
            assert reply.status_code == 409
            # It can still be closed (it must not stay in the queue), and nobody is told.
            closed = staff_post(client, f"/staff/api/handoffs/{request_id}/hand-back", token)
            assert closed.status_code == 200 and closed.json()["request"]["status"] == "closed"
        assert outbox_rows() == []
        assert stays(lambda: zalo.sent == [], seconds=0.3)
        assert [p for _m, p, _q in rasa.api_calls if p.endswith("/tracker/events")] == []  # nor the web one

        # A genuine Zalo chat is answered through Zalo.
        assert staff_post(client, f"/staff/api/handoffs/{genuine}/take", token).status_code == 200
        wait_for(lambda: zalo.messages_to(OTHER_ZALO_USER), what="the officer's notice at Zalo")
    assert {recipient for recipient, _payload in outbox_rows()} == {sender_hash(f"zalo-{OTHER_ZALO_USER}")}
    assert any("disagrees with its conversation id" in r.getMessage() for r in caplog.records)
    assert all(ZALO_USER not in r.getMessage() and WEB_SENDER not in r.getMessage() for r in caplog.records)


def test_finding_2_handle_citizen_message_checks_the_id_against_the_callers_channel(env) -> None:  # noqa: F811
    from starlette.datastructures import State

    from api.chat.service import ChannelMismatchError, handle_citizen_message
    from core.settings import Settings

    posted: list[httpx.Request] = []
    state = State()
    state.settings = Settings(rasa_url="http://rasa.test")
    state.http = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda r: posted.append(r) or httpx.Response(200, json=[]))
    )
    for sender, channel in [(f"zalo-{ZALO_USER}", "web"), (WEB_SENDER, "zalo"), ("test-1", "web"), ("web-", "web")]:
        with pytest.raises(ChannelMismatchError):
            asyncio.run(
                handle_citizen_message(state, sender=sender, channel=channel, text="alo", client="198.51.100.4")
            )
    assert posted == []


def test_finding_2_zalo_conversation_ids_have_the_prefix_the_bridge_checks() -> None:
    from api.channels.zalo.service import CHANNEL, SENDER_PREFIX
    from api.chat.routes import WEB_CHANNEL
    from api.chat.schemas import WEB_SENDER_PREFIX
    from api.chat.service import SENDER_PREFIXES

    assert SENDER_PREFIXES == {WEB_CHANNEL: WEB_SENDER_PREFIX, CHANNEL: SENDER_PREFIX}


def test_finding_2_rasa_is_told_the_channel_and_a_hashed_client_key(bridge, rasa, zalo) -> None:  # noqa: F811
    from core.privacy import client_key
    from core.settings import get_settings

    with bridge() as client:
        assert client.post("/api/chat", json={"sender": WEB_SENDER, "message": "xin chào"}).status_code == 200
        for n, user in enumerate([ZALO_USER, ZALO_USER, OTHER_ZALO_USER]):
            raw, headers = signed_event(text_event(user, "xin chào", f"msg-identity-{n}"))
            assert client.post("/webhooks/zalo", content=raw, headers=headers).status_code == 200
            wait_for(lambda n=n: len(rasa.bodies) == n + 2, what="the Zalo message at Rasa")
    web, zalo_1, zalo_2, other = rasa.bodies
    pepper = get_settings().dossier.pepper_bytes
    # Starlette's test client connects from the address "testclient".
    assert web["metadata"] == {"channel": "web", "client": client_key("web", "testclient", pepper)}
    assert zalo_1["metadata"] == {"channel": "zalo", "client": client_key("zalo", ZALO_USER, pepper)}
    assert zalo_1["metadata"] == zalo_2["metadata"]  # one key per client, across messages
    assert other["metadata"]["client"] != zalo_1["metadata"]["client"]
    for body in rasa.bodies:
        key = body["metadata"]["client"]
        assert re.fullmatch(r"[0-9a-f]{32}", key)
        assert "testclient" not in json.dumps(body["metadata"]) and ZALO_USER not in json.dumps(body["metadata"])
    # The key reaches what the actions read: the user event's metadata in Rasa's tracker.
    [user_event] = [e for e in rasa.trackers[WEB_SENDER] if e["event"] == "user"]
    assert user_event["metadata"] == web["metadata"]


def test_finding_9_the_bridge_calls_rasas_http_api_with_its_token(
    bridge,
    env,
    rasa,
    accounts,  # noqa: F811
) -> None:
    from core.settings import get_settings

    env.setenv("TTHC_RASA_TOKEN", "rasa-token-for-tests")
    get_settings.cache_clear()
    rasa.token = "rasa-token-for-tests"
    request_id = open_request(WEB_SENDER, "web")
    with bridge() as client:
        assert client.post("/api/chat", json={"sender": WEB_SENDER, "message": "/restart"}).status_code == 200
        history = client.get("/api/chat/history", params={"sender": WEB_SENDER}).json()
        assert history["available"] is True
        login(client, "agent")
        taken = staff_post(client, f"/staff/api/handoffs/{request_id}/take", csrf_of(client))
        assert taken.status_code == 200 and taken.json()["assistant_paused"] is True
        assert client.get(f"/staff/api/handoffs/{request_id}").json()["history_available"] is True
    paths = {path.rsplit("/", 1)[-1] for _method, path, _query in rasa.api_calls}
    assert paths == {"tracker", "events"}
    assert all(query.get("token") == "rasa-token-for-tests" for _method, _path, query in rasa.api_calls)
