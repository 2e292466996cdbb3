"""Import in two steps for the knowledge admin: preview, then commit exactly what was previewed.

    staged = stage_upload(session, upload, "catalogue.csv", actor=user, options=ImportOptions())
    ... the editor reads staged.report (the dry-run report) ...
    report = commit_staged(session, staged.token, actor=user); session.commit(); discard(staged.token)

The upload is kept server-side under a random token in ``<data dir>/imports/<token>/`` with its
metadata (who, when, options, the file's SHA-256, the catalogue fingerprint and the dry-run
report). The commit refuses when the token is unknown or expired, belongs to someone else, the
file changed, or the catalogue changed since the preview (any procedure change writes a version,
so the fingerprint moves); it re-runs the import and rolls back if the outcome differs from the
preview in any row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import service as audit
from core.audit.actor import Actor
from core.db import CATALOGUE_LOCK, begin_writing
from core.errors import ConflictError
from core.settings import get_settings
from knowledge.importer import limits
from knowledge.importer.rows import ImportFileError
from knowledge.importer.service import ImportReport, apply_parsed, detect_format, parse_file
from knowledge.procedures import service as procedures
from knowledge.procedures.models import Procedure, ProcedureVersion

MAX_UPLOAD_BYTES = limits.MAX_FILE_BYTES
TOKEN_TTL = dt.timedelta(hours=1)
_CHUNK = 1024 * 1024
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
_UNSAFE = re.compile(r"[^\w.\-]+")
META = "meta.json"


class StagingError(ConflictError, ValueError):
    """A preview cannot be committed; the message is Vietnamese for the editor."""


class UploadTooLargeError(limits.ImportLimitError):
    def __init__(self, limit: int = MAX_UPLOAD_BYTES) -> None:
        super().__init__(str(limits.file_too_large(limit)))


class PreviewExpiredError(StagingError):
    def __init__(self) -> None:
        super().__init__(
            "Bản xem trước không còn (đã quá hạn hoặc đã được xác nhận). Hãy tải tệp lên lại để xem trước."
        )


class StoreChangedError(StagingError):
    def __init__(self) -> None:
        super().__init__(
            "Kho thủ tục đã thay đổi sau khi xem trước, nên kết quả có thể khác. Không ghi gì: hãy xem trước lại."
        )


@dataclass(frozen=True)
class ImportOptions:
    allow_partial: bool = False
    overwrite_curated: bool = False


@dataclass(frozen=True)
class StagedImport:
    token: str
    filename: str
    size: int
    sha256: str
    actor: str
    created_at: str  # ISO 8601, UTC
    options: ImportOptions
    fingerprint: str
    report: dict[str, Any]

    @property
    def can_commit(self) -> bool:
        counts = self.report["counts"]
        if not (counts["added"] or counts["updated"]):
            return False
        return not counts["rejected"] or self.options.allow_partial

    @property
    def expires_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.created_at) + TOKEN_TTL


def staging_root() -> Path:
    return get_settings().data_dir / "imports"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def safe_filename(name: str) -> str:
    """The upload's own name without any directory part, reduced to safe characters (kept so
    the version notes say which file a change came from)."""
    base = Path(name.replace("\\", "/")).name.strip() or "tep"
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    return (_UNSAFE.sub("_", stem).strip("._") or "tep")[:80] + suffix


def stage_upload(
    session: Session,
    upload: BinaryIO | Iterable[bytes],
    filename: str,
    *,
    actor: Actor,
    options: ImportOptions,
    root: Path | None = None,
    now: dt.datetime | None = None,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> StagedImport:
    """Store the upload under a new token and compute its dry-run report (nothing is written to
    the catalogue). Raises ImportFileError (or UploadTooLargeError) with a Vietnamese message."""
    root = root or staging_root()
    now = now or _now()
    purge_expired(root, now=now)
    name = safe_filename(filename)
    detect_format(Path(name))  # refuse an unknown format before storing anything
    token = secrets.token_urlsafe(24)
    folder = root / token
    folder.mkdir(parents=True, exist_ok=False)
    path = folder / name
    try:
        size, digest = _copy_limited(upload, path, max_bytes)
        # Read and validate with no lock held: only the comparison with the store below takes it.
        parsed = parse_file(path)
        begin_writing(session, lock=CATALOGUE_LOCK)  # the fingerprint and the dry run see one state of the catalogue
        fingerprint = procedures.catalogue_fingerprint(session)
        report = apply_parsed(
            session,
            parsed,
            actor=actor,
            dry_run=True,
            allow_partial=options.allow_partial,
            overwrite_curated=options.overwrite_curated,
            commit=False,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    staged = StagedImport(
        token=token,
        filename=name,
        size=size,
        sha256=digest,
        actor=actor.username,
        created_at=now.isoformat(),
        options=options,
        fingerprint=fingerprint,
        report=_report_dict(report),
    )
    (folder / META).write_text(json.dumps(asdict(staged), ensure_ascii=False), encoding="utf-8")
    return staged


def _copy_limited(upload: BinaryIO | Iterable[bytes], path: Path, max_bytes: int) -> tuple[int, str]:
    chunks = iter(lambda: upload.read(_CHUNK), b"") if hasattr(upload, "read") else iter(upload)
    digest = hashlib.sha256()
    size = 0
    with path.open("wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise UploadTooLargeError(max_bytes)
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise ImportFileError("Tệp rỗng: không có gì để nhập")
    return size, digest.hexdigest()


def _report_dict(report: ImportReport) -> dict[str, Any]:
    data = report.to_dict()
    data["path"] = Path(report.path).name  # never show server paths to the browser
    data["summary"] = report.summary()
    return data


def load(token: str, *, actor: Actor, root: Path | None = None, now: dt.datetime | None = None) -> StagedImport:
    """The staged preview for ``token``, if it is still valid and belongs to ``actor``."""
    root = root or staging_root()
    if not _TOKEN.match(token or ""):
        raise PreviewExpiredError()
    folder = root / token
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise PreviewExpiredError() from None
    staged = StagedImport(**{**meta, "options": ImportOptions(**meta["options"])})
    if (now or _now()) >= staged.expires_at:
        shutil.rmtree(folder, ignore_errors=True)
        raise PreviewExpiredError()
    if staged.actor != actor.username:
        raise StagingError("Bản xem trước này do người khác tải lên; hãy tự tải tệp lên để xem trước.")
    return staged


def commit_staged(
    session: Session,
    token: str,
    *,
    actor: Actor,
    root: Path | None = None,
    now: dt.datetime | None = None,
) -> ImportReport:
    """Apply the previewed file with the previewed options, audited; the caller commits the
    session and then calls ``discard(token)``. Raises StagingError (nothing written) when the
    preview no longer holds."""
    root = root or staging_root()
    staged = load(token, actor=actor, root=root, now=now)
    path = root / token / staged.filename
    if not path.is_file() or _sha256(path) != staged.sha256:
        raise PreviewExpiredError()
    if not staged.can_commit:
        raise StagingError(
            "Bản xem trước này không có gì để ghi (hoặc có dòng bị từ chối mà không chọn “ghi phần hợp lệ”)."
        )
    parsed = parse_file(path)  # before the lock: reading the file does not stop other writers
    begin_writing(session, lock=CATALOGUE_LOCK)  # nobody changes the catalogue between this check and the import
    if procedures.catalogue_fingerprint(session) != staged.fingerprint:
        raise StoreChangedError()
    report = apply_parsed(
        session,
        parsed,
        actor=actor,
        allow_partial=staged.options.allow_partial,
        overwrite_curated=staged.options.overwrite_curated,
        commit=False,
    )
    if not report.applied or _outcome(report.to_dict()) != _outcome(staged.report):
        session.rollback()
        raise StoreChangedError()
    _audit(session, report, staged, actor)
    return report


def discard(token: str, *, root: Path | None = None) -> None:
    if _TOKEN.match(token or ""):
        shutil.rmtree((root or staging_root()) / token, ignore_errors=True)


def purge_expired(root: Path | None = None, *, now: dt.datetime | None = None) -> int:
    """Delete previews older than the TTL (and unreadable leftovers); returns how many."""
    root = root or staging_root()
    now = now or _now()
    removed = 0
    if not root.is_dir():
        return 0
    for folder in root.iterdir():
        if not folder.is_dir() or not _TOKEN.match(folder.name):
            continue
        try:
            created = dt.datetime.fromisoformat(json.loads((folder / META).read_text(encoding="utf-8"))["created_at"])
        except (OSError, ValueError, KeyError):
            created = dt.datetime.fromtimestamp(folder.stat().st_mtime, dt.UTC)
        if now - created >= TOKEN_TTL:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _outcome(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What the editor saw per row: status, code and each field's before/after."""
    return [
        (r["row"], r["code"], r["status"], json.dumps(r["changes"], sort_keys=True, ensure_ascii=False))
        for r in report["rows"]
        if r["status"] != "rejected"
    ] + [(r["row"], r["code"], "rejected") for r in report["rows"] if r["status"] == "rejected"]


