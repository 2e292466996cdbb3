"""Comparing procedure snapshots: field-level changes and a unified text diff, for the admin's
history pages and the import preview; and a procedure's version timeline with the pair of versions
its history page compares by default. Pure functions over ``ProcedureRecord`` JSON snapshots."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

import yaml

from knowledge.procedures.facts import DEADLINE_KIND_LABELS, FEE_KIND_LABELS, QUALITY_FLAG_KINDS
from knowledge.procedures.models import (
    CHANNEL_LABELS,
    DOCUMENT_KIND_LABELS,
    LEVEL_LABELS,
    Procedure,
    ProcedureVersion,
)
from knowledge.procedures.schemas import ProcedureRecord

# Vietnamese names of ProcedureRecord fields, for messages and pages an editor acts on.
FIELD_LABELS: dict[str, str] = {
    "code": "mã thủ tục",
    "name": "tên thủ tục",
    "official_name": "tên đầy đủ",
    "levels": "cấp thực hiện",
    "field": "lĩnh vực",
    "agency": "cơ quan thực hiện",
    "receiving_place": "nơi tiếp nhận",
    "applicants": "đối tượng thực hiện",
    "publishing_decision": "quyết định công bố",
    "aliases": "tên gọi khác",
    "steps": "trình tự thực hiện",
    "channels": "cách thức thực hiện",
    "documents": "thành phần hồ sơ",
    "guidance": "hướng dẫn thêm về hồ sơ",
    "checklist_questions": "câu hỏi lập danh sách giấy tờ",
    "conditions": "yêu cầu, điều kiện",
    "result": "kết quả",
    "legal_basis": "căn cứ pháp lý",
    "online_url": "đường dẫn nộp trực tuyến",
    "source_url": "đường dẫn nguồn",
    "source_note": "ghi chú nguồn",
    "last_verified": "ngày đối chiếu",
    "quality_flags": "cảnh báo chất lượng dữ liệu",
}
SUBFIELD_LABELS: dict[str, str] = {
    "kind": "hình thức",
    "processing_time": "thời hạn",
    "processing_days": "số ngày",
    "fee": "phí, lệ phí",
    "fee_vnd": "số tiền (đồng)",
    "note": "ghi chú",
    "fee_kind": "loại thông tin phí",
    "fee_unit": "đơn vị tính phí",
    "fee_basis": "căn cứ mức thu",
    "deadline_kind": "loại thời hạn",
    "detail": "chi tiết",
    "name": "tên",
    "form": "mẫu đơn",
    "count": "số lượng",
    "required": "bắt buộc",
    "condition": "điều kiện",
    "number": "số hiệu",
    "title": "trích yếu",
    "text": "nội dung",
    "applies_when": "áp dụng khi",
    "form_url": "đường dẫn mẫu đơn",
    "key": "mã",
    "options": "lựa chọn",
    "ask_when": "chỉ hỏi khi",
}
FIELD_ORDER: tuple[str, ...] = tuple(ProcedureRecord.model_fields)


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    before: Any
    after: Any

    @property
    def before_text(self) -> str:
        return format_value(self.field, self.before)

    @property
    def after_text(self) -> str:
        return format_value(self.field, self.after)


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "remove", "hunk", "context", "header"
    text: str


def field_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[FieldChange]:
    """The fields whose value differs, in the record's own field order (``before=None``: all
    fields that have a value, as for a new procedure)."""
    old = before or {}
    changes = []
    for name in _ordered_keys(old, after):
        if old.get(name) != after.get(name) and not (before is None and _empty(after.get(name))):
            changes.append(FieldChange(name, field_label(name), old.get(name), after.get(name)))
    return changes


def unified_diff(
    before: dict[str, Any] | None, after: dict[str, Any], *, before_name: str, after_name: str
) -> list[DiffLine]:
    """A line diff of the two snapshots as YAML (the seed files' format, so editors read it alike)."""
    old = snapshot_text(before) if before is not None else ""
    new = snapshot_text(after)
    lines: list[DiffLine] = []
    for raw in difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=before_name, tofile=after_name, lineterm="", n=2
    ):
        if raw.startswith(("---", "+++")):
            kind = "header"
        elif raw.startswith("@@"):
            kind = "hunk"
        elif raw.startswith("+"):
            kind = "add"
        elif raw.startswith("-"):
            kind = "remove"
        else:
            kind = "context"
        lines.append(DiffLine(kind, raw))
    return lines


