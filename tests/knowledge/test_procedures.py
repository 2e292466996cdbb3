"""Procedure models, seed loading, versioning, search ranking and answers."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from core.audit.actor import Actor
from knowledge.procedures import answers, service
from knowledge.procedures.schemas import ProcedureRecord
from knowledge.procedures.search import ProcedureIndex, ProcedureSearch, procedure_search
from knowledge.seed.loader import SEED_DIR, read_procedure_file, seed_procedures

REQUIRED_SEED = (
    "1.001193 1.000656 1.000894 1.004873 1.004222 1.004194 1.002755 1.003197 1.010041 2.000815 2.000884 "
    "2.000635 1.001022 1.004837 1.004859 1.004746 1.005461 2.000986 1.012753 1.012784 1.013225 1.001612 "
    "1.001266 1.001456 3.000333"
).split()


@pytest.fixture
def seeded(session: Session) -> Session:
    seed_procedures(session)
    session.commit()
    return session


def _minimal(code: str = "9.999999", **changes: object) -> ProcedureRecord:
    data: dict[str, object] = {
        "code": code,
        "name": "Thủ tục thử nghiệm",
        "levels": ["xa"],
        "channels": [{"kind": "in_person", "processing_time": None, "fee": None}],
        "documents": [{"name": "Tờ khai", "kind": "original", "count": 1}],
        "source_url": "https://example.invalid/nguon",
    }
    data.update(changes)
    return ProcedureRecord.model_validate(data)


def test_every_seed_file_is_valid_and_complete() -> None:
    files = sorted((SEED_DIR / "procedures").glob("*.yaml"))
    assert len(files) >= 25
    codes = set()
    for path in files:
        record = read_procedure_file(path)
        codes.add(record.code)
        assert record.channels and record.documents and record.steps, path.name
        assert record.source_url and record.last_verified, path.name
        assert record.aliases, path.name
    for code in REQUIRED_SEED:
        if (SEED_DIR / "procedures" / f"{code}.yaml").exists():
            assert code in codes


def test_seed_is_idempotent(session: Session) -> None:
    first = seed_procedures(session)
    second = seed_procedures(session)
    assert first.added and not first.updated
    assert not second.added and not second.updated
    assert sorted(second.unchanged) == sorted(first.added)


def test_every_change_leaves_a_version(session: Session) -> None:
    service.upsert(session, _minimal(), actor=Actor("tester"))
    result = service.upsert(session, _minimal(name="Thủ tục thử nghiệm đã sửa"), actor=Actor("editor"), note="sửa tên")
    assert result.changed and not result.created
    procedure = service.get_by_code(session, "9.999999")
    assert procedure is not None
    assert [v.version for v in procedure.versions] == [1, 2]
    assert procedure.versions[-1].changed_by == "editor"
    assert procedure.versions[0].snapshot["name"] == "Thủ tục thử nghiệm"


def test_alias_owned_by_another_procedure_is_refused(session: Session) -> None:
    service.upsert(session, _minimal(aliases=["làm thử"]), actor=Actor("t"))
    with pytest.raises(service.AliasConflictError):
        service.upsert(session, _minimal(code="9.999998", aliases=["lam thu"]), actor=Actor("t"))


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("đăng ký khai sinh cần giấy tờ gì", "1.001193"),
        ("dang ky khai sinh can giay to gi", "1.001193"),
        ("cho em hỏi đk tạm trú cần gì ạ", "1.004194"),
        ("nhap ho khau cho con", "1.004222"),
        ("làm giấy chứng tử", "1.000656"),
        ("1.004222", "1.004222"),
        ("chứng thực bản sao", "2.000815"),
        ("dang ky ket hon", "1.000894"),
    ],
)
def test_search_finds_the_procedure_with_or_without_diacritics(seeded: Session, query: str, code: str) -> None:
    hits = procedure_search.search(seeded, query, limit=3)
    assert hits and hits[0].code == code


def test_search_tolerates_typos(seeded: Session) -> None:
    hits = procedure_search.search(seeded, "dang ky khai sinnh", limit=3)
    assert hits[0].code == "1.001193"


def test_search_sees_new_procedures_without_restart(seeded: Session) -> None:
    search = ProcedureSearch(check_interval=0)
    assert (
        search.search(seeded, "nuoi yen", limit=1) == []
        or search.search(seeded, "nuoi yen", limit=1)[0].code != "9.999999"
    )
    service.upsert(seeded, _minimal(name="Cấp giấy phép nuôi chim yến", aliases=["nuôi yến"]), actor=Actor("t"))
    seeded.commit()
    assert search.search(seeded, "nuoi yen", limit=1)[0].code == "9.999999"


def test_empty_index_and_blank_query() -> None:
    assert ProcedureIndex().search("khai sinh") == []


def test_answers_come_from_the_record_and_admit_missing_facts(session: Session) -> None:
    service.upsert(session, _minimal(), actor=Actor("t"))
    procedure = service.get_by_code(session, "9.999999")
    assert procedure is not None
    fee = answers.fee_answer(procedure)
    assert "chưa có thông tin" in fee and "https://example.invalid/nguon" in fee
    time = answers.processing_time_answer(procedure)
    assert "chưa có thông tin" in time
    assert "Tờ khai" in answers.documents_answer(procedure)


def test_documents_answer_for_birth_registration(seeded: Session) -> None:
    procedure = service.get_by_code(seeded, "1.001193")
    assert procedure is not None
    text = answers.documents_answer(procedure)
    for document in procedure.documents:
        if document.required:
            assert document.name in text


def test_unpublishing_hides_a_procedure_from_search_and_lookup(seeded: Session) -> None:
    search = ProcedureSearch(check_interval=0)
    assert search.search(seeded, "đăng ký khai tử", limit=1)[0].code == "1.000656"
    assert service.set_published(seeded, "1.000656", False, actor=Actor("admin"))
    seeded.commit()
    assert all(hit.code != "1.000656" for hit in search.search(seeded, "đăng ký khai tử", limit=5))
    assert service.get_by_code(seeded, "1.000656") is None
    assert service.set_published(seeded, "1.000656", True, actor=Actor("admin"))
    seeded.commit()
    assert search.search(seeded, "đăng ký khai tử", limit=1)[0].code == "1.000656"
    assert not service.set_published(seeded, "9.999999", True, actor=Actor("admin"))


def test_fact_kinds_guidance_and_flags_round_trip_and_are_versioned(session: Session) -> None:
    record = _minimal(
        channels=[
            {
                "kind": "in_person",
                "fee": "10.000 đồng/trường hợp",
                "fee_vnd": 10000,
                "fee_kind": "amount",
                "fee_unit": "trường hợp",
                "deadline_kind": "unknown",
                "condition": "tại Ủy ban nhân dân cấp xã",
            },
            {
                "kind": "in_person",
                "fee": "Miễn phí",
                "fee_kind": "by_regulation",
                "fee_basis": "Thông tư 244/2016/TT-BTC",
                "processing_time": "15 ngày",
                "processing_days": 15,
                "deadline_kind": "days",
                "condition": "tại cơ quan đại diện Việt Nam ở nước ngoài",
            },
        ],
        guidance=["Người nộp xuất trình bản chính để đối chiếu."],
        quality_flags=[{"kind": "fee_free_contradicted", "detail": "Ô phí “Miễn phí” nhưng mô tả nêu Thông tư"}],
    )
    service.upsert(session, record, actor=Actor("tester"))
    procedure = service.get_by_code(session, "9.999999")
    assert procedure is not None
    assert service.to_record(procedure) == record
    assert procedure.versions[-1].snapshot["channels"][1]["fee_basis"] == "Thông tư 244/2016/TT-BTC"
    # A snapshot written before the kinds existed still reads (as "unknown").
    old = {k: v for k, v in record.model_dump(mode="json").items() if k not in ("guidance", "quality_flags")}
    for channel in old["channels"]:
        for key in ("fee_kind", "fee_unit", "fee_basis", "deadline_kind", "condition"):
            channel.pop(key)
    assert ProcedureRecord.model_validate(old).channels[0].fee_kind == "unknown"


def test_kinds_that_contradict_their_values_are_refused() -> None:
    with pytest.raises(ValueError, match="fee_basis"):
        _minimal(channels=[{"kind": "online", "fee": "Miễn phí", "fee_kind": "by_regulation"}])
    with pytest.raises(ValueError, match="free"):
        _minimal(channels=[{"kind": "online", "fee_vnd": 5000, "fee_kind": "free"}])
    with pytest.raises(ValueError, match="processing_days"):
        _minimal(channels=[{"kind": "online", "processing_time": "5 ngày làm việc", "deadline_kind": "working_days"}])
    with pytest.raises(ValueError, match="same_day"):
        _minimal(channels=[{"kind": "online", "processing_days": 3, "deadline_kind": "same_day"}])
    with pytest.raises(ValueError, match="loại cảnh báo"):
        _minimal(quality_flags=[{"kind": "made_up", "detail": ""}])


def test_history_labels_name_the_new_fields_in_vietnamese() -> None:
    from knowledge.procedures.history import FIELD_LABELS, SUBFIELD_LABELS, format_value

    assert FIELD_LABELS["guidance"] and FIELD_LABELS["quality_flags"]
    assert {"fee_kind", "fee_unit", "fee_basis", "deadline_kind", "condition"} <= set(SUBFIELD_LABELS)
    shown = format_value("channels", [{"kind": "online", "fee_kind": "by_regulation", "deadline_kind": "unknown"}])
    assert "Theo quy định" in shown and "loại thời hạn" not in shown
