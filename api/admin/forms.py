"""The procedure edit form: what the browser posts ⇄ ProcedureRecord, with Vietnamese errors
keyed by the form field they belong to, and the typed values kept for redisplay.

Lists travel as numbered rows (``channels-0-fee``, ``documents-2-name``); rows left blank are
dropped. Steps and guidance lines are rows too (one may span lines); aliases are one per line.
Quality flags are not edited here: the importer sets them and an editor's confirmation clears them
(knowledge/procedures/quality.py); the edit route keeps the stored ones.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from starlette.datastructures import FormData

from knowledge.centres.schemas import CentreInput
from knowledge.procedures.facts import DEADLINE_KIND_LABELS, DEADLINE_KINDS, FEE_KIND_LABELS, FEE_KINDS
from knowledge.procedures.history import FIELD_LABELS, SUBFIELD_LABELS
from knowledge.procedures.models import CHANNEL_KINDS, DOCUMENT_KINDS, LEVELS
from knowledge.procedures.schemas import ProcedureRecord

TEXT_FIELDS = (
    "name",
    "official_name",
    "field",
    "agency",
    "receiving_place",
    "applicants",
    "publishing_decision",
    "conditions",
    "result",
    "online_url",
    "source_url",
    "source_note",
)
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    # A step may span several lines (the national catalogue's do), so each is its own row.
    "steps": ("text",),
    "channels": (
        "kind",
        "condition",
        "processing_time",
        "processing_days",
        "deadline_kind",
        "fee",
        "fee_kind",
        "fee_vnd",
        "fee_unit",
        "fee_basis",
        "note",
    ),
    "documents": ("name", "form", "kind", "count", "required", "condition"),
    # Prose lines the source put in its documents table: shown after the documents, never as one.
    "guidance": ("text",),
    "legal_basis": ("number", "title"),
}
# A row counts as filled when any of these has text (a checked "required" box alone does not, nor
# the kinds of a fee or a deadline, which every row offers with "unknown" chosen).
_ROW_CONTENT = {
    "steps": ("text",),
    "channels": (
        "kind",
        "condition",
        "processing_time",
        "processing_days",
        "fee",
        "fee_vnd",
        "fee_unit",
        "fee_basis",
        "note",
    ),
    "documents": ("name", "form", "kind", "count", "condition"),
    "guidance": ("text",),
    "legal_basis": ("number", "title"),
}
# The kinds of fact an editor chooses for a channel's fee and deadline, with their Vietnamese names.
FEE_KIND_OPTIONS: dict[str, str] = {kind: FEE_KIND_LABELS[kind] for kind in FEE_KINDS}
DEADLINE_KIND_OPTIONS: dict[str, str] = {kind: DEADLINE_KIND_LABELS[kind] for kind in DEADLINE_KINDS}
CHANNEL_FIELD_LABELS: dict[str, str] = {
    "condition": "Điều kiện phân biệt (khi có hai cách nộp cùng hình thức)",
    "deadline_kind": "Loại thời hạn",
    "fee_kind": "Loại phí, lệ phí",
    "fee_unit": "Đơn vị tính (mỗi hồ sơ, bản, trang…)",
    "fee_basis": "Văn bản hoặc cơ quan quy định mức thu",
}
MAX_ROWS = 200
FORM_LABELS = {"version": "phiên bản", "change_note": "ghi chú thay đổi", "__all__": "biểu mẫu"}
CENTRE_LABELS = {
    "unit_code": "Mã đơn vị hành chính",
    "name": "Tên trung tâm",
    "address": "Địa chỉ",
    "phone": "Điện thoại",
    "email": "Thư điện tử",
    "hours": "Giờ làm việc",
    "receives_levels": "Tiếp nhận thủ tục cấp",
    "extra_procedures": "Thủ tục tiếp nhận thêm",
    "source": "Nguồn thông tin",
}
CODE_HINT = "Mã thủ tục có dạng 1.001193 (hoặc 1.000494.000.00.00.H29 cho thủ tục riêng của địa phương)"
_ROW_KEY = re.compile(r"^(steps|channels|documents|guidance|legal_basis)-(\d{1,3})-(\w+)$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:[.,\s]\d{3})+$")
_VN_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def _messages(error: Mapping[str, Any], top: str) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "Bắt buộc"
    if kind == "string_too_short":
        return f"Cần ít nhất {ctx.get('min_length', 1)} ký tự"
    if kind == "too_short":
        return "Chọn ít nhất một" if top == "levels" else "Cần ít nhất một mục"
    if kind == "string_pattern_mismatch":
        return CODE_HINT if top == "code" else "Không đúng định dạng"
    if kind in ("greater_than_equal", "greater_than"):
        return "Không được là số âm"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "Phải là số nguyên"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return "Phải là một số (ví dụ 3 hoặc 1,5)"
    if kind.startswith("date"):
        return "Ngày không hợp lệ (ngày/tháng/năm)"
    if kind == "literal_error":
        return "Giá trị không hợp lệ"
    if kind == "string_too_long":
        return f"Tối đa {ctx.get('max_length')} ký tự"
    if kind == "value_error":  # a rule of the schema, said in Vietnamese by its validator
        return str(ctx.get("error") or "Không hợp lệ")
    return "Không hợp lệ"


@dataclass
class ProcedureForm:
    """Everything the edit page shows: raw values as typed, and errors by field name."""

    # code, TEXT_FIELDS, last_verified, aliases, version, change_note
    values: dict[str, str] = field(default_factory=dict)
    levels: list[str] = field(default_factory=list)
    rows: dict[str, list[dict[str, str]]] = field(default_factory=lambda: {k: [] for k in ROW_FIELDS})
    published: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: ProcedureRecord, *, version: int = 0) -> ProcedureForm:
        data = record.model_dump(mode="json")
        values = {name: data.get(name) or "" for name in TEXT_FIELDS}
        values.update(
            code=record.code,
            last_verified=data.get("last_verified") or "",
            aliases="\n".join(record.aliases),
            version=str(version),
            change_note="",
        )
        rows: dict[str, list[dict[str, str]]] = {}
        rows["steps"] = [{"text": step} for step in record.steps]
        rows["guidance"] = [{"text": line} for line in record.guidance]
        for kind, names in ROW_FIELDS.items():
            if kind not in ("steps", "guidance"):
                rows[kind] = [{name: _text(item.get(name)) for name in names} for item in data[kind]]
        return cls(values=values, levels=list(record.levels), rows=rows)

    @classmethod
    def blank(cls) -> ProcedureForm:
        return cls(values={"version": "0", "change_note": ""}, levels=["xa"])

    @classmethod
    def from_form(cls, form: FormData) -> ProcedureForm:
        values = {
            name: _posted(form.get(name))
            for name in (*TEXT_FIELDS, "code", "last_verified", "aliases", "version", "change_note")
        }
        levels = [str(v) for v in form.getlist("levels") if str(v) in LEVELS]
        found: dict[str, dict[int, dict[str, str]]] = {k: {} for k in ROW_FIELDS}
        for key, value in form.multi_items():
            match = _ROW_KEY.match(key)
            if match and match.group(3) in ROW_FIELDS[match.group(1)] and isinstance(value, str):
                found[match.group(1)].setdefault(int(match.group(2)), {})[match.group(3)] = _posted(value)
        # Rows left blank (the spare one each table offers) are dropped here, so a redisplayed
        # form does not grow one empty row per attempt; error keys use these positions.
        rows = {
            kind: [
                row
                for row in ({name: by_index[i].get(name, "") for name in ROW_FIELDS[kind]} for i in sorted(by_index))
                if any(row.get(name, "").strip() for name in _ROW_CONTENT[kind])
            ][:MAX_ROWS]
            for kind, by_index in found.items()
        }
        return cls(values=values, levels=levels, rows=rows, published=form.get("published") == "1")

    @property
    def version(self) -> int | None:
        raw = self.values.get("version", "").strip()
        return int(raw) if raw.isdigit() else None

    def to_record(self, *, code: str | None = None) -> ProcedureRecord | None:
        """The validated record, or None with ``errors`` filled. ``code`` fixes the code (editing
        an existing procedure); otherwise the form's code field is used."""
        self.errors = {}
        data: dict[str, Any] = {name: _blank_none(self.values.get(name, "")) for name in TEXT_FIELDS}
        data["code"] = code if code is not None else self.values.get("code", "").strip()
        data["levels"] = self.levels
        data["aliases"] = _lines(self.values.get("aliases", ""))
        data["last_verified"] = _date(self.values.get("last_verified", ""))
        positions: dict[str, list[int]] = {}
        for kind in ROW_FIELDS:
            items, positions[kind] = [], []
            for pos, row in enumerate(self.rows[kind]):
                if not any(row.get(name, "").strip() for name in _ROW_CONTENT[kind]):
                    continue
                items.append(_row_data(kind, row))
                positions[kind].append(pos)
            data[kind] = items

        for name in ("online_url", "source_url"):
            if data[name] and not _is_web_url(data[name]):
                self.errors[name] = "Đường dẫn phải bắt đầu bằng https:// (hoặc http://) và có tên miền"
        if isinstance(data["last_verified"], dt.date) and data["last_verified"] > dt.date.today():
            self.errors["last_verified"] = "Ngày đối chiếu không được ở tương lai"
        for pos, row in enumerate(self.rows["channels"]):
            if pos in positions["channels"] and not row.get("kind", "").strip():
                self.errors[f"channels-{pos}-kind"] = "Chọn hình thức nộp"
        for pos, item in zip(positions["channels"], data["channels"], strict=True):
            for name, message in _channel_kind_problems(item).items():
                self.errors.setdefault(f"channels-{pos}-{name}", message)

        try:
            record = ProcedureRecord.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                key = _error_key(error.get("loc", ()), positions)
                self.errors.setdefault(key, _messages(error, key.split("-")[0]))
            return None
        return None if self.errors else record

    def rows_for_display(self, kind: str, spare: int = 1) -> list[dict[str, str]]:
        """The rows as typed plus ``spare`` blank ones, so a browser without JavaScript can add."""
        blank = {name: "" for name in ROW_FIELDS[kind]}
        if kind == "documents":
            blank["required"] = "1"
        return [*self.rows[kind], *([blank] * spare)]

    @property
    def error_summary(self) -> list[tuple[str, str]]:
        """(field key, "Where: what") for the list at the top of the page, in form order."""
        return [(key, f"{_where(key)}: {message}") for key, message in self.errors.items()]


