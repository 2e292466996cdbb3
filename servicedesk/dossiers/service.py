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

Rate limits are atomic counters in the database (counters.py), so they hold across action-server
restarts and replicas, and a parallel burst cannot overshoot them. They are keyed so that a
stranger's wrong guesses count against the stranger, not against the dossier's owner:

- per sender id (the conversation, chosen by the client): failed verifications, and lookups;
- per client, the channel's verifiable identity passed by the bridge in the message metadata (the
  client address for web, the Zalo user id), which costs an attacker real resources to change:
  failed verifications across all codes, and of one code;
- per code, from all clients: a ceiling against guessers with many identities, in a short window,
  which does not apply to a client that has verified this code before.

README.md ("Rate limits") gives the numbers. An attempt is counted before the dossier source is
asked (check and count are one step) and given back when it was not a failed verification.

Neither phone numbers nor full codes nor sender ids are logged or stored (see hashing.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete

from core.db import session_scope as db_session_scope
from core.settings import DossierSettings, get_settings
from servicedesk.dossiers.connectors import (
    VN_TZ,
    ConnectorError,
    DossierConnector,
    SessionScope,
    get_connector,
)
from servicedesk.dossiers.counters import CounterStore, Hit, Limit, Refusal, Reservation
from servicedesk.dossiers.hashing import (
    client_hash,
    code_hash,
    keyed_sender_hash,
    mask_code,
    normalise_code,
    normalise_last4,
    pair_hash,
    short_hash,
)
from servicedesk.dossiers.models import FINAL_STATUSES, DossierLookupAttempt
from servicedesk.dossiers.views import DossierView

logger = logging.getLogger(__name__)

CODE_EXAMPLE = "000.00.01.H29-250710-0012"
FORMAT_HINT = (
    f"Mã hồ sơ chưa đúng định dạng ạ. Mã hồ sơ có dạng {CODE_EXAMPLE}: mã cơ quan tiếp nhận, "
    "ngày tiếp nhận (250710 là ngày 10/07/2025) và số thứ tự, ghi trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả."
)
ASK_LAST4 = "Để bảo vệ thông tin hồ sơ, anh/chị vui lòng nhập 4 chữ số cuối của số điện thoại đã khai khi nộp hồ sơ ạ."
INVALID_LAST4 = "Anh/chị vui lòng nhập đúng 4 chữ số cuối của số điện thoại đã khai khi nộp hồ sơ (ví dụ: 0123) ạ."
SYNTHETIC_NOTE = "(Dữ liệu minh họa, không phải hồ sơ thật.)"
# A dossier code sent on its own, outside the lookup: the citizen confirms with a button.
CONFIRM_LOOKUP = "Anh/chị muốn tra cứu hồ sơ này phải không ạ?"
LOOKUP_BUTTON = "Tra cứu hồ sơ"


def _portal() -> str:
    return get_settings().national_portal_url


class LookupOutcome(enum.StrEnum):
    OK = "ok"
    MALFORMED_CODE = "malformed_code"
    INVALID_LAST4 = "invalid_last4"
    NOT_FOUND_OR_UNVERIFIED = "not_found_or_unverified"
    RATE_LIMITED = "rate_limited"  # too many failed verifications or lookups by this sender or client
    CODE_LOCKED = "code_locked"  # too many failed verifications of this code (by this client, or by all)
    UNAVAILABLE = "unavailable"  # the dossier source failed


# Counter scopes (DossierLookupCounter.scope).
SENDER_FAILED = "sender-failed"
SENDER_LOOKUPS = "sender-lookups"
CLIENT_FAILED = "client-failed"
CODE_CLIENT_FAILED = "code-client-failed"
CODE_FAILED = "code-failed"
VERIFIED = "verified"  # a mark: this client verified this code
# Counted before asking the source, given back when the attempt was not a failed verification.
FAILURE_SCOPES = frozenset({SENDER_FAILED, CLIENT_FAILED, CODE_CLIENT_FAILED, CODE_FAILED})
# The limits a citizen can see in "còn N lần thử" (the per-code ceiling is about everyone).
OWN_FAILURE_SCOPES = (SENDER_FAILED, CLIENT_FAILED, CODE_CLIENT_FAILED)
# The channel name under which a sender id stands in for a client the bridge did not identify.
SENDER_AS_CLIENT = "sender"


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


def _duration(delta: dt.timedelta) -> str:
    """How long, in the words of the replies: "15 phút", "24 giờ"."""
    minutes = _minutes(delta)
    return f"{minutes} phút" if minutes <= 90 else f"{math.ceil(minutes / 60)} giờ"


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
        self.settings = settings or get_settings().dossier
        self._scope = session_scope or db_session_scope
        self._clock = clock
        self._pepper = self.settings.pepper_bytes
        self._counters = CounterStore(self._scope)

    # --- step 1 --------------------------------------------------------------------------------

    def check_code(self, text: str) -> CodeCheck:
        """Shape only; reveals nothing about whether the dossier exists."""
        code = normalise_code(text)
        if code is None:
            return CodeCheck(False, None, FORMAT_HINT)
        return CodeCheck(True, code, ASK_LAST4)

    # --- step 2 --------------------------------------------------------------------------------

    async def lookup(
        self, sender_id: str, code: str, last4: str, *, client: str | None = None, channel: str | None = None
    ) -> DossierLookupResult:
        """Verifies the last four digits, then returns the dossier's status and history.

        ``client`` is the channel's verifiable identity of the citizen passed by the bridge (a hash
        of the client address for web, of the user id for Zalo), ``channel`` the channel's name.
        Without it (old clients, tests) the sender id stands in for it."""
        normalised = normalise_code(code)
        if normalised is None:
            return DossierLookupResult(LookupOutcome.MALFORMED_CODE, FORMAT_HINT)
        masked = mask_code(normalised)
        digits = normalise_last4(last4)
        if digits is None:
            return DossierLookupResult(LookupOutcome.INVALID_LAST4, INVALID_LAST4, masked)

        sender = keyed_sender_hash(sender_id, self._pepper)
        if client:
            client_key = client_hash(channel or "unknown", client, self._pepper)
        else:
            client_key = client_hash(SENDER_AS_CLIENT, sender_id, self._pepper)
        code_key = code_hash(normalised, self._pepper)
        code_client = pair_hash(code_key, client_key, self._pepper)
        now = self._clock()

        decision = await asyncio.to_thread(self._reserve, sender, client_key, code_key, code_client, now)
        if isinstance(decision, Refusal):
            scope = decision.hit.limit.scope
            logger.info("dossier %s: %s refused for client %s", masked, scope, short_hash(client_key))
            return self._limited(decision.hit, masked, now)
        failures = tuple(hit for hit in decision.hits if hit.limit.scope in FAILURE_SCOPES)

        def record(success: bool, reason: str | None) -> None:
            self._record(sender, client_key, code_key, now, success, reason)

        try:
            verified = await self.connector.verify(normalised, digits)
            view = await self.connector.lookup(normalised) if verified else None
        except ConnectorError as exc:
            logger.warning("dossier %s: source failed: %s: %s", masked, type(exc).__name__, exc)
            await asyncio.to_thread(self._counters.release, failures)  # not the citizen's failure
            await asyncio.to_thread(record, False, "error")
            return DossierLookupResult(LookupOutcome.UNAVAILABLE, self._unavailable_message(), masked)

        if not verified:
            await asyncio.to_thread(record, False, "mismatch")
            binding = _binding(decision)
            logger.info(
                "dossier %s: not verified for client %s (%d left)", masked, short_hash(client_key), binding.remaining
            )
            return self._not_found(normalised, masked, binding, now)
        await asyncio.to_thread(self._counters.release, failures)
        if view is None:  # verified, then gone (deleted or withdrawn between the two calls)
            await asyncio.to_thread(record, False, "missing")
            return self._not_found(normalised, masked, _binding(decision), now, given_back=True)

        trusted_until = now + dt.timedelta(days=self.settings.trusted_client_days)
        await asyncio.to_thread(self._counters.mark, VERIFIED, code_client, trusted_until)
        await asyncio.to_thread(record, True, None)
        logger.info("dossier %s: shown to client %s", masked, short_hash(client_key))
        report = build_report(view, today=now.astimezone(VN_TZ).date())
        return DossierLookupResult(LookupOutcome.OK, report.text, masked, report=report)

    # --- rate limits (database) ----------------------------------------------------------------

    def _reserve(
        self, sender: str, client_key: str, code_key: str, code_client: str, now: dt.datetime
    ) -> Reservation | Refusal:
        """Counts this attempt in every limit that applies, or refuses it (counting nothing); the
        order of the limits is the order in which a refusal is explained."""
        s = self.settings

        def minutes(value: int) -> dt.timedelta:
            return dt.timedelta(minutes=value)

        limits = [
            Limit(SENDER_FAILED, sender, s.max_failed_verifications, minutes(s.failed_window_minutes)),
            Limit(SENDER_LOOKUPS, sender, s.max_lookups, minutes(s.lookup_window_minutes)),
            Limit(CLIENT_FAILED, client_key, s.max_failed_per_client, minutes(s.client_window_minutes)),
            Limit(CODE_CLIENT_FAILED, code_client, s.max_failed_per_code_client, minutes(s.code_client_window_minutes)),
        ]
        # The owner, once verified from this client, is never slowed down by other people's guesses.
        if not self._counters.is_marked(VERIFIED, code_client, now):
            limits.append(Limit(CODE_FAILED, code_key, s.max_failed_per_code, minutes(s.code_window_minutes)))
        return self._counters.reserve(limits, now)

    def _record(
        self, sender: str, client_key: str, code_key: str, now: dt.datetime, success: bool, reason: str | None
    ) -> None:
        at = _naive_utc(now)
        with self._scope() as session:
            # Keep the table small: nothing older than the longest window is of use.
            session.execute(
                delete(DossierLookupAttempt).where(
                    DossierLookupAttempt.at < at - dt.timedelta(minutes=self.settings.attempt_retention_minutes)
                )
            )
            session.add(
                DossierLookupAttempt(
                    sender_hash=sender,
                    client_hash=client_key,
                    code_hash=code_key,
                    at=at,
                    success=success,
                    failure_reason=reason,
                )
            )

    # --- wording -------------------------------------------------------------------------------

    def _limited(self, hit: Hit, masked: str, now: dt.datetime) -> DossierLookupResult:
        s = self.settings
        wait = hit.retry_after(now)
        scope = hit.limit.scope
        if scope in (CODE_CLIENT_FAILED, CODE_FAILED):
            # The same words whether the code exists or not, and whoever caused the failures.
            outcome = LookupOutcome.CODE_LOCKED
            message = (
                "Mã hồ sơ này đang tạm khóa tra cứu qua trợ lý vì đã có nhiều lần xác thực không đúng. "
                f"Anh/chị vui lòng thử lại sau khoảng {_duration(wait)}, hoặc liên hệ trực tiếp nơi nộp hồ sơ "
                f"hay tra cứu tại Cổng Dịch vụ công quốc gia {_portal()} ạ."
            )
        elif scope == SENDER_FAILED:
            outcome = LookupOutcome.RATE_LIMITED
            message = (
                f"Anh/chị đã nhập thông tin xác thực chưa đúng {s.max_failed_verifications} lần trong "
                f"{_duration(hit.limit.window)} nên việc tra cứu tạm dừng để bảo vệ hồ sơ. Anh/chị vui lòng "
                f"thử lại sau khoảng {_duration(wait)}, hoặc tra cứu tại Cổng Dịch vụ công quốc gia {_portal()} "
                "hay liên hệ nơi nộp hồ sơ ạ."
            )
        elif scope == CLIENT_FAILED:
            outcome = LookupOutcome.RATE_LIMITED
            message = (
                "Đã có nhiều lần nhập thông tin xác thực chưa đúng nên việc tra cứu qua trợ lý tạm dừng để bảo vệ "
                f"hồ sơ. Anh/chị vui lòng thử lại sau khoảng {_duration(wait)}, hoặc tra cứu tại Cổng Dịch vụ "
                f"công quốc gia {_portal()} hay liên hệ nơi nộp hồ sơ ạ."
            )
        else:
            outcome = LookupOutcome.RATE_LIMITED
            message = (
                f"Anh/chị đã tra cứu {s.max_lookups} lần trong {_duration(hit.limit.window)}, vượt giới hạn "
                f"của trợ lý. Anh/chị vui lòng thử lại sau khoảng {_duration(wait)}, hoặc tra cứu tại Cổng Dịch vụ "
                f"công quốc gia {_portal()} ạ."
            )
        return DossierLookupResult(outcome, message, masked, retry_after_minutes=_minutes(wait))

    def _not_found(
        self, code: str, masked: str, binding: Hit, now: dt.datetime, *, given_back: bool = False
    ) -> DossierLookupResult:
        left = binding.remaining + (1 if given_back else 0)
        # Same words whether the code is unknown or the digits are wrong (see the module docstring).
        message = (
            f"Em chưa tìm thấy hồ sơ khớp với mã {code} và 4 số cuối điện thoại anh/chị vừa nhập. "
            "Anh/chị vui lòng kiểm tra lại mã hồ sơ trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả, và 4 số cuối "
            "của số điện thoại đã khai khi nộp hồ sơ"
        )
        if left > 0:
            message += f" (còn {left} lần thử trong {_duration(binding.limit.window)}) ạ."
        else:
            message += f" ạ. Anh/chị đã hết số lần thử, vui lòng thử lại sau {_duration(binding.retry_after(now))}."
        return DossierLookupResult(LookupOutcome.NOT_FOUND_OR_UNVERIFIED, message, masked, attempts_left=left)

    @staticmethod
    def _unavailable_message() -> str:
        return (
            "Hệ thống thông tin giải quyết thủ tục hành chính đang tạm thời không phản hồi. Anh/chị vui lòng "
            f"thử lại sau ít phút, hoặc tra cứu tại Cổng Dịch vụ công quốc gia {_portal()} ạ."
        )


def _binding(reservation: Reservation) -> Hit:
    """Of the citizen's own failure limits, the one with the fewest attempts left (the shortest
    window on a tie: the first of OWN_FAILURE_SCOPES)."""
    hits = [hit for scope in OWN_FAILURE_SCOPES if (hit := reservation.hit(scope)) is not None]
    return min(hits, key=lambda hit: hit.remaining)


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
        settings = get_settings().dossier
        _default_service = DossierLookupService(get_connector(settings), settings=settings)
    return _default_service
