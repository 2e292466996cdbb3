"""Rasa replies (``BotMessage``) → Zalo OA v3 "message" objects for ``POST /v3.0/oa/message/cs``.

- text → ``{"text": …}``, split on line boundaries under Zalo's length limit;
- buttons → the text with a template attachment of ``oa.query.show`` buttons: pressing one makes
  the citizen send the button's payload (e.g. ``/ask_fee{"procedure_code":"1.001"}``) as a normal
  text message, which comes back through the webhook and which Rasa understands;
- a procedure card (``custom.type == "procedure_card"``, see ``knowledge.procedures.answers``)
  → a ``list`` template whose elements open the official page and the online submission page;
- an image → a ``media`` template.
"""

from __future__ import annotations

import logging
from typing import Any

from api.chat.schemas import BotMessage

logger = logging.getLogger(__name__)

MAX_BUTTONS = 5  # per template message; more buttons go into further messages
MAX_BUTTON_TITLE = 100
MAX_BUTTON_PAYLOAD = 1000
MAX_ELEMENT_TITLE = 100
MAX_ELEMENT_SUBTITLE = 500
BUTTONS_FALLBACK_TEXT = "Anh/chị chọn giúp em một mục dưới đây ạ:"
MORE_BUTTONS_TEXT = "Hoặc:"
ONLINE_ELEMENT_TITLE = "Nộp hồ sơ trực tuyến"
ONLINE_ELEMENT_SUBTITLE = "Mở trang nộp hồ sơ trực tuyến của thủ tục"


def _truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _split_long_line(line: str, limit: int) -> list[str]:
    """A single line longer than the limit: cut at spaces, or hard-cut a word longer than the limit."""
    parts: list[str] = []
    current = ""
    for word in line.split(" "):
        while len(word) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(word[:limit])
            word = word[limit:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= limit:
            current = candidate
        else:
            parts.append(current)
            current = word
    if current:
        parts.append(current)
    return parts


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most ``limit`` characters, cut between lines whenever a line fits."""
    text = text.strip("\n")
    if len(text) <= limit:
        return [text] if text.strip() else []
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in text.split("\n"):
        pieces = [line] if len(line) <= limit else _split_long_line(line, limit)
        for piece in pieces:
            extra = len(piece) + (1 if current else 0)
            if current and size + extra > limit:
                chunks.append("\n".join(current))
                current, size = [], 0
                extra = len(piece)
            current.append(piece)
            size += extra
    if current:
        chunks.append("\n".join(current))
    return [chunk for chunk in (c.strip("\n") for c in chunks) if chunk.strip()]


def _zalo_button(button: dict[str, Any]) -> dict[str, Any] | None:
    title = str(button.get("title") or "").strip()
    url = button.get("url")
    if url:
        return {"title": _truncate(title or str(url), MAX_BUTTON_TITLE), "type": "oa.open.url", "payload": {"url": url}}
    payload = str(button.get("payload") or title).strip()
    if not payload:
        return None
    if len(payload) > MAX_BUTTON_PAYLOAD:
        logger.warning("zalo button payload longer than %d characters dropped", MAX_BUTTON_PAYLOAD)
        return None
    return {"title": _truncate(title or payload, MAX_BUTTON_TITLE), "type": "oa.query.show", "payload": payload}


def buttons_message(text: str, buttons: list[dict[str, Any]]) -> dict[str, Any]:
    return {"text": text, "attachment": {"type": "template", "payload": {"buttons": buttons}}}


def _channel_summary(channel: dict[str, Any]) -> str:
    label = str(channel.get("label") or channel.get("kind") or "").strip()
    time = channel.get("processing_time") or "chưa có thông tin thời hạn"
    fee = channel.get("fee") or "chưa có thông tin"
    return f"{label}: {time}; phí, lệ phí: {fee}" if label else f"{time}; phí, lệ phí: {fee}"


def procedure_card_message(card: dict[str, Any], image_url: str | None = None) -> dict[str, Any]:
    name = str(card.get("name") or "").strip()
    code = str(card.get("code") or "").strip()
    title = f"{name} ({code})" if name and code else name or code or "Thủ tục hành chính"
    channels = [c for c in card.get("channels") or [] if isinstance(c, dict)]
    subtitle = " · ".join(_channel_summary(c) for c in channels) or "Chưa có thông tin thời hạn, phí, lệ phí."
    source_url = card.get("source_url") or None
    online_url = card.get("online_url") or None

    first: dict[str, Any] = {
        "title": _truncate(title, MAX_ELEMENT_TITLE),
        "subtitle": _truncate(subtitle, MAX_ELEMENT_SUBTITLE),
    }
    if image_url:
        first["image_url"] = image_url
    if source_url or online_url:
        first["default_action"] = {"type": "oa.open.url", "url": source_url or online_url}
    elements = [first]
    if online_url and source_url:  # the first element opens the official page; this one the submission page
        elements.append(
            {
                "title": ONLINE_ELEMENT_TITLE,
                "subtitle": ONLINE_ELEMENT_SUBTITLE,
                "default_action": {"type": "oa.open.url", "url": online_url},
            }
        )
    return {"attachment": {"type": "template", "payload": {"template_type": "list", "elements": elements}}}


def image_message(url: str) -> dict[str, Any]:
    return {
        "attachment": {
            "type": "template",
            "payload": {"template_type": "media", "elements": [{"media_type": "image", "url": url}]},
        }
    }


def to_zalo_messages(reply: BotMessage, *, text_limit: int = 2000, card_image_url: str | None = None) -> list[dict]:
    """The Zalo messages for one Rasa reply, in the order the citizen should read them."""
    messages: list[dict[str, Any]] = []
    texts = split_text(reply.text, text_limit) if reply.text else []
    buttons = [b for b in (_zalo_button(raw) for raw in reply.buttons or [] if isinstance(raw, dict)) if b]
    if buttons:
        lead = texts.pop() if texts else BUTTONS_FALLBACK_TEXT
        messages += [{"text": t} for t in texts]
        for start in range(0, len(buttons), MAX_BUTTONS):
            messages.append(
                buttons_message(lead if start == 0 else MORE_BUTTONS_TEXT, buttons[start : start + MAX_BUTTONS])
            )
    else:
        messages += [{"text": t} for t in texts]
    if reply.image:
        messages.append(image_message(reply.image))
    custom = reply.custom
    if isinstance(custom, dict):
        if custom.get("type") == "procedure_card":
            messages.append(procedure_card_message(custom, card_image_url))
        else:
            kind = str(custom.get("type") or "unknown")[:40]
            logger.info("zalo: custom payload of type %r has no Zalo form; skipped", kind)
    return messages
