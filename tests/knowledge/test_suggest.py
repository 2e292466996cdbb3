"""Suggestions for hotline officers: the aspect asked, the ranking and answers from stored facts."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from bot.vntext import fold
from core.audit.actor import Actor
from knowledge.procedures import service
from knowledge.procedures.schemas import ProcedureRecord
from knowledge.procedures.search import ProcedureSearch
from knowledge.procedures.suggest import detect_aspect, suggest
from knowledge.seed.loader import seed_procedures

BIRTH = "1.001193"
TEMPORARY_RESIDENCE = "1.004194"
CERTIFIED_COPY = "2.000815"
MARRIAGE = "1.000894"


@pytest.fixture
def seeded(session: Session) -> Session:
    seed_procedures(session)
    session.commit()
    return session


def _fresh() -> ProcedureSearch:
    # Its own index, checked at every call: a test's edits are seen at once.
    return ProcedureSearch(check_interval=0)


@pytest.mark.parametrize(
    ("question", "aspect"),
    [
        ("đăng ký khai sinh cần giấy tờ gì", "documents"),
        ("làm hộ chiếu cần mang theo những gì", "documents"),
        ("lệ phí đăng ký kết hôn là bao nhiêu", "fee"),
        ("sao y giấy tờ tốn bao nhiêu tiền", "fee"),
        ("đăng ký tạm trú mất bao lâu", "time"),
        ("lý lịch tư pháp mấy ngày thì có", "time"),
        ("chứng thực bản sao nộp ở đâu", "where"),
        ("khai tử làm ở cơ quan nào", "where"),
        ("đăng ký kết hôn nộp online được không", "online"),
        ("có nộp trực tuyến trên dịch vụ công được không", "online"),
        ("các bước đăng ký thường trú", "steps"),
        ("quy trình cấp sổ đỏ gồm mấy bước", "steps"),
        ("đăng ký khai sinh", "general"),
        ("muốn đăng ký khai sinh thì làm thế nào", "general"),
    ],
)
def test_aspect_with_and_without_diacritics(question: str, aspect: str) -> None:
    assert detect_aspect(question) == aspect
    assert detect_aspect(fold(question)) == aspect


def test_aspect_understands_abbreviations_and_teencode() -> None:
    assert detect_aspect("dk khai sinh can gi") == "documents"
    assert detect_aspect("le phi bn tien") == "fee"
    assert detect_aspect("ket hon nop onl dc ko") == "online"


def test_words_of_the_procedure_name_are_not_the_question() -> None:
    name = "Nộp tiền trồng rừng thay thế"
    assert detect_aspect("nộp tiền trồng rừng thay thế") == "fee"  # without the name: read as a fee question
    assert detect_aspect("nộp tiền trồng rừng thay thế", name) == "general"
    assert detect_aspect("nộp tiền trồng rừng thay thế cần giấy tờ gì", name) == "documents"


@pytest.mark.parametrize(
    ("question", "code"),
    [
        ("đăng ký khai sinh cần giấy tờ gì", BIRTH),
        ("dang ky khai sinh can giay to gi", BIRTH),
        ("tam tru mat bao lau", TEMPORARY_RESIDENCE),
        ("chứng thực bản sao từ bản chính ở đâu", CERTIFIED_COPY),
        ("ket hon nop online duoc khong", MARRIAGE),
    ],
)
def test_ranking_on_the_seed(seeded: Session, question: str, code: str) -> None:
    result = suggest(seeded, question, search=_fresh())
    assert result.suggestions, question
    assert result.suggestions[0].code == code
    scores = [s.score for s in result.suggestions]
    assert scores == sorted(scores, reverse=True)
    assert len(result.suggestions) <= 5


def test_each_suggestion_answers_the_aspect_from_the_store(seeded: Session) -> None:
    result = suggest(seeded, "đăng ký khai sinh cần giấy tờ gì", limit=3, search=_fresh())
    assert result.aspect == "documents"
    top = result.suggestions[0]
    birth = service.get_by_code(seeded, BIRTH)
    assert birth is not None
    assert top.name == birth.name and top.source_url == birth.source_url
    assert top.answer.startswith("Hồ sơ đăng ký khai sinh")
    assert birth.source_url and birth.source_url in top.answer
    for document in birth.documents:
        if document.required:
            assert document.name in top.answer
    assert top.facts.documents == [d.name for d in birth.documents]
    assert top.facts.fee == (
        "Nộp trực tiếp: Miễn phí (lưu ý: Phí cấp bản sao Giấy khai sinh nộp riêng nếu có yêu cầu cấp bản sao.); "
        "Nộp trực tuyến: Miễn phí; Qua bưu chính: Miễn phí"
    )
    assert top.facts.online and top.facts.online.startswith("Nộp trực tuyến được")
    assert top.level == "cấp xã" and top.levels == ["xa"]
    assert result.took_ms >= 0


def test_fee_question_reads_the_stored_fee(seeded: Session) -> None:
    top = suggest(seeded, "lệ phí đăng ký thường trú bao nhiêu", search=_fresh()).suggestions[0]
    assert top.code == "1.004222"
    assert "20.000 đồng" in top.answer and "10.000 đồng" in top.answer
    assert top.facts.fee is not None
    assert top.facts.fee.startswith("Nộp trực tiếp: 20.000 đồng (lưu ý: Người thuộc diện miễn lệ phí")
    assert "Nộp trực tuyến: 10.000 đồng/lần (lưu ý: Mức 10.000 đồng/lần đăng ký" in top.facts.fee


def _without_facts() -> ProcedureRecord:
    return ProcedureRecord.model_validate(
        {
            "code": "9.999901",
            "name": "Cấp giấy phép nuôi chim yến thử nghiệm",
            "levels": ["xa"],
            "channels": [{"kind": "in_person", "processing_time": None, "fee": None}],
            "documents": [],
            "source_url": "https://example.invalid/chim-yen",
        }
    )


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("giấy phép nuôi chim yến lệ phí bao nhiêu", "phí, lệ phí"),
        ("giay phep nuoi chim yen mat bao lau", "thời hạn giải quyết"),
        ("giấy phép nuôi chim yến cần giấy tờ gì", "thành phần hồ sơ"),
        ("giấy phép nuôi chim yến các bước thế nào", "trình tự thực hiện"),
    ],
)
def test_a_missing_fact_is_said_missing_with_the_source(session: Session, question: str, missing: str) -> None:
    service.upsert(session, _without_facts(), actor=Actor("test"))
    session.commit()
    result = suggest(session, question, search=_fresh())
    top = result.suggestions[0]
    assert top.code == "9.999901"
    assert f"chưa có thông tin chính thức về {missing}" in top.answer
    assert "https://example.invalid/chim-yen" in top.answer
    assert top.facts.fee is None and top.facts.processing_time is None and top.facts.documents == []
    assert top.facts.online == "Chưa nộp trực tuyến được"
    assert not any(ch.isdigit() for ch in top.answer.replace("9.999901", ""))  # no number was made up


def test_blank_question_and_no_match(seeded: Session) -> None:
    assert suggest(seeded, "   ", search=_fresh()).suggestions == []
    result = suggest(seeded, "xyzzy qwerty", search=_fresh())
    assert result.suggestions == [] and result.aspect == "general"


def test_unpublished_procedures_are_not_suggested(seeded: Session) -> None:
    search = _fresh()
    assert suggest(seeded, "đăng ký khai sinh", search=search).suggestions[0].code == BIRTH
    service.set_published(seeded, BIRTH, False, actor=Actor("test"))
    seeded.commit()
    assert BIRTH not in [s.code for s in suggest(seeded, "đăng ký khai sinh", search=search).suggestions]
