"""Call-backs on a private database (SQLite and PostgreSQL): phone numbers read and masked, the due
time from the preference and the schedule, one open request per conversation, done erases the
number, reading it is audited; officers on duty; handoff requests carry their unit; analytics."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit.models import AuditEntry
from core.settings import Settings
from servicedesk.analytics.service import Filters, report
from servicedesk.callbacks import service
from servicedesk.callbacks.models import CallbackRequest
from servicedesk.callbacks.service import CallbackConflict, CallbackInvalid, CallbackNotFound
from servicedesk.handoff import presence
from servicedesk.handoff import service as handoff
from servicedesk.handoff.hours import VIETNAM, OfficeHours

PHONE = "0912345678"  # synthetic
MASKED = "09•• ••• 678"
SETTINGS = Settings(office_hours="T2-T6 07:30-11:30, 13:00-17:00")
BEN_THANH = "26743"


@dataclass(frozen=True)
class Officer:
    username: str
    display_name: str
    role: str | None = "agent"


LAN = Officer("lan", "Nguyễn Thị Lan")


def vn(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of the week of Monday 23/11/2026, Vietnam time."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=VIETNAM)


def utc_naive(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def ask(
    session: Session,
    sender: str = "web-cb-1",
    *,
    phone: str = PHONE,
    time: str = "Lúc nào cũng được",
    now: dt.datetime | None = None,
    unit_code: str | None = None,
    settings: Settings = SETTINGS,
) -> CallbackRequest:
    callback = service.request_callback(
        session,
        sender_id=sender,
        channel=sender.split("-")[0],
        phone=phone,
        preferred_time=time,
        unit_code=unit_code,
        procedure_code="1.001193",
        settings=settings,
        now=now or vn(24, 20),
    )
    session.commit()
    return callback


# --- phone numbers (no database) -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "+84 912 345 678",
        "+84912345678",
        "84912345678",
        "(+84) 912.345.678",
        "+84 0912 345 678",
        "Số của tôi là 0912 345 678 nhé",
    ],
)
def test_a_vietnamese_mobile_number_in_any_spelling(text: str) -> None:
    assert service.normalise_phone(text) == PHONE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("028 3812 3456", "02838123456"),  # a landline with its area code
        ("123", None),
        ("0123456789", None),  # no Vietnamese network starts 01 any more
        ("09123456", None),  # too short
        ("091234567890", None),  # too long
        ("gọi 0912345678 hoặc 0987654321", None),  # two numbers: ask again
        ("0912345678, 0912.345.678", PHONE),  # the same number twice is one
        ("không có số", None),
        ("", None),
    ],
)
def test_what_is_not_one_phone_number(text: str, expected: str | None) -> None:
    assert service.normalise_phone(text) == expected


def test_masking() -> None:
    assert service.mask_phone(PHONE) == MASKED
    assert service.mask_phone("02838123456") == "02•• •••• 456"
    assert service.mask_phone("12") == "••"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Buổi sáng", "morning"),
        ("Buổi sáng (7:30–11:30)", "morning"),
        ("sang", "morning"),
        ("Buổi chiều", "afternoon"),
        ("chiều mai nhé", "afternoon"),
        ("Lúc nào cũng được", "any"),
        ("bất kỳ lúc nào", "any"),
        ("sáng hoặc chiều đều được", "any"),
        ("tối", None),
        ("", None),
    ],
)
def test_the_preferred_time(text: str, key: str | None) -> None:
    assert service.read_preferred_time(text) == key
    for label in service.PREFERRED_TIMES:
        assert service.read_preferred_time(label) is not None


def test_the_buttons_follow_the_schedule() -> None:
    assert service.preferred_time_labels(SETTINGS) == (
        "Buổi sáng (7:30–11:30)",
        "Buổi chiều (13:00–17:00)",
        "Lúc nào cũng được",
    )
    assert service.preferred_time_labels(Settings(office_hours="T2-T7 07:30-11:30")) == (
        "Buổi sáng (7:30–11:30)",
        "Lúc nào cũng được",
    )


# --- due time ----------------------------------------------------------------------------------------

HOURS = OfficeHours.parse("T2-T6 07:30-11:30, 13:00-17:00")


@pytest.mark.parametrize(
    ("now", "preference", "due"),
    [
        (vn(24, 9), "morning", vn(24, 11, 30)),  # in a morning session: this one
        (vn(24, 9), "afternoon", vn(24, 17)),
        (vn(24, 9), "any", vn(24, 11, 30)),
        (vn(24, 11, 10), "any", vn(24, 17)),  # 20 minutes left: too short, the next session
        (vn(24, 11, 10), "morning", vn(25, 11, 30)),
        (vn(24, 20), "any", vn(25, 11, 30)),  # evening: tomorrow morning
        (vn(24, 20), "afternoon", vn(25, 17)),
        (vn(27, 18), "morning", vn(30, 11, 30)),  # Friday evening: Monday
        (vn(28, 10), "afternoon", vn(30, 17)),  # Saturday
    ],
)
def test_the_due_time_is_the_end_of_the_matching_session(now: dt.datetime, preference: str, due: dt.datetime) -> None:
    assert service.due_window(HOURS, preference, now).end == due


def test_a_part_of_the_day_the_schedule_lacks_falls_back_to_any_session() -> None:
    mornings = OfficeHours.parse("T2-T6 07:30-11:30")
    assert service.due_window(mornings, "afternoon", vn(24, 20)).end == vn(25, 11, 30)


def test_a_schedule_of_sessions_shorter_than_the_lead_still_gives_a_due_time() -> None:
    """Duty slots shorter than the lead time (e.g. one minute) must not leave a callback without a
    due time: the next session ahead is used."""
    slots = OfficeHours.parse("T5 03:00-03:01")
    window = service.due_window(slots, "any", vn(24, 20))
    assert window.end - window.start == dt.timedelta(minutes=1) and window.end > vn(24, 20)


# --- requests -----------------------------------------------------------------------------------------


def test_a_request_is_stored_with_its_due_time_and_consent(session: Session) -> None:
    callback = ask(session, time="Buổi chiều", now=vn(24, 20), unit_code=BEN_THANH)
    assert callback.status == "open" and callback.channel == "web"
    assert callback.phone == PHONE and callback.phone_masked == MASKED
    assert callback.preferred_time == "afternoon"
    assert callback.due_at == utc_naive(vn(25, 17))
    assert callback.unit_code == BEN_THANH and callback.procedure_code == "1.001193"
    assert callback.consent_version == service.CONSENT_VERSION
    assert callback.consented_at == utc_naive(vn(24, 20))


def test_the_confirmation_masks_the_number(session: Session) -> None:
    callback = ask(session, time="Buổi sáng", now=vn(24, 20))
    text = service.confirmation_text(callback, SETTINGS)
    assert MASKED in text and PHONE not in text
    assert "buổi sáng Thứ Tư, 25/11/2026 (7:30–11:30)" in text
    assert "xóa" in text


def test_one_open_request_per_conversation(session: Session) -> None:
    first = ask(session, time="Buổi sáng")
    again = ask(session, phone="0987 654 321", time="Buổi chiều", unit_code=BEN_THANH)
    assert again.id == first.id
    assert (again.phone, again.phone_masked, again.preferred_time) == ("0987654321", "09•• ••• 321", "afternoon")
    assert again.unit_code == BEN_THANH
    assert len(session.scalars(select(CallbackRequest)).all()) == 1
    other = ask(session, "zalo-8412345678901")
    assert other.id != first.id and other.channel == "zalo"
    # Once done, a new request is a new row.
    service.mark_done(session, first.id, LAN)
    session.commit()
    assert ask(session).id not in (first.id, other.id)


@pytest.mark.parametrize(
    ("phone", "time", "field", "words"),
    [
        ("12345", "Buổi sáng", "phone", "Số điện thoại chưa đúng"),
        (PHONE, "ban đêm", "preferred_time", "buổi sáng, buổi chiều"),
    ],
)
def test_invalid_requests_are_refused_in_vietnamese(
    session: Session, phone: str, time: str, field: str, words: str
) -> None:
    with pytest.raises(CallbackInvalid) as problem:
        ask(session, phone=phone, time=time)
    assert problem.value.field == field and words in problem.value.message
    assert "12345" not in problem.value.message  # the input is never quoted back
    assert session.scalars(select(CallbackRequest)).all() == []


def test_open_callbacks_by_due_time_and_unit(session: Session) -> None:
    later = ask(session, "web-later", time="Buổi chiều", unit_code=BEN_THANH)
    sooner = ask(session, "web-sooner", time="Buổi sáng")
    assert [c.id for c in service.open_callbacks(session)] == [sooner.id, later.id]
    assert [c.id for c in service.open_callbacks(session, unit_code=BEN_THANH)] == [later.id]
    assert service.open_callbacks(session, unit_code="11111") == []


def test_done_erases_the_number_and_is_audited(session: Session) -> None:
    callback = ask(session)
    done = service.mark_done(session, callback.id, LAN, note="Đã hướng dẫn nộp hồ sơ", now=vn(25, 9))
    session.commit()
    assert done.status == "done" and done.phone is None and done.phone_masked == MASKED
    assert (done.done_by, done.done_at, done.note) == ("lan", utc_naive(vn(25, 9)), "Đã hướng dẫn nộp hồ sơ")
    assert service.open_callbacks(session) == []
    with pytest.raises(CallbackConflict) as again:
        service.mark_done(session, callback.id, LAN)
    assert "đã được anh/chị đánh dấu xong" in again.value.message
    with pytest.raises(CallbackConflict):
        service.reveal_phone(session, callback.id, LAN)
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "callback.done")).all()
    assert (entry.actor, entry.entity_type, entry.entity_id) == ("lan", "callback_request", str(callback.id))
    assert entry.after is not None and entry.after["phone_erased"] is True


def test_revealing_the_number_is_audited_masked(session: Session) -> None:
    callback = ask(session)
    assert service.reveal_phone(session, callback.id, LAN) == PHONE
    assert service.reveal_phone(session, callback.id, LAN) == PHONE
    session.commit()
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "callback.reveal")).all()
    assert [(e.actor, e.entity_id) for e in entries] == [("lan", str(callback.id))] * 2
    service.mark_done(session, callback.id, LAN)
    session.commit()
    everything = json.dumps([[e.before, e.after] for e in session.scalars(select(AuditEntry))], ensure_ascii=False)
    assert MASKED in everything and PHONE not in everything and "912345678" not in everything


def test_unknown_callbacks_are_not_found(session: Session) -> None:
    with pytest.raises(CallbackNotFound):
        service.mark_done(session, 999, LAN)
    with pytest.raises(CallbackNotFound):
        service.reveal_phone(session, 999, LAN)


def test_a_long_note_is_refused(session: Session) -> None:
    callback = ask(session)
    with pytest.raises(CallbackInvalid):
        service.mark_done(session, callback.id, LAN, note="x" * (service.MAX_NOTE_CHARS + 1))


def test_the_number_is_never_logged(session: Session, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    callback = ask(session)
    service.confirmation_text(callback)
    service.reveal_phone(session, callback.id, LAN)
    service.mark_done(session, callback.id, LAN)
    session.commit()
    assert PHONE not in caplog.text and "912345678" not in caplog.text


def test_overdue() -> None:
    callback = CallbackRequest(status="open", due_at=utc_naive(vn(25, 11, 30)))
    assert not service.is_overdue(callback, vn(25, 11))
    assert service.is_overdue(callback, vn(25, 12))
    callback.status = "done"
    assert not service.is_overdue(callback, vn(25, 12))


# --- officers on duty, and when a call back is offered ------------------------------------------------


def test_presence(session: Session) -> None:
    now = vn(24, 9)
    assert presence.officers_online(session, within_seconds=90, now=now) == 0
    presence.touch(session, "lan", now=now - dt.timedelta(seconds=30))
    presence.touch(session, "minh", now=now - dt.timedelta(seconds=200))
    presence.touch(session, "lan", now=now - dt.timedelta(seconds=10))  # again: one row, newer
    session.commit()
    assert presence.officers_online(session, within_seconds=90, now=now) == 1
    assert presence.online_usernames(session, within_seconds=300, now=now) == ["lan", "minh"]


def test_a_call_back_is_offered_out_of_hours_or_with_nobody_on_duty(session: Session) -> None:
    settings = Settings(office_hours="T2-T6 07:30-11:30, 13:00-17:00", agent_online_seconds=90)
    assert handoff.callback_offer_needed(session, settings, now=vn(24, 20))  # evening
    assert handoff.callback_offer_needed(session, settings, now=vn(24, 9))  # nobody online
    presence.touch(session, "lan", now=vn(24, 9) - dt.timedelta(seconds=20))
    session.commit()
    assert not handoff.callback_offer_needed(session, settings, now=vn(24, 9))
    assert handoff.callback_offer_needed(session, settings, now=vn(24, 9, 5))  # the console closed 5 min ago
    assert handoff.callback_offer_needed(session, settings, now=vn(28, 9))  # Saturday, even online


def test_handoff_requests_carry_their_unit(session: Session) -> None:
    ours = handoff.request_handoff(session, sender_id="web-u1", unit_code=BEN_THANH, now=vn(24, 9)).request
    other = handoff.request_handoff(session, sender_id="web-u2", unit_code="Phường X", now=vn(24, 9)).request
    session.commit()
    assert ours.unit_code == BEN_THANH and other.unit_code is None  # only official codes are kept
    assert [r.id for r in handoff.queue(session, unit_code=BEN_THANH)] == [ours.id]
    assert {r.id for r in handoff.queue(session)} == {ours.id, other.id}
    # Asked again with a unit: the waiting request learns it.
    again = handoff.request_handoff(session, sender_id="web-u2", unit_code="26734", now=vn(24, 9)).request
    assert again.id == other.id and again.unit_code == "26734"


# --- analytics ----------------------------------------------------------------------------------------


def test_analytics_count_callbacks_requested_and_done(session: Session) -> None:
    first = ask(session, "web-a1", now=vn(24, 20), unit_code=BEN_THANH)
    ask(session, "zalo-a2", now=vn(24, 21))
    ask(session, "web-a3", now=vn(10, 9))  # before the range
    service.mark_done(session, first.id, LAN, now=vn(25, 9))
    session.commit()
    week = Filters(dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    totals = report(session, week).totals
    assert (totals.callbacks, totals.callbacks_done) == (2, 1)
    units = {u.key: u.callbacks for u in report(session, week).units}
    assert units[BEN_THANH] == 1
    channels = {c.key: c.callbacks for c in report(session, week).channels}
    assert channels == {"web": 1, "zalo": 1}
    one_unit = report(session, Filters(week.start, week.end, unit=BEN_THANH)).totals
    assert (one_unit.callbacks, one_unit.callbacks_done) == (1, 1)
