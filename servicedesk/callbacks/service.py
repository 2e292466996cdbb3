"""Call-backs: the citizen leaves a phone number and a preferred time, an officer calls and marks
the request done.

Privacy (the citizen is told this in ``CONSENT_TEXT`` before giving the number):
- the number is stored only while the call is to be made; ``mark_done`` erases it and keeps only
  the masked form ("09•• ••• 678");
- everywhere else (the console's list, the confirmation, the audit log) it is masked; an officer
  sees it in full only by asking (``reveal_phone``), and each such reading is audited;
- it is never logged: this module logs nothing, and its errors never quote the number.

Due time: the end of the next office session (the ``office_hours`` setting) that matches the
citizen's preference and has at least ``MIN_LEAD`` left; the console marks a call overdue after it.
Synchronous; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.vntext import fold
from core.audit.service import record
from core.db import rows_changed, utcnow
from core.errors import ConflictError, DomainError, InvalidError, NotFoundError
from core.labels import CHAT_CHANNEL_LABELS
from core.settings import Settings, get_settings
from knowledge.units.models import AdministrativeUnit
from servicedesk.callbacks.models import CallbackRequest
from servicedesk.handoff.hours import DAY_NAMES, OfficeHours, Window, clock, office_hours, to_vietnam
from servicedesk.handoff.service import Agent, actor_of, unit_code_or_none

# --- what the citizen is asked and told --------------------------------------------------------

MORNING, AFTERNOON, ANY = "morning", "afternoon", "any"
PREFERENCE_LABELS = {MORNING: "Buổi sáng", AFTERNOON: "Buổi chiều", ANY: "Lúc nào cũng được"}
# Button labels (web and Zalo); the hours of each part are in preferred_time_labels(settings) and
# in the confirmation, which follow the office_hours setting.
PREFERRED_TIMES: tuple[str, ...] = tuple(PREFERENCE_LABELS.values())

CONSENT_VERSION = "2026-12-callback-1"
CONSENT_TEXT = (
    "Để cán bộ gọi lại, em cần số điện thoại của anh/chị. Số này chỉ dùng để cán bộ gọi lại về "
    "câu hỏi của anh/chị; trên hệ thống số được che bớt, chỉ cán bộ trực tổng đài xem được số đầy đủ "
    "(mỗi lần xem đều được ghi lại), và số được xóa ngay khi cán bộ đã gọi xong. "
    "Anh/chị có đồng ý để lại số điện thoại không ạ?"
)

MIN_LEAD = dt.timedelta(minutes=30)  # a session ending sooner is too short to promise a call in it
MAX_NOTE_CHARS = 500
MASK = "•"


class CallbackError(DomainError):
    """A refused call-back request or change; ``message`` is Vietnamese."""


class CallbackNotFound(CallbackError, NotFoundError):
    pass


class CallbackConflict(CallbackError, ConflictError):
    pass


class CallbackInvalid(CallbackError, InvalidError):
    pass


# --- phone numbers -----------------------------------------------------------------------------

# A run of digits with the separators people type inside a number: "0912 345 678", "0912.345.678",
# "(+84) 912-345-678".
_PHONE_RUN = re.compile(r"\+?\(?\+?\d[\d\s.\-()]*\d\)?")
_MOBILE_PREFIXES = "35789"  # 03x, 05x, 07x, 08x, 09x: Vietnamese mobile networks (10 digits)


def _valid_digits(digits: str) -> str | None:
    if digits.startswith("840"):  # "+84 0912…": the trunk 0 typed after the country code
        digits = digits[2:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if len(digits) == 10 and digits[0] == "0" and digits[1] in _MOBILE_PREFIXES:
        return digits
    if len(digits) == 11 and digits.startswith("02"):  # landline: 02 + area code + number
        return digits
    return None


def normalise_phone(text: str) -> str | None:
    """The Vietnamese phone number in ``text`` as digits with the leading 0 ("0912345678"):
    "0912 345 678", "0912.345.678", "+84 912 345 678", "84912345678" all give the same. None when
    there is no number, or more than one."""
    found = set()
    for match in _PHONE_RUN.finditer(text or ""):
        phone = _valid_digits(re.sub(r"\D", "", match.group(0)))
        if phone is not None:
            found.add(phone)
    return found.pop() if len(found) == 1 else None


def mask_phone(phone: str) -> str:
    """The number masked: "0912345678" → "09•• ••• 678" (first two and last three digits shown)."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 8:
        return MASK * len(digits)
    shown = digits[:2] + MASK * (len(digits) - 5) + digits[-3:]
    return f"{shown[:4]} {shown[4:-3]} {shown[-3:]}"


# --- preferred time and due time ---------------------------------------------------------------


