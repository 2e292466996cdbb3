"""What the console's JSON endpoints (``/staff/api/handoffs...``) answer."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class HandoffView(BaseModel):
    """A request for an officer as the console shows it (the citizen only as a short tag)."""

    id: int
    channel: str = Field(description="web | zalo")
    channel_label: str
    citizen: str = Field(description="Kênh và mã rút gọn của người dân, ví dụ “Trang web #a1b2c3”")
    tag: str
    status: str = Field(description="queued | out_of_hours | taken | closed")
    status_label: str
    reason: str | None
    procedure_code: str | None
    procedure_name: str | None
    unit_code: str | None = Field(default=None, description="Mã đơn vị hành chính của người dân (nếu biết)")
    created_at: str | None
    waiting_seconds: int
    taken_by: str | None
    taken_by_name: str | None
    taken_at: str | None
    mine: bool = Field(description="Do chính cán bộ đang xem phụ trách")


class HandoffMessageView(BaseModel):
    """One line of a taken conversation, or a change of status."""

    id: int
    request_id: int
    author: str = Field(description="citizen | agent | system")
    kind: str
    text: str | None
    agent: str | None
    agent_username: str | None
    created_at: str | None


class HandoffQueue(BaseModel):
    cursor: int = Field(description="Mã sự kiện cuối cùng; luồng trực tiếp tiếp tục từ đây")
    requests: list[HandoffView]


class HandoffConversation(BaseModel):
    request: HandoffView
    history: list[dict[str, Any]] = Field(description="Hội thoại với trợ lý trước khi cán bộ nhận")
    history_available: bool
    messages: list[HandoffMessageView]
    last_citizen_text: str | None


class TakeResult(BaseModel):
    request: HandoffView
    assistant_paused: bool


class ReplyResult(BaseModel):
    message: HandoffMessageView


class HandBackResult(BaseModel):
    request: HandoffView
    assistant_resumed: bool


class Presence(BaseModel):
    online: int = Field(description="Số cán bộ đang mở bàn trực")
    within_seconds: int = Field(description="Một cán bộ được tính là đang trực trong chừng ấy giây sau lần báo cuối")
