"""Office hours from the ``office_hours`` setting (servicedesk/handoff/hours.py): the parser, its
Vietnamese errors, the schedule in words, and the handoff service reading it."""

from __future__ import annotations

import datetime as dt

import pytest

from core.settings import Settings
from servicedesk.handoff import answers, service
from servicedesk.handoff.hours import VIETNAM, OfficeHours, OfficeHoursInvalid
from servicedesk.handoff.models import HandoffRequest
from servicedesk.handoff.service import HandoffOutcome

DEFAULT = "T2-T6 07:30-11:30, 13:00-17:00"


def vn(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of the week of Monday 23/11/2026, Vietnam time."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=VIETNAM)


def test_the_default_schedule_reads_as_before() -> None:
    hours = OfficeHours.parse(DEFAULT)
    assert hours.text() == "Thứ Hai – Thứ Sáu, 7:30–11:30 và 13:00–17:00"
    assert hours.contains(vn(24, 9))  # Tuesday morning
    assert hours.contains(vn(24, 7, 30)) and not hours.contains(vn(24, 11, 30))  # [start, end)
    assert not hours.contains(vn(24, 12))  # lunch
    assert not hours.contains(vn(24, 20))
    assert not hours.contains(vn(28, 9))  # Saturday
    # A naive moment is UTC, as the store keeps time: 02:00 UTC is 09:00 in Vietnam.
    assert hours.contains(dt.datetime(2026, 11, 24, 2, 0))


def test_groups_days_and_spellings() -> None:
    hours = OfficeHours.parse("t2-t6 7h30-11h30, 13:00–17:00 ; T7 07:30-11:30; CN 8:00-10:00")
    assert hours.contains(vn(28, 8)) and not hours.contains(vn(28, 14))  # Saturday morning only
    assert hours.contains(vn(29, 9)) and not hours.contains(vn(29, 10))  # Sunday
    assert hours.text() == ("Thứ Hai – Thứ Sáu, 7:30–11:30 và 13:00–17:00; Thứ Bảy, 7:30–11:30; Chủ nhật, 8:00–10:00")
    listed = OfficeHours.parse("T2, T4 08:00-12:00")
    assert listed.contains(vn(25, 9)) and not listed.contains(vn(24, 9))


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "chưa khai báo"),
        ("   ;  ", "chưa khai báo"),
        ("sáng 7:30-11:30", "phải bắt đầu bằng ngày"),
        ("T2-T6", "thiếu khoảng giờ"),
        ("T8 07:00-11:00", "không có ngày “T8”"),
        ("T6-T2 07:30-11:30", "phải theo thứ tự trong tuần"),
        ("T2 11:30-07:30", "kết thúc sau khi bắt đầu"),
        ("T2 25:00-26:00", "không có thật"),
        ("T2 bảy giờ-11:00", "phải viết dạng 07:30-11:30"),
        ("T2 07:30-11:30, 11:00-12:00", "chồng lên nhau"),
        ("T2-T6 07:30-11:30; T3 08:00-09:00", "Thứ Ba có hai khoảng giờ chồng lên nhau"),
    ],
)
def test_a_bad_value_is_explained_in_vietnamese(value: str, words: str) -> None:
    with pytest.raises(OfficeHoursInvalid) as problem:
        OfficeHours.parse(value)
    assert problem.value.message.startswith("Giờ làm việc (TTHC_OFFICE_HOURS) không hợp lệ: ")
    assert words in problem.value.message
    assert problem.value.field == "office_hours"


def test_the_handoff_service_reads_the_setting() -> None:
    saturday = Settings(office_hours="T2-T7 07:30-11:30")
    assert service.in_office_hours(vn(28, 9), saturday)
    assert not service.in_office_hours(vn(24, 14), saturday)
    assert service.office_hours_text(saturday) == "Thứ Hai – Thứ Bảy, 7:30–11:30"
    # Without settings: the deployment's (the default here).
    assert service.in_office_hours(vn(24, 9)) and not service.in_office_hours(vn(28, 9))


def test_the_out_of_hours_answer_quotes_the_schedule() -> None:
    closed = HandoffOutcome(HandoffRequest(), in_office_hours=False, position=0)
    assert "(Thứ Hai – Thứ Sáu, 7:30–11:30 và 13:00–17:00)" in answers.request_received(closed, "1900 0000")
    custom = answers.request_received(closed, "1900 0000", hours_text="Thứ Hai – Thứ Bảy, 7:30–11:30")
    assert "(Thứ Hai – Thứ Bảy, 7:30–11:30)" in custom
