"""Storing ratings; reading a score out of what the citizen typed."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from bot.vntext import normalize_folded
from knowledge.privacy import sender_hash
from knowledge.ratings.models import Rating

_WORD_SCORES = [
    ("rat khong hai long", 1), ("khong hai long", 2), ("binh thuong", 3), ("tam duoc", 3),
    ("rat hai long", 5), ("hai long", 4), ("tot", 4), ("tuyet voi", 5), ("te", 1), ("kem", 2),
]
_NUMBER_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "nam": 5}


def parse_score(text: str) -> int | None:
    """1–5 from "5", "5 sao", "chấm 4 điểm", "năm sao", "rất hài lòng"; None if no score is said."""
    folded = normalize_folded(text)
    digits = re.findall(r"\b([1-5])\b", folded)
    if digits:
        return int(digits[0])
    stars = re.search(r"\b(mot|hai|ba|bon|nam)\s+(sao|diem)\b", folded)
    if stars:
        return _NUMBER_WORDS[stars.group(1)]
    for phrase, score in _WORD_SCORES:
        if re.search(rf"\b{phrase}\b", folded):
            return score
    return None


def record_rating(
    session: Session, *, sender_id: str, score: int, procedure_code: str | None = None, channel: str = "web"
) -> Rating:
    if not 1 <= score <= 5:
        raise ValueError("Điểm đánh giá phải từ 1 đến 5")
    rating = Rating(score=score, procedure_code=procedure_code, sender_hash=sender_hash(sender_id), channel=channel)
    session.add(rating)
    session.flush()
    return rating
