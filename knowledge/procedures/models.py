"""The procedure catalogue: procedures, their submission channels, documents, aliases, versions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base

LEVELS = ("xa", "tinh", "bo", "khac")
LEVEL_LABELS = {"xa": "cấp xã", "tinh": "cấp tỉnh", "bo": "cấp bộ", "khac": "cơ quan khác"}
CHANNEL_KINDS = ("in_person", "online", "post")
CHANNEL_LABELS = {"in_person": "Nộp trực tiếp", "online": "Nộp trực tuyến", "post": "Qua bưu chính"}
DOCUMENT_KINDS = ("original", "copy", "certified_copy", "present", "electronic")
DOCUMENT_KIND_LABELS = {
    "original": "bản chính",
    "copy": "bản sao",
    "certified_copy": "bản sao chứng thực",
    "present": "xuất trình",
    "electronic": "bản điện tử",
}


class Procedure(Base):
    __tablename__ = "procedure"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(500))
    official_name: Mapped[str | None] = mapped_column(Text)
    levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    field: Mapped[str | None] = mapped_column(String(255))
    agency: Mapped[str | None] = mapped_column(Text)
    receiving_place: Mapped[str | None] = mapped_column(Text)
    applicants: Mapped[str | None] = mapped_column(Text)
    publishing_decision: Mapped[str | None] = mapped_column(String(255))
    steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    conditions: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    online_url: Mapped[str | None] = mapped_column(String(1000))
    source_url: Mapped[str | None] = mapped_column(String(1000))
    source_note: Mapped[str | None] = mapped_column(Text)
    last_verified: Mapped[dt.date | None] = mapped_column(Date)
    # Prose lines from the source's documents table, shown after the documents.
    guidance: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"kind": ..., "detail": ...}] set by the importer for editors to confirm (facts.QUALITY_FLAG_KINDS).
    quality_flags: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The questions that decide which documents a citizen's own case needs (knowledge/checklists):
    # [{"key", "text", "options": [{"key", "label"}], "ask_when": {"question", "options"} | null}].
    checklist_questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Where the record came from: "seed" (reviewed files in the repository), "import", "admin".
    origin: Mapped[str] = mapped_column(String(16), default="seed")
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())

    channels: Mapped[list[ProcedureChannel]] = relationship(
        back_populates="procedure", cascade="all, delete-orphan", order_by="ProcedureChannel.position"
    )
    documents: Mapped[list[ProcedureDocument]] = relationship(
        back_populates="procedure", cascade="all, delete-orphan", order_by="ProcedureDocument.position"
    )
    aliases: Mapped[list[ProcedureAlias]] = relationship(back_populates="procedure", cascade="all, delete-orphan")
    versions: Mapped[list[ProcedureVersion]] = relationship(
        back_populates="procedure", cascade="all, delete-orphan", order_by="ProcedureVersion.version"
    )


class ProcedureChannel(Base):
    """One way to submit (in person, online, by post), each with its own time and fee."""

    __tablename__ = "procedure_channel"

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16))
    processing_time: Mapped[str | None] = mapped_column(Text)
    processing_days: Mapped[float | None]
    fee: Mapped[str | None] = mapped_column(Text)
    fee_vnd: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)
    # The kind of fact (knowledge/procedures/facts.py): free, amount, by_regulation, unclear, unknown.
    fee_kind: Mapped[str] = mapped_column(String(16), default="unknown", server_default="unknown")
    fee_unit: Mapped[str | None] = mapped_column(String(64))
    fee_basis: Mapped[str | None] = mapped_column(Text)
    # working_days, days, same_day, unclear, unknown
    deadline_kind: Mapped[str] = mapped_column(String(16), default="unknown", server_default="unknown")
    condition: Mapped[str | None] = mapped_column(Text)

    procedure: Mapped[Procedure] = relationship(back_populates="channels")


class ProcedureDocument(Base):
    __tablename__ = "procedure_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(Text)
    form: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str | None] = mapped_column(String(16))
    count: Mapped[int | None]
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    condition: Mapped[str | None] = mapped_column(Text)
    # {"question": key, "options": [option keys]}: the document applies when the citizen's answer
    # to that checklist question is one of the options. None: always when required, "có thể cần"
    # (with ``condition`` verbatim) when not.
    applies_when: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The form's download link, only where the source gives one (never guessed).
    form_url: Mapped[str | None] = mapped_column(String(1000))

    procedure: Mapped[Procedure] = relationship(back_populates="documents")


class ProcedureAlias(Base):
    """A name citizens use ("sổ đỏ", "nhập hộ khẩu"); unique across the catalogue once folded."""

    __tablename__ = "procedure_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(String(255))
    alias_folded: Mapped[str] = mapped_column(String(255), unique=True)

    procedure: Mapped[Procedure] = relationship(back_populates="aliases")


class ProcedureVersion(Base):
    """A snapshot of a procedure after each change, for history, diff and revert."""

    __tablename__ = "procedure_version"
    # Two editors saving at once both compute "latest + 1": the second commit fails instead of
    # leaving two different snapshots under one version number.
    __table_args__ = (UniqueConstraint("procedure_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedure.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(255))
    change_note: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())

    procedure: Mapped[Procedure] = relationship(back_populates="versions")
