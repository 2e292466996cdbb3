"""Dossier status (tra cứu hồ sơ): code, then the last four digits of the registered phone,
then the status. The lookup rules (verification, rate limits, what may be revealed) live in
knowledge.dossiers.service; this module only runs the form."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from knowledge.dossiers.service import LookupOutcome, get_lookup_service

# The digits are never kept in the tracker: once used, the slot holds only the outcome.
VERIFIED = "verified"
STOPPED = "stopped"
_STOP = {LookupOutcome.RATE_LIMITED, LookupOutcome.CODE_LOCKED, LookupOutcome.UNAVAILABLE}


class ValidateDossierForm(FormValidationAction):
    def name(self) -> str:
        return "validate_dossier_form"

    def validate_dossier_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        check = get_lookup_service().check_code(str(value or ""))
        if not check.ok:
            dispatcher.utter_message(text=check.message)
            return {"dossier_code": None}
        return {"dossier_code": check.code}

    async def validate_phone_last4(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = tracker.get_slot("dossier_code")
        if not code:
            return {"phone_last4": None}
        result = await get_lookup_service().lookup(tracker.sender_id, code, str(value or ""))
        dispatcher.utter_message(text=result.message)
        if result.outcome == LookupOutcome.OK:
            return {"phone_last4": VERIFIED}
        if result.outcome in _STOP:
            return {"phone_last4": STOPPED}
        if result.outcome == LookupOutcome.MALFORMED_CODE:
            return {"dossier_code": None, "phone_last4": None}
        return {"phone_last4": None}  # wrong or malformed digits: ask again (failures are counted)


class ActionDossierStatus(Action):
    """Runs when the form completes; the answer was given during validation, so this clears the
    form for the next lookup."""

    def name(self) -> str:
        return "action_dossier_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        return [SlotSet("dossier_code", None), SlotSet("phone_last4", None)]
