"""Dossier lookup (tra cứu hồ sơ): the rules, shared by the Rasa action and the API.

A conversation has two steps:

1. ``check_code(text)`` — shape only, no database or network: a format hint with an example when
   the code is malformed, otherwise the request for the last four digits of the phone.
2. ``await lookup(sender_id, code, last4)`` — rate limits, verification, then the status.

Nothing about a dossier is revealed before verification, not even whether the code exists: an
unknown code and wrong digits get the same answer ("không tìm thấy hoặc chưa xác thực"). Codes
are predictable (agency, date, sequence number), so "this code exists" would let anyone list who
filed what where and when, and tell which codes are worth guessing digits for. A citizen who has
the receipt loses nothing by the combined message: it asks them to check both.

Rate limits are kept in the database (DossierLookupAttempt), so they hold across action-server
restarts and replicas. Per sender: failed verifications and lookups; per code across senders:
failed verifications (sender ids are chosen by the client, so the per-sender limit alone would not
stop a guesser who changes sender id). Check-then-record is not atomic: a burst of parallel
requests may overshoot a limit by a few, which the per-code lock bounds.

Neither phone numbers nor full codes nor sender ids are logged or stored (see hashing.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from knowledge.db import session_scope as db_session_scope
from knowledge.dossiers.config import DossierSettings, get_dossier_settings
from knowledge.dossiers.connectors import (
    VN_TZ,
    ConnectorError,
    DossierConnector,
    SessionScope,
    get_connector,
)
from knowledge.dossiers.hashing import (
    code_hash,
    mask_code,
    normalise_code,
    normalise_last4,
    sender_hash,
    short_hash,
)
from knowledge.dossiers.models import FINAL_STATUSES, DossierLookupAttempt
from knowledge.dossiers.views import DossierView

logger = logging.getLogger(__name__)

CODE_EXAMPLE = "000.00.01.H29-250710-0012"
FORMAT_HINT = (
    f"Mã hồ sơ chưa đúng định dạng ạ. Mã hồ sơ có dạng {CODE_EXAMPLE}: mã cơ quan tiếp nhận, "
    "ngày tiếp nhận (250710 là ngày 10/07/2025) và số thứ tự, ghi trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả."
)
ASK_LAST4 = (
    "Để bảo vệ thông tin hồ sơ, anh/chị vui lòng nhập 4 chữ số cuối của số điện thoại "
    "đã khai khi nộp hồ sơ ạ."
)
INVALID_LAST4 = (
    "Anh/chị vui lòng nhập đúng 4 chữ số cuối của số điện thoại đã khai khi nộp hồ sơ (ví dụ: 0123) ạ."
)
SYNTHETIC_NOTE = "(Dữ liệu minh họa, không phải hồ sơ thật.)"


def _portal() -> str:
    from knowledge.settings import get_settings

    return get_settings().national_portal_url


class LookupOutcome(enum.StrEnum):
    OK = "ok"
    MALFORMED_CODE = "malformed_code"
    INVALID_LAST4 = "invalid_last4"
    NOT_FOUND_OR_UNVERIFIED = "not_found_or_unverified"
    RATE_LIMITED = "rate_limited"  # too many failed verifications or lookups by this sender
    CODE_LOCKED = "code_locked"  # too many failed verifications of this code, by anyone
    UNAVAILABLE = "unavailable"  # the dossier source failed


@dataclass(frozen=True)
class CodeCheck:
    ok: bool
    code: str | None  # normalised (upper case) when ok
    message: str  # FORMAT_HINT, or ASK_LAST4 when ok


@dataclass(frozen=True)
class HistoryLine:
    at: str  # dd/mm/yyyy HH:MM, Vietnam time
    status: str
    status_label: str
    note: str | None
    text: str  # "10/07/2025 08:15 — Đã tiếp nhận: ghi chú"


@dataclass(frozen=True)
class DossierReport:
    """A verified dossier, ready to show: every value already formatted in Vietnamese."""

    code: str
    procedure_code: str | None
    procedure_name: str | None
    receiving_unit_name: str | None
    received_at: str | None  # dd/mm/yyyy HH:MM
    appointment_date: str | None  # dd/mm/yyyy
    status: str
    status_label: str
    past_appointment: bool  # not finished and the appointment date has passed
    is_synthetic: bool
    history: tuple[HistoryLine, ...]
    text: str


@dataclass(frozen=True)
class DossierLookupResult:
    outcome: LookupOutcome
    message: str  # what to tell the citizen, in Vietnamese
    masked_code: str | None = None
    report: DossierReport | None = None
    retry_after_minutes: int | None = None  # RATE_LIMITED and CODE_LOCKED
    attempts_left: int | None = None  # NOT_FOUND_OR_UNVERIFIED: failed verifications left

    @property
    def ok(self) -> bool:
        return self.outcome is LookupOutcome.OK


@dataclass
class _Limits:
    outcome: LookupOutcome | None = None
    retry_after: dt.timedelta | None = None
    failed_by_sender: int = 0
    detail: str = field(default="")


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _naive_utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def format_datetime(value: dt.datetime) -> str:
    aware = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
    return aware.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def format_date(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _minutes(delta: dt.timedelta | None) -> int:
    return max(1, math.ceil(delta.total_seconds() / 60)) if delta else 1


class DossierLookupService:
    def __init__(
        self,
        connector: DossierConnector,
        *,
        settings: DossierSettings | None = None,
        session_scope: SessionScope | None = None,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self.connector = connector
        self.settings = settings or get_dossier_settings()
        self._scope = session_scope or db_session_scope
        self._clock = clock
        self._pepper = self.settings.pepper_bytes

    # --- step 1 --------------------------------------------------------------------------------

    def check_code(self, text: str) -> CodeCheck:
        """Shape only; reveals nothing about whether the dossier exists."""
        code = normalise_code(text)
        if code is None:
            return CodeCheck(False, None, FORMAT_HINT)
        return CodeCheck(True, code, ASK_LAST4)

    # --- step 2 --------------------------------------------------------------------------------

    async def lookup(self, sender_id: str, code: str, last4: str) -> DossierLookupResult:
        """Verifies the last four digits, then returns the dossier's status and history."""
        normalised = normalise_code(code)
        if normalised is None:
            return DossierLookupResult(LookupOutcome.MALFORMED_CODE, FORMAT_HINT)
        masked = mask_code(normalised)
        digits = normalise_last4(last4)
        if digits is None:
            return DossierLookupResult(LookupOutcome.INVALID_LAST4, INVALID_LAST4, masked)

        sender = sender_hash(sender_id, self._pepper)
        code_key = code_hash(normalised, self._pepper)
        now = self._clock()
        limits = await asyncio.to_thread(self._check_limits, sender, code_key, now)
        if limits.outcome is not None:
            logger.info("dossier %s: %s for sender %s (%s)", masked, limits.outcome, short_hash(sender), limits.detail)
            return self._limited(limits, masked)

        try:
            verified = await self.connector.verify(normalised, digits)
            view = await self.connector.lookup(normalised) if verified else None
        except ConnectorError as exc:
            logger.warning("dossier %s: source failed: %s: %s", masked, type(exc).__name__, exc)
            await asyncio.to_thread(self._record, sender, code_key, now, False, "error")
            return DossierLookupResult(LookupOutcome.UNAVAILABLE, self._unavailable_message(), masked)

        if not verified:
            await asyncio.to_thread(self._record, sender, code_key, now, False, "mismatch")
            left = max(0, self.settings.max_failed_verifications - limits.failed_by_sender - 1)
            logger.info("dossier %s: not verified for sender %s (%d left)", masked, short_hash(sender), left)
            return self._not_found(normalised, masked, left)
        if view is None:  # verified, then gone (deleted or withdrawn between the two calls)
            await asyncio.to_thread(self._record, sender, code_key, now, False, "missing")
            left = self.settings.max_failed_verifications - limits.failed_by_sender
            return self._not_found(normalised, masked, left)

        await asyncio.to_thread(self._record, sender, code_key, now, True, None)
        logger.info("dossier %s: shown to sender %s", masked, short_hash(sender))
        report = build_report(view, today=now.astimezone(VN_TZ).date())
        return DossierLookupResult(LookupOutcome.OK, report.text, masked, report=report)

    # --- rate limits (database) ----------------------------------------------------------------

    def _check_limits(self, sender: str, code_key: str, now: dt.datetime) -> _Limits:
        s = self.settings
        at = _naive_utc(now)
        with self._scope() as session:
            # Keep the table small: nothing older than the longest window is ever read.
            session.execute(
                delete(DossierLookupAttempt).where(
                    DossierLookupAttempt.at < at - dt.timedelta(minutes=s.attempt_retention_minutes)
                )
            )
            A = DossierLookupAttempt
            failed = list(
                session.scalars(
                    select(A.at)
                    .where(
                        A.sender_hash == sender,
                        A.failure_reason == "mismatch",
                        A.at > at - dt.timedelta(minutes=s.failed_window_minutes),
                    )
                    .order_by(A.at)
                )
            )
            lookups = list(
                session.scalars(
                    select(A.at)
                    .where(A.sender_hash == sender, A.at > at - dt.timedelta(minutes=s.lookup_window_minutes))
                    .order_by(A.at)
                )
            )
            code_failed = list(
                session.scalars(
                    select(A.at)
                    .where(
                        A.code_hash == code_key,
                        A.failure_reason == "mismatch",
                        A.at > at - dt.timedelta(minutes=s.code_lock_minutes),
                    )
                    .order_by(A.at)
                )
            )

        def wait(times: list[dt.datetime], limit: int, minutes: int) -> dt.timedelta:
            # The window frees a slot when the (len - limit + 1)-th oldest attempt leaves it.
            oldest = times[len(times) - limit]
            return oldest + dt.timedelta(minutes=minutes) - at

        result = _Limits(failed_by_sender=len(failed))
        if len(failed) >= s.max_failed_verifications:
            result.outcome = LookupOutcome.RATE_LIMITED
            result.retry_after = wait(failed, s.max_failed_verifications, s.failed_window_minutes)
            result.detail = "failed verifications"
        elif len(lookups) >= s.max_lookups:
            result.outcome = LookupOutcome.RATE_LIMITED
            result.retry_after = wait(lookups, s.max_lookups, s.lookup_window_minutes)
            result.detail = "lookups"
        elif len(code_failed) >= s.max_failed_per_code:
            result.outcome = LookupOutcome.CODE_LOCKED
            result.retry_after = wait(code_failed, s.max_failed_per_code, s.code_lock_minutes)
            result.detail = "code locked"
        return result

    def _record(self, sender: str, code_key: str, now: dt.datetime, success: bool, reason: str | None) -> None:
        with self._scope() as session:
            session.add(
                DossierLookupAttempt(
                    sender_hash=sender, code_hash=code_key, at=_naive_utc(now), success=success, failure_reason=reason
                )
            )

    # --- wording -------------------------------------------------------------------------------

    def _limited(self, limits: _Limits, masked: str) -> DossierLookupResult:
        s = self.settings
        minutes = _minutes(limits.retry_after)
        if limits.outcome is LookupOutcome.CODE_LOCKED:
            message = (
                "Mã hồ sơ này đang tạm khóa tra cứu qua trợ lý vì đã có nhiều lần xác thực không đúng. "
                f"Anh/chị vui lòng liên hệ trực tiếp nơi nộp hồ sơ hoặc tra cứu tại Cổng Dịch vụ công quốc gia "
                f"{_portal()} ạ."
            )
        elif limits.detail == "failed verifications":
            message = (
                f"Anh/chị đã nhập thông tin xác thực chưa đúng {s.max_failed_verifications} lần trong "
                f"{s.failed_window_minutes} phút nên việc tra cứu tạm dừng để bảo vệ hồ sơ. Anh/chị vui lòng "
                f"thử lại sau khoảng {minutes} phút, hoặc tra cứu tại Cổng Dịch vụ công quốc gia {_portal()} "
                "hay liên hệ nơi nộp hồ sơ ạ."
            )
        else:
            message = (
                f"Anh/chị đã tra cứu {s.max_lookups} lần trong {s.lookup_window_minutes} phút, vượt giới hạn "
                f"của trợ lý. Anh/chị vui lòng thử lại sau khoảng {minutes} phút, hoặc tra cứu tại Cổng Dịch vụ "
                f"công quốc gia {_portal()} ạ."
            )
        outcome = limits.outcome or LookupOutcome.RATE_LIMITED
        return DossierLookupResult(outcome, message, masked, retry_after_minutes=minutes)

    def _not_found(self, code: str, masked: str, attempts_left: int) -> DossierLookupResult:
        message = self._not_found_message(code, attempts_left)
        return DossierLookupResult(LookupOutcome.NOT_FOUND_OR_UNVERIFIED, message, masked, attempts_left=attempts_left)

    def _not_found_message(self, code: str, attempts_left: int) -> str:
        # Same words whether the code is unknown or the digits are wrong (see the module docstring).
        message = (
            f"Em chưa tìm thấy hồ sơ khớp với mã {code} và 4 số cuối điện thoại anh/chị vừa nhập. "
            "Anh/chị vui lòng kiểm tra lại mã hồ sơ trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả, và 4 số cuối "
            "của số điện thoại đã khai khi nộp hồ sơ"
        )
        if attempts_left > 0:
            return f"{message} (còn {attempts_left} lần thử trong {self.settings.failed_window_minutes} phút) ạ."
        return (
            f"{message} ạ. Anh/chị đã hết số lần thử, vui lòng thử lại sau {self.settings.failed_window_minutes} phút."
        )

    @staticmethod
    def _unavailable_message() -> str:
        return (
            "Hệ thống thông tin giải quyết thủ tục hành chính đang tạm thời không phản hồi. Anh/chị vui lòng "
            f"thử lại sau ít phút, hoặc tra cứu tại Cổng Dịch vụ công quốc gia {_portal()} ạ."
        )


