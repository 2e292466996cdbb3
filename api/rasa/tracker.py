"""The one reader of Rasa's tracker: pure functions over its JSON (no I/O).

A tracker is what ``GET /conversations/{sender}/tracker`` answers (``api.rasa.gateway``):
``{"sender_id", "slots", "latest_message", "events": [...]}``. The events used here:

- ``{"event": "user", "text", "parse_data": {"intent": {"name", "confidence"}, ...}, "metadata", "timestamp"}``;
- ``{"event": "bot", "text", "data": {"buttons": [{"title", "payload"}], "custom": {...}}, "metadata"}``,
  where the console's lines carry ``metadata`` ``{"agent": true, "handoff_kind", "handoff_message_id",
  "agent_name"}`` (``api.console.service``);
- ``{"event": "slot", "name": "requested_slot", "value"}`` and ``{"event": "active_loop", "name"}``:
  which question a form is asking, so that the answers to the last-four-phone-digits one are
  never shown again.

Anything else, or anything malformed, is skipped: the tracker comes over the network.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

HISTORY_LIMIT = 200  # most recent messages of the widget's history
MASKED = "••••"
MASKED_SLOTS = frozenset({"phone_last4"})  # answers to these questions are not shown again
# Rasa's RegexMessageHandler reads a text starting with "/" as "/intent{entities}": a button's
# payload, not words the citizen typed.
COMMAND_PREFIX = "/"
# What the citizen says to reach an officer (or to be polite) is no question to suggest answers for.
NOT_A_QUESTION_INTENTS = frozenset({"request_human", "greet", "goodbye", "affirm", "deny", "thank", "rate_service"})


class Understanding(NamedTuple):
    """What Rasa understood of a citizen's message."""

    intent: str | None
    confidence: float | None
    procedure_code: str | None  # the procedure in context after the reply (slot procedure_code)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def events_of(tracker: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The tracker's events (an empty list when it has none, or none that can be read)."""
    events = tracker.get("events")
    return [event for event in events if isinstance(event, dict)] if isinstance(events, list) else []


def intent_of(parse_data: Any) -> str | None:
    """The intent's name in a user event's ``parse_data`` (or in ``latest_message``)."""
    name = _dict(_dict(parse_data).get("intent")).get("name")
    return name if isinstance(name, str) else None


def _walk(events: Any) -> Iterator[tuple[dict[str, Any], bool]]:
    """Each event, with whether a form is asking a masked question then (the phone's last four
    digits): the user event that follows is the answer, never shown again."""
    requested_slot: Any = None
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict):
            continue
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "requested_slot":
            requested_slot = event.get("value")
        elif kind == "active_loop" and event.get("name") is None:
            requested_slot = None  # the form is over, whatever it was asking
        yield event, requested_slot in MASKED_SLOTS


