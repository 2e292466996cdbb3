"""Finding 12: a citizen's text is never taken by Rasa as a command.

Rasa's REST channel reads a message whose text, stripped, starts with "/" as ``/intent{entities}``
(RegexMessageHandler, YAMLStoryReader.unpack_regex_message) and skips the NLU: a typed
``/restart`` restarted the conversation and got the outage apology, and any
``/ask_fee{"procedure_code": …}`` chose the intent and entities itself. Only the payload of a
button the assistant offered since the citizen's previous message may pass as a command, on the
web widget (a button sends its payload as the message) and on Zalo (an ``oa.query.show`` button
sends its payload back as a normal text).

The real bridge over HTTP, with the fake Rasa of tests/channels/fake_rasa.py speaking Rasa's REST
channel and tracker wire format (it answers ``/restart`` and ``/session_start`` with no message, as
Rasa does) and the fake Zalo platform.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.channels.conftest import bridge, env, rasa, rasa_server, wait_for, zalo, zalo_server  # noqa: F401
from tests.channels.fake_rasa import FakeRasa
from tests.fakes.zalo import FakeZalo, signed_event, text_event

WEB_SENDER = "web-0b7e5a52-51f4-4c4e-9b55-3f1f0f7b9a11"
ZALO_USER = "8469001122334455667"
TYPED_COMMANDS = [
    "/restart",
    "/session_start",
    '/ask_fee{"procedure_code":"1.001193"}',
    "  //restart",
    "/ /restart",
    "\u3000/restart",  # an ideographic space: str.strip() removes it, as Rasa does before its check
]
CHOICES = [
    {"title": "Đăng ký khai sinh (1.001193)", "payload": '/ask_documents{"procedure_code":"1.001193"}'},
    {"title": "Đăng ký khai sinh lưu động (1.004772)", "payload": '/ask_documents{"procedure_code":"1.004772"}'},
]
APOLOGY = "hệ thống trợ lý đang gián đoạn"
_msg_ids = itertools.count(1)


def rasa_would_read_as_a_command(text: str) -> bool:
    """Rasa's own test (YAMLStoryReader.unpack_regex_message): stripped text starting with "/"."""
    return text.strip().startswith("/")


def say_on_web(client: Any, message: str) -> dict[str, Any]:
    response = client.post("/api/chat", json={"sender": WEB_SENDER, "message": message})
    assert response.status_code == 200, response.text
    return response.json()


def say_on_zalo(client: Any, zalo_state: FakeZalo, rasa_state: FakeRasa, message: str) -> list[dict[str, Any]]:
    before_rasa, before_zalo = len(rasa_state.calls), len(zalo_state.messages_to(ZALO_USER))
    raw, headers = signed_event(text_event(ZALO_USER, message, f"msg-cmd-{next(_msg_ids)}"))
    assert client.post("/webhooks/zalo", content=raw, headers=headers).status_code == 200
    wait_for(lambda: len(rasa_state.calls) > before_rasa, what="the message at Rasa")
    wait_for(lambda: len(zalo_state.messages_to(ZALO_USER)) > before_zalo, what="the answer at Zalo")
    return zalo_state.messages_to(ZALO_USER)[before_zalo:]


@pytest.mark.parametrize("typed", TYPED_COMMANDS)
def test_finding_12_typed_commands_reach_rasa_as_plain_text_on_the_web(bridge, rasa, typed: str) -> None:  # noqa: F811
    with bridge() as client:
        body = say_on_web(client, typed)
    [(sender, received)] = rasa.calls
    assert sender == WEB_SENDER
    assert not rasa_would_read_as_a_command(received), received
    assert received == typed.strip().lstrip("/ ")  # the citizen's words, without the command prefix
    assert all(APOLOGY not in (m.get("text") or "") for m in body["messages"]), body  # a normal answer


@pytest.mark.parametrize("typed", ["/restart", '/ask_fee{"procedure_code":"1.001193"}'])
def test_finding_12_typed_commands_reach_rasa_as_plain_text_on_zalo(
    bridge,
    zalo,
    rasa,
    typed: str,  # noqa: F811
) -> None:
    with bridge() as client:
        sent = say_on_zalo(client, zalo, rasa, typed)
    [(sender, received)] = rasa.calls
    assert sender == f"zalo-{ZALO_USER}"
    assert not rasa_would_read_as_a_command(received), received
    assert all(APOLOGY not in (m.get("text") or "") for m in sent), sent


