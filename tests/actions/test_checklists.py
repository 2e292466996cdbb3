"""actions/checklists.py: the personal checklist, from the request to the saved list with its link."""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.checklists import (
    CANCELLED,
    CANCELLED_TEXT,
    CHOOSE_PROCEDURE,
    DONE,
    INTRO,
    NAME_THE_PROCEDURE,
    NOT_UNDERSTOOD,
    ActionAskChecklistReply,
    ActionChecklistResult,
    ActionChecklistStart,
    ValidateChecklistForm,
)
from core.db import session_scope
from core.settings import get_settings
from knowledge.checklists import service as checklists
from knowledge.checklists.models import SavedChecklist
from knowledge.procedures import service as procedures
from tests.actions.conftest import button, entity, message, tracker

BIRTH = "1.001193"  # Đăng ký khai sinh: seeded checklist questions
RESIDENCE = "1.004222"  # Đăng ký thường trú
LOST_TITLE = "1.012786"  # Cấp lại Giấy chứng nhận (sổ đỏ) do bị mất
BEN_THANH = "26743"


def _asking(text: str, answers: dict[str, str], code: str = BIRTH, **kwargs: Any) -> Any:
    return tracker(
        text,
        active_loop="checklist_form",
        slots={
            "procedure_code": code,
            "checklist_answers": json.dumps(answers),
            "checklist_reply": text,
            "requested_slot": "checklist_reply",
        },
        **kwargs,
    )


def _question(code: str, answers: dict[str, str]) -> checklists.Question:
    with session_scope() as session:
        procedure = procedures.get_by_code(session, code)
        assert procedure is not None
        question = checklists.next_question(procedure, answers)
    assert question is not None
    return question


def _expected_list(code: str, answers: dict[str, str], token: str, unit_code: str | None = None) -> str:
    with session_scope() as session:
        procedure = procedures.get_by_code(session, code)
        assert procedure is not None
        checklist = checklists.build_checklist(session, procedure, answers, unit_code=unit_code)
    return checklists.chat_text(checklist, checklists.checklist_url(get_settings(), token))


def _saved(token_from: str) -> SavedChecklist:
    token = token_from.rsplit("/checklists/", 1)[1].split()[0]
    with session_scope() as session:
        saved = session.scalars(select(SavedChecklist).where(SavedChecklist.token == token)).one()
        session.expunge(saved)
    return saved


# --- starting ------------------------------------------------------------------------------------


