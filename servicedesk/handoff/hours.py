"""Office hours (giờ hành chính) from the ``office_hours`` setting: when officers answer.

The setting is written the way a Vietnamese office posts its hours::

    T2-T6 07:30-11:30, 13:00-17:00; T7 07:30-11:30

Groups are separated by ``;``; each group is its days (``T2``…``T7``, ``CN``; a range ``T2-T6`` or
a list ``T2, T4``) followed by its time ranges (``07:30-11:30``; ``7:30``, ``7h30`` and ``–`` are
accepted too). A day named in two groups gets both groups' ranges; ranges of one day must not
overlap. A value that cannot be read raises ``OfficeHoursInvalid`` with a Vietnamese sentence that
says which part is wrong, so a mistyped ``TTHC_OFFICE_HOURS`` is reported, never guessed.

Times are Vietnam local time (UTC+7, no daylight saving); moments passed in may be aware, or naive
UTC as the store keeps them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from core.errors import InvalidError
from core.settings import Settings, get_settings

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
SETTING = "TTHC_OFFICE_HOURS"

DAY_CODES = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")  # index = Python's weekday()
DAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
NOON = dt.time(12, 0)  # a session starting before noon is a morning session ("buổi sáng")

_DAY = r"(?:T\s*[2-7]|CN)"
_GROUP = re.compile(rf"^(?P<days>{_DAY}(?:\s*[-–,]\s*{_DAY})*)\s+(?P<ranges>.+)$", re.IGNORECASE)
_DAYS_ONLY = re.compile(rf"^{_DAY}(?:\s*[-–,]\s*{_DAY})*$", re.IGNORECASE)
_UNKNOWN_DAY = re.compile(r"^(?:T\s*[0-18-9]\d*|T\b|C[^N\s]\w*)", re.IGNORECASE)
_RANGE = re.compile(r"^(?P<start>\d{1,2}\s*[:h]\s*\d{0,2})\s*[-–]\s*(?P<end>\d{1,2}\s*[:h]\s*\d{0,2})$", re.IGNORECASE)
_TIME = re.compile(r"^(?P<hour>\d{1,2})\s*[:h]\s*(?P<minute>\d{0,2})$", re.IGNORECASE)


class OfficeHoursInvalid(InvalidError, ValueError):
    """The ``office_hours`` setting cannot be read; ``message`` says what to fix (Vietnamese)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"Giờ làm việc ({SETTING}) không hợp lệ: {message}", field="office_hours")


@dataclass(frozen=True, order=True)
class Session:
    """One session of a day, [start, end) in Vietnam time."""

    start: dt.time
    end: dt.time

    @property
    def morning(self) -> bool:
        return self.start < NOON

    def text(self) -> str:
        return f"{clock(self.start)}–{clock(self.end)}"


@dataclass(frozen=True)
class Window:
    """A session on a given day, as aware Vietnam datetimes."""

    start: dt.datetime
    end: dt.datetime
    session: Session


def clock(moment: dt.time | dt.datetime) -> str:
    """7:30, 13:00: how times are written to citizens (no leading zero on the hour)."""
    return f"{moment.hour}:{moment.minute:02d}"


