"""Sends a citizen's message to Rasa and returns its replies; apologises when Rasa cannot answer."""

from __future__ import annotations

import hashlib
import logging
import time

import httpx

from api.chat.schemas import BotMessage
from knowledge.settings import Settings

logger = logging.getLogger(__name__)


def sender_tag(sender: str) -> str:
    """A short, non-reversible tag for logs: conversation ids can be Zalo user ids."""
    return hashlib.sha256(sender.encode()).hexdigest()[:10]


def apology(settings: Settings) -> BotMessage:
    return BotMessage(
        text=(
            "Xin lỗi anh/chị, hệ thống trợ lý đang gián đoạn nên em chưa trả lời được ngay. "
            f"Anh/chị vui lòng thử lại sau ít phút hoặc gọi tổng đài {settings.hotline} "
            "trong giờ hành chính để được hỗ trợ ạ."
        )
    )


class RasaUnavailableError(RuntimeError):
    pass


class RasaClient:
    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self._settings = settings
        self._client = client

    async def send(self, sender: str, message: str) -> list[BotMessage]:
        url = f"{self._settings.rasa_url}/webhooks/rest/webhook"
        started = time.perf_counter()
        try:
            response = await self._client.post(
                url, json={"sender": sender, "message": message}, timeout=self._settings.rasa_timeout_seconds
            )
            response.raise_for_status()
            payload = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("rasa unavailable for sender %s: %s", sender_tag(sender), type(exc).__name__)
            raise RasaUnavailableError(str(exc)) from exc
        logger.info(
            "turn sender=%s replies=%d ms=%.0f", sender_tag(sender), len(payload), (time.perf_counter() - started) * 1000
        )
        return [BotMessage.model_validate({k: v for k, v in item.items() if k != "recipient_id"}) for item in payload]


async def converse(client: RasaClient, settings: Settings, sender: str, message: str) -> list[BotMessage]:
    """The replies to show the citizen. Never raises: any failure becomes a polite apology.

    Rasa answers an empty list when a custom action failed (the action server is down), so an
    empty answer is treated as a failure too: the citizen must never be left without a reply.
    """
    try:
        replies = await client.send(sender, message)
    except RasaUnavailableError:
        return [apology(settings)]
    return replies or [apology(settings)]
