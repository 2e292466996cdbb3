from __future__ import annotations

from fastapi import APIRouter, Request

from api.chat.schemas import ChatRequest, ChatResponse
from api.chat.service import handle_citizen_message

router = APIRouter(prefix="/api", tags=["chat"])

WEB_CHANNEL = "web"


@router.post("/chat", response_model=ChatResponse, response_model_exclude_none=True)
async def chat(body: ChatRequest, request: Request) -> ChatResponse:
    """Send one citizen message; get the assistant's replies (Rasa-style messages).

    While an officer has taken the conversation there are no replies: the officer answers through
    ``GET /api/chat/events``; ``handoff`` says so.
    """
    turn = await handle_citizen_message(
        request.app.state, sender=body.sender, channel=WEB_CHANNEL, text=body.message, unit=body.unit
    )
    return ChatResponse(messages=turn.messages, handoff=turn.handoff)
