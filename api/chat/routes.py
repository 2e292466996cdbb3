from __future__ import annotations

from fastapi import APIRouter, Request

from api.chat.schemas import ChatRequest, ChatResponse
from api.chat.service import RasaClient, converse

router = APIRouter(prefix="/api", tags=["chat"])


@router.post("/chat", response_model=ChatResponse, response_model_exclude_none=True)
async def chat(body: ChatRequest, request: Request) -> ChatResponse:
    """Send one citizen message; get the assistant's replies (Rasa-style messages)."""
    state = request.app.state
    client = RasaClient(state.settings, state.http)
    return ChatResponse(messages=await converse(client, state.settings, body.sender, body.message))
