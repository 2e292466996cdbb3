from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError


class CentreRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)

    unit_code: str = Field(pattern=r"^\d{2,5}$")
    name: str
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    hours: str | None = None
    receives_levels: list[str] = Field(default_factory=list)
    extra_procedures: list[str] = Field(default_factory=list)
    is_demo: bool = False
    source: str | None = None


# A number as people write it: "024 3825 3536", "(028) 3829.1234", "+84 912 345 678", "1900 1234".
_PHONE_SEPARATORS = re.compile(r"\s*(?:[,;/]|\bhoặc\b)\s*")
_PHONE_NOISE = re.compile(r"[\s.\-()]")
_PHONE = re.compile(r"^(?:(?:\+84|0)\d{9,10}|1[89]00\d{4,6})$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
# "7:30", "07:30", "7h30", "7h" — in ranges "7:30–11:30" (hyphen, en or em dash).
_TIME = r"(\d{1,2})(?:[:h](\d{2})|h)"
_RANGE = re.compile(rf"{_TIME}\s*[-–—]\s*{_TIME}")
_ANY_TIME = re.compile(r"\b\d{1,2}(?:[:h]\d{2}|h)(?!\w)")
_PROCEDURE_CODE = re.compile(r"^\d\.\d{6}(\.[0-9A-Za-z.]+)?$")


def _minutes(hours: str, minutes: str | None) -> int | None:
    h, m = int(hours), int(minutes or 0)
    return h * 60 + m if h < 24 and m < 60 else None


class CentreInput(BaseModel):
    """A service centre as an editor submits it: every format an officer or citizen would later
    dial, mail or rely on is checked (messages in Vietnamese, shown next to the field)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    unit_code: str = Field(pattern=r"^\d{2,5}$")
    name: str = Field(min_length=5, max_length=255)
    address: str | None = Field(default=None, max_length=1000)
    phone: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=255)
    hours: str | None = Field(default=None, max_length=1000)
    receives_levels: list[Literal["xa", "tinh", "bo", "khac"]] = Field(default_factory=list)
    extra_procedures: list[str] = Field(default_factory=list)
    is_demo: bool = False
    source: str | None = Field(default=None, max_length=1000)

    @field_validator("address", "phone", "email", "hours", "source", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("phone")
    @classmethod
    def _phones(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for number in _PHONE_SEPARATORS.split(value):
            digits = _PHONE_NOISE.sub("", number)
            if not _PHONE.match(digits):
                raise PydanticCustomError(
                    "centre_phone",
                    "Số điện thoại “{number}” không hợp lệ: dùng 10–11 chữ số bắt đầu bằng 0 (hoặc +84), "
                    "hay số tổng đài 1900/1800; nhiều số cách nhau bằng dấu phẩy",
                    {"number": number},
                )
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise PydanticCustomError("centre_email", "Địa chỉ thư điện tử không hợp lệ (ví dụ: tiepnhan@xa.gov.vn)")
        return value

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is None:
            return None
        ranges = list(_RANGE.finditer(value))
        if not ranges:
            raise PydanticCustomError(
                "centre_hours",
                "Giờ làm việc cần ít nhất một khoảng giờ, ví dụ “Thứ Hai – Thứ Sáu 7:30–11:30, 13:30–17:00”",
            )
        for match in ranges:
            start = _minutes(match.group(1), match.group(2))
            end = _minutes(match.group(3), match.group(4))
            if start is None or end is None:
                raise PydanticCustomError(
                    "centre_hours", "Giờ “{text}” không có thật (giờ 0–23, phút 0–59)", {"text": match.group(0)}
                )
            if start >= end:
                raise PydanticCustomError(
                    "centre_hours", "Khoảng giờ “{text}” kết thúc trước khi bắt đầu", {"text": match.group(0)}
                )
        for match in _ANY_TIME.finditer(value):
            parts = re.split(r"[:h]", match.group(0))
            if _minutes(parts[0], parts[1] or None) is None:
                raise PydanticCustomError(
                    "centre_hours", "Giờ “{text}” không có thật (giờ 0–23, phút 0–59)", {"text": match.group(0)}
                )
        return value

    @field_validator("extra_procedures")
    @classmethod
    def _codes(cls, codes: list[str]) -> list[str]:
        cleaned = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
        bad = [c for c in cleaned if not _PROCEDURE_CODE.match(c)]
        if bad:
            raise PydanticCustomError(
                "centre_codes", "Mã thủ tục không đúng dạng (ví dụ 1.001193): {codes}", {"codes": ", ".join(bad)}
            )
        return cleaned

    @field_validator("receives_levels")
    @classmethod
    def _unique_levels(cls, levels: list[str]) -> list[str]:
        return list(dict.fromkeys(levels))
