"""Dossier news (tin hồ sơ): after a verified lookup the citizen may be told when the dossier
changes state, and may stop that at any time ("hủy theo dõi"). What is stored, for how long, and
when a subscription ends are decided by ``servicedesk.dossier_news.service``."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import intent_button
from core.db import session_scope
from core.errors import InvalidError
from core.settings import get_settings
from servicedesk.dossier_news import service as news
from servicedesk.dossiers.service import LOOKUP_BUTTON

LOOKUP_FIRST = (
    "Để nhận tin về hồ sơ, anh/chị tra cứu hồ sơ trước giúp em (mã hồ sơ và 4 số cuối số điện thoại đã khai "
    "khi nộp) ạ. Sau khi tra cứu, em sẽ hỏi anh/chị có muốn nhận tin không."
)


class ActionSubscribeDossierNews(Action):
    """Subscribe the dossier verified in this conversation; without one, ask for the lookup."""

    def name(self) -> str:
        return "action_subscribe_dossier_news"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        code = tracker.get_slot("verified_dossier_code")
        status = tracker.get_slot("verified_dossier_status")
        if not code or not status:
            dispatcher.utter_message(text=LOOKUP_FIRST, buttons=[intent_button(LOOKUP_BUTTON, "check_dossier_status")])
            return []
        try:
            with session_scope() as session:
                subscribed = news.subscribe(
                    session,
                    dossier_code=code,
                    sender_id=tracker.sender_id,
                    status=status,
                    status_at=None,
                    settings=get_settings().dossier,
                )
                text = news.subscribed_text(subscribed.subscription)
        except InvalidError as refused:  # e.g. the dossier is already finished: said in Vietnamese
            dispatcher.utter_message(text=refused.message)
            return []
        dispatcher.utter_message(text=text)
        return []


class ActionUnsubscribeDossierNews(Action):
    """Stop every dossier news subscription of this conversation."""

    def name(self) -> str:
        return "action_unsubscribe_dossier_news"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        with session_scope() as session:
            count = news.unsubscribe(session, sender_id=tracker.sender_id)
        dispatcher.utter_message(text=news.unsubscribed_text(count))
        return []
