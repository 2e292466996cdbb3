"""The procedure record as it travels: seed files, imports, admin edits and API responses."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.vntext import normalize_folded

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


class DocumentRecord(_Strict):
    name: str = Field(min_length=2)
    form: str | None = None
    kind: DocumentKind | None = None
    count: int | None = Field(default=None, ge=0)
    required: bool = True
    condition: str | None = None


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
    conditions: str | None = None
    result: str | None = None
    legal_basis: list[LegalBasisRecord] = Field(default_factory=list)
    online_url: str | None = None
    source_url: str | None = None
    source_note: str | None = None
    last_verified: dt.date | None = None

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
