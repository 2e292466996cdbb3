"""The tracker reader on event lists shaped as Rasa 3.6 writes them (as GET
/conversations/{sender}/tracker answers, and as tests/channels/fake_rasa.py logs them): the widget's
history, the citizen's questions the console shows, what Rasa understood of a message, and the
buttons offered since the citizen's last message."""

from __future__ import annotations

from typing import Any

from api.rasa import tracker

CHOICES = [
    {"title": "Đăng ký khai sinh (1.001193)", "payload": '/ask_documents{"procedure_code": "1.001193"}'},
    {"title": "Chứng thực bản sao từ bản chính (2.000815)", "payload": '/ask_documents{"procedure_code": "2.000815"}'},
]
CARD = {"type": "procedure_card", "code": "1.001193", "name": "Đăng ký khai sinh", "channels": []}


def user(text: str, intent: str = "inform", confidence: float = 0.9, at: float = 0.0) -> dict[str, Any]:
    return {
        "event": "user",
        "timestamp": at,
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "entities": [],
            "intent_ranking": [{"name": intent, "confidence": confidence}],
            "metadata": {"channel": "web", "client": "4f1c0e2a"},
        },
        "input_channel": "rest",
        "message_id": f"m-{abs(hash(text)) % 10_000}",
        "metadata": {"channel": "web", "client": "4f1c0e2a"},
    }


def bot(text: str | None, at: float = 0.0, metadata: dict[str, Any] | None = None, **data: Any) -> dict[str, Any]:
    return {
        "event": "bot",
        "timestamp": at,
        "metadata": metadata or {"utter_action": "utter_x"},
        "text": text,
        "data": {
            "elements": None,
            "quick_replies": None,
            "buttons": None,
            "attachment": None,
            "image": None,
            "custom": None,
            **data,
        },
    }


def slot(name: str, value: Any, at: float = 0.0) -> dict[str, Any]:
    return {"event": "slot", "timestamp": at, "name": name, "value": value}


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "timestamp": 0.0, "name": name, "policy": "RulePolicy", "confidence": 1.0}


def officer(text: str, kind: str, message_id: int, name: str | None = "Nguyễn Thị Lan") -> dict[str, Any]:
    """A line the console appends (api.console.service._bot_event)."""
    metadata = {"agent": True, "handoff_message_id": message_id, "handoff_kind": kind, "agent_name": name}
    return {"event": "bot", "text": text, "timestamp": 10.0, "metadata": metadata}


CONVERSATION = [
    action("action_session_start"),
    {"event": "session_started", "timestamp": 0.0},
    action("action_listen"),
    user("khai sinh cần giấy tờ gì", "ask_documents", at=1.0),
    action("action_handle_inform"),
    bot("Anh/chị muốn hỏi thủ tục nào dưới đây ạ?", at=1.1, buttons=CHOICES),
    action("action_listen"),
    user(CHOICES[0]["payload"], "ask_documents", 1.0, at=2.0),
    bot("Hồ sơ đăng ký khai sinh gồm: …", at=2.1, custom=CARD),
    slot("procedure_code", "1.001193", at=2.1),
    user('/rate_service{"rating": "5"}', "rate_service", at=3.0),  # typed by hand: no button names it
    user("tra cứu hồ sơ", "check_dossier", at=4.0),
    {"event": "active_loop", "timestamp": 4.1, "name": "dossier_form"},
    slot("requested_slot", "dossier_code", at=4.1),
    bot("Anh/chị cho em mã hồ sơ ạ.", at=4.1),
    user("H01.2025.000123", at=5.0),
    slot("requested_slot", "phone_last4", at=5.1),
    bot("Anh/chị cho em 4 số cuối điện thoại đăng ký ạ.", at=5.1),
    user("6789", at=6.0),
    {"event": "active_loop", "timestamp": 6.1, "name": None},
    slot("requested_slot", None, at=6.1),
    bot("Hồ sơ đang được xử lý.", at=6.1),
    user("cho tôi gặp cán bộ", "request_human", at=7.0),
    {"event": "pause", "timestamp": 8.0},
    officer("Cán bộ Nguyễn Thị Lan đã nhận hỗ trợ anh/chị.", "taken", 41, name=None),
    officer("Chào anh/chị, hồ sơ của anh/chị đã xong ạ.", "message", 42),
]


