from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_MESSAGE_CHARS = 2000
MAX_UNIT_CHARS = 120


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sender: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$",
                        description="Opaque conversation id chosen by the channel (letters, digits, _ . : -)")
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, description="What the citizen wrote")
    unit: str | None = Field(
        default=None, max_length=MAX_UNIT_CHARS, description="The unit whose site embeds the widget (its data-unit)"
    )

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Tin nhắn không được để trống")
        return value

    @field_validator("unit")
    @classmethod
    def _unit_or_none(cls, value: str | None) -> str | None:
        cleaned = " ".join(value.split()) if value else ""
        return cleaned or None


class BotMessage(BaseModel):
    """A Rasa-style message: text, optional buttons, optional custom payload (procedure card)."""

    model_config = ConfigDict(extra="allow")

    text: str | None = None
    buttons: list[dict[str, Any]] | None = None
    custom: dict[str, Any] | None = None
    image: str | None = None


class HandoffInfo(BaseModel):
    """The conversation's request for an officer, while it is waiting or taken."""

    status: Literal["queued", "out_of_hours", "taken"]
    cursor: int = Field(description="Last handoff event id: GET /api/chat/events?after= starts after it")
    agent: str | None = Field(default=None, description="The officer handling the conversation")


class ChatResponse(BaseModel):
    messages: list[BotMessage]
    handoff: HandoffInfo | None = Field(
        default=None, description="Present while an officer is asked for or is answering this conversation"
    )
