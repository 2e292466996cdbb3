"""A citizen asks for a person: record it and say what happens next; when nobody can answer now
(outside office hours, or no officer online), offer a callback."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import channel_of, conversation_unit, intent_button, unit_from_metadata
from core.db import session_scope
from core.redis import publish_wakeup
from core.settings import get_settings
from servicedesk.handoff import answers
from servicedesk.handoff.service import callback_offer_needed, request_handoff

CALLBACK_OFFER_NO_OFFICER = (
    "Hiện chưa có cán bộ nào trực tuyến để trả lời ngay. Anh/chị có thể để lại số điện thoại để cán bộ gọi lại ạ."
)
CALLBACK_OFFER_CLOSED = (
    "Anh/chị có thể để lại số điện thoại và thời gian thuận tiện để cán bộ gọi lại trong giờ làm việc ạ."
)
CALLBACK_BUTTON = "Để lại số để được gọi lại"
NO_THANKS_BUTTON = "Không cần"


class ActionRequestHandoff(Action):
    def name(self) -> str:
        return "action_request_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        settings = get_settings()
        with session_scope() as session:
            outcome = request_handoff(
                session,
                sender_id=tracker.sender_id,
                channel=channel_of(tracker.sender_id),
                procedure_code=tracker.get_slot("procedure_code"),
                # The commune whose officers should answer: the widget's own unit first.
                unit_code=unit_from_metadata(tracker) or conversation_unit(tracker),
            )
            offer_callback = callback_offer_needed(session, settings)
        # The officers' live queues learn of the request at once (else at their next poll, ~1 s).
        publish_wakeup(settings)
        dispatcher.utter_message(text=answers.request_received(outcome, settings.hotline))
        if offer_callback:
            dispatcher.utter_message(
                text=CALLBACK_OFFER_NO_OFFICER if outcome.in_office_hours else CALLBACK_OFFER_CLOSED,
                buttons=[intent_button(CALLBACK_BUTTON, "request_callback"), intent_button(NO_THANKS_BUTTON, "deny")],
            )
        return []
