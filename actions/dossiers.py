"""Dossier status (tra cứu hồ sơ): code, then the last four digits of the registered phone,
then the status. The lookup rules (verification, rate limits, what may be revealed) live in
servicedesk.dossiers.service; this module only runs the form."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import intent_button
from core.settings import get_settings
from servicedesk.dossier_news.service import consent_text
from servicedesk.dossiers.hashing import normalise_code
from servicedesk.dossiers.models import FINAL_STATUSES
from servicedesk.dossiers.service import LookupOutcome, get_lookup_service

# The digits are never kept in the tracker: once used, the slot holds only the outcome.
VERIFIED = "verified"
STOPPED = "stopped"
_STOP = {LookupOutcome.RATE_LIMITED, LookupOutcome.CODE_LOCKED, LookupOutcome.UNAVAILABLE}
_CHANNELS = {"web", "zalo"}
_MAX_CLIENT_CHARS = 128
# After a verified lookup of a dossier still in progress: news of its next changes, with consent.
NEWS_AGREE = "Đồng ý nhận tin"
NEWS_DECLINE = "Không cần"


def news_offer_buttons() -> list[dict[str, str]]:
    return [intent_button(NEWS_AGREE, "subscribe_dossier_news"), intent_button(NEWS_DECLINE, "deny")]


def client_identity(tracker: Tracker) -> tuple[str | None, str | None]:
    """(client, channel) from the metadata the bridge attaches to each message: a hash of the
    channel's verifiable identity of the citizen (client address for web, Zalo user id). Rasa
    copies a message's metadata into the parse data rasa_sdk exposes as ``latest_message``.
    (None, None) when absent or malformed (old clients, tests): the lookup then uses the sender id."""
    metadata = (tracker.latest_message or {}).get("metadata")
    if not isinstance(metadata, dict):
        return None, None
    client, channel = metadata.get("client"), metadata.get("channel")
    if not isinstance(client, str) or not 0 < len(client) <= _MAX_CLIENT_CHARS:
        return None, None
    return client, channel if channel in _CHANNELS else None


def _slot_before_latest_message(tracker: Tracker, name: str) -> Any:
    """A slot's value before the latest user message (the validation sees the new candidates)."""
    value = before = None
    for event in tracker.events:
        if event.get("event") == "user":
            before = value
        elif event.get("event") == "slot" and event.get("name") == name:
            value = event.get("value")
    return before


class ValidateDossierForm(FormValidationAction):
    def name(self) -> str:
        return "validate_dossier_form"

    def validate_dossier_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        check = get_lookup_service().check_code(str(value or ""))
        if not check.ok and tracker.get_slot("requested_slot") == "phone_last4":
            # The digits being asked for were also tagged as a code (e.g. "0008", which looks like
            # a code's sequence number): they are digits, and the code given before stands.
            previous = _slot_before_latest_message(tracker, "dossier_code")
            if previous:
                return {"dossier_code": previous}
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
        new_code = normalise_code(str(value or ""))
        if new_code is not None:
            # A whole code where the digits were asked for: the citizen changed dossier; ask the
            # digits for that one (the form asks again for phone_last4).
            return {"dossier_code": new_code, "phone_last4": None}
        client, channel = client_identity(tracker)
        result = await get_lookup_service().lookup(
            tracker.sender_id, code, str(value or ""), client=client, channel=channel
        )
        dispatcher.utter_message(text=result.message)
        if result.outcome == LookupOutcome.OK:
            verified: dict[str, Any] = {"phone_last4": VERIFIED}
            if result.report is not None:
                # Kept for this conversation only, so that "báo cho tôi khi có kết quả" needs no
                # second verification; the digits themselves are never kept.
                verified |= {
                    "verified_dossier_code": result.report.code,
                    "verified_dossier_status": result.report.status,
                }
                if result.report.status not in FINAL_STATUSES:
                    dispatcher.utter_message(text=consent_text(get_settings().dossier), buttons=news_offer_buttons())
            return verified
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
