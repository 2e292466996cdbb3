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
