"""Fact quality (knowledge/procedures/quality.py): counts of fee and deadline facts by kind and by
origin, the records with open quality flags, and an editor's confirmation that clears them (a new
version and an audit entry, like any edit). On both databases (the ``session`` fixture)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit.actor import SEED, Actor
from core.audit.models import AuditEntry
from knowledge.procedures import quality
from knowledge.procedures import service as procedures
from knowledge.procedures.facts import DEADLINE_KINDS, FEE_KINDS, QUALITY_FLAG_KINDS
from knowledge.procedures.schemas import ProcedureRecord

EDITOR = Actor("bientap", "editor")
IMPORTER = Actor("cli")


def _record(code: str, *, channels: list[dict[str, Any]], flags: list[dict[str, str]] | None = None) -> ProcedureRecord:
    return ProcedureRecord.model_validate(
        {
            "code": code,
            "name": f"Thủ tục thử chất lượng {code}",
            "levels": ["tinh"],
            "channels": channels,
            "source_url": f"https://dichvucong.gov.vn/p/{code}",
            "quality_flags": flags or [],
        }
    )


FREE = {"kind": "in_person", "fee": "Miễn phí", "fee_vnd": 0, "fee_kind": "free"}
AMOUNT = {
    "kind": "online",
    "fee": "25.000 đồng/hồ sơ",
    "fee_vnd": 25000,
    "fee_unit": "hồ sơ",
    "fee_kind": "amount",
    "processing_time": "5 ngày làm việc",
    "processing_days": 5,
    "deadline_kind": "working_days",
}
BY_REGULATION = {
    "kind": "in_person",
    "fee": "Theo Nghị quyết của HĐND tỉnh",
    "fee_kind": "by_regulation",
    "fee_basis": "Nghị quyết của Hội đồng nhân dân cấp tỉnh",
    "processing_time": "5",
    "deadline_kind": "unclear",
}
UNCLEAR = {
    "kind": "post",
    "fee": "50 VNĐ",
    "fee_kind": "unclear",
    "processing_time": "Trong ngày",
    "deadline_kind": "same_day",
}
FREE_CONTRADICTED = {"kind": "fee_free_contradicted", "detail": "Ô phí: “Miễn phí”; mô tả: Thông tư 244/2016/TT-BTC"}
UNIT_LOST = {"kind": "deadline_unit_lost", "detail": "Cổng ghi “5”, không có đơn vị"}
SUSPECT = {"kind": "legal_basis_suspect", "detail": "“3016/2026/QĐ-UBND”"}


@pytest.fixture
def store(session: Session) -> Session:
    """Two seed records, three imported ones (two of them flagged)."""
    procedures.upsert(session, _record("9.400001", channels=[FREE, AMOUNT]), actor=SEED, origin="seed")
    procedures.upsert(session, _record("9.400002", channels=[FREE]), actor=SEED, origin="seed")
    procedures.upsert(
        session,
        _record("9.400003", channels=[BY_REGULATION, UNCLEAR], flags=[FREE_CONTRADICTED, UNIT_LOST]),
        actor=IMPORTER,
        origin="import",
    )
    procedures.upsert(session, _record("9.400004", channels=[AMOUNT], flags=[SUSPECT]), actor=IMPORTER, origin="import")
    procedures.upsert(session, _record("9.400005", channels=[]), actor=IMPORTER, origin="import")
    session.commit()
    return session


def test_fact_counts_by_kind_for_the_store_and_by_origin(store: Session) -> None:
    counts = quality.fact_counts(store)
    seed, imported, admin = (counts.by_origin[o] for o in ("seed", "import", "admin"))
    assert set(seed.fee) == set(FEE_KINDS) and set(seed.deadline) == set(DEADLINE_KINDS)  # zeros listed

    assert (seed.procedures, seed.channels) == (2, 3)
    assert seed.fee == {"free": 2, "amount": 1, "by_regulation": 0, "unclear": 0, "unknown": 0}
    assert seed.deadline == {"working_days": 1, "days": 0, "same_day": 0, "unclear": 0, "unknown": 2}

    assert (imported.procedures, imported.channels) == (3, 3)
    assert imported.fee == {"free": 0, "amount": 1, "by_regulation": 1, "unclear": 1, "unknown": 0}
    assert imported.deadline == {"working_days": 1, "days": 0, "same_day": 1, "unclear": 1, "unknown": 0}

    assert (admin.procedures, admin.channels) == (0, 0)
    assert (counts.all.procedures, counts.all.channels) == (5, 6)
    assert counts.all.fee == {"free": 2, "amount": 2, "by_regulation": 1, "unclear": 1, "unknown": 0}
    assert sum(counts.all.deadline.values()) == counts.all.channels
    assert counts.to_dict()["by_origin"]["import"]["fee"]["by_regulation"] == 1


def test_flagged_lists_open_flags_with_vietnamese_labels(store: Session) -> None:
    listed = quality.flagged(store)
    assert listed.total == 2 and [r.code for r in listed.rows] == ["9.400003", "9.400004"]
    first = listed.rows[0]
    assert first.origin == "import" and first.published and first.version == 1 and first.updated_at is not None
    assert [(f.kind, f.label) for f in first.flags] == [
        ("fee_free_contradicted", QUALITY_FLAG_KINDS["fee_free_contradicted"]),
        ("deadline_unit_lost", QUALITY_FLAG_KINDS["deadline_unit_lost"]),
    ]
    assert "Thông tư 244/2016/TT-BTC" in first.flags[0].detail
    assert listed.by_kind == {"deadline_unit_lost": 1, "fee_free_contradicted": 1, "legal_basis_suspect": 1}

    only = quality.flagged(store, kind="legal_basis_suspect")
    assert only.total == 1 and only.rows[0].code == "9.400004"
    assert only.by_kind == listed.by_kind  # the kinds' sizes do not depend on the kind shown
    assert quality.flagged(store, origin="seed").total == 0
    window = quality.flagged(store, limit=1, offset=1)
    assert window.total == 2 and [r.code for r in window.rows] == ["9.400004"]
    data = listed.to_dict()
    assert data["records"][0]["flags"][0]["label"] == QUALITY_FLAG_KINDS["fee_free_contradicted"]
    assert data["by_kind"][0]["records"] == 1 and data["by_kind"][0]["flags"] == 1
    assert listed.flags_by_kind == {"deadline_unit_lost": 1, "fee_free_contradicted": 1, "legal_basis_suspect": 1}


def test_confirm_clears_the_flags_as_a_new_audited_version(store: Session) -> None:
    outcome = quality.confirm(store, "9.400003", EDITOR, "  đã đối chiếu   mô tả phí trên Cổng ", expected_version=1)
    store.commit()
    assert outcome.changed and outcome.version == 2

    procedure = procedures.require(store, "9.400003")
    assert procedure.quality_flags == [] and procedure.origin == "admin"
    latest = procedure.versions[-1]
    assert latest.version == 2 and latest.changed_by == "bientap" and latest.snapshot["quality_flags"] == []
    assert QUALITY_FLAG_KINDS["fee_free_contradicted"] in (latest.change_note or "")
    assert "đã đối chiếu mô tả phí trên Cổng" in (latest.change_note or "")
    assert procedure.versions[0].snapshot["quality_flags"][0]["kind"] == "fee_free_contradicted"  # history kept
    # Only the flags changed: every fact is as it was.
    assert procedures.to_record(procedure).channels == _record("9.400003", channels=[BY_REGULATION, UNCLEAR]).channels

    entries = list(store.scalars(select(AuditEntry).where(AuditEntry.action == quality.CONFIRM_ACTION)))
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.actor, entry.actor_role, entry.entity_type, entry.entity_id) == (
        "bientap",
        "editor",
        "procedure",
        "9.400003",
    )
    assert [f["kind"] for f in entry.before["quality_flags"]] == ["fee_free_contradicted", "deadline_unit_lost"]
    assert entry.after["quality_flags"] == []
    assert quality.flagged(store).total == 1

    again = quality.confirm(store, "9.400003", EDITOR)
    assert not again.changed and again.version == 2
    assert len(procedures.require(store, "9.400003").versions) == 2


def test_confirm_refuses_a_stale_version_and_an_unknown_code(store: Session) -> None:
    procedures.edit(
        store,
        "9.400004",
        quality.keep_open_flags(
            procedures.require(store, "9.400004"),
            _record("9.400004", channels=[AMOUNT]).model_copy(update={"name": "Tên đã sửa"}),
        ),
        actor=Actor("nguoikhac", "editor"),
        expected_version=1,
    )
    store.commit()
    assert [f.kind for f in quality.open_flags(procedures.require(store, "9.400004"))] == ["legal_basis_suspect"]
    with pytest.raises(procedures.StaleVersionError):
        quality.confirm(store, "9.400004", EDITOR, expected_version=1)
    store.rollback()
    with pytest.raises(procedures.ProcedureNotFoundError):
        quality.confirm(store, "9.499999", EDITOR)
    store.rollback()
    assert quality.flagged(store).total == 2