# --- the verified answer -----------------------------------------------------------------------


def build_report(view: DossierView, today: dt.date) -> DossierReport:
    history = tuple(
        HistoryLine(
            at=format_datetime(event.at),
            status=event.status,
            status_label=event.label,
            note=event.note,
            text=f"{format_datetime(event.at)} — {event.label}" + (f": {event.note}" if event.note else ""),
        )
        for event in view.history
    )
    received = format_datetime(view.received_at) if view.received_at else None
    appointment = format_date(view.appointment_date) if view.appointment_date else None
    past_appointment = bool(
        view.appointment_date and view.appointment_date < today and view.status not in FINAL_STATUSES
    )

    lines = [SYNTHETIC_NOTE] if view.is_synthetic else []
    title = f"Hồ sơ {view.code}"
    if view.procedure_name:
        title += f" — {view.procedure_name}"
        if view.procedure_code:
            title += f" (mã thủ tục {view.procedure_code})"
    lines.append(title)
    if view.receiving_unit_name:
        lines.append(f"• Nơi tiếp nhận: {view.receiving_unit_name}")
    if received:
        lines.append(f"• Ngày tiếp nhận: {received}")
    if appointment:
        lines.append(f"• Ngày hẹn trả kết quả: {appointment}")
    lines.append(f"• Trạng thái hiện tại: {view.status_label}")
    if history:
        lines.append("Quá trình xử lý:")
        lines.extend(f"  - {line.text}" for line in history)
    if view.status == "supplement_required":
        lines.append(
            "Hồ sơ cần bổ sung: anh/chị vui lòng xem thông báo yêu cầu bổ sung (nội dung ghi ở trên hoặc trong "
            "phiếu gửi kèm) và liên hệ nơi tiếp nhận để bổ sung ạ."
        )
    elif view.status == "overdue" or past_appointment:
        lines.append(
            "Hồ sơ đã quá ngày hẹn trả kết quả. Cơ quan giải quyết có trách nhiệm thông báo lý do và hẹn lại "
            "ngày trả kết quả (Phiếu xin lỗi và hẹn lại ngày trả kết quả); anh/chị có thể liên hệ nơi tiếp nhận "
            "để được giải thích ạ."
        )
    elif view.status == "approved":
        lines.append(
            "Hồ sơ đã có kết quả: anh/chị nhận kết quả theo hình thức đã đăng ký (trực tiếp tại nơi tiếp nhận, "
            "qua bưu chính hoặc trực tuyến) ạ."
        )
    elif view.status == "rejected":
        lines.append("Lý do từ chối được ghi trong văn bản trả lời của cơ quan giải quyết ạ.")

    return DossierReport(
        code=view.code,
        procedure_code=view.procedure_code,
        procedure_name=view.procedure_name,
        receiving_unit_name=view.receiving_unit_name,
        received_at=received,
        appointment_date=appointment,
        status=view.status,
        status_label=view.status_label,
        past_appointment=past_appointment,
        is_synthetic=view.is_synthetic,
        history=history,
        text="\n".join(lines),
    )


_default_service: DossierLookupService | None = None


def get_lookup_service() -> DossierLookupService:
    """The process-wide service, configured from TTHC_DOSSIER_* (what the action and the API use)."""
    global _default_service
    if _default_service is None:
        settings = get_dossier_settings()
        _default_service = DossierLookupService(get_connector(settings), settings=settings)
    return _default_service