def _buttons(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        return []
    return [
        {"title": b["title"], "payload": b["payload"]}
        for b in value
        if isinstance(b, dict) and isinstance(b.get("title"), str) and isinstance(b.get("payload"), str)
    ]


# --- what the citizen sees ---------------------------------------------------------------------


def officer_line(event: Mapping[str, Any], text: str | None) -> dict[str, Any] | None:
    """A bot event the console appended (an officer's words, or a notice about the officer)."""
    metadata = _dict(event.get("metadata"))
    if metadata.get("agent") is not True or not text:
        return None
    kind = metadata.get("handoff_kind")
    line: dict[str, Any] = {"from": "agent" if kind == "message" else "system", "text": text}
    if isinstance(metadata.get("handoff_message_id"), int):
        line["id"] = metadata["handoff_message_id"]
    if isinstance(metadata.get("agent_name"), str) and kind == "message":
        line["agent"] = metadata["agent_name"]
    return line


def history_from_events(events: Any, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    """What the citizen saw, from a Rasa tracker's events: ``{"from": "user" | "bot" | "agent" |
    "system", "text", "buttons"?, "custom"?, "id"?, "agent"?}``, the last ``limit`` of them.

    A button click reaches Rasa as its payload (``/ask_documents{...}``); it is shown as the
    button's title, as the widget showed it. A payload with no known button is left out. Answers to
    the last-four-phone-digits question are masked.
    """
    messages: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    for event, masked in _walk(events):
        kind = event.get("event")
        if kind == "user":
            text = event.get("text")
            if not isinstance(text, str) or not text.strip():
                continue
            if text.startswith(COMMAND_PREFIX):
                if text not in titles:
                    continue
                text = titles[text]
            elif masked:
                text = MASKED
            messages.append({"from": "user", "text": text})
        elif kind == "bot":
            data = _dict(event.get("data"))
            text = event.get("text") if isinstance(event.get("text"), str) else None
            officer = officer_line(event, text)
            if officer is not None:
                messages.append(officer)
                continue
            buttons = _buttons(data.get("buttons"))
            custom = data.get("custom") if isinstance(data.get("custom"), dict) else None
            if not (text or buttons or custom):
                continue
            titles.update({b["payload"]: b["title"] for b in buttons})
            item: dict[str, Any] = {"from": "bot", "text": text}
            if buttons:
                item["buttons"] = buttons
            if custom:
                item["custom"] = custom
            messages.append(item)
    return messages[-limit:]


def events_before(events: list[dict[str, Any]], until: float | None) -> list[dict[str, Any]]:
    """The events before the moment ``until`` (a Unix time; None: all of them). An event without
    a timestamp is kept."""
    if until is None:
        return events
    return [e for e in events if not isinstance(e.get("timestamp"), int | float) or e["timestamp"] < until]


def citizen_questions(events: list[dict[str, Any]], until: float | None) -> list[str]:
    """The citizen's questions to the assistant before ``until``: typed (not buttons), not the
    phone digits, not "a person, please" nor a greeting (NOT_A_QUESTION_INTENTS)."""
    questions = []
    for event, masked in _walk(events):
        if event.get("event") != "user" or masked:
            continue
        if until is not None and isinstance(event.get("timestamp"), int | float) and event["timestamp"] >= until:
            continue
        text = event.get("text")
        if (
            isinstance(text, str)
            and text.strip()
            and not text.startswith(COMMAND_PREFIX)
            and intent_of(event.get("parse_data")) not in NOT_A_QUESTION_INTENTS
        ):
            questions.append(text.strip())
    return questions


def offered_payloads(events: Any) -> frozenset[str]:
    """Payloads of the buttons the assistant showed since the citizen's previous message.

    The widget retires older buttons once the citizen writes again; a Zalo button pressed later
    answers a question no longer asked, and is read as text like anything typed."""
    payloads: set[str] = set()
    for event in reversed(events if isinstance(events, list) else []):
        if not isinstance(event, dict):
            continue
        if event.get("event") == "user":
            break
        if event.get("event") != "bot":
            continue
        buttons = _dict(event.get("data")).get("buttons")
        payloads.update(
            b["payload"].strip()
            for b in (buttons if isinstance(buttons, list) else [])
            if isinstance(b, dict) and isinstance(b.get("payload"), str)
        )
    return frozenset(p for p in payloads if p)


# --- what the assistant understood -------------------------------------------------------------


def _parse_of(tracker: Mapping[str, Any], text: str) -> dict[str, Any] | None:
    """The parse of this message: the last user event with its text. (Not ``latest_message``:
    the fallback action reverts the user's utterance, and a newer message may already be in.)"""
    wanted = text.strip()
    for event in reversed(events_of(tracker)):
        event_text = event.get("text")
        if event.get("event") == "user" and (event_text if isinstance(event_text, str) else "").strip() == wanted:
            return _dict(event.get("parse_data"))
    latest = _dict(tracker.get("latest_message"))
    latest_text = latest.get("text")
    return latest if (latest_text if isinstance(latest_text, str) else "").strip() == wanted else None


def understanding(tracker: Mapping[str, Any], text: str) -> Understanding | None:
    """What Rasa understood of the citizen's message ``text`` (the text Rasa was given): its
    intent, the intent's confidence and the procedure in context. None when the tracker does not
    have that message (Rasa could not take it)."""
    parsed = _parse_of(tracker, text)
    if parsed is None:
        return None
    confidence = _dict(parsed.get("intent")).get("confidence")
    code = _dict(tracker.get("slots")).get("procedure_code")
    return Understanding(
        intent=intent_of(parsed),
        confidence=float(confidence) if isinstance(confidence, int | float) else None,
        procedure_code=code if isinstance(code, str) else None,
    )
