from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

MAX_MESSAGE_CHARS = 2000
MAX_UNIT_CHARS = 120

# Conversation ids say which channel they belong to: "web-…" for the widget (which makes
# "web-<uuid>"), "zalo-<user id>" built by the Zalo webhook from the signed event. The web API
# accepts and addresses only web ids, so no web request can reach another channel's conversation.
WEB_SENDER_PREFIX = "web-"
WEB_SENDER_PATTERN = r"^web-[A-Za-z0-9_.:\-]+$"
MAX_SENDER_CHARS = 128
_WEB_SENDER = re.compile(WEB_SENDER_PATTERN)


def _web_sender(value: str) -> str:
    # A validator rather than ``pattern=`` so that the 422 says why in Vietnamese; the pattern is
    # still published in the OpenAPI schema (json_schema_extra).
    if not _WEB_SENDER.fullmatch(value):
        raise ValueError(
            "Mã hội thoại không hợp lệ: khung chat trên trang web dùng mã dạng web-… (chữ, số và các dấu _ . : -)"
        )
    return value


WEB_SENDER_DESCRIPTION = "The web conversation id: web- then letters, digits, _ . : - (the widget makes web-<uuid>)"
WebSender = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_SENDER_CHARS,
        json_schema_extra={"pattern": WEB_SENDER_PATTERN},
        description=WEB_SENDER_DESCRIPTION,
    ),
    AfterValidator(_web_sender),
]


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sender: WebSender
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
