"""What the assistant says when it asks for, or receives, a 1–5 rating."""

from __future__ import annotations

# Offered once per conversation, after the first procedure answer.
ASK_RATING = "Câu trả lời có hữu ích không ạ? Anh/chị chấm giúp em từ 1 đến 5 sao:"
# The citizen meant to rate but stated no score.
ASK_SCORE = "Anh/chị chấm giúp em từ 1 đến 5 sao nhé (5 là rất hài lòng):"
# Button titles: the two ends say what they mean.
SCORE_TITLES: dict[int, str] = {1: "1 ⭐ Rất không hài lòng", 2: "2 ⭐", 3: "3 ⭐", 4: "4 ⭐", 5: "5 ⭐ Rất hài lòng"}
# At or below this score the citizen is offered a way to complain or to reach an officer.
LOW_SCORE = 2


def thanks(score: int) -> str:
    reply = "Em cảm ơn anh/chị đã đánh giá ạ!"
    if score <= LOW_SCORE:
        reply += (
            " Em rất tiếc chưa hỗ trợ tốt. Anh/chị có thể nhắn “phản ánh” để góp ý, "
            "hoặc “gặp cán bộ” để được hỗ trợ trực tiếp."
        )
    return reply
