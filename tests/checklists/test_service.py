"""Personal checklists on the seeded catalogue (SQLite and PostgreSQL): the questions asked one at
a time, lists that differ by the answers, skipped questions under "Có thể cần" with the source's
condition text, the channel's fee and deadline as the fact kinds allow, where to go, saved lists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from core.audit.actor import Actor
from core.settings import Settings
from knowledge.centres import service as centres
from knowledge.checklists import editing
from knowledge.checklists import service as checklists
from knowledge.checklists.service import SKIP, Option, Question
from knowledge.procedures import service as procedures
from knowledge.procedures.models import Procedure
from knowledge.seed.loader import SEED_DIR, SeedError, read_procedure_file, seed_procedures
from knowledge.units.loader import folded_name
from knowledge.units.models import AdministrativeUnit

EDITOR = Actor("bientap", "editor")
BIRTH = "1.001193"
RESIDENCE = "1.004222"
LAND = "1.013831"
LOST_TITLE = "1.012786"


@pytest.fixture
def seeded(session: Session) -> Session:
    seed_procedures(session)
    session.add(
        AdministrativeUnit(
            code="26743",
            name="Phường Bến Thành",
            type="phuong",
            level="commune",
            status="current",
            province_code="79",
            province_name="Thành phố Hồ Chí Minh",
            name_folded=folded_name("Phường Bến Thành", "phuong"),
        )
    )
    session.commit()
    centres.seed_demo_centres(session, SEED_DIR / "centres.yaml")
    session.commit()
    return session


def _procedure(session: Session, code: str) -> Procedure:
    procedure = procedures.get_by_code(session, code)
    assert procedure is not None
    return procedure


def _names(items: tuple[checklists.ChecklistItem, ...]) -> list[str]:
    return [item.name for item in items]


def _ask_all(procedure: Procedure, choose: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """Answers the questions in the order asked; returns the keys asked and the answers."""
    answers: dict[str, str] = {}
    asked: list[str] = []
    while (question := checklists.next_question(procedure, answers)) is not None:
        asked.append(question.key)
        answers[question.key] = choose.get(question.key, SKIP)
        assert len(asked) < 20
    return asked, answers


def test_three_procedures_have_questions_and_others_do_not(seeded: Session) -> None:
    for code in (BIRTH, RESIDENCE, LAND, LOST_TITLE):
        assert checklists.has_questions(_procedure(seeded, code)), code
    assert not checklists.has_questions(_procedure(seeded, "2.000815"))  # chứng thực bản sao: no questions


def test_birth_registration_lists_differ_by_the_answers(seeded: Session) -> None:
    birth = _procedure(seeded, BIRTH)
    asked, answers = _ask_all(
        birth, {"bo_roi": "khong", "mang_thai_ho": "khong", "nguoi_di": "cha_me", "_channel": "online"}
    )
    assert asked == ["bo_roi", "mang_thai_ho", "nguoi_di", "_channel"]
    plain = checklists.build_checklist(seeded, birth, answers)
    assert _names(plain.items) == [
        "Tờ khai đăng ký khai sinh",
        "Giấy chứng sinh",
    ]  # online: no identity paper to present
    assert plain.channel_kind == "online" and plain.online_url

    # An abandoned child: the surrogacy question is not asked, the record of abandonment applies.
    asked, answers = _ask_all(birth, {"bo_roi": "co", "nguoi_di": "uy_quyen", "_channel": "in_person"})
    assert "mang_thai_ho" not in asked
    case = checklists.build_checklist(seeded, birth, answers)
    names = _names(case.items)
    assert "Biên bản về việc trẻ bị bỏ rơi do cơ quan có thẩm quyền lập" in names
    assert "Văn bản ủy quyền (có chứng thực)" in names
    assert any(n.startswith("Giấy tờ tùy thân") for n in names)
    assert not any("mang thai hộ" in n for n in names + _names(case.maybe_items))
    assert names != _names(plain.items)
    kinds = {item.name: item.amount for item in case.items}
    assert kinds["Tờ khai đăng ký khai sinh"] == "1 bản chính"
    assert next(i for i in case.items if i.name == "Tờ khai đăng ký khai sinh").form == "Mẫu tờ khai đăng ký khai sinh"
    # The birth registration is free on every channel: said as free.
    assert case.channel is not None and case.channel.fee.startswith("Miễn phí")
    assert case.channel.deadline.startswith("Trong ngày làm việc")


def test_skipped_questions_put_their_documents_under_maybe_with_the_source_condition(seeded: Session) -> None:
    birth = _procedure(seeded, BIRTH)
    checklist = checklists.build_checklist(seeded, birth, {"bo_roi": SKIP, "nguoi_di": SKIP, "_channel": SKIP})
    maybe = {item.name: item.note for item in checklist.maybe_items}
    assert maybe["Biên bản về việc trẻ bị bỏ rơi do cơ quan có thẩm quyền lập"] == "Trường hợp trẻ em bị bỏ rơi"
    # Asked only after "not abandoned": unknown when that question was skipped, so it may be needed.
    assert maybe["Văn bản xác nhận của cơ sở y tế đã thực hiện kỹ thuật hỗ trợ sinh sản cho việc mang thai hộ"] == (
        "Trường hợp trẻ sinh ra do mang thai hộ"
    )
    assert (maybe["Văn bản ủy quyền (có chứng thực)"] or "").startswith("Trường hợp ủy quyền")
    # Not mapped to any question: "có thể cần" with its condition, whatever the answers.
    assert "Giấy tờ chứng minh nơi cư trú" in maybe
    assert any(name.startswith("Giấy tờ tùy thân") for name in maybe)  # depends on the skipped channel
    # No channel chosen: every channel's fee and deadline, each labelled.
    assert checklist.channel is None and len(checklist.channels) == 3
    assert ("Trẻ có phải là trẻ bị bỏ rơi không?", checklists.SKIPPED_ANSWER) in checklist.answers_summary


def test_permanent_residence_by_kind_of_home(seeded: Session) -> None:
    residence = _procedure(seeded, RESIDENCE)
    asked, answers = _ask_all(residence, {"cho_o": "thue_muon", "_channel": "in_person"})
    assert asked == ["cho_o", "_channel"]  # the clergy question only for a religious establishment
    rented = checklists.build_checklist(seeded, residence, answers)
    assert _names(rented.items) == [
        "Tờ khai thay đổi thông tin cư trú",
        "Hợp đồng, văn bản cho thuê, cho mượn, cho ở nhờ được công chứng hoặc chứng thực",
        "Giấy tờ chứng minh đủ diện tích nhà ở bình quân hoặc xác nhận của Ủy ban nhân dân cấp xã về điều kiện diện tích",
    ]
    assert rented.maybe_items == ()
    assert rented.channel is not None and rented.channel.fee.startswith("20.000 đồng — ")
    assert "miễn lệ phí" in rented.channel.fee  # the note that changes what the fee means goes with it
    assert rented.channel.deadline == "7 ngày làm việc"

    asked, answers = _ask_all(residence, {"cho_o": "ton_giao", "nha_tu_hanh": "co", "_channel": "online"})
    assert asked == ["cho_o", "nha_tu_hanh", "_channel"]
    religious = checklists.build_checklist(seeded, residence, answers)
    assert len(religious.items) == 3 and "Giấy tờ chứng minh là nhà tu hành" in religious.items[2].name
    assert religious.channel is not None and "10.000 đồng" in religious.channel.fee


def test_land_transfer_fee_is_never_said_free(seeded: Session) -> None:
    land = _procedure(seeded, LAND)
    mortgaged = {"hinh_thuc": "chuyen_nhuong", "the_chap": "co", "nhieu_nguoi_nhan": "khong", "chung_chu": "co"}
    asked, answers = _ask_all(
        land, {**mortgaged, "tach_thua": "khong", "do_lai": "khong", "nguoi_lam": "tu_lam", "_channel": "in_person"}
    )
    assert asked[0] == "hinh_thuc" and asked[-1] == "_channel"
    checklist = checklists.build_checklist(seeded, land, answers)
    assert "Văn bản đồng ý của bên nhận thế chấp" in _names(checklist.items)
    assert "Bản vẽ tách thửa đất, hợp thửa đất" not in _names(checklist.items + checklist.maybe_items)
    # Not mapped (leasing in an infrastructure project): may be needed, with the source's condition.
    assert [i.note for i in checklist.maybe_items] == [
        "Cho thuê, cho thuê lại đất trong dự án xây dựng kinh doanh kết cấu hạ tầng"
    ]
    assert checklist.channel is not None
    fee = checklist.channel.fee
    assert "Luật Phí và lệ phí" in fee and not fee.startswith("Miễn phí")
    text = checklists.chat_text(checklist, "http://example.test/checklists/abc")
    assert "Phí, lệ phí: mức thu theo Luật Phí và lệ phí" in text and "Miễn phí" not in text

    # An inheritance is not asked about a mortgage (the source names transfers and gifts).
    asked, _ = _ask_all(land, {"hinh_thuc": "thua_ke"})
    assert "the_chap" not in asked and "nhieu_nguoi_nhan" in asked


def test_where_to_go_uses_the_commune_centre(seeded: Session) -> None:
    birth = _procedure(seeded, BIRTH)
    with_unit = checklists.build_checklist(seeded, birth, {}, unit_code="26743")
    assert "Bến Thành" in with_unit.where and "Địa chỉ" in with_unit.where
    assert with_unit.unit_name == "Phường Bến Thành"
    without = checklists.build_checklist(seeded, birth, {})
    assert without.where.startswith("Trung tâm Phục vụ hành chính công.")
    assert checklists.ASK_COMMUNE in without.where
    # A provincial land procedure is not received by a commune centre that takes commune files only.
    land = checklists.build_checklist(seeded, _procedure(seeded, LAND), {}, unit_code="26743")
    assert land.where.startswith("Trung tâm Phục vụ hành chính công, Văn phòng đăng ký đất đai")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Có", "co"),
        ("có ạ", "co"),
        ("CO", "co"),
        ("không", "khong"),
        ("ko", "khong"),
        ("1", "co"),
        ("2", "khong"),
        ("Bỏ qua", SKIP),
        ("không biết", SKIP),
        ("Không rõ ạ", SKIP),
        ("không có", None),
        ("3", None),
        ("hôm nay trời đẹp", None),
        ("", None),
    ],
)
def test_read_answer_yes_no(text: str, expected: str | None) -> None:
    question = Question("bo_roi", "Trẻ có phải là trẻ bị bỏ rơi không?", (Option("co", "Có"), Option("khong", "Không")))
    assert checklists.read_answer(question, text) == expected


def test_read_answer_labels_and_channels(seeded: Session) -> None:
    residence = _procedure(seeded, RESIDENCE)
    where = checklists.next_question(residence, {})
    assert where is not None and where.key == "cho_o"
    assert checklists.read_answer(where, "Nhà thuê, mượn hoặc ở nhờ") == "thue_muon"  # a button's label
    assert checklists.read_answer(where, "nha thue muon hoac o nho") == "thue_muon"
    assert checklists.read_answer(where, "thue_muon") == "thue_muon"
    assert checklists.read_answer(where, "3") == "thue_muon"
    channel = checklists.next_question(residence, {"cho_o": "nha_minh"})
    assert channel is not None and channel.key == checklists.CHANNEL_QUESTION
    assert channel.text == "Anh/chị sẽ nộp hồ sơ theo cách nào?"
    assert checklists.read_answer(channel, "Nộp trực tuyến") == "online"
    assert checklists.read_answer(channel, "nộp online") == "online"
    assert checklists.read_answer(channel, "em đến nộp trực tiếp") == "in_person"
    assert checklists.next_question(residence, {"cho_o": "nha_minh", "_channel": "online"}) is None


def test_saved_checklist_round_trip_expiry_and_invalid_answers(seeded: Session) -> None:
    birth = _procedure(seeded, BIRTH)
    settings = Settings(public_url="https://tthc.example.vn/", checklist_retention_days=30)
    now = dt.datetime(2026, 12, 1, 8, 0)
    saved = checklists.save_checklist(
        seeded, birth, {"bo_roi": "co", "_channel": "post"}, unit_code="26743", settings=settings, now=now
    )
    seeded.commit()
    assert saved.channel_kind == "post" and saved.unit_code == "26743"
    assert saved.expires_at == now + dt.timedelta(days=30)
    assert len(saved.token) >= 20
    assert checklists.checklist_url(settings, saved.token) == f"https://tthc.example.vn/checklists/{saved.token}"

    view = checklists.open_saved(seeded, saved.token, now=now + dt.timedelta(days=1))
    assert not view.changed and view.changed_note is None
    assert "Biên bản về việc trẻ bị bỏ rơi do cơ quan có thẩm quyền lập" in _names(view.checklist.items)
    with pytest.raises(checklists.ChecklistNotFound):
        checklists.get_saved(seeded, saved.token, now=now + dt.timedelta(days=31))
    with pytest.raises(checklists.ChecklistNotFound):
        checklists.get_saved(seeded, "khong-co-danh-sach-nay")

    with pytest.raises(checklists.ChecklistInvalid):
        checklists.save_checklist(seeded, birth, {"khong_co": "co"}, unit_code=None, settings=settings)
    with pytest.raises(checklists.ChecklistInvalid):
        checklists.save_checklist(seeded, birth, {"bo_roi": "co_le"}, unit_code=None, settings=settings)
    with pytest.raises(checklists.ChecklistInvalid):
        checklists.save_checklist(seeded, birth, {}, unit_code="99999", settings=settings)
    seeded.rollback()
    assert checklists.purge_expired(seeded, now=now + dt.timedelta(days=31)) == 1


def test_editor_mapping_is_a_new_audited_version_and_a_saved_list_notes_the_change(seeded: Session) -> None:
    from core.audit.models import AuditEntry

    birth = _procedure(seeded, BIRTH)
    saved = checklists.save_checklist(seeded, birth, {"bo_roi": "khong"}, unit_code=None)
    seeded.commit()
    version = procedures.current_version(birth)
    record = procedures.to_record(birth)
    questions = [q.model_dump(mode="json") for q in record.checklist_questions]
    with pytest.raises(editing.ChecklistEditInvalid) as refused:
        editing.save_mapping(
            seeded,
            BIRTH,
            questions=questions,
            rules={2: {"question": "khong_co_cau_nay", "options": ["co"]}},
            actor=EDITOR,
            expected_version=version,
        )
    assert "khong_co_cau_nay" in str(refused.value)
    seeded.rollback()

    # The identity paper no longer depends on the channel: always required.
    index = next(i for i, d in enumerate(record.documents) if d.name.startswith("Giấy tờ tùy thân"))
    outcome = editing.save_mapping(
        seeded, BIRTH, questions=questions, rules={index: None}, actor=EDITOR, expected_version=version, note="thử"
    )
    seeded.commit()
    assert outcome.changed and outcome.version == version + 1
    entry = seeded.query(AuditEntry).filter_by(action="procedure.checklist", entity_id=BIRTH).one()
    assert entry.actor == EDITOR.username
    assert entry.after is not None and entry.before is not None
    assert entry.after["documents"][index]["applies_when"] is None
    assert entry.before["documents"][index]["applies_when"] == {
        "question": "_channel",
        "options": ["in_person", "post"],
    }
    with pytest.raises(procedures.StaleVersionError):
        editing.save_mapping(seeded, BIRTH, questions=questions, rules={}, actor=EDITOR, expected_version=version)
    seeded.rollback()

    view = checklists.open_saved(seeded, saved.token)
    assert view.changed and view.changed_note == checklists.CHANGED_NOTE
    # The history keeps the rule: reverting restores it.
    procedures.revert(seeded, BIRTH, version, actor=EDITOR, expected_version=version + 1)
    seeded.commit()
    restored = procedures.to_record(_procedure(seeded, BIRTH))
    assert restored.documents[index].applies_when is not None


def test_the_general_edit_form_keeps_the_questions(seeded: Session) -> None:
    birth = _procedure(seeded, BIRTH)
    stored = procedures.to_record(birth)
    from_form = stored.model_copy(
        update={
            "checklist_questions": [],
            "documents": [d.model_copy(update={"applies_when": None}) for d in stored.documents],
        }
    )
    kept = editing.keep_checklist(birth, from_form)
    assert kept.checklist_questions == stored.checklist_questions
    assert [d.applies_when for d in kept.documents] == [d.applies_when for d in stored.documents]


def test_the_loader_refuses_a_rule_that_names_no_question_or_option(tmp_path: Path) -> None:
    source = (SEED_DIR / "procedures" / f"{BIRTH}.yaml").read_text(encoding="utf-8")
    for broken, named in (
        (
            source.replace(
                "applies_when: {question: bo_roi, options: [co]}", "applies_when: {question: bo_roi, options: [co_le]}"
            ),
            "co_le",
        ),
        (
            source.replace(
                "applies_when: {question: bo_roi, options: [co]}", "applies_when: {question: tre_em, options: [co]}"
            ),
            "tre_em",
        ),
        (
            source.replace(
                "ask_when: {question: bo_roi, options: [khong]}", "ask_when: {question: nguoi_di, options: [cha_me]}"
            ),
            "nguoi_di",
        ),
    ):
        assert broken != source
        path = tmp_path / f"{BIRTH}.yaml"
        path.write_text(broken, encoding="utf-8")
        with pytest.raises(SeedError, match=named):
            read_procedure_file(path)


def test_every_seeded_question_decides_something(seeded: Session) -> None:
    for code in (BIRTH, RESIDENCE, LAND, LOST_TITLE):
        procedure = _procedure(seeded, code)
        record = procedures.to_record(procedure)
        used = {d.applies_when.question for d in record.documents if d.applies_when}
        used |= {q.ask_when.question for q in record.checklist_questions if q.ask_when}
        assert {q.key for q in record.checklist_questions} <= used, code
