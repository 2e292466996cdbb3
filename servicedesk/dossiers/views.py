"""What a connector returns: one dossier, whatever system it came from. No personal data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from servicedesk.dossiers.models import DOSSIER_STATUS_LABELS

UNKNOWN_STATUS = "unknown"  # a status code of the provincial system that we do not map


@dataclass(frozen=True)
class StatusEventView:
    status: str  # one of DOSSIER_STATUSES, or UNKNOWN_STATUS
    at: dt.datetime  # timezone-aware
    note: str | None = None
    raw_status: str | None = None  # the provincial code when status is UNKNOWN_STATUS

    @property
    def label(self) -> str:
        return status_label(self.status, self.raw_status)


@dataclass(frozen=True)
class DossierView:
    code: str
    procedure_code: str | None
    procedure_name: str | None
    receiving_unit_code: str | None
    receiving_unit_name: str | None
    received_at: dt.datetime | None  # timezone-aware
    appointment_date: dt.date | None
    status: str
    history: tuple[StatusEventView, ...] = field(default_factory=tuple)  # oldest first
    is_synthetic: bool = False
    raw_status: str | None = None

    @property
    def status_label(self) -> str:
        return status_label(self.status, self.raw_status)


def status_label(status: str, raw_status: str | None = None) -> str:
    if status in DOSSIER_STATUS_LABELS:
        return DOSSIER_STATUS_LABELS[status]
    return f"Trạng thái khác ({raw_status})" if raw_status else "Chưa rõ trạng thái"