def snapshot_text(snapshot: dict[str, Any]) -> str:
    ordered = {name: snapshot[name] for name in _ordered_keys(snapshot, {})}
    # One line per value (no wrapping): a changed word marks one line, not a reflowed paragraph.
    return yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=10**6, default_flow_style=False)


def format_value(name: str, value: Any) -> str:
    """One readable text for a field value: lists one item per line, codes as their labels."""
    if _empty(value):
        return "—"
    if name == "levels" and isinstance(value, list):
        return ", ".join(LEVEL_LABELS.get(v, str(v)) for v in value)
    if isinstance(value, list):
        return "\n".join(f"{i}. {_format_item(item)}" for i, item in enumerate(value, start=1))
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _format_item(item: Any) -> str:
    if not isinstance(item, dict):
        return str(item)
    parts = []
    for key, value in item.items():
        if _empty(value) or (key == "required" and value is True):
            continue
        if key in ("fee_kind", "deadline_kind") and value == "unknown":
            continue
        if key == "kind":
            value = (
                CHANNEL_LABELS.get(value) or DOCUMENT_KIND_LABELS.get(value) or QUALITY_FLAG_KINDS.get(value) or value
            )
        elif key == "fee_kind":
            value = FEE_KIND_LABELS.get(value, value)
        elif key == "deadline_kind":
            value = DEADLINE_KIND_LABELS.get(value, value)
        elif key in ("applies_when", "ask_when") and isinstance(value, dict):
            value = f"câu {value.get('question')} là {' hoặc '.join(map(str, value.get('options') or []))}"
        elif key == "options" and isinstance(value, list):
            value = ", ".join(f"{o.get('key')} = {o.get('label')}" if isinstance(o, dict) else str(o) for o in value)
        parts.append(f"{SUBFIELD_LABELS.get(key, key)}: {_scalar(value)}")
    return "; ".join(parts) or "—"


def _ordered_keys(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    known = [name for name in FIELD_ORDER if name in first or name in second]
    extra = sorted((set(first) | set(second)) - set(FIELD_ORDER))
    return known + extra


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


# --- a procedure's timeline --------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    version: ProcedureVersion
    changes: list[FieldChange]  # against the version before (none for the first)


@dataclass(frozen=True)
class VersionDiff:
    from_version: int
    to_version: int
    fields: list[FieldChange]
    lines: list[DiffLine]


@dataclass(frozen=True)
class VersionHistory:
    entries: list[TimelineEntry]  # newest first
    latest: int  # the current version number (0 when the procedure has none)
    numbers: list[int]  # every version number, newest first
    diff: VersionDiff | None  # None when the procedure has no version


def version_history(
    procedure: Procedure, from_version: int | None = None, to_version: int | None = None
) -> VersionHistory:
    """The timeline of ``procedure`` and the diff of two of its versions.

    By default (or when a number asked for does not exist) the diff compares the latest version
    with the one before it: what the last change did, which is what an editor opening the page
    after an edit or a revert wants to see. A procedure with one version compares it with itself."""
    versions = sorted(procedure.versions, key=lambda v: v.version)
    by_number = {v.version: v for v in versions}
    latest = max(by_number, default=0)
    entries: list[TimelineEntry] = []
    previous: dict[str, Any] | None = None
    for item in versions:
        changes = field_changes(previous, item.snapshot) if previous is not None else []
        entries.append(TimelineEntry(item, changes))
        previous = item.snapshot
    entries.reverse()

    diff = None
    if by_number:
        to_number = to_version if to_version in by_number else latest
        default_from = max((n for n in by_number if n < to_number), default=to_number)
        from_number = from_version if from_version in by_number else default_from
        before, after = by_number[from_number].snapshot, by_number[to_number].snapshot
        diff = VersionDiff(
            from_version=from_number,
            to_version=to_number,
            fields=field_changes(before, after),
            lines=unified_diff(
                before, after, before_name=f"phiên bản {from_number}", after_name=f"phiên bản {to_number}"
            ),
        )
    return VersionHistory(entries=entries, latest=latest, numbers=sorted(by_number, reverse=True), diff=diff)