def read_preferred_time(text: str | None) -> str | None:
    """``morning`` | ``afternoon`` | ``any`` from a button label or what the citizen typed
    ("sáng", "buổi chiều", "lúc nào cũng được", "bất kỳ lúc nào"); None when not understood."""
    folded = " ".join(fold(text or "").split())
    if not folded:
        return None
    if folded in (MORNING, AFTERNOON, ANY):
        return folded
    if re.search(r"\b(luc nao|bat ky|bat cu|gio nao|khi nao cung|sao cung|tuy)\b", folded):
        return ANY
    morning = re.search(r"\bsang\b", folded) is not None
    afternoon = re.search(r"\bchieu\b", folded) is not None
    if morning and not afternoon:
        return MORNING
    if afternoon and not morning:
        return AFTERNOON
    if morning and afternoon:
        return ANY
    return None


def preferred_time_labels(settings: Settings | None = None) -> tuple[str, ...]:
    """The buttons with the hours of each part of the day: "Buổi sáng (7:30–11:30)", … (only the
    parts the schedule has)."""
    hours = office_hours(settings)
    labels = []
    for key, present in ((MORNING, hours.has_morning()), (AFTERNOON, hours.has_afternoon())):
        if present:
            part = hours.part_text(key == MORNING)
            labels.append(f"{PREFERENCE_LABELS[key]} ({part})" if part else PREFERENCE_LABELS[key])
    labels.append(PREFERENCE_LABELS[ANY])
    return tuple(labels)


def _matches(window: Window, preference: str) -> bool:
    return preference == ANY or window.session.morning == (preference == MORNING)


def due_window(hours: OfficeHours, preference: str, now: dt.datetime) -> Window:
    """The office session in which to call: the next one matching the preference with at least
    ``MIN_LEAD`` left (any session when the schedule has none of that part of the day)."""
    local = to_vietnam(now)
    upcoming = list(hours.windows_from(local))
    # Sessions shorter than MIN_LEAD (a schedule of short duty slots) would leave nothing usable:
    # then any session still ahead will do, so a callback always gets a due time.
    usable = [w for w in upcoming if w.end - max(local, w.start) >= MIN_LEAD] or upcoming
    for window in usable:
        if _matches(window, preference):
            return window
    return usable[0]  # the schedule has sessions every week (OfficeHours.parse), so there is one


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return to_vietnam(moment).astimezone(dt.UTC).replace(tzinfo=None)


def window_text(window: Window) -> str:
    """The session in words: "buổi sáng Thứ Tư, 25/11/2026 (7:30–11:30)"."""
    part = "buổi sáng" if window.session.morning else "buổi chiều"
    return f"{part} {DAY_NAMES[window.start.weekday()]}, {window.start:%d/%m/%Y} ({window.session.text()})"


def due_text(due_at: dt.datetime, settings: Settings | None = None) -> str:
    """When the call is expected, in words (Vietnam time), for the citizen and the console."""
    window = office_hours(settings).window_ending_at(due_at)
    if window is not None:
        return window_text(window)
    local = to_vietnam(due_at)
    return f"trước {clock(local)} {DAY_NAMES[local.weekday()]}, {local:%d/%m/%Y}"


# --- recording a request -----------------------------------------------------------------------


def open_for_sender(session: Session, sender_id: str) -> CallbackRequest | None:
    return session.scalars(
        select(CallbackRequest)
        .where(CallbackRequest.sender_id == sender_id, CallbackRequest.status == "open")
        .order_by(CallbackRequest.id.desc())
    ).first()


def request_callback(
    session: Session,
    *,
    sender_id: str,
    channel: str,
    phone: str,
    preferred_time: str,
    unit_code: str | None = None,
    procedure_code: str | None = None,
    settings: Settings | None = None,
    now: dt.datetime | None = None,
) -> CallbackRequest:
    """Records the call-back (the citizen has consented to ``CONSENT_TEXT``). One open request per
    conversation: asking again updates it (new number, new time). ``CallbackInvalid`` when the
    number or the preferred time cannot be read."""
    if channel not in CHAT_CHANNEL_LABELS:
        raise CallbackInvalid("Kênh liên hệ không hợp lệ.", field="channel")
    normalised = normalise_phone(phone)
    if normalised is None:
        raise CallbackInvalid(
            "Số điện thoại chưa đúng. Anh/chị nhập số di động 10 chữ số (ví dụ 0912 345 678) "
            "hoặc số cố định có mã vùng ạ.",
            field="phone",
        )
    preference = read_preferred_time(preferred_time)
    if preference is None:
        raise CallbackInvalid(
            "Em chưa rõ thời gian anh/chị muốn được gọi. Anh/chị chọn buổi sáng, buổi chiều hoặc lúc nào cũng được ạ.",
            field="preferred_time",
        )
    moment = now or dt.datetime.now(dt.UTC)
    stored_now = _naive_utc(moment)
    window = due_window(office_hours(settings or get_settings()), preference, moment)
    callback = open_for_sender(session, sender_id)
    if callback is None:
        callback = CallbackRequest(sender_id=sender_id, created_at=stored_now, status="open")
        session.add(callback)
    callback.channel = channel
    callback.phone = normalised
    callback.phone_masked = mask_phone(normalised)
    callback.preferred_time = preference
    callback.consent_version = CONSENT_VERSION
    callback.consented_at = stored_now
    callback.due_at = _naive_utc(window.end)
    callback.unit_code = unit_code_or_none(unit_code) or callback.unit_code
    callback.procedure_code = (procedure_code or "").strip()[:64] or callback.procedure_code
    session.flush()
    return callback


