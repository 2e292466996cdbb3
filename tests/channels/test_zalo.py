"""The Zalo OA channel over real HTTP: fake Zalo platform, fake Rasa REST channel, the real bridge.

The fake Rasa speaks Rasa's REST channel wire format (see tests/channels/fake_rasa.py); Rasa
itself is exercised by the end-to-end tests. Backoff and polling are shortened by the
environment of the ``env`` fixture, so every wait below is a poll with a timeout.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import random
import threading
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.channels.conftest import stays, wait_for
from tests.fakes import zalo as fake_zalo
from tests.fakes.zalo import signed_event, text_event

USER = "8468112233445566778"
OTHER_USERS = ["2468458835296117922", "3468458835296117923", "4468458835296117924"]


def post(client: Any, event: dict[str, Any], **signing: Any) -> Any:
    raw, headers = signed_event(event, **signing)
    return client.post("/webhooks/zalo", content=raw, headers=headers)


def outbox_rows() -> list[Any]:
    from core.db import get_sessionmaker
    from servicedesk.zalo.models import ZaloOutboxMessage

    with get_sessionmaker()() as session:
        return list(session.scalars(select(ZaloOutboxMessage).order_by(ZaloOutboxMessage.id)))


def inbound_rows() -> list[Any]:
    from core.db import get_sessionmaker
    from servicedesk.zalo.models import ZaloInboundEvent

    with get_sessionmaker()() as session:
        return list(session.scalars(select(ZaloInboundEvent).order_by(ZaloInboundEvent.id)))


def token_row() -> Any:
    from core.db import get_sessionmaker
    from servicedesk.zalo.models import ZaloToken

    with get_sessionmaker()() as session:
        return session.get(ZaloToken, 1)


def texts_to(zalo: fake_zalo.FakeZalo, user: str) -> list[str]:
    return [m.get("text") for m in zalo.messages_to(user)]


# -- the happy path ----------------------------------------------------------------------------


def test_a_text_message_is_answered_through_the_outbox(bridge, zalo, rasa, caplog) -> None:
    caplog.set_level(logging.INFO)
    question = "Làm căn cước công dân cần giấy tờ gì?"
    rasa.replies[question] = [{"text": "Anh/chị cần mang theo giấy khai sinh ạ."}]
    rasa.delay_seconds = 1.0  # Rasa is slow; Zalo must still get its 200 at once
    with bridge() as client:
        started = time.monotonic()
        response = post(client, text_event(USER, question, "msg-0001"))
        elapsed = time.monotonic() - started
        assert response.status_code == 200
        assert response.json() == {"status": "accepted"}
        assert elapsed < 0.5
        wait_for(lambda: len(zalo.sent) == 1, what="the reply at Zalo")

    assert rasa.calls == [(f"zalo-{USER}", question)]
    assert zalo.sent == [
        {"recipient": {"user_id": USER}, "message": {"text": "Anh/chị cần mang theo giấy khai sinh ạ."}}
    ]
    (row,) = outbox_rows()
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at is not None and row.zalo_message_id
    assert row.recipient_id is None  # the Zalo user id is forgotten once the reply is out
    (event,) = inbound_rows()
    assert (event.status, event.text, event.user_id) == ("processed", None, None)
    # Logs carry hashes, never the user id or what was said.
    assert USER not in caplog.text
    assert question not in caplog.text and "giấy khai sinh" not in caplog.text


# -- webhook authenticity -------------------------------------------------------------------


def test_forged_or_missing_signatures_are_refused(bridge, zalo, rasa) -> None:
    event = text_event(USER, "xin chào", "msg-forged")
    with bridge() as client:
        assert post(client, event, secret_key="not-the-oa-secret").status_code == 401
        raw, headers = signed_event(event)
        tampered = raw.replace("xin chào".encode(), "chuyển tiền".encode())
        assert client.post("/webhooks/zalo", content=tampered, headers=headers).status_code == 401
        assert (
            client.post("/webhooks/zalo", content=raw, headers={"Content-Type": "application/json"}).status_code == 401
        )
        assert client.post("/webhooks/zalo", content=raw, headers={"X-ZEvent-Signature": "mac="}).status_code == 401
        # Another app's event, even correctly signed by that app, and an event naming another app:
        assert post(client, text_event(USER, "x", "msg-a", app_id="999"), app_id="999").status_code == 401
        assert post(client, text_event(USER, "x", "msg-b", app_id="999")).status_code == 401
        # The signature without the "mac=" prefix is accepted too.
        assert post(client, event, prefix="").status_code == 200
        wait_for(lambda: len(zalo.sent) == 1, what="the genuine event's reply")
    assert [sender for sender, _ in rasa.calls] == [f"zalo-{USER}"]


def test_stale_or_future_timestamps_are_refused(bridge, zalo, rasa) -> None:
    now_ms = int(time.time() * 1000)
    with bridge() as client:
        old = post(client, text_event(USER, "cũ", "msg-old", timestamp_ms=now_ms - 6 * 60 * 1000))
        future = post(client, text_event(USER, "tương lai", "msg-future", timestamp_ms=now_ms + 6 * 60 * 1000))
        recent = post(client, text_event(USER, "vừa gửi", "msg-recent", timestamp_ms=now_ms - 4 * 60 * 1000))
        assert (old.status_code, future.status_code, recent.status_code) == (401, 401, 200)
        assert "stale timestamp" in old.json()["error"]
        wait_for(lambda: len(zalo.sent) == 1)
    assert rasa.calls == [(f"zalo-{USER}", "vừa gửi")]


# -- de-duplication ---------------------------------------------------------------------------


def test_a_replayed_event_is_processed_once_even_after_a_restart(bridge, zalo, rasa) -> None:
    event = text_event(USER, "lệ phí khai sinh", "msg-dup-1")
    with bridge() as client:
        assert post(client, event).json() == {"status": "accepted"}
        assert post(client, event).json() == {"status": "duplicate"}
        wait_for(lambda: len(zalo.sent) == 1)
    with bridge() as client:  # restarted bridge, same database
        replay = dict(event, timestamp=str(int(time.time() * 1000)))  # Zalo re-signs its retries
        assert post(client, replay).json() == {"status": "duplicate"}
        assert stays(lambda: len(zalo.sent) == 1)
    assert len(rasa.calls) == 1
    assert len(inbound_rows()) == 1


# -- tokens ------------------------------------------------------------------------------------


def test_an_expired_token_is_refreshed_once_and_the_message_sent_again(bridge, zalo, rasa) -> None:
    zalo.expire_access_token()
    with bridge() as client:
        post(client, text_event(USER, "câu một", "msg-t1"))
        wait_for(lambda: len(zalo.sent) == 1, what="the resent reply")
        post(client, text_event(USER, "câu hai", "msg-t2"))
        wait_for(lambda: len(zalo.sent) == 2, what="the second reply")

    assert zalo.refreshes == [
        {"refresh_token": fake_zalo.FIRST_REFRESH_TOKEN, "app_id": fake_zalo.APP_ID, "grant_type": "refresh_token"}
    ]
    assert zalo.auth_failures == 1
    token = token_row()
    assert token.version == 2
    assert token.access_token == zalo.access_token
    assert token.refresh_token in zalo.valid_refresh_tokens  # the new, unused refresh token is stored
    assert token.expires_at is not None and token.refresh_claim is None
    assert [r.attempts for r in outbox_rows()] == [1, 1]  # the refresh is not a failed attempt


def test_concurrent_sends_with_an_expired_token_share_one_refresh(bridge, zalo, rasa) -> None:
    zalo.expire_access_token()
    with bridge() as client:
        for number, user in enumerate(OTHER_USERS):
            assert post(client, text_event(user, f"câu {number}", f"msg-c{number}")).status_code == 200
        wait_for(lambda: len(zalo.sent) == len(OTHER_USERS), what="every reply")
    assert len(zalo.refreshes) == 1
    assert token_row().version == 2


def test_two_processes_never_spend_the_same_refresh_token(env, zalo) -> None:
    """Two token stores (separate locks, separate event loops: like two bridge processes) refresh at once."""
    from api.channels.zalo.client import ZaloApi
    from api.channels.zalo.tokens import TokenStore
    from core.db import get_sessionmaker
    from core.settings import ZaloSettings

    zalo.refresh_delay = 0.3  # the first refresh is still in flight when the second one starts
    zalo.expire_access_token()
    results: list[Any] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def process() -> None:
        async def main() -> Any:
            async with httpx.AsyncClient() as http:
                settings = ZaloSettings()
                store = TokenStore(settings, get_sessionmaker(), ZaloApi(settings, http).refresh)
                seen = await store.current()
                barrier.wait()
                return await store.refresh(seen.version)

        try:
            results.append(asyncio.run(main()))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=process) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not errors, errors
    assert len(zalo.refreshes) == 1
    assert results[0] == results[1]
    assert results[0].value == zalo.access_token and results[0].version == 2


def test_a_new_pair_in_the_environment_replaces_the_stored_one(env, zalo) -> None:
    from api.channels.zalo.tokens import TokenStore
    from core.db import get_sessionmaker
    from core.settings import ZaloSettings

    async def current() -> Any:
        async def never(_: str) -> Any:
            raise AssertionError("no refresh expected")

        return await TokenStore(ZaloSettings(), get_sessionmaker(), never).current()

    assert asyncio.run(current()).value == fake_zalo.FIRST_ACCESS_TOKEN
    assert asyncio.run(current()).version == 1  # same environment: nothing changes
    env.setenv("TTHC_ZALO_ACCESS_TOKEN", "access-token-reauthorised")
    env.setenv("TTHC_ZALO_REFRESH_TOKEN", "refresh-token-reauthorised")
    token = asyncio.run(current())
    assert (token.value, token.version) == ("access-token-reauthorised", 2)


# -- delivery under failures ----------------------------------------------------------------------


def test_zalo_5xx_is_retried_with_backoff_and_each_reply_delivered_once_in_order(bridge, zalo, rasa, caplog) -> None:
    caplog.set_level(logging.INFO)
    rasa.replies["ba câu trả lời"] = [{"text": "một"}, {"text": "hai"}, {"text": "ba"}]
    zalo.fail_next = 3
    with bridge() as client:
        post(client, text_event(USER, "ba câu trả lời", "msg-5xx"))
        wait_for(lambda: len(zalo.sent) == 3, what="three replies")
        assert stays(lambda: len(zalo.sent) == 3)
    assert texts_to(zalo, USER) == ["một", "hai", "ba"]
    assert zalo.send_attempts == 6
    assert [(r.status, r.attempts) for r in outbox_rows()] == [("sent", 4), ("sent", 1), ("sent", 1)]
    assert "retry 1/10" in caplog.text and "retry 3/10" in caplog.text and "http 500" in caplog.text


def test_timeouts_are_retried_and_the_reply_delivered_once(bridge, zalo, rasa) -> None:
    zalo.hang_next = 2
    zalo.hang_seconds = 1.5  # longer than TTHC_ZALO_HTTP_TIMEOUT_SECONDS
    with bridge() as client:
        post(client, text_event(USER, "chậm", "msg-timeout"))
        wait_for(lambda: len(zalo.sent) == 1, what="the reply after two timeouts")
    (row,) = outbox_rows()
    assert (row.status, row.attempts) == ("sent", 3)
    assert len(zalo.sent) == 1


def test_a_message_is_marked_failed_after_max_attempts_and_does_not_block_the_next(bridge, env, zalo, rasa) -> None:
    env.setenv("TTHC_ZALO_MAX_ATTEMPTS", "3")
    zalo.fail_next = 3
    zalo.fail_status = 502
    with bridge() as client:
        post(client, text_event(USER, "thất bại", "msg-fail"))
        wait_for(lambda: [r.status for r in outbox_rows()] == ["failed"], what="the failed row")
        post(client, text_event(USER, "lần sau", "msg-after"))
        wait_for(lambda: len(zalo.sent) == 1, what="the next reply")
    failed, delivered = outbox_rows()
    assert (failed.attempts, failed.last_error, failed.recipient_id) == (3, "http 502", None)
    assert delivered.status == "sent"
    assert texts_to(zalo, USER) == ["Em đã nhận câu hỏi: lần sau"]


def test_replies_survive_a_zalo_outage_and_a_bridge_restart(bridge, zalo_server, zalo, rasa) -> None:
    _state, server = zalo_server
    server.stop()  # Zalo is down: connections are refused
    with bridge() as client:
        post(client, text_event(USER, "Zalo đang lỗi", "msg-down"))
        wait_for(lambda: [r.attempts >= 2 for r in outbox_rows()] == [True], what="failed attempts")
    (row,) = outbox_rows()  # the bridge stopped with the reply still queued
    assert (row.status, row.last_error) == ("pending", "connection refused")
    assert row.recipient_id == USER
    server.start()
    with bridge():  # a new bridge process on the same database
        wait_for(lambda: len(zalo.sent) == 1, what="the queued reply")
        assert stays(lambda: len(zalo.sent) == 1)
    assert texts_to(zalo, USER) == ["Em đã nhận câu hỏi: Zalo đang lỗi"]
    assert [r.status for r in outbox_rows()] == ["sent"]
    assert len(rasa.calls) == 1


def test_a_send_left_claimed_by_a_dead_worker_is_recovered(bridge, zalo, rasa) -> None:
    from core.db import get_sessionmaker
    from core.privacy import sender_hash
    from servicedesk.zalo.models import ZaloOutboxMessage, utcnow

    with get_sessionmaker()() as session:
        session.add(
            ZaloOutboxMessage(
                recipient_hash=sender_hash(f"zalo-{USER}"),
                recipient_id=USER,
                payload={"text": "bị treo"},
                status="sending",
                attempts=0,
                claimed_at=utcnow() - dt.timedelta(seconds=60),
                claim_token="dead-worker",
                next_attempt_at=utcnow(),
                created_at=utcnow(),
            )
        )
        session.commit()
    with bridge():
        wait_for(lambda: len(zalo.sent) == 1, what="the recovered reply")
    (row,) = outbox_rows()
    assert (row.status, row.attempts) == ("sent", 2)


def test_an_event_accepted_before_a_crash_is_answered_after_the_restart(bridge, zalo, rasa) -> None:
    from core.db import get_sessionmaker
    from core.privacy import sender_hash
    from servicedesk.zalo.models import ZaloInboundEvent, utcnow

    with get_sessionmaker()() as session:
        session.add(
            ZaloInboundEvent(
                msg_id="msg-before-crash",
                event_name="user_send_text",
                sender_hash=sender_hash(f"zalo-{USER}"),
                user_id=USER,
                text="hỏi trước khi sập",
                status="received",
                received_at=utcnow() - dt.timedelta(seconds=5),
            )
        )
        session.commit()
    with bridge():
        wait_for(lambda: len(zalo.sent) == 1, what="the answer to the orphaned event")
    assert rasa.calls == [(f"zalo-{USER}", "hỏi trước khi sập")]


# -- message shapes ---------------------------------------------------------------------------


def test_buttons_become_an_oa_query_show_template_whose_press_reaches_rasa(bridge, zalo, rasa) -> None:
    payload = '/ask_documents{"procedure_code":"1.001193"}'
    rasa.replies["khai sinh"] = [
        {
            "text": "Anh/chị muốn hỏi thủ tục nào ạ?",
            "buttons": [
                {"title": "Đăng ký khai sinh (1.001193)", "payload": payload},
                {
                    "title": "Đăng ký khai sinh lưu động (1.004772)",
                    "payload": '/ask_documents{"procedure_code":"1.004772"}',
                },
            ],
        }
    ]
    with bridge() as client:
        post(client, text_event(USER, "khai sinh", "msg-b1"))
        wait_for(lambda: len(zalo.sent) == 1)
        # Pressing the first button: Zalo sends its payload as the citizen's text.
        post(client, text_event(USER, payload, "msg-b2"))
        wait_for(lambda: len(zalo.sent) == 2)
    assert zalo.sent[0]["message"] == {
        "text": "Anh/chị muốn hỏi thủ tục nào ạ?",
        "attachment": {
            "type": "template",
            "payload": {
                "buttons": [
                    {"title": "Đăng ký khai sinh (1.001193)", "type": "oa.query.show", "payload": payload},
                    {
                        "title": "Đăng ký khai sinh lưu động (1.004772)",
                        "type": "oa.query.show",
                        "payload": '/ask_documents{"procedure_code":"1.004772"}',
                    },
                ]
            },
        },
    }
    assert rasa.calls[1] == (f"zalo-{USER}", payload)


def test_more_than_five_buttons_are_spread_over_several_templates() -> None:
    from api.channels.zalo.messages import MORE_BUTTONS_TEXT, to_zalo_messages
    from api.chat.schemas import BotMessage

    buttons = [{"title": f"{n} sao", "payload": f'/rate{{"rating":{n}}}'} for n in range(1, 8)]
    first, second = to_zalo_messages(BotMessage(text="Chấm điểm giúp em:", buttons=buttons))
    assert first["text"] == "Chấm điểm giúp em:" and len(first["attachment"]["payload"]["buttons"]) == 5
    assert second["text"] == MORE_BUTTONS_TEXT and len(second["attachment"]["payload"]["buttons"]) == 2


def _birth_registration_card() -> dict[str, Any]:
    from knowledge.procedures.answers import card_payload
    from knowledge.procedures.models import Procedure, ProcedureChannel

    procedure = Procedure(
        code="1.001193",
        name="Đăng ký khai sinh",
        levels=["commune"],
        agency="UBND cấp xã",
        online_url="https://dichvucong.gov.vn/p/home/dvc-chi-tiet-thu-tuc-hanh-chinh.html?ma_thu_tuc=1.001193",
        source_url="https://thutuc.dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.001193",
        channels=[
            ProcedureChannel(
                kind="in_person",
                processing_time="Ngay trong ngày",
                fee="Miễn lệ phí",
                fee_kind="free",
                deadline_kind="same_day",
            ),
            ProcedureChannel(kind="online", processing_time="Ngay trong ngày", fee=None, deadline_kind="same_day"),
        ],
    )
    return card_payload(procedure)


def test_a_procedure_card_becomes_a_list_template(bridge, zalo, rasa) -> None:
    card = _birth_registration_card()
    rasa.replies["thủ tục khai sinh"] = [{"custom": card}]
    with bridge() as client:
        post(client, text_event(USER, "thủ tục khai sinh", "msg-card"))
        wait_for(lambda: len(zalo.sent) == 1)
    message = zalo.sent[0]["message"]
    assert message["attachment"]["type"] == "template"
    template = message["attachment"]["payload"]
    assert template["template_type"] == "list"
    first, online = template["elements"]
    assert first["title"] == "Đăng ký khai sinh (1.001193)"
    assert first["subtitle"] == (
        "Nộp trực tiếp: Ngay trong ngày; phí, lệ phí: Miễn phí · "
        "Nộp trực tuyến: Ngay trong ngày; phí, lệ phí: chưa có thông tin"
    )
    assert first["default_action"] == {"type": "oa.open.url", "url": card["source_url"]}
    assert online["title"] == "Nộp hồ sơ trực tuyến"
    assert online["default_action"] == {"type": "oa.open.url", "url": card["online_url"]}


def test_a_card_without_online_submission_has_one_element_and_keeps_its_text() -> None:
    from api.channels.zalo.messages import to_zalo_messages
    from api.chat.schemas import BotMessage

    card = dict(_birth_registration_card(), online_url=None, channels=[])
    text, listing = to_zalo_messages(BotMessage(text="Thông tin thủ tục:", custom=card))
    assert text == {"text": "Thông tin thủ tục:"}
    (element,) = listing["attachment"]["payload"]["elements"]
    assert element["subtitle"] == "Chưa có thông tin thời hạn, phí, lệ phí."
    assert element["default_action"]["url"] == card["source_url"]


def test_a_long_text_is_split_on_line_boundaries(bridge, zalo, rasa) -> None:
    lines = [f"{n:03d}. Bước {n}: nộp tờ khai và giấy tờ tùy thân tại bộ phận một cửa." for n in range(1, 121)]
    long_text = "\n".join(lines)
    assert len(long_text) > 3 * 2000
    rasa.replies["các bước"] = [{"text": long_text}]
    with bridge() as client:
        post(client, text_event(USER, "các bước", "msg-long"))
        wait_for(lambda: len(zalo.sent) >= 4 and all(r.status == "sent" for r in outbox_rows()))
    parts = texts_to(zalo, USER)
    assert all(len(part) <= 2000 for part in parts)
    assert "\n".join(parts) == long_text  # nothing lost, nothing reordered, cut only between lines


def test_split_text_handles_lines_longer_than_the_limit() -> None:
    from api.channels.zalo.messages import split_text

    assert split_text("ngắn", 10) == ["ngắn"]
    assert split_text("", 10) == []
    parts = split_text("một hai ba bốn năm sáu bảy tám", 10)
    assert all(len(p) <= 10 for p in parts) and " ".join(parts) == "một hai ba bốn năm sáu bảy tám"
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


# -- other events and configuration ---------------------------------------------------------------


def test_unsupported_events_are_ignored_politely(bridge, zalo, rasa, caplog) -> None:
    caplog.set_level(logging.INFO)
    follow = {
        "app_id": fake_zalo.APP_ID,
        "event_name": "follow",
        "timestamp": str(int(time.time() * 1000)),
        "follower": {"id": USER},
        "oa_id": fake_zalo.OA_ID,
    }
    sticker = dict(text_event(USER, "", "msg-sticker"), event_name="user_send_sticker")
    with bridge() as client:
        response = post(client, follow)
        assert (response.status_code, response.json()) == (200, {"status": "ignored"})
        assert post(client, sticker).json() == {"status": "accepted"}
        wait_for(lambda: len(zalo.sent) == 1, what="the polite note")
    assert "zalo event ignored: follow" in caplog.text
    assert USER not in caplog.text
    assert rasa.calls == []
    assert "chỉ đọc được tin nhắn dạng chữ" in zalo.sent[0]["message"]["text"]


@pytest.mark.parametrize("unset", [("TTHC_ZALO_APP_ID",), ("TTHC_ZALO_SECRET_KEY",)])
def test_an_unconfigured_channel_answers_503_and_runs_no_worker(bridge, env, zalo, rasa, unset) -> None:
    for name in unset:
        env.delenv(name)
    with bridge() as client:
        response = post(client, text_event(USER, "xin chào", "msg-503"))
        assert response.status_code == 503
        assert unset[0] in response.json()["error"]
        assert client.app.state.context.zalo.worker is None
    assert rasa.calls == [] and zalo.sent == []


def test_signature_is_plain_sha256_of_app_id_body_timestamp_and_oa_secret() -> None:
    import hashlib

    from api.channels.zalo.signature import WebhookRejected, compute_signature, verify_event

    body = json.dumps({"app_id": "1", "timestamp": "1717061839659"}).encode()
    expected = hashlib.sha256(b"1" + body + b"1717061839659" + b"secret").hexdigest()
    assert compute_signature("1", body, "1717061839659", "secret") == expected
    verify_event(
        raw_body=body,
        event=json.loads(body),
        header=f"mac={expected.upper()}",
        app_id="1",
        secret_key="secret",
        window_seconds=300,
        now_ms=1717061839659 + 1000,
    )
    with pytest.raises(WebhookRejected, match="stale"):
        verify_event(
            raw_body=body,
            event=json.loads(body),
            header=expected,
            app_id="1",
            secret_key="secret",
            window_seconds=300,
            now_ms=1717061839659 + 301_000,
        )


def test_default_backoff_spreads_ten_attempts_over_about_an_hour() -> None:
    from core.settings import ZaloSettings
    from servicedesk.zalo.outbox import backoff_seconds

    settings = ZaloSettings(_env_file=None)
    rng = random.Random(7)
    delays = [
        backoff_seconds(n, settings.backoff_base_seconds, settings.backoff_max_seconds, settings.backoff_jitter, rng)
        for n in range(1, settings.max_attempts)
    ]
    assert delays == sorted(delays[:7]) + delays[7:]  # grows until the cap
    assert 45 * 60 <= sum(delays) <= 75 * 60
    assert max(delays) <= settings.backoff_max_seconds
