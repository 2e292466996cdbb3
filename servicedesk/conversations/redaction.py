"""Removing personal data from a citizen's message before it is stored for review.

Phone numbers, ID numbers (CMND 9 digits, CCCD 12), tax codes, dossier codes and e-mail
addresses are replaced by placeholders: an editor reviewing what the assistant did not
understand needs the wording, never the numbers.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Runs of 8 or more digits, possibly split by spaces, dots or dashes ("0912 345 678",
# "+84 912.345.678", "001099012345"); also dossier-like codes that mix letters and digits.
_LONG_NUMBER = re.compile(r"(?:\+?\d[\s.\-]?){8,}\d")
_CODE = re.compile(r"\b(?=[\w.\-]*\d)(?=[\w.\-]*[A-Za-z])[A-Za-z0-9]+(?:[.\-][A-Za-z0-9]+){2,}\b")

MAX_STORED_CHARS = 500


def redact(text: str) -> str:
    cleaned = _EMAIL.sub("[email]", text or "")
    cleaned = _CODE.sub("[mã]", cleaned)
    cleaned = _LONG_NUMBER.sub("[số]", cleaned)
    return cleaned.strip()[:MAX_STORED_CHARS]
