"""What the console's call-back endpoints (``/staff/api/callbacks...``) answer."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from servicedesk.callbacks.service import MAX_NOTE_CHARS


class CallbackView(BaseModel):
    """A call-back as the console lists it: the number masked, the due time in Vietnam time."""

    id: int
    channel: str = Field(description="web | zalo")
    channel_label: str
    citizen: str = Field(description="Kênh và mã rút gọn của người dân, ví dụ “Zalo #a1b2c3”")
    tag: str = Field(description="Mã rút gọn của người dân, ví dụ “#a1b2c3”")
    unit_code: str | None
    unit_name: str | None
    procedure_code: str | None
    procedure_name: str | None
    phone_masked: str = Field(description="Số đã che, ví dụ “09•• ••• 678”")
    preferred_time: str = Field(description="morning | afternoon | any")
    preferred_label: str
    status: str = Field(description="open | done")
    created_at: str | None
    due_at: str | None = Field(description="Hạn gọi: hết buổi làm việc phù hợp (ISO 8601, UTC)")
    due_text: str = Field(description="Buổi cần gọi, giờ Việt Nam")
    overdue: bool
    done_at: str | None
    done_by: str | None


class CallbackList(BaseModel):
    callbacks: list[CallbackView]
    overdue: int = Field(description="Số cuộc gọi đã quá hạn")


class RevealedPhone(BaseModel):
    id: int
    phone: str = Field(description="Số đầy đủ; mỗi lần xem được ghi nhật ký")


class DoneBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=MAX_NOTE_CHARS, description="Ghi chú (không ghi số điện thoại)")


class CallbackDone(BaseModel):
    callback: CallbackView
