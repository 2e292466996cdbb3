"""actions/dossier_news.py: subscribing to a verified dossier's news, and stopping it."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.common import intent_button
from actions.dossier_news import LOOKUP_FIRST, ActionSubscribeDossierNews, ActionUnsubscribeDossierNews
from core.db import session_scope
from core.privacy import sender_hash
from servicedesk.dossier_news import service as news
from servicedesk.dossier_news.models import DossierSubscription
from tests.actions.conftest import message, tracker

DEMO_2 = "000.00.01.DEMO-250714-0002"  # processing
DEMO_1 = "000.00.01.DEMO-250710-0001"  # returned: finished


def _subscriptions(sender: str) -> list[DossierSubscription]:
    with session_scope() as session:
        rows = list(
            session.scalars(
                select(DossierSubscription).where(DossierSubscription.recipient_hash == sender_hash(sender))
            )
        )
        session.expunge_all()
    return rows


def _verified(sender: str, code: str, status: str, text: str = "Đồng ý nhận tin") -> Any:
    return tracker(
        text,
        intent="subscribe_dossier_news",
        sender_id=sender,
        slots={"verified_dossier_code": code, "verified_dossier_status": status},
    )


def test_a_verified_dossier_is_followed_and_the_citizen_told_how_to_stop(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    sender = "web-news-subscriber"
    assert ActionSubscribeDossierNews().run(dispatcher, _verified(sender, DEMO_2, "processing"), domain) == []
    [subscription] = _subscriptions(sender)
    assert (subscription.dossier_code, subscription.channel, subscription.last_status) == (DEMO_2, "web", "processing")
    assert subscription.ended_at is None
    assert dispatcher.messages == [message(news.subscribed_text(subscription))]
    assert "hủy theo dõi" in dispatcher.messages[0]["text"]


def test_without_a_verified_lookup_the_citizen_is_asked_to_look_it_up_first(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    sender = "zalo-news-unverified"
    state = tracker("báo cho tôi khi có kết quả", intent="subscribe_dossier_news", sender_id=sender)
    assert ActionSubscribeDossierNews().run(dispatcher, state, domain) == []
    assert _subscriptions(sender) == []
    assert dispatcher.messages == [
        message(LOOKUP_FIRST, buttons=[intent_button("Tra cứu hồ sơ", "check_dossier_status")])
    ]


def test_a_finished_dossier_is_refused_in_vietnamese(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    sender = "web-news-finished"
    assert ActionSubscribeDossierNews().run(dispatcher, _verified(sender, DEMO_1, "returned"), domain) == []
    assert _subscriptions(sender) == []
    [refusal] = dispatcher.messages
    assert refusal == message(refusal["text"]) and refusal["text"].startswith("Dạ")


def test_huy_theo_doi_stops_the_news(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    sender = "zalo-news-stopper"
    ActionSubscribeDossierNews().run(CollectingDispatcher(), _verified(sender, DEMO_2, "processing"), domain)
    state = tracker("hủy theo dõi", intent="unsubscribe_dossier_news", sender_id=sender)
    assert ActionUnsubscribeDossierNews().run(dispatcher, state, domain) == []
    [subscription] = _subscriptions(sender)
    assert subscription.end_reason == "unsubscribed" and subscription.ended_at is not None
    assert dispatcher.messages == [message(news.unsubscribed_text(1))]
    again = CollectingDispatcher()
    ActionUnsubscribeDossierNews().run(again, state, domain)
    assert again.messages == [message(news.unsubscribed_text(0))]
