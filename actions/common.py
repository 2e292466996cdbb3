"""Helpers shared by the actions: reading the latest message, building buttons."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Tracker


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


# Two extractors may find the same mention: the gazetteer/pattern extractor (exact, normalised
# values) is preferred; the learned CRF counts only where the gazetteer found nothing of a type.
PREFERRED_EXTRACTOR = "VietnameseEntityExtractor"


def _mentions(tracker: Tracker, entity: str) -> list[dict[str, Any]]:
    found = [e for e in tracker.latest_message.get("entities", []) if e.get("entity") == entity]
    preferred = [e for e in found if e.get("extractor") == PREFERRED_EXTRACTOR]
    return preferred or found


def entity_values(tracker: Tracker, entity: str) -> list[str]:
    return [str(e["value"]) for e in _mentions(tracker, entity)]


def entity_texts(tracker: Tracker, entity: str) -> list[str]:
    """The citizen's own words for each mention of ``entity`` (not the normalised value)."""
    text = latest_text(tracker)
    return [
        text[e["start"] : e["end"]]
        for e in _mentions(tracker, entity)
        if e.get("start") is not None and e.get("end") is not None
    ]


def intent_button(title: str, intent: str, entities: dict[str, Any] | None = None) -> dict[str, str]:
    """A button that, when pressed, sends an intent with entities and skips NLU."""
    payload = f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")
    return {"title": title, "payload": payload}


def channel_of(sender_id: str) -> str:
    """The channel of a conversation, from its id's prefix ("web-…", "zalo-…").

    The prefix can be trusted: the bridge gives Rasa only ids of the channel that received the
    message (the web API takes only "web-…", the Zalo webhook builds "zalo-<user id>" from the
    signed event; api/chat/service.check_sender). The console refuses to answer a request whose
    stored channel and id disagree, so an id of no known channel gets no reply through any."""
    prefix = sender_id.split("-", 1)[0].lower()
    return prefix if prefix in {"web", "zalo"} else "web"


def text_without(tracker: Tracker, entities: set[str]) -> str:
    """The latest message with the mentions of ``entities`` blanked out (offsets kept)."""
    text = latest_text(tracker)
    for e in tracker.latest_message.get("entities", []):
        if e.get("entity") in entities and e.get("start") is not None and e.get("end") is not None:
            text = text[: e["start"]] + " " * (e["end"] - e["start"]) + text[e["end"] :]
    return text


_MAX_UNIT_CODE_CHARS = 16


def unit_from_metadata(tracker: Tracker) -> str | None:
    """The unit code of the conversation's widget (its ``data-unit``, resolved by the bridge into
    the message metadata as ``unit_code``); None on Zalo, for a widget without a unit, or when
    the value is malformed."""
    metadata = (tracker.latest_message or {}).get("metadata")
    if not isinstance(metadata, dict):
        return None
    code = metadata.get("unit_code")
    if isinstance(code, str) and 0 < len(code) <= _MAX_UNIT_CODE_CHARS and code.isalnum():
        return code
    return None


def conversation_unit(tracker: Tracker) -> str | None:
    """The commune the conversation is about: the one the citizen named (slot ``unit_code``), else
    the widget's own unit."""
    return tracker.get_slot("unit_code") or unit_from_metadata(tracker)
