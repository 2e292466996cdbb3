"""Where dossiers come from: our own database, or the provincial one-stop system over HTTP.

The protocol is async. The Rasa action server (rasa_sdk) awaits async actions and FastAPI awaits
async endpoints, so an HTTP round trip to the province never blocks other conversations. The
local connector runs its (short, synchronous) SQLAlchemy work in a worker thread for the same
reason. Outside an event loop, wrap a call in asyncio.run().

Connectors only fetch and verify; the rules (code shape, verification before anything is shown,
rate limits, wording) live in service.DossierLookupService.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from core.db import session_scope as db_session_scope
from core.settings import DossierSettings
from servicedesk.dossiers.hashing import burn_verification, mask_code, verify_last4
from servicedesk.dossiers.models import Dossier
from servicedesk.dossiers.views import UNKNOWN_STATUS, DossierView, StatusEventView

logger = logging.getLogger(__name__)

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = dt.UTC

SessionScope = Callable[[], AbstractContextManager[Session]]


def session_scope_for(factory: sessionmaker[Session]) -> SessionScope:
    """A session_scope-like callable (commit on success, rollback on error) for a given sessionmaker."""
    return functools.partial(db_session_scope, factory)


# --- errors --------------------------------------------------------------------------------------


class ConnectorError(Exception):
    """The dossier source could not answer; the citizen should try later or elsewhere."""


class ConnectorUnavailable(ConnectorError):
    """Timeouts, connection failures or 5xx answers, after the configured retries."""


class ConnectorAuthError(ConnectorError):
    """401/403: our token is wrong or expired. An operator must act; retrying does not help."""


class ConnectorProtocolError(ConnectorError):
    """An answer we cannot read (unexpected 4xx, invalid JSON, missing fields)."""


# --- the protocol --------------------------------------------------------------------------------


@runtime_checkable
class DossierConnector(Protocol):
    async def lookup(self, code: str) -> DossierView | None:
        """The dossier with this (normalised, upper-case) code, or None when there is none."""
        ...

    async def verify(self, code: str, last4: str) -> bool:
        """Whether these are the last four digits of the applicant's phone; False for unknown codes."""
        ...


# --- local database ------------------------------------------------------------------------------


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """Stored times are naive UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def dossier_view(dossier: Dossier) -> DossierView:
    return DossierView(
        code=dossier.code,
        procedure_code=dossier.procedure_code,
        procedure_name=dossier.procedure_name,
        receiving_unit_code=dossier.receiving_unit_code,
        receiving_unit_name=dossier.receiving_unit_name,
        received_at=_aware(dossier.received_at),
        appointment_date=dossier.appointment_date,
        status=dossier.status,
        history=tuple(StatusEventView(e.status, e.at.replace(tzinfo=UTC), e.note) for e in dossier.events),
        is_synthetic=dossier.is_synthetic,
    )


class LocalConnector:
    """Dossiers in our own database (the demo seed, or dossiers synchronised into it)."""

    def __init__(self, settings: DossierSettings, session_scope: SessionScope | None = None) -> None:
        self._pepper = settings.pepper_bytes
        self._scope = session_scope or db_session_scope

    def _find(self, session: Session, code: str) -> Dossier | None:
        return session.scalars(
            select(Dossier).where(Dossier.code == code.strip().upper()).options(selectinload(Dossier.events))
        ).first()

    def lookup_sync(self, code: str) -> DossierView | None:
        with self._scope() as session:
            dossier = self._find(session, code)
            return dossier_view(dossier) if dossier else None

    def verify_sync(self, code: str, last4: str) -> bool:
        with self._scope() as session:
            row = session.execute(
                select(Dossier.phone_salt, Dossier.applicant_phone_last4_hash).where(
                    Dossier.code == code.strip().upper()
                )
            ).first()
        if row is None:
            burn_verification(last4, self._pepper)
            return False
        return verify_last4(last4, row.phone_salt, row.applicant_phone_last4_hash, self._pepper)

    async def lookup(self, code: str) -> DossierView | None:
        return await asyncio.to_thread(self.lookup_sync, code)

    async def verify(self, code: str, last4: str) -> bool:
        return await asyncio.to_thread(self.verify_sync, code, last4)


# --- provincial one-stop system over HTTP --------------------------------------------------------

# TrangThai codes of the provincial system → our vocabulary. Synonyms seen across vendors are
# accepted; anything else is shown as "Trạng thái khác (CODE)" rather than guessed.
PROVINCIAL_STATUS = {
    "DA_TIEP_NHAN": "received",
    "MOI_TIEP_NHAN": "received",
    "DANG_XU_LY": "processing",
    "CHO_BO_SUNG": "supplement_required",
    "YEU_CAU_BO_SUNG": "supplement_required",
    "CAN_BO_SUNG": "supplement_required",
    "DA_CO_KET_QUA": "approved",
    "CHO_TRA_KET_QUA": "approved",
    "DA_TRA_KET_QUA": "returned",
    "TU_CHOI": "rejected",
    "TU_CHOI_GIAI_QUYET": "rejected",
    "QUA_HAN": "overdue",
}


class _ServerError(Exception):
    def __init__(self, status_code: int) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


def _parse_datetime(value: Any) -> dt.datetime | None:
    """ISO 8601 (an offset-less time is Vietnam time) or dd/mm/yyyy[ HH:MM[:SS]]."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    parsed: dt.datetime | None = None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y"):
            try:
                parsed = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise ConnectorProtocolError(f"unreadable date/time {text!r}")
    return parsed.replace(tzinfo=VN_TZ) if parsed.tzinfo is None else parsed