def _where(key: str) -> str:
    match = _ROW_KEY.match(key)
    if match:
        kind, pos, sub = match.groups()
        return f"{FIELD_LABELS.get(kind, kind).capitalize()}, dòng {int(pos) + 1} — {SUBFIELD_LABELS.get(sub, sub)}"
    return FORM_LABELS.get(key, FIELD_LABELS.get(key, key)).capitalize()


def _error_key(loc: tuple[Any, ...], positions: dict[str, list[int]]) -> str:
    if not loc:
        return "__all__"
    top = str(loc[0])
    if top in ROW_FIELDS and len(loc) >= 2 and isinstance(loc[1], int):
        pos = positions[top][loc[1]] if loc[1] < len(positions[top]) else loc[1]
        return f"{top}-{pos}-{loc[2]}" if len(loc) >= 3 else f"{top}-{pos}-{ROW_FIELDS[top][0]}"
    return top


def _row_data(kind: str, row: dict[str, str]) -> Any:
    if kind in ("steps", "guidance"):
        return row.get("text", "").strip()
    if kind == "channels":
        return {
            "kind": row.get("kind", "").strip() or None,
            "processing_time": _blank_none(row.get("processing_time", "")),
            "processing_days": _number(row.get("processing_days", ""), integer=False),
            "fee": _blank_none(row.get("fee", "")),
            "fee_vnd": _number(row.get("fee_vnd", ""), integer=True),
            "note": _blank_none(row.get("note", "")),
            # A kind left unchosen is "unknown" (the schema's default): never a guess.
            "fee_kind": row.get("fee_kind", "").strip() or "unknown",
            "fee_unit": _blank_none(row.get("fee_unit", "")),
            "fee_basis": _blank_none(row.get("fee_basis", "")),
            "deadline_kind": row.get("deadline_kind", "").strip() or "unknown",
            "condition": _blank_none(row.get("condition", "")),
        }
    if kind == "documents":
        return {
            "name": row.get("name", "").strip(),
            "form": _blank_none(row.get("form", "")),
            "kind": row.get("kind", "").strip() or None,
            "count": _number(row.get("count", ""), integer=True),
            "required": row.get("required") == "1",
            "condition": _blank_none(row.get("condition", "")),
        }
    return {"number": _blank_none(row.get("number", "")), "title": _blank_none(row.get("title", ""))}


