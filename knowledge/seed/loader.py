"""Loads the reviewed seed files into the knowledge store (idempotent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from core.audit.actor import SEED
from core.errors import InvalidError
from knowledge.procedures import service as procedures
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
        return ProcedureRecord.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise SeedError(f"{path.name}: {exc}") from exc


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
