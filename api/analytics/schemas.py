"""What ``GET /staff/api/analytics`` answers (``servicedesk.analytics.service.AnalyticsReport``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

# Rates and averages are rounded floats; a whole number is answered as it is computed.
Number = int | float


class DayStats(BaseModel):
    date: str
    conversations: int
    messages: int
    fallbacks: int
    handoffs: int


class Ranked(BaseModel):
    key: str
    label: str
    messages: int
    conversations: int


class GroupStats(BaseModel):
    """One channel's or one unit's figures."""

    key: str
    label: str
    conversations: int
    messages: int
    fallbacks: int
    fallback_rate: Number | None
    handoffs: int
    handoff_rate: Number | None
    ratings: int
    rating_average: Number | None
    callbacks: int = Field(default=0, description="Yêu cầu gọi lại")


class Totals(BaseModel):
    conversations: int
    messages: int
    agent_messages: int
    fallbacks: int
    fallback_rate: Number | None
    handoffs: int
    handoffs_taken: int
    handoffs_waiting: int
    handoff_rate: Number | None
    wait_median_seconds: Number | None
    wait_p90_seconds: Number | None
    ratings: int
    rating_average: Number | None
    feedback: int
    callbacks: int = Field(default=0, description="Yêu cầu gọi lại trong khoảng thời gian")
    callbacks_done: int = Field(default=0, description="Trong số đó, cán bộ đã gọi xong")


class AnalyticsReport(BaseModel):
    start: str = Field(description="Ngày đầu (NNNN-TT-NN)")
    end: str = Field(description="Ngày cuối (NNNN-TT-NN)")
    channel: str | None
    unit: str | None = Field(description="Mã đơn vị của bộ lọc")
    unit_label: str | None = Field(description="Tên chính thức của đơn vị đó")
    totals: Totals
    days: list[DayStats]
    top_procedures: list[Ranked]
    top_intents: list[Ranked]
    rating_distribution: dict[str, int] = Field(description="Số lượt đánh giá theo số sao, “1” đến “5”")
    channels: list[GroupStats]
    units: list[GroupStats]
    available_channels: list[str]
    available_units: list[str] = Field(description="Mã đơn vị, theo thứ tự tên")
    unit_labels: dict[str, str] = Field(description="Mã → tên chính thức của mọi đơn vị được nêu")
