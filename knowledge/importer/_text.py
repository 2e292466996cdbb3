"""Small text helpers shared by the catalogue and sheet parsers."""

from __future__ import annotations

import re

from bot.vntext import fold, nfc

MISSING = "Không có thông tin"

# Private-use bullets (Wingdings pasted from Word), tabs and odd spaces that the portal keeps.
_JUNK_CHARS = re.compile(r"[\uf000-\uf0ff\u00a0\u2007\u202f\t\u200b\ufeff]")
_SPACES = re.compile(r"[ ]{2,}")
_BLANK_LINES = re.compile(r"\n{2,}")


def clean(value: object, *, multiline: bool = False) -> str | None:
    """NFC, tidy whitespace, and ``None`` for empty text or the portal's "Không có thông tin"."""
    if value is None:
        return None
    text = nfc(str(value)).replace("\r\n", "\n").replace("\r", "\n")
    text = _JUNK_CHARS.sub(" ", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines) if multiline else " ".join(line for line in lines if line)
    text = _BLANK_LINES.sub("\n", text).strip()
    if not text or is_missing(text):
        return None
    return text


def is_missing(text: str) -> bool:
    text = text.strip()
    if len(text) > 24:  # longer than any of the phrases below: no need to fold a whole table
        return False
    folded = fold(text.rstrip(".").strip())
    return folded in {"khong co thong tin", "chua co thong tin", ""}


def folded(text: str) -> str:
    return " ".join(fold(text).split())


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary so the text fits ``limit`` characters (ellipsis included)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:.-") + "…"
