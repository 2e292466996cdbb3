"""Dossier news end to end, on a real stack of its own: the dossier connector is the HTTP one,
pointed at the fake provincial one-stop system; Zalo talks to the fake Zalo platform; the poller
runs every second.

A Zalo citizen and a web citizen look a dossier up in the chat (code, then the last four digits),
accept the news with the button ``/subscribe_dossier_news``; the province changes the dossier's
status. The Zalo citizen gets exactly one message about it (even after more polls and a push of
the same change); the web citizen finds it in GET /api/dossiers/news until the widget
acknowledges it, and never again after.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.stack import Stack, private_stack
from servicedesk.learning import training
from tests.channels.conftest import wait_for
from tests.fakes import zalo as fake_zalo
from tests.fakes.provincial_one_stop import DEFAULT_TOKEN, FakeOneStop, push_change, serve, synthetic_dossier
from tests.fakes.zalo import signed_event, text_event

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CODE = "000.00.01.H29-251201-0042"  # synthetic
LAST4 = "4321"
PUSH_TOKEN = "push-token-e2e-0123456789abcdef"
SUBSCRIBE = "/subscribe_dossier_news"
CHANGE_LABEL = "Cần bổ sung hồ sơ"
_msg_ids = itertools.count(1)


@dataclass
class NewsStack:
    stack: Stack
    api: httpx.Client
    zalo: fake_zalo.FakeZalo
    province: FakeOneStop

    @property
    def api_url(self) -> str:
        return self.stack.config.api_url


@pytest.fixture(scope="module")
def news_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsStack]:
    import os

    if not os.environ.get("TTHC_RASA_VENV"):
        pytest.fail("TTHC_RASA_VENV is not set: run the tests with `make test`")
    province = FakeOneStop()
    province.add(synthetic_dossier(CODE, LAST4))
    zalo_state = fake_zalo.FakeZalo()
    zalo_server = fake_zalo.ThreadedServer(fake_zalo.create_app(zalo_state))
    zalo_server.start()
    try:
        with serve(province) as province_url:
            data_dir: Path = tmp_path_factory.mktemp("news-stack")
            running = private_stack(data_dir, training.ensure_model())
            running.config.extra_env.update(
                {
                    **fake_zalo.stack_env(zalo_server.url),
                    "TTHC_ZALO_WORKER_POLL_SECONDS": "0.2",
                    "TTHC_CHAT_RATE_LIMIT": "100000/minute",
                    "TTHC_DOSSIER_CONNECTOR": "http",
                    "TTHC_DOSSIER_HTTP_BASE_URL": province_url,
                    "TTHC_DOSSIER_HTTP_TOKEN": DEFAULT_TOKEN,
                    "TTHC_DOSSIER_HTTP_MAX_ATTEMPTS": "1",
                    "TTHC_DOSSIER_NEWS_POLL_SECONDS": "1",
                    "TTHC_DOSSIER_PUSH_TOKEN": PUSH_TOKEN,
                }
            )
            running.start()
            try:
                running.wait_healthy(timeout=300)
                with httpx.Client(base_url=running.config.api_url, timeout=30) as api:
                    yield NewsStack(running, api, zalo_state, province)
            finally:
                running.stop()
    finally:
        zalo_server.stop()


# --- the two citizens ----------------------------------------------------------------------------


def web_say(stack: NewsStack, sender: str, text: str) -> list[dict[str, Any]]:
    response = stack.api.post("/api/chat", json={"sender": sender, "message": text})
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    return messages


def web_text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def zalo_payloads(message: dict[str, Any]) -> list[str]:
    buttons = ((message.get("attachment") or {}).get("payload") or {}).get("buttons") or []
    return [str(b.get("payload")) for b in buttons if isinstance(b, dict)]


def zalo_say(stack: NewsStack, user_id: str, text: str, *, expect: str, what: str) -> list[dict[str, Any]]:
    """Sends a Zalo message and waits for a reply containing ``expect`` (text or button payload)."""
    before = len(stack.zalo.messages_to(user_id))
    raw, headers = signed_event(text_event(user_id, text, f"news-{user_id}-{next(_msg_ids)}"))
    response = stack.api.post("/webhooks/zalo", content=raw, headers=headers)
    assert response.status_code == 200 and response.json()["status"] == "accepted", response.text

    def replies() -> list[dict[str, Any]] | None:
        new = stack.zalo.messages_to(user_id)[before:]
        found = any(expect.lower() in (m.get("text") or "").lower() or expect in zalo_payloads(m) for m in new)
        return new if found else None

    result: list[dict[str, Any]] = wait_for(replies, timeout=30, what=what)
    return result


def news_messages(stack: NewsStack, user_id: str) -> list[dict[str, Any]]:
    return [m for m in stack.zalo.messages_to(user_id) if CHANGE_LABEL in (m.get("text") or "")]


def web_news(stack: NewsStack, sender: str) -> list[dict[str, Any]]:
    response = stack.api.get("/api/dossiers/news", params={"sender": sender})
    assert response.status_code == 200, response.text
    news: list[dict[str, Any]] = response.json()["news"]
    return news


# --- the test ------------------------------------------------------------------------------------


def test_a_status_change_reaches_zalo_once_and_the_web_on_return(news_stack: NewsStack) -> None:
    stack = news_stack
    zalo_user = f"84{uuid.uuid4().int % 10**12:012d}"
    web_sender = f"web-{uuid.uuid4()}"

    # The Zalo citizen: look up, verify, accept the news.
    zalo_say(stack, zalo_user, "tra cứu hồ sơ", expect="mã hồ sơ", what="the question for the code on Zalo")
    zalo_say(stack, zalo_user, CODE, expect="4 số cuối", what="the question for the digits on Zalo")
    shown = zalo_say(stack, zalo_user, LAST4, expect=SUBSCRIBE, what="the status and the offer of news on Zalo")
    assert any("Đang xử lý" in (m.get("text") or "") for m in shown), shown
    zalo_say(stack, zalo_user, SUBSCRIBE, expect="ghi nhận", what="the confirmation of the subscription on Zalo")

    # The web citizen: the same, through POST /api/chat.
    assert "mã hồ sơ" in web_text(web_say(stack, web_sender, "tra cứu hồ sơ")).lower()
    assert "4 số cuối" in web_text(web_say(stack, web_sender, CODE))
    result = web_say(stack, web_sender, LAST4)
    assert "Đang xử lý" in web_text(result), result
    offered = [b.get("payload") for m in result for b in (m.get("buttons") or [])]
    assert SUBSCRIBE in offered, result
    assert "ghi nhận" in web_text(web_say(stack, web_sender, SUBSCRIBE))

    # Polled every second: no change yet, no news.
    lookups = stack.province.lookups_of(CODE)
    wait_for(lambda: stack.province.lookups_of(CODE) >= lookups + 2, timeout=15, what="the poller asking the province")
    assert news_messages(stack, zalo_user) == [] and web_news(stack, web_sender) == []

    # The province asks for more papers.
    stack.province.change_status(CODE, "CHO_BO_SUNG", note="Bổ sung bản sao giấy tờ (dữ liệu minh họa)")
    wait_for(lambda: news_messages(stack, zalo_user), timeout=30, what="the news on Zalo")
    news = wait_for(lambda: web_news(stack, web_sender), timeout=30, what="the news for the web widget")
    assert len(news) == 1 and news[0]["status"] == "supplement_required"
    assert CHANGE_LABEL in news[0]["text"] and CODE in news[0]["text"]

    # More polls, and the province pushing the same change: still one message each.
    pushed = push_change(stack.api_url, PUSH_TOKEN, CODE, "CHO_BO_SUNG")
    assert pushed.status_code == 202 and pushed.json()["due"] == 2, pushed.text
    assert push_change(stack.api_url, "wrong-token", CODE).status_code == 401
    lookups = stack.province.lookups_of(CODE)
    wait_for(lambda: stack.province.lookups_of(CODE) >= lookups + 4, timeout=15, what="more polls")
    time.sleep(1.0)
    zalo_news = news_messages(stack, zalo_user)
    assert len(zalo_news) == 1, zalo_news
    assert zalo_payloads(zalo_news[0]) == ["/unsubscribe_dossier_news"]
    again = web_news(stack, web_sender)
    assert [n["id"] for n in again] == [news[0]["id"]]  # shown until the widget acknowledges it

    # The widget acknowledges: never offered again, whatever is polled.
    ack = stack.api.post("/api/dossiers/news/ack", json={"sender": web_sender, "ids": [news[0]["id"]]})
    assert ack.status_code == 200 and ack.json() == {"acknowledged": 1}
    lookups = stack.province.lookups_of(CODE)
    wait_for(lambda: stack.province.lookups_of(CODE) >= lookups + 2, timeout=15, what="polls after the ack")
    assert web_news(stack, web_sender) == []
    assert len(news_messages(stack, zalo_user)) == 1