def test_finding_12_restart_typed_by_a_citizen_gets_a_normal_answer(bridge, rasa) -> None:  # noqa: F811
    with bridge() as client:
        body = say_on_web(client, "/restart")
    [message] = body["messages"]
    assert APOLOGY not in message["text"] and message["text"].startswith("Em đã nhận câu hỏi")


def test_finding_12_a_button_the_assistant_offered_still_works_on_the_web(bridge, rasa) -> None:  # noqa: F811
    rasa.replies["khai sinh"] = [{"text": "Anh/chị muốn hỏi thủ tục nào ạ?", "buttons": CHOICES}]
    with bridge() as client:
        offered = say_on_web(client, "khai sinh")
        assert [b["payload"] for b in offered["messages"][0]["buttons"]] == [c["payload"] for c in CHOICES]
        say_on_web(client, CHOICES[0]["payload"])  # the widget sends the payload of the button pressed
    assert rasa.calls[-1] == (WEB_SENDER, CHOICES[0]["payload"])  # unchanged: Rasa reads it as the intent


def test_finding_12_a_button_the_assistant_offered_still_works_on_zalo(bridge, zalo, rasa) -> None:  # noqa: F811
    rasa.replies["khai sinh"] = [{"text": "Anh/chị muốn hỏi thủ tục nào ạ?", "buttons": CHOICES}]
    with bridge() as client:
        [template] = say_on_zalo(client, zalo, rasa, "khai sinh")
        pressed = template["attachment"]["payload"]["buttons"][1]
        assert pressed["type"] == "oa.query.show"
        say_on_zalo(client, zalo, rasa, pressed["payload"])  # Zalo sends the payload back as the citizen's text
    assert rasa.calls[-1] == (f"zalo-{ZALO_USER}", CHOICES[1]["payload"])


def test_finding_12_only_buttons_offered_since_the_previous_message_count(bridge, rasa) -> None:  # noqa: F811
    rasa.replies["khai sinh"] = [{"text": "Anh/chị muốn hỏi thủ tục nào ạ?", "buttons": CHOICES}]
    with bridge() as client:
        say_on_web(client, "khai sinh")
        say_on_web(client, "cảm ơn")  # the question with the buttons is answered by something else
        say_on_web(client, CHOICES[0]["payload"])  # an old payload typed (or replayed) later
        say_on_web(client, '/ask_fee{"procedure_code":"1.001193"}')  # never offered at all
    assert [not rasa_would_read_as_a_command(text) for _sender, text in rasa.calls[-2:]] == [True, True]


def test_finding_12_only_command_like_messages_read_the_tracker(bridge, rasa, monkeypatch) -> None:  # noqa: F811
    from api.chat import service
    from api.rasa.gateway import RasaGateway

    reads: list[str] = []  # tracker reads on the reply's path (the recorder reads it after the reply)
    real = service.text_for_rasa

    class CountingReads:
        def __init__(self, rasa: RasaGateway) -> None:
            self.rasa = rasa

        async def tracker(self, sender: str) -> Any:
            reads.append(sender)
            return await self.rasa.tracker(sender)

    async def counted(rasa: RasaGateway, sender: str, text: str) -> str:
        return await real(CountingReads(rasa), sender, text)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "text_for_rasa", counted)
    with bridge() as client:
        say_on_web(client, "làm căn cước cần gì")
        say_on_web(client, "phí bao nhiêu / lần")
        assert reads == []  # a normal turn pays nothing
        say_on_web(client, "/restart")
    assert reads == [WEB_SENDER]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("/restart", "restart"),
        ("  / /restart ", "restart "),
        ('/ask_fee{"procedure_code":"1.001193"}', 'ask_fee{"procedure_code":"1.001193"}'),
        ("///", "\uff0f\uff0f\uff0f"),
        ("\u00a0/ /", "\u00a0\uff0f \uff0f"),
        ("khai sinh /restart", "khai sinh /restart"),
    ],
)
def test_finding_12_plain_text_form_is_never_a_command(typed: str, expected: str) -> None:
    from api.chat.service import as_plain_text

    plain = as_plain_text(typed)
    assert plain == expected
    assert not rasa_would_read_as_a_command(plain)