# --- the widget's history ----------------------------------------------------------------------


def test_history_is_what_the_citizen_saw() -> None:
    assert tracker.history_from_events(CONVERSATION) == [
        {"from": "user", "text": "khai sinh cần giấy tờ gì"},
        {"from": "bot", "text": "Anh/chị muốn hỏi thủ tục nào dưới đây ạ?", "buttons": CHOICES},
        {"from": "user", "text": "Đăng ký khai sinh (1.001193)"},  # the button's title, not its payload
        {"from": "bot", "text": "Hồ sơ đăng ký khai sinh gồm: …", "custom": CARD},
        # the hand-typed command is left out: no button was titled so
        {"from": "user", "text": "tra cứu hồ sơ"},
        {"from": "bot", "text": "Anh/chị cho em mã hồ sơ ạ."},
        {"from": "user", "text": "H01.2025.000123"},
        {"from": "bot", "text": "Anh/chị cho em 4 số cuối điện thoại đăng ký ạ."},
        {"from": "user", "text": tracker.MASKED},  # the phone digits are never shown again
        {"from": "bot", "text": "Hồ sơ đang được xử lý."},
        {"from": "user", "text": "cho tôi gặp cán bộ"},
        {"from": "system", "text": "Cán bộ Nguyễn Thị Lan đã nhận hỗ trợ anh/chị.", "id": 41},
        {"from": "agent", "text": "Chào anh/chị, hồ sơ của anh/chị đã xong ạ.", "id": 42, "agent": "Nguyễn Thị Lan"},
    ]


def test_history_keeps_the_last_messages_and_skips_what_cannot_be_read() -> None:
    events: list[Any] = [user(f"câu {i}") for i in range(tracker.HISTORY_LIMIT + 5)]
    assert [m["text"] for m in tracker.history_from_events(events)][0] == "câu 5"
    assert tracker.history_from_events(events, limit=2) == [
        {"from": "user", "text": f"câu {tracker.HISTORY_LIMIT + 3}"},
        {"from": "user", "text": f"câu {tracker.HISTORY_LIMIT + 4}"},
    ]
    garbage: list[Any] = ["event", None, {"event": "user", "text": None}, {"event": "user", "text": "  "}, bot(None)]
    assert tracker.history_from_events(garbage) == []
    assert tracker.history_from_events({"events": "not a list"}) == []


def test_a_bot_line_marked_agent_but_not_true_is_the_assistants() -> None:
    forged = bot("Tôi là cán bộ", metadata={"agent": "yes", "handoff_kind": "message"})
    assert tracker.history_from_events([forged]) == [{"from": "bot", "text": "Tôi là cán bộ"}]


def test_events_of_a_tracker() -> None:
    assert tracker.events_of({"events": [user("a"), "x", None]}) == [user("a")]
    assert tracker.events_of({"events": None}) == [] and tracker.events_of({}) == []


# --- the console -------------------------------------------------------------------------------


def test_the_citizens_questions_before_the_officer_took_the_conversation() -> None:
    # Typed questions only: no button payload, no command, no phone digits, not "a person, please".
    assert tracker.citizen_questions(CONVERSATION, until=8.0) == [
        "khai sinh cần giấy tờ gì",
        "tra cứu hồ sơ",
        "H01.2025.000123",
    ]
    assert tracker.citizen_questions(CONVERSATION, until=4.5) == ["khai sinh cần giấy tờ gì", "tra cứu hồ sơ"]


def test_a_form_left_while_asking_for_the_phone_digits_masks_nothing_after_it() -> None:
    # A form that has ended (active_loop null) asks nothing more, even when requested_slot was not
    # reset after it: the widget's history and the console's questions read it alike.
    events = [
        slot("requested_slot", "phone_last4", at=1.0),
        user("6789", at=2.0),
        {"event": "active_loop", "timestamp": 2.5, "name": None},
        user("lệ phí làm căn cước bao nhiêu", "ask_fee", at=3.0),
    ]
    assert tracker.citizen_questions(events, until=None) == ["lệ phí làm căn cước bao nhiêu"]
    assert [m["text"] for m in tracker.history_from_events(events)] == [tracker.MASKED, "lệ phí làm căn cước bao nhiêu"]


