"""The procedure record as it travels: seed files, imports, admin edits and API responses."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.vntext import normalize_folded
from knowledge.procedures.facts import QUALITY_FLAG_KINDS, DeadlineKind, FeeKind

Level = Literal["xa", "tinh", "bo", "khac"]
ChannelKind = Literal["in_person", "online", "post"]
DocumentKind = Literal["original", "copy", "certified_copy", "present", "electronic"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ChannelRecord(_Strict):
    kind: ChannelKind
    processing_time: str | None = None
    processing_days: float | None = Field(default=None, ge=0)
    fee: str | None = None
    fee_vnd: int | None = Field(default=None, ge=0)
    note: str | None = None
    # What kind of fact the fee and the deadline are (knowledge/procedures/facts.py).
    fee_kind: FeeKind = "unknown"
    fee_unit: str | None = Field(default=None, max_length=64)  # what an amount is per: "hồ sơ", "bản"…
    fee_basis: str | None = None  # the instrument or body that sets a by_regulation amount
    deadline_kind: DeadlineKind = "unknown"
    # What sets this channel apart from another of the same kind ("tại cơ quan đại diện Việt Nam ở nước ngoài").
    condition: str | None = None

    @model_validator(mode="after")
    def _kinds_match_values(self) -> ChannelRecord:
        problems: list[str] = []
        foreign = bool(self.fee and "USD" in self.fee)
        if self.fee_kind == "amount" and not (self.fee_vnd or foreign):
            problems.append("fee_kind amount cần fee_vnd > 0 (hoặc phí ghi bằng ngoại tệ, ví dụ USD)")
        if self.fee_kind == "by_regulation" and not self.fee_basis:
            problems.append("fee_kind by_regulation cần fee_basis (văn bản hoặc HĐND quy định mức thu)")
        if self.fee_kind == "free" and self.fee_vnd not in (None, 0):
            problems.append(f"fee_kind free nhưng fee_vnd = {self.fee_vnd}")
        if self.fee_kind in ("unclear", "by_regulation") and self.fee_vnd:
            problems.append(f"fee_kind {self.fee_kind} không được có fee_vnd (một mức thu chắc chắn)")
        if self.deadline_kind in ("working_days", "days") and self.processing_days is None:
            problems.append(f"deadline_kind {self.deadline_kind} cần processing_days")
        if self.deadline_kind == "same_day" and self.processing_days not in (None, 0, 1):
            problems.append(f"deadline_kind same_day nhưng processing_days = {self.processing_days}")
        if problems:
            raise ValueError(f"cách nộp {self.kind}: " + "; ".join(problems))
        return self


# A checklist question's key and its options' keys: short ASCII words ("bo_roi", "co"). The key
# "_channel" is the built-in "how will you submit" question (knowledge/checklists/service.py),
# whose options are the channel kinds; documents may depend on it too.
CHANNEL_QUESTION_KEY = "_channel"
_KEY = r"^[a-z][a-z0-9_]{0,39}$"


class AppliesWhenRecord(_Strict):
    """A document applies (or a question is asked) when the answer to ``question`` is one of ``options``."""

    question: str = Field(min_length=1, max_length=40)
    options: list[str] = Field(min_length=1)


class ChecklistOptionRecord(_Strict):
    key: str = Field(pattern=_KEY)
    label: str = Field(min_length=1, max_length=120)


class ChecklistQuestionRecord(_Strict):
    key: str = Field(pattern=_KEY)
    text: str = Field(min_length=3, max_length=300)
    options: list[ChecklistOptionRecord] = Field(min_length=2, max_length=8)
    ask_when: AppliesWhenRecord | None = None

    @model_validator(mode="after")
    def _unique_options(self) -> ChecklistQuestionRecord:
        keys = [o.key for o in self.options]
        if len(set(keys)) != len(keys):
            raise ValueError(f"câu hỏi {self.key}: trùng mã lựa chọn")
        labels = [normalize_folded(o.label) for o in self.options]
        if len(set(labels)) != len(labels):
            raise ValueError(f"câu hỏi {self.key}: trùng nhãn lựa chọn")
        return self


class DocumentRecord(_Strict):
    name: str = Field(min_length=2)
    form: str | None = None
    kind: DocumentKind | None = None
    count: int | None = Field(default=None, ge=0)
    required: bool = True
    condition: str | None = None
    # Which checklist answer makes this document apply (None: always / "có thể cần").
    applies_when: AppliesWhenRecord | None = None
    form_url: str | None = Field(default=None, max_length=1000, pattern=r"^https?://\S+$")


class QualityFlagRecord(_Strict):
    """Something an editor should confirm (set by the importer, cleared by an editor)."""

    kind: str
    detail: str = ""

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in QUALITY_FLAG_KINDS:
            raise ValueError(f"loại cảnh báo không có: {kind} (chỉ nhận {', '.join(QUALITY_FLAG_KINDS)})")
        return kind


class LegalBasisRecord(_Strict):
    number: str | None = None
    title: str | None = None


class ProcedureRecord(_Strict):
    code: str = Field(pattern=r"^\d\.\d{6}(\.[0-9A-Za-z.]+)?$")
    name: str = Field(min_length=3)
    official_name: str | None = None
    levels: list[Level] = Field(min_length=1)
    field: str | None = None
    agency: str | None = None
    receiving_place: str | None = None
    applicants: str | None = None
    publishing_decision: str | None = None
    aliases: list[str] = Field(default_factory=list)
    steps: list[str] = Field(default_factory=list)
    channels: list[ChannelRecord] = Field(default_factory=list)
    documents: list[DocumentRecord] = Field(default_factory=list)
    # Prose lines the source put in its documents table: shown after the documents, never as one.
    guidance: list[str] = Field(default_factory=list)
    # The questions that decide which documents a citizen's own case needs (personal checklist).
    checklist_questions: list[ChecklistQuestionRecord] = Field(default_factory=list)
    conditions: str | None = None
    result: str | None = None
    legal_basis: list[LegalBasisRecord] = Field(default_factory=list)
    online_url: str | None = None
    source_url: str | None = None
    source_note: str | None = None
    last_verified: dt.date | None = None
    quality_flags: list[QualityFlagRecord] = Field(default_factory=list)

    @field_validator("aliases")
    @classmethod
    def _lowercase_unique_aliases(cls, aliases: list[str]) -> list[str]:
        # "đk kết hôn" and "đăng ký kết hôn" are one alias once normalised: keep the first spelling.
        unique: dict[str, str] = {}
        for alias in aliases:
            alias = " ".join(alias.lower().split())
            key = normalize_folded(alias)
            if key and key not in unique:
                unique[key] = alias
        return sorted(unique.values())

    @model_validator(mode="after")
    def _checklist_refers_to_known_answers(self) -> ProcedureRecord:
        problems = checklist_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def checklist_problems(record: ProcedureRecord) -> list[str]:
    """Questions and documents' ``applies_when`` that refer to no question or option (a question
    may only depend on one asked before it), in Vietnamese for the editor."""
    problems: list[str] = []
    channel_kinds: list[str] = list(dict.fromkeys(c.kind for c in record.channels))
    known: dict[str, list[str]] = {CHANNEL_QUESTION_KEY: channel_kinds}
    for question in record.checklist_questions:
        if question.key in known:
            problems.append(f"câu hỏi {question.key}: trùng mã câu hỏi")
        if question.ask_when is not None:
            problems += _refers(f"câu hỏi {question.key} (chỉ hỏi khi)", question.ask_when, known, earlier_only=True)
        known[question.key] = [o.key for o in question.options]
    for i, document in enumerate(record.documents, start=1):
        if document.applies_when is not None:
            problems += _refers(f"giấy tờ {i} ({document.name[:40]})", document.applies_when, known)
    return problems


def _refers(
    where: str, rule: AppliesWhenRecord, known: dict[str, list[str]], *, earlier_only: bool = False
) -> list[str]:
    if rule.question not in known:
        before = "đứng trước" if earlier_only else "có"
        return [f"{where}: không có câu hỏi {before} mã “{rule.question}”"]
    unknown = [o for o in rule.options if o not in known[rule.question]]
    if unknown:
        return [f"{where}: câu hỏi {rule.question} không có lựa chọn {', '.join(unknown)}"]
    return []


class ProcedureSummary(BaseModel):
    code: str
    name: str
    level: list[str]
    field: str | None
    score: float


class ProcedureDetail(ProcedureRecord):
    """The full record as the API returns it."""

    model_config = ConfigDict(extra="ignore")
    origin: str
    published: bool
