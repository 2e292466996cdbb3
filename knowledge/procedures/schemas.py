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


class DocumentRecord(_Strict):
    name: str = Field(min_length=2)
    form: str | None = None
    kind: DocumentKind | None = None
    count: int | None = Field(default=None, ge=0)
    required: bool = True
    condition: str | None = None


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
