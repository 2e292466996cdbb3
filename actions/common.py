"""Helpers shared by the actions: reading the latest message, building buttons."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Tracker


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def entity_values(tracker: Tracker, entity: str) -> list[str]:
    return [str(e["value"]) for e in tracker.latest_message.get("entities", []) if e.get("entity") == entity]


def intent_button(title: str, intent: str, entities: dict[str, Any]) -> dict[str, str]:
    """A button that, when pressed, sends an intent with entities and skips NLU."""
    return {"title": title, "payload": f"/{intent}{json.dumps(entities, ensure_ascii=False)}"}