def test_a_pressed_button_starts_the_questions_for_its_procedure(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    payload = f'/ask_checklist{{"procedure_code": "{BIRTH}"}}'
    state = tracker(payload, intent="ask_checklist", entities=[{"entity": "procedure_code", "value": BIRTH}])
    events = ActionChecklistStart().run(dispatcher, state, domain)
    assert events == [
        SlotSet("procedure_code", BIRTH),
        SlotSet("checklist_answers", "{}"),
        SlotSet("checklist_reply", None),
        SlotSet("checklist_asking", True),
    ]
    assert dispatcher.messages == [message(INTRO.format(name="Đăng ký khai sinh"))]


def test_a_typed_request_for_the_procedure_in_context_starts_its_questions(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    state = tracker("lập danh sách giấy tờ của tôi", intent="ask_checklist", slots={"procedure_code": RESIDENCE})
    events = ActionChecklistStart().run(dispatcher, state, domain)
    assert SlotSet("procedure_code", RESIDENCE) in events and events[-1] == SlotSet("checklist_asking", True)
    assert dispatcher.messages[0]["text"].startswith("Em sẽ hỏi vài câu để lập danh sách giấy tờ")


def test_no_procedure_named_asks_for_it_and_starts_no_form(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    events = ActionChecklistStart().run(dispatcher, tracker("xyzzy qwerty", intent="ask_checklist"), domain)
    assert events == [SlotSet("checklist_asking", False)]
    assert dispatcher.messages == [message(NAME_THE_PROCEDURE)]


def test_an_ambiguous_name_offers_checklist_buttons(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    text = "lập danh sách giấy tờ khai sinh"
    state = tracker(text, intent="ask_checklist", entities=[entity(text, "khai sinh", "procedure")])
    events = ActionChecklistStart().run(dispatcher, state, domain)
    assert events == [SlotSet("checklist_asking", False)]
    [choices] = dispatcher.messages
    assert choices["text"] == CHOOSE_PROCEDURE and len(choices["buttons"]) >= 2
    assert all(b["payload"].startswith('/ask_checklist{"procedure_code": "') for b in choices["buttons"])


def test_a_procedure_with_nothing_to_ask_gets_its_list_at_once(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    with session_scope() as session:
        code = next(
            p.code
            for p in procedures.list_published(session)
            if checklists.next_question(p, {}) is None and p.documents
        )
    state = tracker("", intent="ask_checklist", entities=[{"entity": "procedure_code", "value": code}])
    events = ActionChecklistStart().run(dispatcher, state, domain)
    assert events[-1] == SlotSet("checklist_asking", False)
    [sent] = dispatcher.messages
    saved = _saved(sent["text"])
    assert saved.procedure_code == code and saved.answers == {}
    assert sent == message(_expected_list(code, {}, saved.token))


# --- asking ------------------------------------------------------------------------------------------


def test_the_question_comes_with_its_options_and_skip_as_buttons(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    assert ActionAskChecklistReply().run(dispatcher, _asking("", {}), domain) == []
    assert dispatcher.messages == [
        message(
            "Trẻ có phải là trẻ bị bỏ rơi không?",
            buttons=[button("Có", "Có"), button("Không", "Không"), button("Bỏ qua", "Bỏ qua")],
        )
    ]


def test_an_answer_is_kept_and_the_next_question_follows(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    result = ValidateChecklistForm().validate_checklist_reply("Không", dispatcher, _asking("Không", {}), domain)
    assert result == {"checklist_answers": json.dumps({"bo_roi": "khong"}), "checklist_reply": None}
    assert dispatcher.messages == []
    # ask_when: the surrogacy question only after "not abandoned"
    assert _question(BIRTH, {"bo_roi": "khong"}).key == "mang_thai_ho"


def test_a_typed_answer_without_diacritics_and_a_skip_are_understood(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    validate = ValidateChecklistForm().validate_checklist_reply
    assert validate("khong a", dispatcher, _asking("khong a", {}), domain)["checklist_answers"] == json.dumps(
        {"bo_roi": "khong"}
    )
    assert validate("bỏ qua", dispatcher, _asking("bỏ qua", {}), domain)["checklist_answers"] == json.dumps(
        {"bo_roi": checklists.SKIP}
    )


def test_a_reply_not_understood_asks_again(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    result = ValidateChecklistForm().validate_checklist_reply(
        "trời mưa quá", dispatcher, _asking("trời mưa quá", {}), domain
    )
    assert result == {"checklist_reply": None}
    assert dispatcher.messages == [message(NOT_UNDERSTOOD)]


def test_huy_stops_the_questions(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    for text in ("hủy", "Thôi", "dung lai"):
        result = ValidateChecklistForm().validate_checklist_reply(text, dispatcher, _asking(text, {}), domain)
        assert result == {"checklist_reply": CANCELLED}


def test_the_last_answer_ends_the_form(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    answers = {"bo_roi": "co"}
    # Abandoned child: the surrogacy question is not asked; the remaining ones, then done.
    while (question := _question(BIRTH, answers)) is not None:
        label = question.options[0].label
        result = ValidateChecklistForm().validate_checklist_reply(label, dispatcher, _asking(label, answers), domain)
        answers = json.loads(result["checklist_answers"])
        with session_scope() as session:
            procedure = procedures.get_by_code(session, BIRTH)
            assert procedure is not None
            done = checklists.next_question(procedure, answers) is None
        assert result["checklist_reply"] == (DONE if done else None)
        if done:
            break
    assert "mang_thai_ho" not in answers


# --- the result --------------------------------------------------------------------------------------


def test_the_result_saves_the_list_and_sends_it_with_its_link(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    answers = {"bo_roi": "khong", "mang_thai_ho": "co", "nguoi_di": "uy_quyen"}
    state = tracker(
        "Cha hoặc mẹ của trẻ",
        slots={"procedure_code": BIRTH, "checklist_answers": json.dumps(answers), "checklist_reply": DONE},
        metadata={"channel": "web", "unit_code": BEN_THANH},
    )
    events = ActionChecklistResult().run(dispatcher, state, domain)
    assert events == [SlotSet("checklist_reply", None), SlotSet("checklist_answers", None)]
    [sent] = dispatcher.messages
    saved = _saved(sent["text"])
    assert (saved.procedure_code, saved.answers, saved.unit_code) == (BIRTH, answers, BEN_THANH)
    assert sent == message(_expected_list(BIRTH, answers, saved.token, BEN_THANH))
    assert f"{get_settings().public_base_url}/checklists/{saved.token}" in sent["text"]


def test_the_list_differs_by_the_answers(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> None:
    texts = []
    for answers in ({"cho_o": "nha_minh"}, {"cho_o": "thue_muon"}):
        collected = CollectingDispatcher()
        state = tracker(
            "",
            slots={"procedure_code": RESIDENCE, "checklist_answers": json.dumps(answers), "checklist_reply": DONE},
        )
        ActionChecklistResult().run(collected, state, domain)
        texts.append(collected.messages[0]["text"].split("Xem, in hoặc tải PDF")[0])
    assert texts[0] != texts[1]


def test_a_stopped_checklist_says_so_and_saves_nothing(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    with session_scope() as session:
        before = len(session.scalars(select(SavedChecklist)).all())
    state = tracker("hủy", slots={"procedure_code": LOST_TITLE, "checklist_reply": CANCELLED})
    events = ActionChecklistResult().run(dispatcher, state, domain)
    assert events == [SlotSet("checklist_reply", None), SlotSet("checklist_answers", None)]
    assert dispatcher.messages == [message(CANCELLED_TEXT)]
    with session_scope() as session:
        assert len(session.scalars(select(SavedChecklist)).all()) == before