def _parse_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if len(text) == 10 and text[4] == "-":
        try:
            return dt.date.fromisoformat(text)
        except ValueError as exc:
            raise ConnectorProtocolError(f"unreadable date {text!r}") from exc
    parsed = _parse_datetime(text)
    return parsed.astimezone(VN_TZ).date() if parsed else None


def _status(raw: Any) -> tuple[str, str | None]:
    code = str(raw or "").strip().upper()
    if code in PROVINCIAL_STATUS:
        return PROVINCIAL_STATUS[code], None
    return UNKNOWN_STATUS, code or None


def parse_provincial_dossier(data: Any) -> DossierView:
    """Maps the provincial JSON (see README.md) to a DossierView. Phone fields are ignored."""
    if not isinstance(data, dict) or not data.get("MaHoSo"):
        raise ConnectorProtocolError("answer without MaHoSo")
    history: list[StatusEventView] = []
    for item in data.get("QuaTrinhXuLy") or []:
        if not isinstance(item, dict):
            raise ConnectorProtocolError("QuaTrinhXuLy item is not an object")
        at = _parse_datetime(item.get("ThoiGian"))
        if at is None:
            continue
        status, raw = _status(item.get("TrangThai"))
        history.append(StatusEventView(status=status, at=at, note=item.get("NoiDung") or None, raw_status=raw))
    history.sort(key=lambda e: e.at)
    status, raw = _status(data.get("TrangThai"))
    return DossierView(
        code=str(data["MaHoSo"]).strip().upper(),
        procedure_code=data.get("MaThuTuc"),
        procedure_name=data.get("TenThuTuc"),
        receiving_unit_code=data.get("MaDonViTiepNhan"),
        receiving_unit_name=data.get("DonViTiepNhan"),
        received_at=_parse_datetime(data.get("NgayTiepNhan")),
        appointment_date=_parse_date(data.get("NgayHenTra")),
        status=status,
        raw_status=raw,
        history=tuple(history),
        is_synthetic=False,
    )


