"""Import a whole file of procedures as one transaction, with a per-row report.

    report = import_file(session, Path("catalogue.jsonl"), actor=Actor("admin@example"))

Every write goes through ``knowledge.procedures.service.upsert`` (origin "import", aliases
kept), so each change leaves a version. If any row is rejected nothing is applied, unless
``allow_partial=True``; ``dry_run=True`` computes the same report (what would be added or
updated, and which fields change) and applies nothing.

Two phases: ``parse_file`` reads and validates the whole file with no database access (within
the caps of ``limits``), then ``apply_parsed`` takes the write lock only for the comparison and
the writes. Reading a file never holds the lock other writers (logins, the action server) wait for.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.audit.actor import Actor
from core.db import CATALOGUE_LOCK, begin_writing
from knowledge.importer import limits
from knowledge.importer.catalogue import iter_json, iter_jsonl
from knowledge.importer.quality import QualitySummary
from knowledge.importer.rows import FIELD_LABELS, ImportFileError, ParsedRow
from knowledge.importer.sheets import iter_csv, iter_xlsx
from knowledge.procedures import service as procedures
from knowledge.procedures.schemas import ProcedureRecord

Status = Literal["added", "updated", "unchanged", "kept", "rejected", "duplicate"]
# progress(stage, done, total): stage is "parse" (reading the file) or "apply" (writing);
# total is 0 while it is not known yet.
ProgressCallback = Callable[[str, int, int], None]

ORIGIN = "import"
# Records reviewed by people (seed files, admin edits): an import does not overwrite them unless
# asked to (``overwrite_curated=True``); the report lists them as "kept" with what would change.
CURATED_ORIGINS = frozenset({"seed", "admin"})
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}
# reader(path, notes): yields one ParsedRow per row and appends file-level remarks to notes.
_READERS: dict[str, Callable[[Path, list[str]], Iterator[ParsedRow]]] = {
    "jsonl": iter_jsonl,
    "json": iter_json,
    "csv": iter_csv,
    "xlsx": iter_xlsx,
}
STATUS_LABELS = {
    "added": "thêm mới",
    "updated": "cập nhật",
    "unchanged": "không đổi",
    "kept": "giữ bản đã biên tập",
    "rejected": "bị từ chối",
    "duplicate": "trùng mã (bỏ qua)",
}


@dataclass
class RowOutcome:
    row: int
    code: str | None
    status: Status
    reason: str | None = None  # why rejected / skipped: Vietnamese, then the technical detail
    changed_fields: list[str] = field(default_factory=list)
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)  # field → {"before", "after"}
    warnings: list[str] = field(default_factory=list)
    name: str | None = None  # the procedure's name as the file states it, for previews

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "code": self.code,
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "changed_fields": self.changed_fields,
            "changes": self.changes,
            "warnings": self.warnings,
        }


@dataclass
class ImportReport:
    path: str
    file_format: str
    dry_run: bool
    allow_partial: bool
    applied: bool = False
    rows: list[RowOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # file-level remarks (ignored columns…)
    elapsed_seconds: float = 0.0
    # Quality flags by kind, fee and deadline kinds, the legal-basis benchmark (``quality.py``);
    # its lines are also in ``notes`` so every place that prints the report shows them.
    quality: QualitySummary = field(default_factory=QualitySummary)

    def by_status(self, status: Status) -> list[RowOutcome]:
        return [r for r in self.rows if r.status == status]

    @property
    def added(self) -> list[RowOutcome]:
        return self.by_status("added")

    @property
    def updated(self) -> list[RowOutcome]:
        return self.by_status("updated")

    @property
    def unchanged(self) -> list[RowOutcome]:
        return self.by_status("unchanged")

    @property
    def kept(self) -> list[RowOutcome]:
        return self.by_status("kept")

    @property
    def rejected(self) -> list[RowOutcome]:
        return self.by_status("rejected")

    @property
    def duplicates(self) -> list[RowOutcome]:
        return self.by_status("duplicate")

    def counts(self) -> dict[str, int]:
        return {status: len(self.by_status(status)) for status in STATUS_LABELS}  # type: ignore[arg-type]

    def summary(self) -> str:
        counts = self.counts()
        parts = ", ".join(f"{counts[s]} {label}" for s, label in STATUS_LABELS.items() if counts[s])
        if self.dry_run:
            state = "chạy thử, chưa ghi gì"
        elif self.applied and not (counts["added"] or counts["updated"]):
            state = "không có gì thay đổi"
        elif self.applied:
            state = "đã ghi" + (" (bỏ qua các dòng bị từ chối)" if counts["rejected"] else "")
        else:
            state = "KHÔNG ghi gì vì có dòng bị từ chối"
        return f"{Path(self.path).name}: {parts or 'không có dòng nào'} — {state}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "format": self.file_format,
            "dry_run": self.dry_run,
            "allow_partial": self.allow_partial,
            "applied": self.applied,
            "counts": self.counts(),
            "summary": self.summary(),
            "notes": self.notes,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "quality": self.quality.to_dict(),
            "rows": [r.to_dict() for r in self.rows],
        }


def detect_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImportFileError(f"Không nhận dạng được định dạng tệp “{path.name}” (dùng .jsonl, .json, .csv hoặc .xlsx)")
    return fmt


@dataclass
class ParsedFile:
    """A file read and validated, before anything is compared with the store."""

    path: Path
    file_format: str
    rows: list[ParsedRow]
    notes: list[str] = field(default_factory=list)  # file-level remarks (ignored columns…)


def parse_file(path: Path | str, *, progress: ProgressCallback | None = None) -> ParsedFile:
    """Read and parse every row (no database access), within the caps of ``limits``: raises
    ImportFileError (``limits.ImportLimitError`` for a cap) as soon as the file exceeds one."""
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"Không tìm thấy tệp “{path}”")
    fmt = detect_format(path)
    limits.check_file_size(path)
    total = 0
    if fmt == "jsonl":
        with path.open("rb") as handle:
            total = sum(1 for line in handle if line.strip())
    parsed_file = ParsedFile(path, fmt, [])
    rows = parsed_file.rows
    for parsed in _READERS[fmt](path, parsed_file.notes):
        if len(rows) >= limits.MAX_ROWS:
            raise limits.too_many_rows()
        parsed.warnings = list(dict.fromkeys(parsed.warnings))
        rows.append(parsed)
        if progress:
            progress("parse", len(rows), total)
    return parsed_file


def import_file(
    session: Session,
    path: Path | str,
    *,
    actor: Actor,
    dry_run: bool = False,
    allow_partial: bool = False,
    overwrite_curated: bool = False,
    progress: ProgressCallback | None = None,
    commit: bool = True,
) -> ImportReport:
    """Import ``path`` (.jsonl/.json catalogue, .csv/.xlsx sheet) into the procedure store.

    The file is one transaction (a SAVEPOINT, so the caller's own pending work is untouched):
    applied only when no row is rejected (or ``allow_partial``) and not ``dry_run``. With
    ``commit=True`` an applied import is committed; pass ``commit=False`` to leave that to the
    caller (e.g. inside ``session_scope``). Procedures that came from the reviewed seed files or
    an admin (origin "seed"/"admin") are reported as "kept" and not overwritten unless
    ``overwrite_curated``. Raises ImportFileError when the file as a whole cannot be read.
    """
    started = time.perf_counter()
    parsed_file = parse_file(path, progress=progress)
    return apply_parsed(
        session,
        parsed_file,
        actor=actor,
        dry_run=dry_run,
        allow_partial=allow_partial,
        overwrite_curated=overwrite_curated,
        progress=progress,
        commit=commit,
        started=started,
    )


def apply_parsed(
    session: Session,
    parsed_file: ParsedFile,
    *,
    actor: Actor,
    dry_run: bool = False,
    allow_partial: bool = False,
    overwrite_curated: bool = False,
    progress: ProgressCallback | None = None,
    commit: bool = True,
    started: float | None = None,
) -> ImportReport:
    """The write phase of ``import_file`` for a file already parsed: takes the database's write
    lock (SQLite), compares each row with the store and writes it (a dry run rolls back)."""
    started = time.perf_counter() if started is None else started
    path, parsed_rows = parsed_file.path, parsed_file.rows
    report = ImportReport(
        path=str(path), file_format=parsed_file.file_format, dry_run=dry_run, allow_partial=allow_partial
    )
    report.notes.extend(parsed_file.notes)
    report.quality = QualitySummary.of(parsed_rows)
    if parsed_file.file_format in ("jsonl", "json"):  # the portal's text; a sheet states its facts
        report.notes.extend(report.quality.lines())

    # Duplicated codes: the last row wins; the earlier ones are reported and skipped.
    last_row: dict[str, int] = {}
    for parsed in parsed_rows:
        if parsed.code:
            last_row[parsed.code] = parsed.row
    outcomes: dict[int, RowOutcome] = {}
    todo: list[ParsedRow] = []
    for parsed in parsed_rows:
        winner = last_row.get(parsed.code or "")
        if parsed.code and winner != parsed.row:
            outcomes[parsed.row] = RowOutcome(
                parsed.row,
                parsed.code,
                "duplicate",
                reason=f"Mã {parsed.code} lặp lại ở dòng {winner}; dùng dòng sau cùng (duplicate code, last row wins)",
                warnings=parsed.warnings,
            )
        elif parsed.error is not None or parsed.record is None:
            error = parsed.error
            reason = f"{error.message} — {error.detail}" if error and error.detail else str(error)
            outcomes[parsed.row] = RowOutcome(parsed.row, parsed.code, "rejected", reason, warnings=parsed.warnings)
        else:
            todo.append(parsed)
    if len(last_row) < sum(1 for p in parsed_rows if p.code):
        dupes = sorted({o.code for o in outcomes.values() if o.status == "duplicate" and o.code})
        report.notes.append(f"Có {len(dupes)} mã lặp lại trong tệp (dùng dòng sau cùng): {', '.join(dupes[:20])}")

    begin_writing(session, lock=CATALOGUE_LOCK)  # reads and dry-run writes below must not race other writers
    outer = session.begin_nested()
    try:
        for done, parsed in enumerate(todo, start=1):
            outcomes[parsed.row] = _apply_row(
                session, parsed, actor=actor, source=path.name, overwrite_curated=overwrite_curated
            )
            if progress:
                progress("apply", done, len(todo))
        report.rows = [outcomes[row] for row in sorted(outcomes)]
        if dry_run or (report.rejected and not allow_partial):
            outer.rollback()
        else:
            outer.commit()
            if commit:
                session.commit()
            report.applied = True
    except BaseException:
        if outer.is_active:
            outer.rollback()
        raise
    report.elapsed_seconds = time.perf_counter() - started
    return report


def _apply_row(
    session: Session, parsed: ParsedRow, *, actor: Actor, source: str, overwrite_curated: bool
) -> RowOutcome:
    outcome = _apply_record(session, parsed, actor=actor, source=source, overwrite_curated=overwrite_curated)
    outcome.name = parsed.record.name if parsed.record is not None else None
    return outcome


def _apply_record(
    session: Session, parsed: ParsedRow, *, actor: Actor, source: str, overwrite_curated: bool
) -> RowOutcome:
    record = parsed.record
    assert record is not None
    existing = procedures.get_by_code(session, record.code, include_unpublished=True)
    before = procedures.to_record(existing) if existing is not None else None
    if before is not None and parsed.fields is not None:
        # A sheet only manages the columns it has: keep the stored value of the others.
        keep = {name: getattr(before, name) for name in ProcedureRecord.model_fields if name not in parsed.fields}
        record = record.model_copy(update=keep)
    if existing is not None and before is not None and existing.origin in CURATED_ORIGINS and not overwrite_curated:
        changes = _changes(before, record)
        if changes:
            return RowOutcome(
                parsed.row,
                record.code,
                "kept",
                reason=f"Thủ tục đã được biên tập (nguồn “{existing.origin}”): không ghi đè "
                "(curated record kept; use overwrite_curated / --overwrite-curated)",
                changed_fields=list(changes),
                changes=changes,
                warnings=parsed.warnings,
            )
    savepoint = session.begin_nested()
    try:
        result = procedures.upsert(
            session, record, actor=actor, origin=ORIGIN, note=f"import {source} dòng {parsed.row}", keep_aliases=True
        )
        savepoint.commit()
    except (ValueError, SQLAlchemyError) as exc:
        savepoint.rollback()
        return RowOutcome(
            parsed.row,
            record.code,
            "rejected",
            reason=f"Không ghi được thủ tục {record.code}: {exc} — {type(exc).__name__}",
            warnings=parsed.warnings,
        )
    if result.created:
        return RowOutcome(parsed.row, record.code, "added", warnings=parsed.warnings)
    if not result.changed:
        return RowOutcome(parsed.row, record.code, "unchanged", warnings=parsed.warnings)
    assert before is not None
    changes = _changes(before, record)
    return RowOutcome(
        parsed.row, record.code, "updated", changed_fields=list(changes), changes=changes, warnings=parsed.warnings
    )


def _changes(before: ProcedureRecord, record: ProcedureRecord) -> dict[str, dict[str, Any]]:
    """Field → before/after, as upsert will store it (aliases are merged, never dropped)."""
    merged = before.aliases + [a for a in record.aliases if a not in before.aliases]
    after = record.model_copy(update={"aliases": merged})
    return {
        name: {"before": _jsonable(getattr(before, name)), "after": _jsonable(getattr(after, name))}
        for name in ProcedureRecord.model_fields
        if getattr(before, name) != getattr(after, name)
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)