def confirmation_text(callback: CallbackRequest, settings: Settings | None = None) -> str:
    """What the citizen is told once the request is recorded: the masked number and when to
    expect the call."""
    return (
        f"Em đã ghi nhận. Cán bộ sẽ gọi lại cho anh/chị theo số {callback.phone_masked} "
        f"vào {due_text(callback.due_at, settings)}. Số điện thoại chỉ dùng cho cuộc gọi này "
        "và sẽ được xóa khi cán bộ đã gọi xong ạ."
    )


# --- the officers' list ------------------------------------------------------------------------


def open_callbacks(session: Session, *, unit_code: str | None = None) -> list[CallbackRequest]:
    """Calls still to be made, the most urgent first (of one unit when ``unit_code`` is given)."""
    query = (
        select(CallbackRequest)
        .where(CallbackRequest.status == "open")
        .order_by(CallbackRequest.due_at, CallbackRequest.id)
    )
    if unit_code:
        query = query.where(CallbackRequest.unit_code == unit_code)
    return list(session.scalars(query))


def get_callback(session: Session, callback_id: int) -> CallbackRequest:
    callback = session.get(CallbackRequest, callback_id)
    if callback is None:
        raise CallbackNotFound("Không tìm thấy yêu cầu gọi lại này.")
    return callback


def is_overdue(callback: CallbackRequest, now: dt.datetime | None = None) -> bool:
    return callback.status == "open" and callback.due_at < (_naive_utc(now) if now else utcnow())


def reveal_phone(session: Session, callback_id: int, agent: Agent) -> str:
    """The full number, for the officer about to call; each reading is audited (masked there)."""
    callback = get_callback(session, callback_id)
    if callback.status != "open" or not callback.phone:
        raise CallbackConflict("Cuộc gọi lại này đã xong; số điện thoại đã được xóa.")
    record(
        session,
        actor=actor_of(agent),
        action="callback.reveal",
        entity_type="callback_request",
        entity_id=str(callback.id),
        after={"phone": callback.phone_masked},
    )
    return callback.phone


def mark_done(
    session: Session, callback_id: int, agent: Agent, note: str | None = None, now: dt.datetime | None = None
) -> CallbackRequest:
    """The officer has called: the request is closed and the number erased (the masked form stays);
    audited. Only once (compare-and-set on the status)."""
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_NOTE_CHARS:
        raise CallbackInvalid(f"Ghi chú dài quá {MAX_NOTE_CHARS} ký tự.", field="note")
    callback = get_callback(session, callback_id)
    moment = _naive_utc(now) if now else utcnow()
    result = session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id == callback_id, CallbackRequest.status == "open")
        .values(status="done", phone=None, done_at=moment, done_by=agent.username, note=text)
        .execution_options(synchronize_session=False)
    )
    session.refresh(callback)
    if rows_changed(result) != 1:
        who = "anh/chị" if callback.done_by == agent.username else f"cán bộ {callback.done_by}"
        raise CallbackConflict(f"Cuộc gọi lại này đã được {who} đánh dấu xong.")
    record(
        session,
        actor=actor_of(agent),
        action="callback.done",
        entity_type="callback_request",
        entity_id=str(callback.id),
        before={"status": "open", "phone": callback.phone_masked},
        after={"status": "done", "phone_erased": True, "note": text is not None},
    )
    return callback


def unit_names(session: Session, codes: set[str]) -> dict[str, str]:
    """The official name of each current unit code, for the console's list."""
    wanted = {code for code in codes if code}
    if not wanted:
        return {}
    rows = session.execute(
        select(AdministrativeUnit.code, AdministrativeUnit.name).where(
            AdministrativeUnit.status == "current", AdministrativeUnit.code.in_(wanted)
        )
    )
    return {code: name for code, name in rows.tuples()}