def to_vietnam(moment: dt.datetime) -> dt.datetime:
    """An aware moment in Vietnam time; a naive one is taken as UTC (the store's convention)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(VIETNAM)


def _parse_time(text: str, group: str) -> dt.time:
    match = _TIME.match(text.strip())
    if match is None:
        raise OfficeHoursInvalid(f"giờ “{text.strip()}” trong “{group}” phải viết dạng GG:PP, ví dụ 07:30")
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    if hour == 24 and minute == 0:
        return dt.time.max  # "…-24:00": until midnight
    if hour > 23 or minute > 59:
        raise OfficeHoursInvalid(f"giờ “{text.strip()}” trong “{group}” không có thật")
    return dt.time(hour, minute)


def _day_index(code: str) -> int:
    return DAY_CODES.index(re.sub(r"\s+", "", code).upper())


def _parse_days(text: str, group: str) -> list[int]:
    days: list[int] = []
    for part in re.split(r"\s*,\s*", text.strip()):
        bounds = re.split(r"\s*[-–]\s*", part)
        if len(bounds) == 1:
            days.append(_day_index(bounds[0]))
            continue
        if len(bounds) != 2:
            raise OfficeHoursInvalid(f"khoảng ngày “{part}” trong “{group}” phải viết dạng T2-T6")
        first, last = _day_index(bounds[0]), _day_index(bounds[1])
        if first > last:
            raise OfficeHoursInvalid(
                f"khoảng ngày “{part}” trong “{group}” phải theo thứ tự trong tuần (T2 … T7, CN), ví dụ T2-T6"
            )
        days.extend(range(first, last + 1))
    return days


def _parse_ranges(text: str, group: str) -> list[Session]:
    sessions = []
    for part in (p.strip() for p in re.split(r"\s*(?:,|\bvà\b)\s*", text.strip())):
        if not part:
            continue
        match = _RANGE.match(part)
        if match is None:
            raise OfficeHoursInvalid(f"khoảng giờ “{part}” trong “{group}” phải viết dạng 07:30-11:30")
        start, end = _parse_time(match["start"], group), _parse_time(match["end"], group)
        if start >= end:
            raise OfficeHoursInvalid(f"khoảng giờ “{part}” trong “{group}” phải kết thúc sau khi bắt đầu")
        sessions.append(Session(start, end))
    if not sessions:
        raise OfficeHoursInvalid(f"nhóm “{group}” thiếu khoảng giờ, ví dụ 07:30-11:30")
    return sessions


@dataclass(frozen=True)
class OfficeHours:
    """The sessions of each weekday (index 0 = Thứ Hai … 6 = Chủ nhật), sorted."""

    days: tuple[tuple[Session, ...], ...]

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """Reads the setting; ``OfficeHoursInvalid`` (Vietnamese) when it cannot."""
        cleaned = " ".join((text or "").split())
        if not cleaned:
            raise OfficeHoursInvalid("chưa khai báo ngày giờ nào, ví dụ “T2-T6 07:30-11:30, 13:00-17:00”")
        by_day: list[list[Session]] = [[] for _ in DAY_CODES]
        for raw_group in cleaned.split(";"):
            group = raw_group.strip()
            if not group:
                continue
            match = _GROUP.match(group)
            if match is None and _DAYS_ONLY.match(group):
                raise OfficeHoursInvalid(f"nhóm “{group}” thiếu khoảng giờ, ví dụ “{group} 07:30-11:30”")
            unknown = _UNKNOWN_DAY.match(group)
            if match is None and unknown:
                raise OfficeHoursInvalid(f"không có ngày “{unknown[0]}”; các ngày viết là T2, T3, T4, T5, T6, T7, CN")
            if match is None:
                raise OfficeHoursInvalid(
                    f"nhóm “{group}” phải bắt đầu bằng ngày (T2 … T7, CN), rồi đến khoảng giờ, "
                    "ví dụ “T2-T6 07:30-11:30, 13:00-17:00”"
                )
            sessions = _parse_ranges(match["ranges"], group)
            for day in _parse_days(match["days"], group):
                by_day[day].extend(sessions)
        for index, sessions in enumerate(by_day):
            sessions.sort()
            for before, after in zip(sessions, sessions[1:], strict=False):
                if after.start < before.end:
                    raise OfficeHoursInvalid(
                        f"{DAY_NAMES[index]} có hai khoảng giờ chồng lên nhau ({before.text()} và {after.text()})"
                    )
        if not any(by_day):
            raise OfficeHoursInvalid("chưa khai báo ngày giờ nào, ví dụ “T2-T6 07:30-11:30, 13:00-17:00”")
        return cls(tuple(tuple(sessions) for sessions in by_day))

    def contains(self, moment: dt.datetime) -> bool:
        local = to_vietnam(moment)
        return any(s.start <= local.time() < s.end for s in self.days[local.weekday()])

    def windows_from(self, moment: dt.datetime, *, days: int = 15) -> Iterator[Window]:
        """The sessions that have not ended at ``moment`` (the current one first), for ``days`` days."""
        local = to_vietnam(moment)
        for offset in range(days + 1):
            day = local.date() + dt.timedelta(days=offset)
            for session in self.days[day.weekday()]:
                start = dt.datetime.combine(day, session.start, tzinfo=VIETNAM)
                end = (
                    dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=VIETNAM)
                    if session.end == dt.time.max
                    else dt.datetime.combine(day, session.end, tzinfo=VIETNAM)
                )
                if end > local:
                    yield Window(start, end, session)

    def window_ending_at(self, moment: dt.datetime) -> Window | None:
        """The session that ends at ``moment`` (a callback's due time), if the schedule has one."""
        local = to_vietnam(moment)
        for window in self.windows_from(local - dt.timedelta(days=1), days=2):
            if window.end == local:
                return window
        return None

    def has_morning(self) -> bool:
        return any(s.morning for sessions in self.days for s in sessions)

    def has_afternoon(self) -> bool:
        return any(not s.morning for sessions in self.days for s in sessions)

    def part_text(self, morning: bool) -> str:
        """The sessions of one part of the day as posted ("7:30–11:30"), when every open day agrees."""
        found = {tuple(s for s in sessions if s.morning == morning) for sessions in self.days}
        found.discard(())
        if len(found) != 1:
            return ""
        return " và ".join(s.text() for s in found.pop())

    def text(self) -> str:
        """The schedule in words: "Thứ Hai – Thứ Sáu, 7:30–11:30 và 13:00–17:00"."""
        runs: list[tuple[int, int, tuple[Session, ...]]] = []
        for index, sessions in enumerate(self.days):
            if not sessions:
                continue
            if runs and runs[-1][1] == index - 1 and runs[-1][2] == sessions:
                runs[-1] = (runs[-1][0], index, sessions)
            else:
                runs.append((index, index, sessions))
        parts = []
        for first, last, sessions in runs:
            days = DAY_NAMES[first] if first == last else f"{DAY_NAMES[first]} – {DAY_NAMES[last]}"
            if last == first + 1:
                days = f"{DAY_NAMES[first]}, {DAY_NAMES[last]}"
            ranges = [s.text() for s in sessions]
            joined = ranges[0] if len(ranges) == 1 else ", ".join(ranges[:-1]) + " và " + ranges[-1]
            parts.append(f"{days}, {joined}")
        return "; ".join(parts)


@lru_cache(maxsize=16)
def parse_office_hours(text: str) -> OfficeHours:
    """``OfficeHours.parse``, cached: the setting is read on every handoff request."""
    return OfficeHours.parse(text)


def office_hours(settings: Settings | None = None) -> OfficeHours:
    """The deployment's schedule (``settings.office_hours``)."""
    return parse_office_hours((settings or get_settings()).office_hours)


__all__ = [
    "DAY_NAMES",
    "OfficeHours",
    "OfficeHoursInvalid",
    "Session",
    "VIETNAM",
    "Window",
    "clock",
    "office_hours",
    "parse_office_hours",
    "to_vietnam",
]
