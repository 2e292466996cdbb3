"""Import with preview: what the preview shows is exactly what the commit writes; stale previews
(expired token, changed store, changed file, another user) are refused and write nothing."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.audit.actor import Actor
from knowledge.importer import ImportFileError, staging
from knowledge.procedures import service as procedures
from knowledge.procedures.models import Procedure
from tests.admin.conftest import EDITOR, audit_rows

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "importer" / "sample.csv"
OPTIONS = staging.ImportOptions()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "imports"


def _stage(
    session: Session, root: Path, data: bytes | None = None, name: str = "sample.csv", **kw: object
) -> staging.StagedImport:
    payload = SAMPLE.read_bytes() if data is None else data
    return staging.stage_upload(session, io.BytesIO(payload), name, actor=EDITOR, options=OPTIONS, root=root, **kw)  # type: ignore[arg-type]


def _count(session: Session) -> int:
    return session.scalar(select(func.count(Procedure.id))) or 0


def test_preview_writes_nothing_and_commit_writes_exactly_the_preview(seeded: Session, root: Path) -> None:
    before = _count(seeded)
    staged = _stage(seeded, root)
    seeded.rollback()
    assert _count(seeded) == before
    assert staged.report["counts"]["added"] == 2 and staged.can_commit
    assert staged.report["path"] == "sample.csv"  # no server path leaves the service
    assert (root / staged.token / "sample.csv").read_bytes() == SAMPLE.read_bytes()

    report = staging.commit_staged(seeded, staged.token, actor=EDITOR, root=root)
    seeded.commit()
    staging.discard(staged.token, root=root)
    assert [(r.row, r.code, r.status) for r in report.rows] == [
        (r["row"], r["code"], r["status"]) for r in staged.report["rows"]
    ]
    assert _count(seeded) == before + 2
    added = procedures.require(seeded, "9.000001")
    assert added.versions[-1].changed_by == EDITOR.username and "sample.csv" in (added.versions[-1].change_note or "")
    actions = [(e.action, e.entity_id) for e in audit_rows(seeded)]
    assert actions == [
        ("procedure.import", "9.000001"),
        ("procedure.import", "9.000002"),
        ("import.commit", "sample.csv"),
    ]
    assert not (root / staged.token).exists()


def test_preview_lists_per_field_changes_of_an_update(seeded: Session, root: Path) -> None:
    first = _stage(seeded, root)
    staging.commit_staged(seeded, first.token, actor=EDITOR, root=root)
    seeded.commit()
    changed = SAMPLE.read_text(encoding="utf-8").replace("20.000 đồng | 20.000", "30.000 đồng | 30.000")
    staged = _stage(seeded, root, changed.encode())
    [updated] = [r for r in staged.report["rows"] if r["status"] == "updated"]
    assert updated["code"] == "9.000002" and updated["changed_fields"] == ["channels"]
    assert updated["changes"]["channels"]["after"][0]["fee_vnd"] == 30000
    assert updated["changes"]["channels"]["before"][0]["fee_vnd"] == 20000
    assert staged.report["counts"]["unchanged"] == 1


def test_commit_is_refused_when_the_store_changed_since_the_preview(seeded: Session, root: Path) -> None:
    staged = _stage(seeded, root)
    procedures.publish(seeded, "1.001193", False, actor=Actor("someone"))
    seeded.commit()
    with pytest.raises(staging.StoreChangedError):
        staging.commit_staged(seeded, staged.token, actor=EDITOR, root=root)
    seeded.rollback()
    assert procedures.get_by_code(seeded, "9.000001", include_unpublished=True) is None
    assert [e.action for e in audit_rows(seeded)] == ["procedure.unpublish"]


def test_expired_unknown_or_foreign_tokens_are_refused(seeded: Session, root: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    staged = _stage(seeded, root, now=now - staging.TOKEN_TTL - dt.timedelta(seconds=1))
    with pytest.raises(staging.PreviewExpiredError):
        staging.commit_staged(seeded, staged.token, actor=EDITOR, root=root, now=now)
    assert not (root / staged.token).exists()  # expired previews are deleted
    for token in ("unknown-token-aaaaaaaaaaaaaaaa", "../../etc", ""):
        with pytest.raises(staging.PreviewExpiredError):
            staging.commit_staged(seeded, token, actor=EDITOR, root=root)
    fresh = _stage(seeded, root)
    with pytest.raises(staging.StagingError, match="người khác"):
        staging.commit_staged(seeded, fresh.token, actor=Actor("nguoikhac"), root=root)
    assert procedures.get_by_code(seeded, "9.000001", include_unpublished=True) is None


def test_a_file_changed_on_disk_after_the_preview_is_refused(seeded: Session, root: Path) -> None:
    staged = _stage(seeded, root)
    (root / staged.token / "sample.csv").write_text("code,name,levels\n9.000003,Thủ tục khác,xa\n", encoding="utf-8")
    with pytest.raises(staging.PreviewExpiredError):
        staging.commit_staged(seeded, staged.token, actor=EDITOR, root=root)


def test_rejected_rows_block_the_commit_unless_partial_is_allowed(seeded: Session, root: Path) -> None:
    bad = SAMPLE.read_text(encoding="utf-8") + "9.000009,X,Cấp xã,,,,,,,,,,,\n"
    staged = _stage(seeded, root, bad.encode())
    assert staged.report["counts"]["rejected"] == 1 and not staged.can_commit
    with pytest.raises(staging.StagingError):
        staging.commit_staged(seeded, staged.token, actor=EDITOR, root=root)
    partial = staging.stage_upload(
        seeded,
        io.BytesIO(bad.encode()),
        "sample.csv",
        actor=EDITOR,
        options=staging.ImportOptions(allow_partial=True),
        root=root,
    )
    assert partial.can_commit
    report = staging.commit_staged(seeded, partial.token, actor=EDITOR, root=root)
    seeded.commit()
    assert report.applied and len(report.added) == 2 and len(report.rejected) == 1


def test_size_limit_format_and_empty_files(seeded: Session, root: Path) -> None:
    with pytest.raises(staging.UploadTooLargeError, match="MB"):
        _stage(seeded, root, b"x" * 2048, max_bytes=1024)
    with pytest.raises(ImportFileError, match="định dạng"):
        _stage(seeded, root, b"hello", name="notes.txt")
    with pytest.raises(ImportFileError, match="rỗng"):
        _stage(seeded, root, b"")
    assert not root.exists() or list(root.iterdir()) == []  # nothing left behind


def test_upload_names_cannot_escape_the_staging_folder() -> None:
    assert staging.safe_filename("../../etc/passwd.csv") == "passwd.csv"
    assert staging.safe_filename("C:\\Users\\cán bộ\\danh mục.XLSX") == "danh_mục.xlsx"
    assert staging.safe_filename(".csv") == "tep.csv" or staging.safe_filename(".csv").endswith("csv")


def test_old_previews_are_purged(seeded: Session, root: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    old = _stage(seeded, root, now=now - dt.timedelta(hours=2))
    assert staging.purge_expired(root, now=now) == 1
    assert not (root / old.token).exists()
    new = _stage(seeded, root, now=now - dt.timedelta(minutes=5))
    assert staging.purge_expired(root, now=now) == 0
    _stage(seeded, root, now=now + staging.TOKEN_TTL)  # every upload also sweeps the old ones
    assert not (root / new.token).exists()
