from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from api.chat.schemas import ChatRequest, ChatResponse
from api.chat.service import handle_citizen_message
from api.deps import ContextDep, limit_chat_rate
from api.security.proxies import client_address
from api.security.rate_limit import RATE_LIMITED_RESPONSE

router = APIRouter(prefix="/api", tags=["chat"])

WEB_CHANNEL = "web"


@router.post(
    "/chat",
    response_model=ChatResponse,
    response_model_exclude_none=True,
    dependencies=[Depends(limit_chat_rate)],  # per client address; settings.chat_rate_limit
    responses=RATE_LIMITED_RESPONSE,
)
async def chat(body: ChatRequest, request: Request, context: ContextDep) -> ChatResponse:
    """Send one citizen message; get the assistant's replies (Rasa-style messages).

    While an officer has taken the conversation there are no replies: the officer answers through
    ``GET /api/chat/events``; ``handoff`` says so.
    """
    turn = await handle_citizen_message(
        context,
        sender=body.sender,
        channel=WEB_CHANNEL,
        text=body.message,
        client=client_address(request),  # resolved through trusted proxies only (api/security/proxies.py)
        unit=body.unit,
    )
    return ChatResponse(messages=turn.messages, handoff=turn.handoff)