def test_events_before_a_moment() -> None:
    kept = tracker.events_before(CONVERSATION, until=2.05)
    assert [e.get("text") for e in kept if e["event"] in ("user", "bot")] == [
        "khai sinh cần giấy tờ gì",
        "Anh/chị muốn hỏi thủ tục nào dưới đây ạ?",
        CHOICES[0]["payload"],
    ]
    assert tracker.events_before(CONVERSATION, until=None) == CONVERSATION
    assert tracker.events_before([{"event": "pause"}], until=1.0) == [{"event": "pause"}]  # no timestamp: kept


# --- what Rasa understood ----------------------------------------------------------------------


def test_what_rasa_understood_of_a_message() -> None:
    the_tracker = {"slots": {"procedure_code": "1.001193"}, "events": CONVERSATION}
    understood = tracker.understanding(the_tracker, " tra cứu hồ sơ ")
    assert understood == tracker.Understanding(intent="check_dossier", confidence=0.9, procedure_code="1.001193")
    assert tracker.understanding(the_tracker, "một câu chưa gửi") is None


def test_the_latest_of_two_identical_messages_is_the_one_understood() -> None:
    events = [user("xin chào", "greet", 0.99, at=1.0), user("xin chào", "nlu_fallback", 0.2, at=2.0)]
    assert tracker.understanding({"events": events}, "xin chào") == ("nlu_fallback", 0.2, None)


def test_a_message_the_fallback_reverted_is_found_among_the_events() -> None:
    # action_default_fallback reverts the user's utterance: latest_message is the one before.
    reverted = {
        "latest_message": {"text": "lệ phí khai sinh", "intent": {"name": "ask_fee", "confidence": 0.97}},
        "events": [
            user("lệ phí khai sinh", "ask_fee", 0.97, at=1.0),
            user("xyz", "nlu_fallback", 0.3, at=2.0),
            {"event": "rewind", "timestamp": 2.1},
        ],
        "slots": {"procedure_code": None},
    }
    assert tracker.understanding(reverted, "xyz") == ("nlu_fallback", 0.3, None)


def test_without_events_latest_message_answers_for_the_same_text_only() -> None:
    the_tracker = {
        "latest_message": {"text": "lệ phí khai sinh", "intent": {"name": "ask_fee", "confidence": 1}},
        "slots": {"procedure_code": 1193},  # not a code: ignored
    }
    assert tracker.understanding(the_tracker, "lệ phí khai sinh") == ("ask_fee", 1.0, None)
    assert tracker.understanding(the_tracker, "lệ phí") is None
    assert tracker.understanding({"latest_message": {"text": "a", "intent": "ask_fee"}}, "a") == (None, None, None)


# --- buttons offered ---------------------------------------------------------------------------


def test_buttons_offered_since_the_citizens_last_message() -> None:
    offered = CONVERSATION[:6]  # the choice of procedures, not yet answered
    assert tracker.offered_payloads(offered) == {c["payload"] for c in CHOICES}
    assert tracker.offered_payloads(CONVERSATION[:8]) == frozenset()  # the citizen has answered since


def test_payloads_are_stripped_and_empty_or_malformed_buttons_ignored() -> None:
    events: list[Any] = [
        user("khai sinh"),
        bot("Chọn một:", buttons=[{"title": "A", "payload": " /a "}, {"title": "B", "payload": "  "}, {"title": "C"}]),
        bot("Hoặc:", buttons=[{"title": "D", "payload": "/d"}]),
        bot("Không có nút"),
        "not an event",
        {"event": "bot", "data": {"buttons": "nope"}},
    ]
    assert tracker.offered_payloads(events) == {"/a", "/d"}
    assert tracker.offered_payloads([]) == frozenset()
