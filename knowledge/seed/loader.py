"""Loads the reviewed seed files into the knowledge store (idempotent)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from core.audit.actor import SEED
from core.errors import InvalidError
from knowledge.procedures import service as procedures
from knowledge.procedures.facts import derive_fee
from knowledge.procedures.schemas import ProcedureRecord

SEED_DIR = Path(__file__).resolve().parent


class SeedError(InvalidError, ValueError):
    """A seed file is invalid; the message names the file and the field."""


@dataclass
class SeedReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def read_procedure_file(path: Path) -> ProcedureRecord:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        record = ProcedureRecord.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise SeedError(f"{path.name}: {exc}") from exc
    problems = fact_problems(record, data)
    if problems:
        raise SeedError(f"{path.name}: " + "; ".join(problems))
    return record


_UNIT_LOST = re.compile(r"không (?:ghi )?rõ đơn vị", re.IGNORECASE)


def fact_problems(record: ProcedureRecord, data: Any = None) -> list[str]:
    """What makes a reviewed record say more than its source (beyond the schema's own rules):
    a kind left unstated, "free" beside a note naming a regulation, a council or an amount, a
    firm deadline whose text says the unit was lost, two channels of one kind told apart by nothing."""
    problems: list[str] = []
    raw_channels = data.get("channels") if isinstance(data, dict) else None
    seen: dict[tuple[str, str | None], int] = {}
    for i, channel in enumerate(record.channels, start=1):
        where = f"cách nộp {i} ({channel.kind})"
        raw = raw_channels[i - 1] if isinstance(raw_channels, list) and i - 1 < len(raw_channels) else None
        if isinstance(raw, dict):
            missing = [key for key in ("fee_kind", "deadline_kind") if key not in raw]
            if missing:
                problems.append(f"{where}: phải ghi rõ {', '.join(missing)} (xem knowledge/seed/README.md)")
        if channel.fee_kind == "free":
            derived = derive_fee(channel.fee, channel.note)
            if derived.kind in ("by_regulation", "amount", "unclear"):
                problems.append(
                    f"{where}: fee_kind free nhưng phí/ghi chú nêu {derived.basis or 'mức thu'}"
                    f" (theo nguồn là {derived.kind})"
                )
        if channel.deadline_kind in ("working_days", "days", "same_day") and _UNIT_LOST.search(
            channel.processing_time or ""
        ):
            problems.append(f"{where}: thời hạn mất đơn vị nhưng deadline_kind là {channel.deadline_kind}")
        key = (channel.kind, channel.condition)
        if key in seen:
            problems.append(f"{where}: trùng hình thức với cách nộp {seen[key]} mà không có condition phân biệt")
        seen.setdefault(key, i)
    return problems


def seed_procedures(session: Session, directory: Path = SEED_DIR / "procedures") -> SeedReport:
    report = SeedReport()
    for path in sorted(directory.glob("*.yaml")):
        record = read_procedure_file(path)
        if path.stem != record.code:
            raise SeedError(f"{path.name}: file name must be the procedure code {record.code}")
        result = procedures.upsert(session, record, actor=SEED, origin="seed", note=f"seed {path.name}")
        bucket = report.added if result.created else report.updated if result.changed else report.unchanged
        bucket.append(record.code)
    return report