def _audit(session: Session, report: ImportReport, staged: StagedImport, actor: Actor) -> None:
    added = [r.code for r in report.added if r.code]
    snapshots: dict[str, dict[str, Any]] = {}
    for start in range(0, len(added), 500):
        rows = session.execute(
            select(Procedure.code, ProcedureVersion.snapshot)
            .join(ProcedureVersion, ProcedureVersion.procedure_id == Procedure.id)
            .where(Procedure.code.in_(added[start : start + 500]), ProcedureVersion.version == 1)
        )
        snapshots.update({code: snapshot for code, snapshot in rows})
    for row in report.added:
        audit.record(
            session,
            actor=actor,
            action="procedure.import",
            entity_type="procedure",
            entity_id=row.code or "",
            before=None,
            after=snapshots.get(row.code or ""),
        )
    for row in report.updated:
        audit.record(
            session,
            actor=actor,
            action="procedure.import",
            entity_type="procedure",
            entity_id=row.code or "",
            before={name: change["before"] for name, change in row.changes.items()},
            after={name: change["after"] for name, change in row.changes.items()},
        )
    audit.record(
        session,
        actor=actor,
        action="import.commit",
        entity_type="import",
        entity_id=staged.filename,
        before=None,
        after={
            "file": staged.filename,
            "sha256": staged.sha256,
            "size": staged.size,
            "options": asdict(staged.options),
            "counts": report.counts(),
        },
    )
