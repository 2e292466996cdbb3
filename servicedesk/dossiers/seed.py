"""Loads the synthetic demo dossiers (servicedesk/dossiers/demo_dossiers.yaml); idempotent.

Phone numbers in the file are fake; they are hashed here and never stored. Running the loader
again changes nothing unless the file (or the pepper) changed; synthetic dossiers removed from
the file are removed from the database. Real (non-synthetic) dossiers are never touched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.errors import InvalidError
from core.settings import DossierSettings, get_settings
from servicedesk.dossiers.hashing import last4_hash, new_salt, normalise_code, normalise_phone, phone_hash
from servicedesk.dossiers.models import Dossier, DossierStatusEvent

SEED_PATH = Path(__file__).resolve().parent / "demo_dossiers.yaml"

Status = Literal["received", "processing", "supplement_required", "approved", "returned", "rejected", "overdue"]


class DossierSeedError(InvalidError, ValueError):
    """The demo dossiers file is invalid; the message names the dossier and the field."""


def _require_offset(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("give the time zone offset, e.g. 2025-07-10T08:15:00+07:00")
    return value


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None)


class DemoEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status
    at: dt.datetime
    note: str | None = None

    check_at_offset = field_validator("at")(_require_offset)


class DemoDossier(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    procedure_code: str
    procedure_name: str
    receiving_unit_code: str
    receiving_unit_name: str
    phone: str
    received_at: dt.datetime
    appointment_date: dt.date | None = None
    events: list[DemoEvent]

    check_received_offset = field_validator("received_at")(_require_offset)

    @field_validator("code")
    @classmethod
    def _code_shape(cls, value: str) -> str:
        code = normalise_code(value)
        if code != value.strip().upper():
            raise ValueError("not a dossier code (see bot.gazetteer.DOSSIER_CODE_RE)")
        return code

    @field_validator("phone")
    @classmethod
    def _phone_shape(cls, value: str) -> str:
        phone = normalise_phone(value)
        if phone is None:
            raise ValueError("not a Vietnamese phone number")
        return phone

    @model_validator(mode="after")
    def _history(self) -> DemoDossier:
        if not self.events:
            raise ValueError("at least one event")
        if self.events[0].status != "received":
            raise ValueError("the first event must be 'received'")
        times = [e.at for e in self.events]
        if times != sorted(times):
            raise ValueError("events must be in time order")
        if times[0] < self.received_at:
            raise ValueError("an event before received_at")
        return self

    @property
    def status(self) -> str:
        return self.events[-1].status


@dataclass
class DossierSeedReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def read_demo_dossiers(path: Path = SEED_PATH) -> list[DemoDossier]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DossierSeedError(f"{path.name}: {exc}") from exc
    records: list[DemoDossier] = []
    for index, item in enumerate(data.get("dossiers") or []):
        try:
            records.append(DemoDossier.model_validate(item))
        except ValidationError as exc:
            label = item.get("code") if isinstance(item, dict) else None
            raise DossierSeedError(f"{path.name}: dossier {label or index}: {exc}") from exc
    codes = [r.code for r in records]
    if len(codes) != len(set(codes)):
        raise DossierSeedError(f"{path.name}: duplicate codes")
    return records


def seed_demo_dossiers(
    session: Session, path: Path = SEED_PATH, settings: DossierSettings | None = None
) -> DossierSeedReport:
    """Inserts or updates the demo dossiers (is_synthetic) and flushes; the caller commits."""
    pepper = (settings or get_settings().dossier).pepper_bytes
    records = read_demo_dossiers(path)
    report = DossierSeedReport()
    existing = {
        d.code: d
        for d in session.scalars(
            select(Dossier)
            .where(Dossier.code.in_([r.code for r in records]) | Dossier.is_synthetic.is_(True))
            .options(selectinload(Dossier.events))
        )
    }
    for record in records:
        dossier = existing.get(record.code)
        if dossier is not None and not dossier.is_synthetic:
            raise DossierSeedError(f"{record.code}: a real dossier has this code; refusing to overwrite it")
        hashed_phone = phone_hash(record.phone, pepper)
        # Keep the salt while the phone is unchanged, so that a second run changes nothing.
        if dossier is not None and dossier.applicant_phone_hash == hashed_phone and dossier.phone_salt:
            salt = dossier.phone_salt
        else:
            salt = new_salt()
        values = {
            "procedure_code": record.procedure_code,
            "procedure_name": record.procedure_name,
            "receiving_unit_code": record.receiving_unit_code,
            "receiving_unit_name": record.receiving_unit_name,
            "applicant_phone_hash": hashed_phone,
            "applicant_phone_last4_hash": last4_hash(record.phone[-4:], salt, pepper),
            "phone_salt": salt,
            "received_at": _naive_utc(record.received_at),
            "appointment_date": record.appointment_date,
            "status": record.status,
            "is_synthetic": True,
        }
        events = [(e.status, _naive_utc(e.at), e.note) for e in record.events]
        if dossier is None:
            dossier = Dossier(code=record.code, **values)
            dossier.events = [DossierStatusEvent(status=s, at=at, note=note) for s, at, note in events]
            session.add(dossier)
            report.added.append(record.code)
            continue
        same_values = all(getattr(dossier, key) == value for key, value in values.items())
        same_events = [(e.status, e.at, e.note) for e in dossier.events] == events
        if same_values and same_events:
            report.unchanged.append(record.code)
            continue
        for key, value in values.items():
            setattr(dossier, key, value)
        if not same_events:
            dossier.events = [DossierStatusEvent(status=s, at=at, note=note) for s, at, note in events]
        report.updated.append(record.code)
    wanted = {r.code for r in records}
    for code, dossier in existing.items():
        if dossier.is_synthetic and code not in wanted:
            session.delete(dossier)
            report.removed.append(code)
    session.flush()
    return report
