from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_MESSAGE_CHARS = 2000


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sender: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$",
                        description="Opaque conversation id chosen by the channel (letters, digits, _ . : -)")
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS, description="What the citizen wrote")

    @field_validator("message")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Tin nhắn không được để trống")
        return value


class BotMessage(BaseModel):
    """A Rasa-style message: text, optional buttons, optional custom payload (procedure card)."""

    model_config = ConfigDict(extra="allow")

    text: str | None = None
    buttons: list[dict[str, Any]] | None = None
    custom: dict[str, Any] | None = None
    image: str | None = None


class ChatResponse(BaseModel):
    messages: list[BotMessage]
