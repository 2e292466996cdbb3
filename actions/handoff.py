"""A citizen asks for a person: record it and say what happens next."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of
from core.db import session_scope
from core.redis import publish_wakeup
from core.settings import get_settings
from servicedesk.handoff import answers
from servicedesk.handoff.service import request_handoff


class ActionRequestHandoff(Action):
    def name(self) -> str:
        return "action_request_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        with session_scope() as session:
            outcome = request_handoff(
                session,
                sender_id=tracker.sender_id,
                channel=channel_of(tracker.sender_id),
                procedure_code=tracker.get_slot("procedure_code"),
            )
        settings = get_settings()
        # The officers' live queues learn of the request at once (else at their next poll, ~1 s).
        publish_wakeup(settings)
        dispatcher.utter_message(text=answers.request_received(outcome, settings.hotline))
        return []
