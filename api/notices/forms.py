"""The editors' notice form: what was typed (kept to show again), read into the service's terms.

Editors type Vietnam dates and times (``<input type=date>`` and ``<input type=time>``); the store
keeps naive UTC. An end without a time means "to the end of that day" (the next midnight, Vietnam
time), which the assistant says as "đến hết ngày dd/mm/yyyy"; a start without a date means now.
Units and procedures are codes, one per line or separated by commas or spaces.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData

from knowledge.notices.models import Notice
from knowledge.notices.service import VIETNAM_OFFSET, vietnam_time

FIELDS = (
    "title",
    "body",
    "severity",
    "starts_date",
    "starts_time",
    "ends_date",
    "ends_time",
    "unit_codes",
    "procedure_codes",
)
FIELD_LABELS = {
    "title": "Tiêu đề",
    "body": "Nội dung",
    "severity": "Mức độ",
    "starts_date": "Ngày bắt đầu",
    "starts_time": "Giờ bắt đầu",
    "ends_date": "Ngày kết thúc",
    "ends_time": "Giờ kết thúc",
    "ends_at": "Ngày kết thúc",
    "unit_codes": "Đơn vị",
    "procedure_codes": "Thủ tục",
}
_SPLIT = re.compile(r"[\s,;]+")


def split_codes(text: str) -> list[str]:
    return [code for code in _SPLIT.split(text or "") if code]


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def _time(value: str) -> dt.time | None:
    match = re.fullmatch(r"([01]?[0-9]|2[0-3]):([0-5][0-9])(?::[0-5][0-9])?", value.strip())
    return dt.time(int(match.group(1)), int(match.group(2))) if match else None


def to_utc(day: dt.date, time: dt.time) -> dt.datetime:
    """A Vietnam wall-clock moment as naive UTC."""
    return dt.datetime.combine(day, time) - VIETNAM_OFFSET


@dataclass
class NoticeForm:
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def blank(cls) -> NoticeForm:
        return cls({name: "" for name in FIELDS} | {"severity": "info"})

    @classmethod
    def from_notice(cls, notice: Notice) -> NoticeForm:
        start = vietnam_time(notice.starts_at)
        end = vietnam_time(notice.ends_at)
        if end.time() == dt.time(0, 0):  # to the end of the day before
            ends_date, ends_time = (end - dt.timedelta(days=1)).date().isoformat(), ""
        else:
            ends_date, ends_time = end.date().isoformat(), f"{end:%H:%M}"
        return cls(
            {
                "title": notice.title,
                "body": notice.body,
                "severity": notice.severity,
                "starts_date": start.date().isoformat(),
                "starts_time": f"{start:%H:%M}",
                "ends_date": ends_date,
                "ends_time": ends_time,
                "unit_codes": "\n".join(notice.unit_codes or []),
                "procedure_codes": "\n".join(notice.procedure_codes or []),
            }
        )

    @classmethod
    def from_form(cls, posted: FormData) -> NoticeForm:
        values = {}
        for name in FIELDS:
            value = posted.get(name)
            values[name] = value.strip() if isinstance(value, str) else ""
        return cls(values)

    def to_fields(self) -> dict[str, Any] | None:
        """The keyword arguments of create_notice/update_notice, or None (and ``errors`` set)."""
        v = self.values
        starts_at: dt.datetime | None = None
        if v["starts_date"]:
            day = _date(v["starts_date"])
            time = _time(v["starts_time"]) if v["starts_time"] else dt.time(0, 0)
            if day is None:
                self.errors["starts_date"] = "Ngày bắt đầu không đúng dạng ngày."
            elif time is None:
                self.errors["starts_time"] = "Giờ bắt đầu không đúng dạng giờ:phút, ví dụ 07:30."
            else:
                starts_at = to_utc(day, time)
        elif v["starts_time"]:
            self.errors["starts_date"] = "Đã nhập giờ bắt đầu thì cần cả ngày bắt đầu."
        ends_at: dt.datetime | None = None
        end_day = _date(v["ends_date"]) if v["ends_date"] else None
        if end_day is None:
            self.errors["ends_date"] = (
                "Cần ngày kết thúc: thông báo tự hết hiển thị sau ngày đó."
                if not v["ends_date"]
                else "Ngày kết thúc không đúng dạng ngày."
            )
        elif v["ends_time"]:
            end_time = _time(v["ends_time"])
            if end_time is None:
                self.errors["ends_time"] = "Giờ kết thúc không đúng dạng giờ:phút, ví dụ 17:00."
            else:
                ends_at = to_utc(end_day, end_time)
        else:  # to the end of that day: the next midnight, Vietnam time
            ends_at = to_utc(end_day + dt.timedelta(days=1), dt.time(0, 0))
        if self.errors or ends_at is None:
            return None
        return {
            "title": v["title"],
            "body": v["body"],
            "severity": v["severity"],
            "starts_at": starts_at,
            "ends_at": ends_at,
            "unit_codes": split_codes(v["unit_codes"]),
            "procedure_codes": split_codes(v["procedure_codes"]),
        }

    @property
    def error_summary(self) -> list[tuple[str, str]]:
        return list(self.errors.items())