def _channel_kind_problems(item: dict[str, Any]) -> dict[str, str]:
    """What the chosen fee and deadline kinds need from the other cells of a channel (the rules
    of ChannelRecord's validator), said in Vietnamese next to the cell to fill or empty. Values
    that are not numbers yet are left to the schema's own message."""
    problems: dict[str, str] = {}
    fee_kind, deadline_kind = item.get("fee_kind"), item.get("deadline_kind")
    amount, days = _numeric(item.get("fee_vnd")), _numeric(item.get("processing_days"))
    label = FEE_KIND_OPTIONS.get(str(fee_kind), str(fee_kind))
    foreign = "USD" in (item.get("fee") or "")
    if isinstance(amount, float):
        if fee_kind == "amount" and amount <= 0 and not foreign:
            problems["fee_vnd"] = f"Loại phí “{label}” cần số tiền lớn hơn 0 (như nguồn ghi)"
        if fee_kind == "free" and amount != 0:
            problems["fee_vnd"] = "Loại phí “Miễn phí”: để trống số tiền hoặc ghi 0"
        if fee_kind in ("unclear", "by_regulation") and amount:
            problems["fee_vnd"] = f"Loại phí “{label}” không ghi một số tiền chắc chắn: để trống ô số tiền"
    elif item.get("fee_vnd") is None and fee_kind == "amount" and not foreign:
        problems["fee_vnd"] = f"Loại phí “{label}” cần số tiền (đồng) như nguồn ghi"
    if fee_kind == "by_regulation" and not item.get("fee_basis"):
        problems["fee_basis"] = "Ghi văn bản hoặc cơ quan quy định mức thu (ví dụ Thông tư 244/2016/TT-BTC)"
    if deadline_kind in ("working_days", "days") and item.get("processing_days") is None:
        problems["processing_days"] = (
            f"Loại thời hạn “{DEADLINE_KIND_OPTIONS.get(str(deadline_kind))}” cần số ngày như nguồn ghi"
        )
    if deadline_kind == "same_day" and isinstance(days, float) and days not in (0, 1):
        problems["processing_days"] = "Thời hạn “trong ngày”: số ngày để trống, 0 hoặc 1"
    return problems


