"""Synthetic dossiers and settings shared by the dossier news tests."""

from __future__ import annotations

import datetime as dt

from core.settings import DossierSettings
from servicedesk.dossiers.views import DossierView, StatusEventView

CODE = "000.00.01.H29-250710-0012"
OTHER_CODE = "000.00.01.H29-250711-0034"
WEB_SENDER = "web-3f6c2a1e-1b2c-4d5e-8f90-0123456789ab"
ZALO_USER = "8400000000001"
ZALO_SENDER = f"zalo-{ZALO_USER}"
RECEIVED = dt.datetime(2025, 7, 10, 1, 15, tzinfo=dt.UTC)
PROCESSING = dt.datetime(2025, 7, 11, 2, 30, tzinfo=dt.UTC)


def news_settings(**overrides: object) -> DossierSettings:
    values: dict[str, object] = {
        "news_poll_seconds": 60.0,
        "news_backoff_max_seconds": 600.0,
        "news_batch_size": 50,
        "news_subscription_days": 90,
    }
    values.update(overrides)
    return DossierSettings(**values)  # type: ignore[arg-type]


def view(
    status: str = "processing", at: dt.datetime | None = PROCESSING, *, code: str = CODE, note: str | None = None
) -> DossierView:
    """A synthetic dossier in ``status`` since ``at`` (history: received, then ``status``)."""
    history = [StatusEventView("received", RECEIVED, "Tiếp nhận trực tiếp")]
    if status != "received" and at is not None:
        history.append(StatusEventView(status, at, note))
    return DossierView(
        code=code,
        procedure_code="1.004194",
        procedure_name="Đăng ký tạm trú",
        receiving_unit_code="26743",
        receiving_unit_name="Phường Bến Thành",
        received_at=RECEIVED,
        appointment_date=dt.date(2025, 7, 17),
        status=status,
        history=tuple(history),
    )
