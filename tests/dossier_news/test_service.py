"""The rules of dossier news (servicedesk/dossier_news/service.py) on SQLite and PostgreSQL:
subscribing with consent, stopping, claims, each change recorded once and handed to the Zalo
outbox in the same transaction, backoff, pushes, expiry, the web widget's news."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import utcnow
from core.privacy import sender_hash
from servicedesk.dossier_news import service
from servicedesk.dossier_news.models import DossierNews, DossierSubscription
from servicedesk.dossier_news.service import SubscriptionInvalid
from servicedesk.zalo.models import ZaloOutboxMessage
from tests.dossier_news.helpers import (
    CODE,
    OTHER_CODE,
    PROCESSING,
    WEB_SENDER,
    ZALO_SENDER,
    ZALO_USER,
    news_settings,
    view,
)

SETTINGS = news_settings()


def follow(
    session: Session, sender: str = ZALO_SENDER, code: str = CODE, *, now: dt.datetime | None = None
) -> DossierSubscription:
    subscribed = service.subscribe(
        session,
        dossier_code=code,
        sender_id=sender,
        status="processing",
        status_at=PROCESSING,
        settings=SETTINGS,
        now=now,
    )
    session.commit()
    return subscribed.subscription


def claim_one(session: Session, now: dt.datetime) -> service.Claim:
    claims = service.claim_due(session, limit=10, now=now)
    assert len(claims) == 1, claims
    return claims[0]


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


# --- subscribing ---------------------------------------------------------------------------------


def test_subscribe_keeps_only_what_delivery_needs(session: Session) -> None:
    now = utcnow()
    sub = follow(session, ZALO_SENDER, CODE.lower(), now=now)
    assert sub.channel == "zalo" and sub.recipient == ZALO_USER
    assert sub.recipient_hash == sender_hash(ZALO_SENDER)
    assert sub.dossier_code == CODE
    assert sub.consent_version == service.CONSENT_VERSION and sub.consented_at == now
    assert sub.expires_at == now + dt.timedelta(days=90)
    assert sub.next_poll_at == now + dt.timedelta(seconds=60)
    assert sub.last_status == "processing" and sub.last_status_at == PROCESSING.replace(tzinfo=None)
    web = follow(session, WEB_SENDER)
    assert web.channel == "web" and web.recipient == WEB_SENDER
    text = service.subscribed_text(sub)
    assert CODE in text and "Zalo" in text and "hủy theo dõi" in text
    assert "mở lại trang" in service.subscribed_text(web)


def test_a_second_subscription_renews_the_first(session: Session) -> None:
    first = follow(session)
    again = service.subscribe(
        session, dossier_code=CODE, sender_id=ZALO_SENDER, status="processing", status_at=None, settings=SETTINGS
    )
    assert again.created is False and again.subscription.id == first.id
    assert count(session, DossierSubscription) == 1


def test_final_statuses_and_other_channels_are_refused(session: Session) -> None:
    with pytest.raises(SubscriptionInvalid, match="Đã có kết quả"):
        service.subscribe(
            session, dossier_code=CODE, sender_id=ZALO_SENDER, status="approved", status_at=None, settings=SETTINGS
        )
    with pytest.raises(SubscriptionInvalid, match="kênh"):
        service.subscribe(
            session, dossier_code=CODE, sender_id="telegram-1", status="processing", status_at=None, settings=SETTINGS
        )
    with pytest.raises(SubscriptionInvalid, match="định dạng"):
        service.subscribe(
            session, dossier_code="12345", sender_id=ZALO_SENDER, status="processing", status_at=None, settings=SETTINGS
        )


def test_a_conversation_follows_a_bounded_number_of_dossiers(session: Session) -> None:
    for number in range(service.MAX_ACTIVE_PER_SENDER):
        follow(session, code=f"000.00.01.H29-250710-{number:04d}")
    with pytest.raises(SubscriptionInvalid, match="tối đa"):
        follow(session, code="000.00.01.H29-250710-9999")


def test_unsubscribe_one_or_all_and_forget_the_address(session: Session) -> None:
    follow(session, code=CODE)
    follow(session, code=OTHER_CODE)
    follow(session, WEB_SENDER, CODE)
    assert service.unsubscribe(session, sender_id=ZALO_SENDER, dossier_code=OTHER_CODE) == 1
    assert service.unsubscribe(session, sender_id=ZALO_SENDER) == 1
    assert service.unsubscribe(session, sender_id=ZALO_SENDER) == 0
    session.commit()
    ended = session.scalars(
        select(DossierSubscription).where(DossierSubscription.recipient_hash == sender_hash(ZALO_SENDER))
    ).all()
    assert {s.end_reason for s in ended} == {"unsubscribed"}
    assert all(s.recipient is None and s.next_poll_at is None for s in ended)
    assert [s.channel for s in service.active_subscriptions(session, WEB_SENDER)] == ["web"]
    assert "không theo dõi hồ sơ nào" in service.unsubscribed_text(0)
    assert "dừng gửi tin" in service.unsubscribed_text(1) and "2 hồ sơ" in service.unsubscribed_text(2)


# --- claims and recording ------------------------------------------------------------------------


def test_nothing_is_due_before_its_time_and_a_claim_is_taken_once(session: Session) -> None:
    now = utcnow()
    follow(session, now=now)
    assert service.claim_due(session, limit=10, now=now) == []
    later = now + dt.timedelta(seconds=61)
    claim = claim_one(session, later)
    assert service.claim_due(session, limit=10, now=later) == []  # leased
    assert claim.lease_until == later + dt.timedelta(seconds=service.CLAIM_LEASE_SECONDS)


def test_an_unchanged_dossier_is_no_news(session: Session) -> None:
    now = utcnow()
    follow(session, now=now)
    claim = claim_one(session, now + dt.timedelta(seconds=61))
    outcome = service.record_found(session, claim, view("processing"), SETTINGS, now=now + dt.timedelta(seconds=62))
    assert outcome.kind == "unchanged"
    assert count(session, DossierNews) == 0 and count(session, ZaloOutboxMessage) == 0
    sub = session.scalars(select(DossierSubscription)).one()
    assert sub.claim_token is None and sub.next_poll_at == now + dt.timedelta(seconds=122)


def test_a_change_reaches_zalo_once_through_the_outbox(session: Session) -> None:
    now = utcnow()
    follow(session, now=now)
    changed_at = dt.datetime(2025, 7, 14, 3, 0, tzinfo=dt.UTC)
    changed = view("supplement_required", changed_at, note="Thiếu bản sao giấy khai sinh")
    claim = claim_one(session, now + dt.timedelta(seconds=61))
    outcome = service.record_found(session, claim, changed, SETTINGS, now=now + dt.timedelta(seconds=61))
    assert outcome.kind == "news" and outcome.zalo and not outcome.finished
    news = session.scalars(select(DossierNews)).one()
    assert news.status == "supplement_required" and news.status_at == changed_at.replace(tzinfo=None)
    assert news.delivered_at is not None  # handed to the outbox
    assert "Cần bổ sung hồ sơ" in news.text and CODE in news.text and "10:00 14/07/2025" not in news.text
    assert "14/07/2025 10:00" in news.text and "Thiếu bản sao" in news.text and "hủy theo dõi" in news.text
    row = session.scalars(select(ZaloOutboxMessage)).one()
    assert row.recipient_id == ZALO_USER and row.recipient_hash == sender_hash(ZALO_SENDER)
    assert row.payload["text"] == news.text
    assert row.payload["attachment"]["payload"]["buttons"][0]["payload"] == service.UNSUBSCRIBE_PAYLOAD
    # Polled again: the same change is not news again.
    claim = claim_one(session, now + dt.timedelta(seconds=200))
    assert (
        service.record_found(session, claim, changed, SETTINGS, now=now + dt.timedelta(seconds=200)).kind == "unchanged"
    )
    assert count(session, DossierNews) == 1 and count(session, ZaloOutboxMessage) == 1


def test_the_same_status_entered_again_later_is_news(session: Session) -> None:
    now = utcnow()
    follow(session, now=now)
    again = dt.datetime(2025, 7, 20, 1, 0, tzinfo=dt.UTC)
    claim = claim_one(session, now + dt.timedelta(seconds=61))
    assert service.record_found(session, claim, view("processing", again), SETTINGS, now=now).kind == "news"


def test_the_time_of_the_status_shown_is_filled_in_silently(session: Session) -> None:
    now = utcnow()
    service.subscribe(
        session,
        dossier_code=CODE,
        sender_id=WEB_SENDER,
        status="processing",
        status_at=None,
        settings=SETTINGS,
        now=now,
    )
    session.commit()
    claim = claim_one(session, now + dt.timedelta(seconds=61))
    assert service.record_found(session, claim, view("processing"), SETTINGS, now=now).kind == "unchanged"
    sub = session.scalars(select(DossierSubscription)).one()
    assert sub.last_status_at == PROCESSING.replace(tzinfo=None)


def test_a_final_status_is_told_and_ends_the_subscription(session: Session) -> None:
    now = utcnow()
    follow(session, WEB_SENDER, now=now)
    claim = claim_one(session, now + dt.timedelta(seconds=61))
    done = view("approved", dt.datetime(2025, 7, 16, 8, 0, tzinfo=dt.UTC))
    outcome = service.record_found(session, claim, done, SETTINGS, now=now)
    assert outcome.kind == "news" and outcome.finished and not outcome.zalo
    sub = session.scalars(select(DossierSubscription)).one()
    assert sub.end_reason == "finished" and sub.recipient is None and sub.next_poll_at is None
    assert count(session, ZaloOutboxMessage) == 0
    [item] = service.pending_web_news(session, WEB_SENDER)
    assert "Đã có kết quả" in item.text and "dừng theo dõi" in item.text
    assert service.claim_due(session, limit=10, now=now + dt.timedelta(days=1)) == []


def test_a_lost_claim_records_nothing(session: Session) -> None:
    now = utcnow()
    follow(session, now=now)
    first = service.claim_due(session, limit=10, now=now + dt.timedelta(seconds=61), lease_seconds=5)[0]
    # The first poller is slow; its lease ends and a second poller takes the row.
    second = claim_one(session, now + dt.timedelta(seconds=70))
    changed = view("approved", dt.datetime(2025, 7, 16, 8, 0, tzinfo=dt.UTC))
    assert service.record_found(session, second, changed, SETTINGS, now=now).kind == "news"
    assert service.record_found(session, first, changed, SETTINGS, now=now).kind == "lost"
    assert service.record_failure(session, first, SETTINGS, "timeout", now=now).kind == "lost"
    assert count(session, DossierNews) == 1 and count(session, ZaloOutboxMessage) == 1


def test_failures_back_off_doubling_up_to_the_cap(session: Session) -> None:
    now = utcnow()
    follow(session, now=now)
    waits = []
    moment = now + dt.timedelta(seconds=61)
    for _ in range(6):
        claim = claim_one(session, moment)
        assert service.record_failure(session, claim, SETTINGS, "ConnectorUnavailable", now=moment).kind == "failed"
        sub = session.scalars(select(DossierSubscription)).one()
        session.refresh(sub)
        assert sub.next_poll_at is not None
        waits.append((sub.next_poll_at - moment).total_seconds())
        moment = sub.next_poll_at
    assert waits == [120.0, 240.0, 480.0, 600.0, 600.0, 600.0]
    claim = claim_one(session, moment)
    service.record_found(session, claim, view("processing"), SETTINGS, now=moment)
    sub = session.scalars(select(DossierSubscription)).one()
    session.refresh(sub)
    assert sub.failures == 0 and sub.next_poll_at == moment + dt.timedelta(seconds=60)


def test_a_push_makes_the_dossier_due_now_even_during_a_poll(session: Session) -> None:
    now = utcnow()
    follow(session, now=now)
    follow(session, WEB_SENDER, now=now)
    follow(session, code=OTHER_CODE, now=now)
    assert service.mark_due(session, [CODE.lower(), "000.00.01.H29-250710-0999"], now=now) == 2
    claims = service.claim_due(session, limit=10, now=now)
    assert {c.dossier_code for c in claims} == {CODE}
    # A push arrives while the first is being polled: it is polled again at once.
    assert service.mark_due(session, [CODE], now=now + dt.timedelta(seconds=1)) == 2
    service.record_found(session, claims[0], view("processing"), SETTINGS, now=now + dt.timedelta(seconds=2))
    sub = session.get(DossierSubscription, claims[0].id, populate_existing=True)
    assert sub is not None and sub.next_poll_at == now + dt.timedelta(seconds=2)


def test_expiry_and_pruning(session: Session) -> None:
    now = utcnow()
    follow(session, WEB_SENDER, now=now)
    assert service.expire_due(session, now=now + dt.timedelta(days=89)) == 0
    assert service.expire_due(session, now=now + dt.timedelta(days=90)) == 1
    sub = session.scalars(select(DossierSubscription)).one()
    session.refresh(sub)
    assert sub.end_reason == "expired" and sub.recipient is None
    assert service.prune(session, now=now + dt.timedelta(days=100)) == 0
    assert service.prune(session, now=now + dt.timedelta(days=121)) == 1
    assert count(session, DossierSubscription) == 0


# --- the web widget ------------------------------------------------------------------------------


def test_web_news_until_acknowledged_and_only_ones_own(session: Session) -> None:
    now = utcnow()
    follow(session, WEB_SENDER, now=now)
    claim = claim_one(session, now + dt.timedelta(seconds=61))
    service.record_found(
        session, claim, view("supplement_required", dt.datetime(2025, 7, 14, 3, 0, tzinfo=dt.UTC)), SETTINGS, now=now
    )
    [item] = service.pending_web_news(session, WEB_SENDER)
    assert item.status == "supplement_required" and CODE in item.text
    other = "web-00000000-0000-4000-8000-000000000000"
    assert service.pending_web_news(session, other) == []
    assert service.acknowledge(session, other, [item.id]) == 0
    assert service.acknowledge(session, WEB_SENDER, [item.id, item.id]) == 1
    session.commit()
    assert service.pending_web_news(session, WEB_SENDER) == []
    assert service.acknowledge(session, WEB_SENDER, [item.id]) == 0
    assert count(session, ZaloOutboxMessage) == 0
