"""Editors' changes to procedures: versions, optimistic concurrency, diff, revert, publish, audit,
and the seed never undoing an editor's change."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from core.audit.actor import Actor
from knowledge.procedures import history, service
from knowledge.procedures.search import ProcedureSearch
from knowledge.seed.loader import seed_procedures
from tests.admin.conftest import EDITOR, audit_rows, record

CODE = "1.001193"  # Đăng ký khai sinh, a seed procedure


def _fee(session: Session, code: str = CODE) -> str | None:
    procedure = service.get_by_code(session, code, include_unpublished=True)
    assert procedure is not None
    return procedure.channels[0].fee


def test_edit_writes_a_version_an_audit_entry_and_marks_the_record_as_edited(seeded: Session) -> None:
    procedure = service.require(seeded, CODE)
    start = service.current_version(procedure)
    current = service.to_record(procedure)
    checked = current.channels[0].model_copy(update={"fee": "Miễn phí (đã đối chiếu)"})
    changed = current.model_copy(update={"channels": [checked, *current.channels[1:]]})
    outcome = service.edit(seeded, CODE, changed, actor=EDITOR, expected_version=start, note="đối chiếu lệ phí")
    seeded.commit()

    assert outcome.changed and outcome.version == start + 1
    procedure = service.require(seeded, CODE)
    assert procedure.origin == "admin"
    latest = procedure.versions[-1]
    assert (latest.version, latest.changed_by, latest.change_note) == (start + 1, EDITOR.username, "đối chiếu lệ phí")
    assert latest.snapshot["channels"][0]["fee"] == "Miễn phí (đã đối chiếu)"
    [entry] = audit_rows(seeded, action="procedure.update")
    assert entry.entity_id == CODE
    assert entry.before["channels"][0]["fee"] != entry.after["channels"][0]["fee"] == "Miễn phí (đã đối chiếu)"


def test_saving_over_a_newer_version_is_refused(seeded: Session) -> None:
    procedure = service.require(seeded, CODE)
    opened = service.current_version(procedure)
    first = service.to_record(procedure).model_copy(update={"name": "Đăng ký khai sinh (bản A)"})
    second = service.to_record(procedure).model_copy(update={"name": "Đăng ký khai sinh (bản B)"})
    service.edit(seeded, CODE, first, actor=Actor("a"), expected_version=opened)
    seeded.commit()
    with pytest.raises(service.StaleVersionError) as refused:
        service.edit(seeded, CODE, second, actor=Actor("b"), expected_version=opened)
    seeded.rollback()
    assert "phiên bản" in str(refused.value) and refused.value.current == opened + 1
    assert service.require(seeded, CODE).name == "Đăng ký khai sinh (bản A)"


def test_unchanged_save_writes_nothing(seeded: Session) -> None:
    procedure = service.require(seeded, CODE)
    version = service.current_version(procedure)
    outcome = service.edit(seeded, CODE, service.to_record(procedure), actor=EDITOR, expected_version=version)
    assert not outcome.changed and outcome.version == version
    assert service.require(seeded, CODE).origin == "seed"
    assert audit_rows(seeded) == []


def test_code_cannot_change_through_an_edit(seeded: Session) -> None:
    procedure = service.require(seeded, CODE)
    moved = service.to_record(procedure).model_copy(update={"code": "9.999999"})
    with pytest.raises(ValueError):
        service.edit(seeded, CODE, moved, actor=EDITOR, expected_version=None)


def test_seed_reload_keeps_an_editors_change(seeded: Session) -> None:
    procedure = service.require(seeded, CODE)
    changed = service.to_record(procedure).model_copy(update={"name": "Đăng ký khai sinh (đã biên tập)"})
    service.edit(seeded, CODE, changed, actor=EDITOR, expected_version=service.current_version(procedure))
    seeded.commit()
    report = seed_procedures(seeded)
    seeded.commit()
    assert CODE in report.unchanged
    assert service.require(seeded, CODE).name == "Đăng ký khai sinh (đã biên tập)"


def test_revert_creates_a_new_version_equal_to_the_old_snapshot(seeded: Session) -> None:
    procedure = service.require(seeded, CODE)
    v1 = service.current_version(procedure)
    original = service.to_record(procedure)
    service.edit(seeded, CODE, original.model_copy(update={"name": "Tên sai"}), actor=EDITOR, expected_version=v1)
    seeded.commit()

    outcome = service.revert(seeded, CODE, v1, actor=EDITOR, expected_version=v1 + 1)
    seeded.commit()
    procedure = service.require(seeded, CODE)
    assert outcome.changed and outcome.version == v1 + 2
    assert [v.version for v in procedure.versions][-3:] == [v1, v1 + 1, v1 + 2]  # history kept
    assert procedure.versions[-1].snapshot == procedure.versions[-3].snapshot
    assert procedure.versions[-1].change_note == f"khôi phục phiên bản {v1}"
    assert service.to_record(procedure) == original
    assert [e.action for e in audit_rows(seeded)] == ["procedure.update", "procedure.revert"]

    with pytest.raises(service.StaleVersionError):
        service.revert(seeded, CODE, v1, actor=EDITOR, expected_version=v1)
    with pytest.raises(service.VersionNotFoundError):
        service.revert(seeded, CODE, 999, actor=EDITOR, expected_version=None)


def test_diff_between_two_versions(seeded: Session) -> None:
    procedure = service.require(seeded, CODE)
    v1 = service.current_version(procedure)
    current = service.to_record(procedure)
    service.edit(
        seeded,
        CODE,
        current.model_copy(update={"name": "Đăng ký khai sinh mới", "aliases": [*current.aliases, "khai sinh thử"]}),
        actor=EDITOR,
        expected_version=v1,
    )
    seeded.commit()
    before = service.get_version(seeded, CODE, v1).snapshot
    after = service.get_version(seeded, CODE, v1 + 1).snapshot

    changes = history.field_changes(before, after)
    assert [c.field for c in changes] == ["name", "aliases"]
    assert changes[0].label == "tên thủ tục"
    assert changes[0].before_text == "Đăng ký khai sinh" and changes[0].after_text == "Đăng ký khai sinh mới"
    lines = history.unified_diff(before, after, before_name="phiên bản 1", after_name="phiên bản 2")
    assert {"kind": "remove", "text": "-name: Đăng ký khai sinh"} in [vars(line) for line in lines]
    assert any(line.kind == "add" and "khai sinh thử" in line.text for line in lines)
    assert history.field_changes(before, before) == []


def test_publish_toggles_what_citizens_see(seeded: Session) -> None:
    procedure_search = ProcedureSearch(check_interval=0)  # the shared one re-checks once a second
    assert any(hit.code == CODE for hit in procedure_search.search(seeded, "đăng ký khai sinh", limit=5))
    outcome = service.publish(seeded, CODE, False, actor=EDITOR)
    seeded.commit()
    assert outcome.changed
    assert service.get_by_code(seeded, CODE) is None  # the actions and the API ask this way
    assert all(hit.code != CODE for hit in procedure_search.search(seeded, "đăng ký khai sinh", limit=5))
    assert not service.publish(seeded, CODE, False, actor=EDITOR).changed  # idempotent, no extra version

    service.publish(seeded, CODE, True, actor=EDITOR)
    seeded.commit()
    assert service.get_by_code(seeded, CODE) is not None
    assert any(hit.code == CODE for hit in procedure_search.search(seeded, "đăng ký khai sinh", limit=5))
    entries = audit_rows(seeded, entity_id=CODE)
    assert [(e.action, e.before, e.after) for e in entries] == [
        ("procedure.unpublish", {"published": True}, {"published": False}),
        ("procedure.publish", {"published": False}, {"published": True}),
    ]
    notes = [v.change_note for v in service.require(seeded, CODE).versions[-2:]]
    assert notes == ["ngừng xuất bản", "xuất bản"]


def test_create_is_a_draft_and_refuses_an_existing_code(seeded: Session) -> None:
    outcome = service.create(seeded, record("9.100001"), actor=EDITOR)
    seeded.commit()
    created = service.require(seeded, "9.100001")
    assert outcome.version == 1 and created.origin == "admin" and created.published is False
    assert service.get_by_code(seeded, "9.100001") is None
    [entry] = audit_rows(seeded, action="procedure.create")
    assert entry.before is None and entry.after["name"] == "Thủ tục thử nghiệm quản trị"
    with pytest.raises(service.ProcedureExistsError):
        service.create(seeded, record("9.100001"), actor=EDITOR)
    with pytest.raises(service.AliasConflictError):
        service.create(seeded, record("9.100002", aliases=["thu quan tri 9.100001"]), actor=EDITOR)


def test_browse_finds_without_diacritics_and_filters(seeded: Session) -> None:
    page = service.browse(seeded, query="dang ky khai sinh")
    assert page.rows and page.rows[0].name.lower().startswith("đăng ký khai sinh")
    assert service.browse(seeded, query=CODE).rows[0].code == CODE
    assert service.browse(seeded, query="gks").total >= 1  # abbreviation of "giấy khai sinh" via aliases
    service.publish(seeded, CODE, False, actor=EDITOR)
    seeded.commit()
    hidden = service.browse(seeded, published=False)
    assert [r.code for r in hidden.rows] == [CODE]
    assert all(r.published for r in service.browse(seeded, published=True, per_page=500).rows)
    assert all("tinh" in r.levels for r in service.browse(seeded, level="tinh", per_page=500).rows)
    field = service.require(seeded, CODE).field
    assert field in service.fields(seeded)
    assert {r.field for r in service.browse(seeded, field=field, per_page=500).rows} == {field}
    paged = service.browse(seeded, per_page=5, page=2)
    assert paged.page == 2 and len(paged.rows) == 5 and paged.pages == -(-paged.total // 5)