def _numeric(value: Any) -> float | None:
    """A cell's number as the schema will read it; None when blank or not a number (the schema
    then says what is wrong)."""
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _number(raw: str, *, integer: bool) -> Any:
    """ "20.000" / "20,000" / "20 000" → 20000; "1,5" → 1.5; anything else goes to the schema as
    typed, so its error says what is wrong."""
    text = raw.strip().removesuffix("đồng").removesuffix("đ").strip()
    if not text:
        return None
    if integer and _THOUSANDS.match(text):
        return int(re.sub(r"[.,\s]", "", text))
    if not integer and re.fullmatch(r"\d+,\d+", text):
        return text.replace(",", ".")
    return text


def _date(raw: str) -> Any:
    text = raw.strip()
    if not text:
        return None
    match = _VN_DATE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return dt.date(year, month, day)
        except ValueError:
            return text
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return text


def _is_web_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


def _posted(value: Any) -> str:
    # Browsers send textarea line breaks as CRLF; the store keeps LF, so an untouched field
    # must not come back as a change.
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else ""


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _blank_none(text: str) -> str | None:
    return text.strip() or None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


CHANNEL_OPTIONS = CHANNEL_KINDS
DOCUMENT_OPTIONS = DOCUMENT_KINDS
CENTRE_TEXT_FIELDS = ("unit_code", "name", "address", "phone", "email", "hours", "source")


@dataclass
class CentreForm:
    values: dict[str, str] = field(default_factory=dict)
    levels: list[str] = field(default_factory=list)
    is_demo: bool = False
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_centre(cls, centre: Any) -> CentreForm:
        values = {name: getattr(centre, name) or "" for name in CENTRE_TEXT_FIELDS}
        values["extra_procedures"] = "\n".join(centre.extra_procedures or [])
        return cls(values=values, levels=list(centre.receives_levels or []), is_demo=bool(centre.is_demo))

    @classmethod
    def blank(cls) -> CentreForm:
        return cls(values={name: "" for name in (*CENTRE_TEXT_FIELDS, "extra_procedures")}, levels=["xa"])

    @classmethod
    def from_form(cls, form: FormData) -> CentreForm:
        values = {name: _posted(form.get(name)) for name in (*CENTRE_TEXT_FIELDS, "extra_procedures")}
        return cls(
            values=values,
            levels=[str(v) for v in form.getlist("receives_levels") if str(v) in LEVELS],
            is_demo=form.get("is_demo") == "1",
        )

    def to_input(self) -> CentreInput | None:
        data: dict[str, Any] = {name: self.values.get(name, "") for name in CENTRE_TEXT_FIELDS}
        data["receives_levels"] = self.levels
        data["extra_procedures"] = [c for c in re.split(r"[\s,;]+", self.values.get("extra_procedures", "")) if c]
        data["is_demo"] = self.is_demo
        self.errors = {}
        try:
            return CentreInput.model_validate(data)
        except ValidationError as exc:
            for error in exc.errors():
                key = str(error["loc"][0]) if error.get("loc") else "__all__"
                custom = error.get("type", "").startswith("centre_")
                if key == "unit_code" and error.get("type") == "string_pattern_mismatch":
                    message = "Mã đơn vị hành chính gồm 2–5 chữ số (ví dụ 26743 cho phường Bến Thành)"
                else:
                    message = error["msg"] if custom else _messages(error, key)
                self.errors.setdefault(key, message)
            return None

    @property
    def error_summary(self) -> list[tuple[str, str]]:
        return [(key, f"{CENTRE_LABELS.get(key, key)}: {message}") for key, message in self.errors.items()]
