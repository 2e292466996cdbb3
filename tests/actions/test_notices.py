"""Notices before answers (actions/notices.py, used by actions/procedures.py and actions/places.py),
and the widget's own unit (metadata ``unit_code``) where the citizen named no commune."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import conversation_unit, unit_from_metadata
from actions.places import ActionFindOffice
from actions.procedures import ActionProcedureAnswer
from core.audit.actor import Actor
from core.db import session_scope, utcnow
from knowledge.centres import service as centres
from knowledge.centres.answers import centres_text
from knowledge.notices import service as notices
from knowledge.procedures import answers
from knowledge.procedures import service as procedures
from knowledge.units import service as units
from tests.actions.conftest import message, tracker

RESIDENCE = "1.004194"  # Đăng ký tạm trú (no checklist questions: no offer in these answers)
MARRIAGE = "1.000894"
BEN_THANH = "26743"
OTHER_UNIT = "26740"
PORTAL = "https://dichvucong.gov.vn"
EDITOR = Actor("bientap", "editor")


@pytest.fixture(scope="module", autouse=True)
def published_notices(actions_database: Any) -> dict[str, notices.NoticeView]:
    """Three notices: Bến Thành's closure, a fee change of one procedure everywhere, and one for
    another ward."""
    ends = utcnow() + dt.timedelta(days=3)
    with session_scope() as session:
        made = {
            "closure": notices.create_notice(
                session,
                title="Trung tâm phường Bến Thành nghỉ chiều thứ Sáu",
                body="Trung tâm tạm nghỉ để bảo trì hệ thống (dữ liệu minh họa).",
                ends_at=ends,
                actor=EDITOR,
                severity="warning",
                unit_codes=[BEN_THANH],
            ),
            "fee": notices.create_notice(
                session,
                title="Thay đổi lệ phí đăng ký tạm trú",
                body="Mức thu mới áp dụng từ tuần sau (dữ liệu minh họa).",
                ends_at=ends,
                actor=EDITOR,
                procedure_codes=[RESIDENCE],
            ),
            "other": notices.create_notice(
                session,
                title="Thông báo của phường khác",
                body="Không liên quan đến phường Bến Thành (dữ liệu minh họa).",
                ends_at=ends,
                actor=EDITOR,
                unit_codes=[OTHER_UNIT],
            ),
        }
        return {key: notices.view_of(n) for key, n in made.items()}


def _text(view: notices.NoticeView) -> str:
    return notices.notice_text(view)


def _card(code: str) -> tuple[str, dict[str, Any]]:
    with session_scope() as session:
        procedure = procedures.get_by_code(session, code)
        assert procedure is not None
        return answers.fee_answer(procedure), answers.card_payload(procedure)


def test_the_widget_unit_is_read_from_the_metadata() -> None:
    assert unit_from_metadata(tracker("x", metadata={"channel": "web", "unit_code": BEN_THANH})) == BEN_THANH
    assert unit_from_metadata(tracker("x", metadata={"unit_code": "<script>"})) is None
    assert unit_from_metadata(tracker("x", metadata={"unit_code": 26743})) is None
    assert unit_from_metadata(tracker("x")) is None
    named = tracker("x", slots={"unit_code": OTHER_UNIT}, metadata={"unit_code": BEN_THANH})
    assert conversation_unit(named) == OTHER_UNIT  # the commune the citizen named wins


def test_notices_come_first_once_for_the_widgets_unit_and_the_procedure(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], published_notices: dict[str, notices.NoticeView]
) -> None:
    closure, fee = published_notices["closure"], published_notices["fee"]
    state = tracker(
        "lệ phí đăng ký tạm trú",
        intent="ask_fee",
        slots={"procedure_code": RESIDENCE, "rating_offered": True},
        metadata={"channel": "web", "unit_code": BEN_THANH},
    )
    events = ActionProcedureAnswer().run(dispatcher, state, domain)
    assert events == [
        SlotSet("procedure_code", RESIDENCE),
        SlotSet("fallback_count", 0),
        SlotSet("notices_shown", [closure.id, fee.id]),  # warnings first
    ]
    text, card = _card(RESIDENCE)
    assert dispatcher.messages == [message(_text(closure)), message(_text(fee)), message(text, custom=card)]
    # Said once: the next answer in this conversation carries none of them again.
    again = CollectingDispatcher()
    state = tracker(
        "lệ phí đăng ký tạm trú",
        intent="ask_fee",
        slots={"procedure_code": RESIDENCE, "rating_offered": True, "notices_shown": [closure.id, fee.id]},
        metadata={"channel": "web", "unit_code": BEN_THANH},
    )
    assert ActionProcedureAnswer().run(again, state, domain) == [
        SlotSet("procedure_code", RESIDENCE),
        SlotSet("fallback_count", 0),
    ]
    assert again.messages == [message(text, custom=card)]


def test_another_units_widget_and_another_procedure_see_none_of_them(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], published_notices: dict[str, notices.NoticeView]
) -> None:
    state = tracker(
        "lệ phí đăng ký kết hôn",
        intent="ask_fee",
        slots={"procedure_code": MARRIAGE, "rating_offered": True},
        metadata={"channel": "web", "unit_code": "00004"},
    )
    events = ActionProcedureAnswer().run(dispatcher, state, domain)
    assert events == [SlotSet("procedure_code", MARRIAGE), SlotSet("fallback_count", 0)]
    assert [m["text"] for m in dispatcher.messages if m["text"].startswith("Thông báo:")] == []


def test_where_to_go_uses_the_widgets_unit_and_says_its_notice_first(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], published_notices: dict[str, notices.NoticeView]
) -> None:
    closure = published_notices["closure"]
    state = tracker("nộp hồ sơ ở đâu", intent="find_office", metadata={"channel": "web", "unit_code": BEN_THANH})
    events = ActionFindOffice().run(dispatcher, state, domain)
    assert events == [SlotSet("unit_code", BEN_THANH), SlotSet("notices_shown", [closure.id])]
    with session_scope() as session:
        unit = units.get_current(session, BEN_THANH)
        assert unit is not None
        centre = centres_text(centres.for_unit(session, BEN_THANH), unit.name, PORTAL)
    assert dispatcher.messages == [message(_text(closure)), message(centre)]


def test_a_question_naming_no_commune_is_about_the_widgets_unit_not_a_lookalike(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], published_notices: dict[str, notices.NoticeView]
) -> None:
    """ "trung tâm hành chính công ở đâu" names no commune (no unit entity): the words "trung tâm"
    must not resolve to Phường Trung Tâm when the widget's unit is known."""
    state = tracker(
        "trung tâm hành chính công ở đâu",
        intent="find_office",
        slots={"notices_shown": [published_notices["closure"].id]},
        metadata={"channel": "web", "unit_code": BEN_THANH},
    )
    assert ActionFindOffice().run(dispatcher, state, domain) == [SlotSet("unit_code", BEN_THANH)]
    with session_scope() as session:
        centre = centres_text(centres.for_unit(session, BEN_THANH), "Phường Bến Thành", PORTAL)
    assert dispatcher.messages == [message(centre)]
