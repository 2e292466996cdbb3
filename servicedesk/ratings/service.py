"""Storing ratings; reading a score out of what the citizen typed."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from bot.vntext import normalize_folded
from core.privacy import sender_hash
from servicedesk.ratings.models import Rating

_MARKUP = re.compile(r"<[^>]*>|&[#\w]+;")
# A score said with its unit: "5 sao", "4 điểm", "3/5".
_DIGIT_WITH_UNIT = re.compile(r"\b([1-5])\s*(?:sao|diem|/\s*5)\b")
_OUT_OF_FIVE = re.compile(r"(?<![\d/])([1-5])\s*/\s*5(?![\d/])")  # before folding drops the slash
_NUMBER_WORD_WITH_UNIT = re.compile(r"\b(mot|hai|ba|bon|nam)\s+(?:sao|diem)\b")
_NUMBER_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "nam": 5}
# A bare digit is a score only in a short reply to "chấm mấy sao?" ("5", "cho 4", "4 nhé", "em chấm 5
# ạ"): in any other sentence ("nộp 2 lần rồi") or in markup (`alert(1)`) a digit is not a rating.
_SHORT_REPLY_WORDS = frozenset(
    {"cho", "cham", "danh", "gia", "nhe", "nha", "a", "em", "minh", "toi", "la", "thoi", "duoc"}
)
_BARE_DIGIT = re.compile(r"^[1-5]$")
# Longest phrases first, so "rất không hài lòng" is not read as "hài lòng".
_PHRASE_SCORES = [
    ("rat khong hai long", 1),
    ("khong hai long", 2),
    ("rat hai long", 5),
    ("tuyet voi", 5),
    ("binh thuong", 3),
    ("tam duoc", 3),
    ("hai long", 4),
    ("tot", 4),
    ("te", 1),
    ("kem", 2),
]
# Words that negate the phrase after them ("ko", "k", "hok" are already "khong" after
# normalize_folded); up to two words may stand between ("không được tốt lắm").
_NEGATIONS = frozenset({"khong", "chua", "chang", "cha"})
_NEGATION_REACH = 3
_NEGATED_POSITIVE = 2  # "không tốt", "chưa hài lòng": not satisfied
_NEGATED_NEGATIVE = 3  # "không tệ", "không kém": neither good nor bad


def parse_score(text: str) -> int | None:
    """1–5 from "5", "5 sao", "chấm 4 điểm", "năm sao", "rất hài lòng", "không tốt"; None when the
    message states no score (a sentence that merely contains a digit, markup, an unrelated text)."""
    without_markup = _MARKUP.sub(" ", text)
    if match := _OUT_OF_FIVE.search(without_markup):
        return int(match.group(1))
    folded = normalize_folded(without_markup)
    words = folded.split()
    if not words:
        return None
    if match := _DIGIT_WITH_UNIT.search(folded):
        return int(match.group(1))
    if match := _NUMBER_WORD_WITH_UNIT.search(folded):
        return _NUMBER_WORDS[match.group(1)]
    digits = [word for word in words if _BARE_DIGIT.match(word)]
    if len(digits) == 1 and all(word in _SHORT_REPLY_WORDS for word in words if word not in digits):
        return int(digits[0])
    return _phrase_score(words)


def _phrase_score(words: list[str]) -> int | None:
    for phrase, score in _PHRASE_SCORES:
        length = len(phrase.split())
        for start in range(len(words) - length + 1):
            if " ".join(words[start : start + length]) != phrase:
                continue
            before = words[max(0, start - _NEGATION_REACH) : start]
            if not any(word in _NEGATIONS for word in before):
                return score
            return _NEGATED_POSITIVE if score >= 4 else _NEGATED_NEGATIVE
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