class HttpConnector:
    """The provincial one-stop system (Hệ thống thông tin giải quyết TTHC cấp tỉnh).

    GET  {base}/api/v1/hoso/{code}            → the dossier, 404 when unknown
    POST {base}/api/v1/hoso/{code}/xac-thuc   {"bon_so_cuoi": "1234"} → {"hop_le": true|false}

    Bearer token authentication. Timeouts, connection errors and 5xx answers are retried with
    exponential back-off (tenacity); 4xx answers are not. A client is opened per call, so the
    connector can be shared between event loops (the action server's, each test's).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_seconds: float = 5.0,
        max_attempts: int = 3,
        backoff_seconds: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = httpx.Timeout(timeout_seconds)
        self._max_attempts = max_attempts
        self._backoff = backoff_seconds
        self._transport = transport
        # One TLS context for the connector's life: building it loads the CA bundle, which cost
        # about 7 ms of CPU on every lookup when each call's client built its own (benchmarks/outcomes.py).
        self._tls = httpx.create_ssl_context()

    @classmethod
    def from_settings(cls, settings: DossierSettings) -> HttpConnector:
        if not settings.http_base_url or settings.http_token is None:
            raise ValueError("the http connector needs TTHC_DOSSIER_HTTP_BASE_URL and TTHC_DOSSIER_HTTP_TOKEN")
        return cls(
            settings.http_base_url,
            settings.http_token.get_secret_value(),
            timeout_seconds=settings.http_timeout_seconds,
            max_attempts=settings.http_max_attempts,
            backoff_seconds=settings.http_backoff_seconds,
        )

    def _url(self, code: str, suffix: str = "") -> str:
        return f"{self._base}/api/v1/hoso/{quote(code.strip().upper(), safe='')}{suffix}"

    async def _request(self, method: str, url: str, code: str, **kwargs: Any) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/json",
            "User-Agent": "tthc-assistant/0.1",
        }
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_attempts),
            wait=wait_exponential(multiplier=self._backoff, max=max(self._backoff * 8, 0.0)),
            retry=retry_if_exception_type((httpx.TransportError, _ServerError)),
            reraise=True,
        )
        try:
            async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport, verify=self._tls) as client:
                async for attempt in retrying:
                    with attempt:
                        number = attempt.retry_state.attempt_number
                        if number > 1:
                            logger.info("dossier %s: retry %d of %s %s", mask_code(code), number, method, self._base)
                        response = await client.request(method, url, headers=headers, **kwargs)
                        if response.status_code >= 500:
                            raise _ServerError(response.status_code)
        except httpx.TimeoutException as exc:
            raise ConnectorUnavailable(f"timeout after {self._max_attempts} attempts") from exc
        except httpx.TransportError as exc:
            raise ConnectorUnavailable(f"{type(exc).__name__} after {self._max_attempts} attempts") from exc
        except _ServerError as exc:
            raise ConnectorUnavailable(f"{exc} after {self._max_attempts} attempts") from exc
        if response.status_code in (401, 403):
            logger.error("provincial one-stop system refused our token (HTTP %d)", response.status_code)
            raise ConnectorAuthError(f"HTTP {response.status_code}")
        return response

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise ConnectorProtocolError("invalid JSON") from exc

    async def lookup(self, code: str) -> DossierView | None:
        response = await self._request("GET", self._url(code), code)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ConnectorProtocolError(f"unexpected HTTP {response.status_code}")
        return parse_provincial_dossier(self._json(response))

    async def verify(self, code: str, last4: str) -> bool:
        response = await self._request("POST", self._url(code, "/xac-thuc"), code, json={"bon_so_cuoi": last4})
        if response.status_code == 404:
            return False
        if response.status_code != 200:
            raise ConnectorProtocolError(f"unexpected HTTP {response.status_code}")
        data = self._json(response)
        if not isinstance(data, dict) or not isinstance(data.get("hop_le"), bool):
            raise ConnectorProtocolError("answer without a boolean hop_le")
        return bool(data["hop_le"])


def get_connector(settings: DossierSettings, session_scope: SessionScope | None = None) -> DossierConnector:
    """The connector named by TTHC_DOSSIER_CONNECTOR (default: local)."""
    if settings.connector == "http":
        return HttpConnector.from_settings(settings)
    return LocalConnector(settings, session_scope)
