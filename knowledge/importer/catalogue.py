"""The national catalogue export (JSON / JSONL, one procedure per object) → ProcedureRecord.

The portal's tables arrive flattened: cells are concatenated without separators, e.g.
``"Hình thức nộpThời gianPhí, lệ phíMô tảTrực tiếp7 Ngày làm việc20,000 Việt Nam Đồng(...)"``.
Each parser below recovers the rows from the one shape the portal uses for that table and
never guesses a value the text does not state: when a cell is ambiguous it keeps the text and
leaves the number (``processing_days``, ``fee_vnd``, ``count``) empty, and says so in a warning.

An object that already has the canonical shape (``code``, ``name``, ``levels``…) is accepted
as a ProcedureRecord as it is, so our own exports round-trip.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.vntext import fold
from knowledge.importer import legal_basis as legal
from knowledge.importer import limits
from knowledge.importer._text import MISSING, clean, folded, is_missing, shorten
from knowledge.importer.rows import ImportFileError, ParsedRow, RowError, validation_error
from knowledge.procedures.facts import FeeFact, QualityFlag, derive_deadline, derive_fee
from knowledge.procedures.schemas import (
    ChannelRecord,
    DocumentRecord,
    LegalBasisRecord,
    ProcedureRecord,
)

NAME_MAX = 500  # procedure.name is VARCHAR(500); the full text stays in official_name

LEVELS_VI = {"cap xa": "xa", "cap tinh": "tinh", "cap bo": "bo", "co quan khac": "khac"}


# --------------------------------------------------------------------------------------------
# Levels
# --------------------------------------------------------------------------------------------


def parse_levels(text: str | None) -> list[str]:
    """``"Cấp xã, Cấp tỉnh"`` → ``["xa", "tinh"]``; raises RowError on an unknown level."""
    levels: list[str] = []
    for part in (text or "").split(","):
        key = folded(part)
        if not key:
            continue
        level = LEVELS_VI.get(key)
        if level is None:
            raise RowError(
                f"Cấp thực hiện không hợp lệ: “{part.strip()}” (chỉ nhận Cấp xã, Cấp tỉnh, Cấp bộ, Cơ quan khác)",
                f"cap_thuc_hien: unknown level {part.strip()!r}",
            )
        if level not in levels:
            levels.append(level)
    if not levels:
        raise RowError("Thiếu cấp thực hiện", "cap_thuc_hien is empty")
    return levels


# --------------------------------------------------------------------------------------------
# Channels: "Hình thức nộp | Thời gian | Phí, lệ phí | Mô tả"
# --------------------------------------------------------------------------------------------

CHANNEL_HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
CHANNEL_KINDS = {"Trực tiếp": "in_person", "Trực tuyến": "online", "Dịch vụ bưu chính": "post"}

_UNIT = r"Ngày làm việc|Ngày|Giờ|Tháng|Năm|Tuần|Phút"
_AMOUNT = r"\d{1,3}(?:[,.]\d{3})+|\d+"
_CURRENCY = r"Việt Nam Đồng|VNĐ|VND|Đồng|đồng|USD"
_FEE = rf"Miễn phí|{MISSING}|(?:{_AMOUNT}) ?(?:{_CURRENCY})"
# The time cell: a number with its unit; a bare number (the unit was lost); a bare digit glued
# to a fee amount ("120 VNĐ" = "1" + "20 VNĐ"); "Không có thông tin"; or a short "Không …" text.
_TIME = (
    rf"(?P<num>\d+(?:[.,]\d+)?) ?(?P<unit>{_UNIT})"
    rf"|(?P<bare>\d+)(?=Miễn phí|{MISSING})"
    rf"|(?P<glued>\d)(?=\d)"
    rf"|(?P<none>{MISSING})"
    rf"|(?P<text>Không[^()\n]{{0,60}}?)"
)
_CHANNEL_ROW = re.compile(rf"(?P<kind>Trực tiếp|Trực tuyến|Dịch vụ bưu chính)(?:{_TIME})\s*(?P<fee>{_FEE})")
# Fallback when no row matches: a free-text time cell ("Hệ thống … phản hồi tự động.").
_CHANNEL_ROW_LENIENT = re.compile(
    rf"(?P<kind>Trực tiếp|Trực tuyến|Dịch vụ bưu chính)"
    rf"(?:(?P<num>\d+(?:[.,]\d+)?) ?(?P<unit>{_UNIT})|(?P<bare>(?!))|(?P<glued>(?!))|(?P<none>{MISSING})"
    rf"|(?P<text>[A-ZĐÀ-Ỹ](?:(?!Trực tiếp|Trực tuyến|Dịch vụ bưu chính)[^\n]){{0,300}}?))"
    rf"\s*(?P<fee>{_FEE})"
)
_MONEY_IN_NOTE = re.compile(r"(?<![\d/.,])(\d{1,3}(?:[.,]\d{3})+|\d{4,})(?!\d)\s*(?:đồng|Đồng|đ\b|VNĐ|vnđ|VND|/)")
_FEE_WORDS = re.compile(r"\b(?:phí|lệ phí|mức thu)\b", re.IGNORECASE)
_FEE_LEVEL_WORDS = re.compile(r"mức (?:thu|phí|lệ phí)|mức lệ phí|do hội đồng nhân dân|\d\s*%", re.IGNORECASE)


def _balanced_paren(text: str) -> int | None:
    """Length of the parenthesised group at the start of ``text`` (``None`` if unbalanced)."""
    depth = 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _strip_outer_parens(text: str) -> str:
    while text.startswith("(") and _balanced_paren(text) == len(text):
        text = text[1:-1].strip()
    return text


def _amount(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def parse_channels(
    text: str | None, warnings: list[str] | None = None, flags: list[QualityFlag] | None = None
) -> list[ChannelRecord]:
    """The flattened "Cách thức thực hiện" table → one ChannelRecord per row, each with the kind
    of its fee and deadline (``facts.derive_fee``/``derive_deadline``); what an editor should
    confirm is added to ``flags``."""
    warnings = warnings if warnings is not None else []
    flags = flags if flags is not None else []
    text = clean(text, multiline=True)
    if not text:
        return []
    body = text[len(CHANNEL_HEADER) :] if text.startswith(CHANNEL_HEADER) else text
    matches = list(_CHANNEL_ROW.finditer(body)) or list(_CHANNEL_ROW_LENIENT.finditer(body))
    if not matches:
        warnings.append("Không tách được bảng cách thức thực hiện")
        return []
    if body[: matches[0].start()].strip():
        warnings.append("Bỏ qua phần chữ trước dòng đầu của bảng cách thức thực hiện")
    channels: list[ChannelRecord] = []
    for i, m in enumerate(matches):
        tail = body[m.end() : matches[i + 1].start() if i + 1 < len(matches) else len(body)]
        channels.append(_channel_from_match(m, tail, warnings, flags))
    kinds = [c.kind for c in channels]
    for kind in dict.fromkeys(k for k in kinds if kinds.count(k) > 1):
        same = [c for c in channels if c.kind == kind]
        if len({(c.fee, c.processing_time) for c in same}) > 1 and not all(c.condition for c in same):
            fees = "; ".join(f"“{c.fee or 'không ghi phí'}”" for c in same)
            flags.append(
                QualityFlag("channel_duplicate_kind", f"{len(same)} dòng “{_KIND_VI[kind]}” khác nhau: {fees}")
            )
    return channels


_KIND_VI = {value: key for key, value in CHANNEL_KINDS.items()}


def _channel_from_match(
    m: re.Match[str], tail: str, warnings: list[str], flags: list[QualityFlag] | None = None
) -> ChannelRecord:
    flags = flags if flags is not None else []
    kind = CHANNEL_KINDS[m.group("kind")]
    processing_time: str | None
    processing_days: float | None = None
    if m.group("unit"):
        number, unit = m.group("num"), m.group("unit")
        processing_time = f"{number} {unit.lower()}"
        if unit in ("Ngày làm việc", "Ngày"):
            processing_days = float(number.replace(",", "."))
    elif m.group("bare") or m.group("glued"):
        # The portal lost the unit ("1" may mean one day or "trong ngày"): keep the number, no days.
        processing_time = f"{m.group('bare') or m.group('glued')} (không rõ đơn vị)"
    elif m.group("text"):
        processing_time = m.group("text").strip() or None
    else:
        processing_time = None

    fee_cell = m.group("fee")
    tail = tail.strip()
    note_parts: list[str] = []
    fee_note = ""
    if tail.startswith("("):
        end = _balanced_paren(tail)
        if end is None:  # unbalanced: the rest of the row is the fee description
            fee_note, tail = tail[1:].strip(), ""
        else:
            fee_note, tail = _strip_outer_parens(tail[:end]), tail[end:].strip()
    if fee_note and not is_missing(fee_note):
        note_parts.append(fee_note)
    if tail and not is_missing(tail):
        note_parts.append(tail)

    fee: str | None
    # The fee's own description is the bracketed text; the row's "Mô tả" counts only when it
    # talks about the fee.
    fee_text = fee_note if fee_note and not is_missing(fee_note) else ""
    if not fee_text and tail and _FEE_WORDS.search(tail) and not is_missing(tail):
        fee_text = tail
    if fee_cell == MISSING:
        fee = None
        fact = derive_fee(None, fee_text)
    elif fee_cell == "Miễn phí":
        fee = "Miễn phí"
        fact = derive_fee(fee, fee_text)
        # "Miễn phí" with a description that states amounts or a fee schedule is the portal's
        # default value, not a promise that the procedure is free.
        if fee_note and (_MONEY_IN_NOTE.search(fee_note) or _FEE_LEVEL_WORDS.search(fee_note)):
            warnings.append(f"Phí “Miễn phí” nhưng mô tả nêu mức phí ({kind}): không ghi fee_vnd")
            if fact.kind == "free":
                detail = f"Ô phí “Miễn phí” nhưng mô tả nêu mức thu: “{shorten(fee_note, 160)}”"
                fact = FeeFact("unclear", flags=[QualityFlag("fee_free_contradicted", detail)])
    else:
        fee = fee_cell
        amount = _amount(fee_cell)
        in_note = {_amount(a) for a in _MONEY_IN_NOTE.findall(fee_note)}
        if m.group("glued"):
            time_and_fee = m.group(0)[len(m.group("kind")) :]
            warnings.append(f"Thời gian và phí dính liền (“{time_and_fee}”): không ghi fee_vnd")
            fact = FeeFact(
                "unclear",
                flags=[QualityFlag("fee_amount_implausible", f"Thời gian và phí dính liền: “{time_and_fee}”")],
            )
        else:
            fact = derive_fee(fee_cell, fee_text)
            if fact.kind == "unclear" and amount < 1000 and not fee_cell.endswith("USD"):
                warnings.append(f"Mức phí {fee_cell} khó tin (dưới 1.000 đồng): không ghi fee_vnd")
            elif fact.kind == "amount" and fact.fee_vnd and in_note - {amount}:
                detail = f"Ô phí {fee_cell}; mô tả: “{shorten(fee_note, 160)}”"
                fact = FeeFact("unclear", unit=fact.unit, flags=[QualityFlag("fee_amounts_disagree", detail)])
            if fact.kind == "unclear" and any(f.kind == "fee_amounts_disagree" for f in fact.flags):
                warnings.append(f"Mô tả phí nêu nhiều mức khác {fee_cell}: không ghi fee_vnd")
    deadline = derive_deadline(processing_time, processing_days)
    if deadline.kind in ("working_days", "days"):
        processing_days = deadline.days
    where = _KIND_VI[kind]
    flags.extend(QualityFlag(f.kind, f"{where}: {f.detail}") for f in (*fact.flags, *deadline.flags))
    return ChannelRecord(
        kind=kind,
        processing_time=processing_time,
        processing_days=processing_days,
        fee=fee,
        fee_vnd=fact.fee_vnd if fact.kind in ("amount", "free") else None,
        note="\n".join(note_parts) or None,
        fee_kind=fact.kind,
        fee_unit=shorten(fact.unit, 64) if fact.unit else None,
        fee_basis=fact.basis,
        deadline_kind=deadline.kind,
    )


# --------------------------------------------------------------------------------------------
# Documents: [heading]"Tên giấy tờMẫu đơn, tờ khaiSố lượng" then rows "name[form]count"
# --------------------------------------------------------------------------------------------

DOCUMENT_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
# "1 bản chính", "0 bản chính,1 bản sao", "1 bản sao": one digit (the portal has no larger
# counts), glued to the next row. A name may end in a digit ("Ảnh 4x6" + "1 bản chính"), and
# "01 bản chính hoặc …" (leading zero, or followed by a space) is prose inside a name.
_COUNT = re.compile(r"(?P<n1>\d) bản (?P<k1>chính|sao)(?:,(?P<n2>\d) bản (?P<k2>sao))?(?=$|[^\s,;:.)])")


def _counts(text: str) -> Iterator[re.Match[str]]:
    for m in _COUNT.finditer(text):
        start = m.start()
        if start >= 1 and text[start - 1] == "0" and (start < 2 or not text[start - 2].isdigit()):
            continue
        yield m


_FILE_EXT = re.compile(r"\.(?:docx|doc|pdf|xlsx|xls|odt|rtf|zip|rar)", re.IGNORECASE)
_FILE_ILLEGAL = set('/\\:*?"<>|')
_FILE_START_WORDS = ("mau", "phu luc", "to khai", "van ban", "don ", "bieu mau", "pl", "tk")
_BULLET = re.compile(r"^[\s\-–+*•·>]+")
_HEADING_NOISE = re.compile(r"^[\s\-–]+$")
_GENERIC_HEADING = re.compile(
    r"^(?:[a-z0-9]{1,3}[.)]\s*)?(?:thanh phan ho so|giay to phai (?:nop|xuat trinh)|ho so gom|ho so bao gom|bao gom)\b"
)
_CASE_HEADING = re.compile(r"^(?:\(?[a-z0-9.]{1,5}\)\s*|[a-z0-9]{1,3}[.]\s*)?(?:truong hop|doi voi|neu |th )")


@dataclass
class _Group:
    heading: str | None
    rows: list[tuple[str, re.Match[str]]] = field(default_factory=list)


def _file_start(segment: str, ext_at: int) -> int | None:
    """Where the form file name(s) glued to the end of a document name begin."""
    floor = max(0, ext_at - 120)
    for i in range(ext_at - 1, floor - 1, -1):
        if segment[i] in _FILE_ILLEGAL:  # a file name cannot contain these: the name ends here
            floor = i + 1
            break
    for p in range(max(floor, 1), ext_at):
        prev, cur = segment[p - 1], segment[p]
        nxt = segment[p + 1] if p + 1 < len(segment) else ""
        if not cur.isalnum():
            continue
        if prev in ";)]" or (prev == "." and not (segment[p - 2 : p - 1].isdigit() and cur.isdigit())):
            return p
        if prev.islower() and cur.isupper():
            return p
        if (prev.isupper() or prev.isdigit() or prev in "”’") and cur.isupper() and nxt.islower():
            return p
        if prev.isalpha() and not prev.isspace():
            tail = fold(segment[p : p + 10])
            if any(tail.startswith(w) for w in _FILE_START_WORDS):
                return p
    return None


def _split_form(segment: str) -> tuple[str, str | None]:
    """``"Tờ khai (Mẫu 01).Mau01.docx"`` → ``("Tờ khai (Mẫu 01).", "Mau01.docx")``."""
    stripped = segment.rstrip()
    ends = list(_FILE_EXT.finditer(stripped))
    if not ends or ends[-1].end() != len(stripped):
        return segment, None
    first = ends[0]
    start = _file_start(stripped, first.start())
    if start is None:
        return segment, None
    name, form = stripped[:start], stripped[start:]
    form = _FILE_EXT.sub(lambda e: e.group(0) + "\x00", form).rstrip("\x00")
    form = ", ".join(part.strip() for part in form.split("\x00") if part.strip())
    if len(name.strip()) < 2:
        return form, form
    return name, form


def _heading(text: str) -> str | None:
    text = (text or "").strip()
    if not text or _HEADING_NOISE.match(text):
        return None
    text = re.sub(r"^-{2,}", "", text).strip()
    return text or None


def _doc_name(text: str) -> str:
    name = _BULLET.sub("", text).strip()
    return name.rstrip(" ;,.").strip()


def parse_documents(
    text: str | None, warnings: list[str] | None = None, guidance: list[str] | None = None
) -> list[DocumentRecord]:
    """The flattened "Thành phần hồ sơ" table(s) → DocumentRecord list (source order).

    With a ``guidance`` list, rows that are prose rather than documents (``_is_prose``, and every
    row under a "Lưu ý" heading) go there instead, so they are shown as guidance, never asked for
    as a document."""
    warnings = warnings if warnings is not None else []
    text = clean(text)
    if not text:
        return []
    if DOCUMENT_HEADER not in text:
        warnings.append("Không tìm thấy bảng thành phần hồ sơ")
        return []
    parts = text.split(DOCUMENT_HEADER)
    groups: list[_Group] = []
    heading = _heading(parts[0])
    for index, part in enumerate(parts[1:], start=1):
        group = _Group(heading)
        pos = 0
        for m in _counts(part):
            group.rows.append((part[pos : m.start()], m))
            pos = m.end()
        rest = part[pos:]
        if index < len(parts) - 1:
            heading = _heading(rest)
        elif _heading(rest):
            warnings.append(f"Bỏ qua đoạn cuối bảng hồ sơ không có số lượng: “{shorten(rest.strip(), 60)}”")
        groups.append(group)

    def key_of(heading: str | None) -> str:
        return folded(_BULLET.sub("", heading or ""))

    headed = {
        g.heading
        for g in groups
        if g.heading and not _GENERIC_HEADING.match(key_of(g.heading)) and not _NOTE_HEADING.match(key_of(g.heading))
    }
    documents: list[DocumentRecord] = []
    for group in groups:
        key = key_of(group.heading)
        generic = bool(_GENERIC_HEADING.match(key))
        note_group = bool(_NOTE_HEADING.match(key))
        looks_like_case = bool(_CASE_HEADING.match(key)) or "truong hop" in key[:60] or len(headed) > 1
        is_case = bool(group.heading) and not generic and not note_group and looks_like_case
        present = "xuat trinh" in key
        for segment, m in group.rows:
            if guidance is not None and (note_group or _is_prose(segment, m)):
                line = _doc_name(segment).strip()
                if len(line) >= 2:
                    guidance.append(line + ("" if line.endswith((".", ":", ";", "…")) else "."))
                continue
            doc = _document(segment, m, warnings)
            if doc is None:
                continue
            if present:
                doc["kind"] = "present"
            if is_case:
                doc["required"] = False
                doc["condition"] = shorten(_BULLET.sub("", group.heading or "").rstrip(" :"), 1000)
            documents.append(DocumentRecord(**doc))
    return documents


_NOTE_HEADING = re.compile(r"^(?:[a-z0-9]{1,3}[.)]\s*)?(?:luu y|chu y|ghi chu)\b")
# How prose starts in a documents table: who does what, when, in which case ("Trường hợp … thì"),
# a note. A document's name starts with what it is ("Giấy…", "Bản sao…", "Tờ khai…").
_PROSE_START = re.compile(
    r"^(?:\(?[a-z0-9]{1,3}[.)]\s*)?\(?(?:truong hop|doi voi|luu y|chu y|ghi chu|nguoi |ca nhan |co quan |"
    r"trong (?:thoi han|do|truong hop)|khi |neu |sau khi|truoc khi|cac giay to|giay to do co quan)"
)
_PROSE_WORDS = re.compile(r" thì | có trách nhiệm | không được | không phải | được quyền | có thể nộp ")


def _is_prose(segment: str, m: re.Match[str]) -> bool:
    """A row of the documents table that is a sentence, not a document: no count ("0 bản chính")
    and worded as an instruction or a case ("Trường hợp … thì …", "Người tiếp nhận có trách
    nhiệm …", "Lưu ý: …"), or a sub-heading ending with a colon."""
    if int(m.group("n1")) or int(m.group("n2") or 0):
        return False
    name = _doc_name(segment)
    key = folded(name)
    words = " ".join(name.lower().split())
    return bool(_PROSE_START.match(key) or _PROSE_WORDS.search(f" {words} ") or name.endswith(":"))


def _document(segment: str, m: re.Match[str], warnings: list[str]) -> dict[str, Any] | None:
    name, form = _split_form(segment)
    name = _doc_name(name)
    if len(name) < 2:
        if name or form:
            warnings.append(f"Bỏ qua giấy tờ không có tên trước “{m.group(0)}”")
        return None
    first = int(m.group("n1"))
    k1, n2 = m.group("k1"), m.group("n2")
    originals = first if k1 == "chính" else 0
    copies = first if k1 == "sao" else int(n2 or 0)
    kind: str | None
    count: int | None
    if originals and copies:
        # Both counts are given: keep them in the name rather than pick one kind.
        kind, count = None, None
        name = f"{name} ({originals} bản chính, {copies} bản sao)"
    elif originals:
        kind, count = "original", originals
    elif copies:
        kind, count = "copy", copies
    else:
        kind, count = None, None
    required, condition = True, None
    fname = folded(name)
    if "(neu co)" in fname:
        required, condition = False, "Nếu có"
    elif fname.startswith("truong hop") and ":" in name[:200]:
        required, condition = False, name.split(":", 1)[0].strip()
    return {
        "name": name,
        "form": form,
        "kind": kind,
        "count": count,
        "required": required,
        "condition": condition,
    }


# --------------------------------------------------------------------------------------------
# Legal basis: "Tên văn bản pháp lý | Mã văn bản", rows "title" + "number"
# --------------------------------------------------------------------------------------------

LEGAL_HEADER = legal.LEGAL_HEADER


def parse_legal_basis(
    text: str | None, warnings: list[str] | None = None, flags: list[QualityFlag] | None = None
) -> list[LegalBasisRecord]:
    """The flattened "Căn cứ pháp lý" table → LegalBasisRecord list (title + number); the layout
    and its traps are described in ``legal_basis.py``."""
    warnings = warnings if warnings is not None else []
    parsed = legal.parse(text)
    warnings.extend(parsed.warnings)
    if flags is not None:
        flags.extend(QualityFlag(kind, detail) for kind, detail in parsed.flags)
        if parsed.warnings and text and clean(text):
            flags.append(
                QualityFlag(
                    "legal_basis_suspect", f"Ô căn cứ pháp lý không có dạng bảng: “{shorten(clean(text) or '', 80)}”"
                )
            )
    return [LegalBasisRecord(number=row.number, title=row.title) for row in parsed.rows]


# --------------------------------------------------------------------------------------------
# Steps, result, conditions
# --------------------------------------------------------------------------------------------

_STEP_START = re.compile(r"^(?:[-+*•]\s*)?(?:[a-zđ]\)\s*)?(?:\d+[.)]\s*)?Bước\s*\d+", re.IGNORECASE)


def parse_steps(text: str | None) -> list[str]:
    """Free text with line breaks → steps. Lines starting with "Bước N" open a step and the
    lines below them belong to it; without such markers every non-empty line is a step."""
    text = clean(text, multiline=True)
    if not text:
        return []
    lines = [line for line in text.split("\n") if line.strip()]
    if not any(_STEP_START.match(line) for line in lines):
        return lines
    steps: list[str] = []
    for line in lines:
        if _STEP_START.match(line) or not steps:
            steps.append(line)
        else:
            steps[-1] += "\n" + line
    return steps


_PORTAL_TAIL = re.compile(r"(?:Từ khóa.*?Mô tả(?P<desc>.*?))?(?:Chọn cơ quan thực hiện.*)?$", re.DOTALL)
_RESULT_CODE = re.compile(r"Mã:\s*(?:[A-Z0-9][A-Za-z0-9.\-]*\d|[A-Za-z0-9.\-]+?(?=[A-ZĐ]|Từ khóa|$))")


def strip_portal_tail(text: str | None) -> str | None:
    """Drop the portal UI that the scraper kept after a field ("Từ khóa…Mô tả…", "Chọn cơ quan
    thực hiện…Nộp hồ sơ"); keep the "Mô tả" text when it says something."""
    if not text:
        return None
    cut = text.find("Từ khóa")
    choose = text.find("Chọn cơ quan thực hiện")
    if cut < 0 and choose < 0:
        return text
    desc = None
    if cut >= 0:
        tail = text[cut:]
        head = text[:cut]
        mo_ta = tail.find("Mô tả")
        if mo_ta >= 0:
            desc = tail[mo_ta + len("Mô tả") :]
            stop = desc.find("Chọn cơ quan thực hiện")
            desc = desc[:stop] if stop >= 0 else desc
            desc = clean(desc)
    else:
        head = text[:choose]
    head = head.strip()
    return "\n".join(p for p in (head, desc) if p) or None


def parse_result(text: str | None) -> str | None:
    """``"Giấy phépMã: KQ.G10.1Văn bản từ chốiMã: KQ.2Từ khóa…"`` → ``"Giấy phép; Văn bản từ chối"``."""
    text = strip_portal_tail(clean(text, multiline=True))
    if not text:
        return None
    items = [(clean(p, multiline=True) or "").rstrip(" .;,") for p in _RESULT_CODE.split(text)]
    items = [i for i in items if i]
    return "; ".join(items) or None


def parse_conditions(text: str | None) -> str | None:
    text = strip_portal_tail(clean(text, multiline=True))
    return clean(text, multiline=True)


# --------------------------------------------------------------------------------------------
# One record
# --------------------------------------------------------------------------------------------


# Markers the portal's data keeps on agency names: "Tòa án nhân dân_old", "…_cu", "…(old)".
_AGENCY_JUNK = re.compile(r"(?:_(?:old|cu|cũ|new|moi|mới|bak|test)\b|\((?:old|new|test)\))", re.IGNORECASE)


def clean_agency(text: str) -> str:
    """An agency name without the source's junk markers and stray punctuation."""
    cleaned = _AGENCY_JUNK.sub("", text)
    cleaned = re.sub(r"\s+-\s+", " - ", cleaned)
    cleaned = re.sub(r"\s{2,}", " ", cleaned).strip(" ,;_")
    return cleaned or text


def _flag_records(flags: list[QualityFlag]) -> list[dict[str, str]]:
    """One entry per (kind, detail), in order; details cut to a readable length."""
    records: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for flag in flags:
        key = (flag.kind, flag.detail)
        if key not in seen:
            seen.add(key)
            records.append({"kind": flag.kind, "detail": shorten(flag.detail, 300)})
    return records


def _short_name(official: str) -> str:
    name = re.sub(r"^thủ tục\s+", "", official, flags=re.IGNORECASE).strip()
    if name and name != official:
        name = name[0].upper() + name[1:]
    return shorten(name or official, NAME_MAX)


def catalogue_record(data: dict[str, Any], warnings: list[str] | None = None) -> ProcedureRecord:
    """One catalogue object → ProcedureRecord; raises RowError with a readable reason."""
    warnings = warnings if warnings is not None else []
    if "ma_thu_tuc" not in data and "code" in data:
        try:
            return ProcedureRecord.model_validate(data)
        except ValidationError as exc:
            raise validation_error(exc) from exc
    code = clean(data.get("ma_thu_tuc"))
    if not code:
        raise RowError("Thiếu mã thủ tục", "ma_thu_tuc is missing or empty")
    official = clean(data.get("ten_thu_tuc"))
    if not official:
        raise RowError("Thiếu tên thủ tục", "ten_thu_tuc is missing or empty")
    levels = parse_levels(clean(data.get("cap_thuc_hien")))

    flags: list[QualityFlag] = []
    guidance: list[str] = []
    channels = parse_channels(data.get("cach_thuc_thuc_hien"), warnings, flags)
    documents = parse_documents(data.get("thanh_phan_ho_so"), warnings, guidance)
    if guidance:
        flags.append(
            QualityFlag(
                "document_prose",
                f"{len(guidance)} dòng diễn giải trong bảng hồ sơ được chuyển sang hướng dẫn: “{shorten(guidance[0], 80)}”",
            )
        )
    legal_basis = parse_legal_basis(data.get("can_cu_phap_ly"), warnings, flags)
    agency = clean(data.get("co_quan_thuc_hien")) or clean(data.get("co_quan_co_tham_quyen"))
    if agency:
        cleaned = clean_agency(agency)
        if cleaned != agency:
            flags.append(QualityFlag("agency_cleaned", f"“{shorten(agency, 120)}” → “{shorten(cleaned, 120)}”"))
            agency = cleaned
    url = clean(data.get("detail_url"))
    decision = clean(data.get("so_quyet_dinh"))
    note = f"Cổng Dịch vụ công quốc gia, thủ tục {code}"
    if decision:
        note += f", quyết định công bố {decision}"
    record = {
        "code": code,
        "name": _short_name(official),
        "official_name": official,
        "levels": levels,
        "field": clean(data.get("linh_vuc")),
        "agency": agency,
        "receiving_place": clean(data.get("dia_chi_tiep_nhan")),
        "applicants": clean(data.get("doi_tuong_thuc_hien")),
        "publishing_decision": decision,
        "steps": parse_steps(data.get("trinh_tu_thuc_hien")),
        "channels": channels,
        "documents": documents,
        "guidance": guidance,
        "conditions": parse_conditions(data.get("yeu_cau_dieu_kien")),
        "result": parse_result(data.get("ket_qua_xu_ly")),
        "legal_basis": legal_basis,
        "online_url": url if any(c.kind == "online" for c in channels) else None,
        "source_url": url,
        "source_note": note,
        "quality_flags": _flag_records(flags),
    }
    try:
        return ProcedureRecord.model_validate(record)
    except ValidationError as exc:
        raise validation_error(exc) from exc


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def _parsed(row: int, data: Any) -> ParsedRow:
    if not isinstance(data, dict):
        return ParsedRow(row, error=RowError("Dòng không phải một đối tượng JSON", f"got {type(data).__name__}"))
    code = clean(data.get("ma_thu_tuc", data.get("code")))
    parsed = ParsedRow(row, code=code)
    try:
        parsed.record = catalogue_record(data, parsed.warnings)
    except RowError as exc:
        parsed.error = exc
    cell = data.get("can_cu_phap_ly")
    if parsed.record is not None and "ma_thu_tuc" in data and isinstance(cell, str) and clean(cell):
        rows = [(item.number, item.title) for item in parsed.record.legal_basis]
        parsed.legal = legal.measure(cell, rows)
    return parsed


def iter_jsonl(path: Path, notes: list[str] | None = None) -> Iterator[ParsedRow]:
    """One ParsedRow per non-blank line; ``row`` is the line number (1-based). A line longer
    than ``limits.MAX_LINE_CHARS`` refuses the file before it is read whole."""
    with path.open(encoding="utf-8-sig") as handle:
        try:
            for number, line in enumerate(limits.limited_lines(handle), start=1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield ParsedRow(number, error=RowError("Dòng JSON hỏng", f"{exc.msg} at column {exc.colno}"))
                    continue
                yield _parsed(number, data)
        except UnicodeDecodeError as exc:
            raise ImportFileError("Tệp JSON phải được lưu với bảng mã UTF-8") from exc


def iter_json(path: Path, notes: list[str] | None = None) -> Iterator[ParsedRow]:
    """A JSON array (or ``{"procedures": [...]}``); ``row`` is the 1-based position. Read whole:
    the caller has checked the file against ``limits.MAX_FILE_BYTES``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ImportFileError("Tệp JSON phải được lưu với bảng mã UTF-8") from exc
    except json.JSONDecodeError as exc:
        # A file holding one object per line is JSONL whatever its name says.
        if exc.msg == "Extra data":
            yield from iter_jsonl(path)
            return
        yield ParsedRow(exc.lineno, error=RowError("Tệp JSON hỏng", f"{exc.msg} at line {exc.lineno}"))
        return
    if isinstance(data, dict):
        data = next((data[k] for k in ("procedures", "items", "data") if isinstance(data.get(k), list)), [data])
    if not isinstance(data, list):
        yield ParsedRow(1, error=RowError("Tệp JSON phải là một danh sách thủ tục", f"got {type(data).__name__}"))
        return
    for number, item in enumerate(data, start=1):
        yield _parsed(number, item)
