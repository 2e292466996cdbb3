"""When the assistant did not understand: ask, with the likeliest choices; then offer a person.

The choices are the procedures ``knowledge.procedures.resolution`` finds worth offering (the same
thresholds as the procedure answers), else the topics the NLU ranked likeliest."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.common import intent_button, latest_text
from core.db import session_scope
from knowledge.procedures import answers
from knowledge.procedures.resolution import MAX_CHOICES, resolve_procedure
from servicedesk.handoff import answers as handoff_answers

# Misunderstood this many times in a row: offer a person instead of guessing again.
OFFER_PERSON_AFTER = 2


class ActionDefaultFallback(Action):
    def name(self) -> str:
        return "action_default_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        count = int(tracker.get_slot("fallback_count") or 0) + 1
        if count >= OFFER_PERSON_AFTER:
            dispatcher.utter_message(
                text=handoff_answers.OFFER_PERSON,
                buttons=[
                    intent_button(handoff_answers.TALK_TO_OFFICER, "request_human"),
                    intent_button(handoff_answers.TRY_AGAIN, "greet"),
                ],
            )
            return [UserUtteranceReverted(), SlotSet("fallback_count", 0)]
        buttons = self._procedure_buttons(tracker) or self._topic_buttons(tracker)
        dispatcher.utter_message(text=answers.DID_YOU_MEAN if buttons else answers.SAY_IT_AGAIN, buttons=buttons)
        # Forget the misunderstood turn so it does not steer the next prediction.
        return [UserUtteranceReverted(), SlotSet("fallback_count", count)]

    @staticmethod
    def _procedure_buttons(tracker: Tracker) -> list[dict[str, str]]:
        with session_scope() as session:
            resolution = resolve_procedure(session, latest_text(tracker))
        # Every match worth offering, even one that stands out: the citizen chooses.
        return [
            intent_button(answers.choice_title(h.name, h.code), "ask_procedure", {"procedure_code": h.code})
            for h in resolution.offers
        ]

    @staticmethod
    def _topic_buttons(tracker: Tracker) -> list[dict[str, str]]:
        ranking = tracker.latest_message.get("intent_ranking") or []
        names = [r.get("name") for r in ranking if r.get("name") in answers.TOPIC_CHOICES][:MAX_CHOICES]
        return [intent_button(answers.TOPIC_CHOICES[n], n) for n in names]
