"""Reading a 1–5 score out of what the citizen typed after "anh/chị chấm mấy sao?"."""

from __future__ import annotations

import pytest

from servicedesk.ratings.service import parse_score


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("5", 5),
        ("cho 4", 4),
        ("4 nhé", 4),
        ("em chấm 5 ạ", 5),
        ("5 sao", 5),
        ("chấm 4 điểm", 4),
        ("3/5", 3),
        ("năm sao", 5),
        ("rất hài lòng", 5),
        ("hài lòng", 4),
        ("tốt", 4),
        ("tuyệt vời", 5),
        ("bình thường", 3),
        ("tệ", 1),
        ("kém", 2),
        ("rất không hài lòng", 1),
    ],
)
def test_scores_said_plainly(text: str, score: int) -> None:
    assert parse_score(text) == score


@pytest.mark.parametrize(
    "text",
    [
        "không tốt",
        "chưa hài lòng",
        "ko hài lòng",
        "k tốt",
        "không được tốt lắm",
        "chẳng hài lòng gì cả",
        "khong hai long",
        "chua tot lam",
    ],
)
def test_negated_praise_is_a_low_score(text: str) -> None:
    assert parse_score(text) == 2


def test_negated_complaint_is_neutral() -> None:
    assert parse_score("không tệ") == 3


@pytest.mark.parametrize(
    "text",
    [
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        "tôi đã nộp hồ sơ 2 lần rồi mà chưa có kết quả",
        "đăng ký khai sinh cần giấy tờ gì",
        "   ",
    ],
)
def test_a_message_without_a_score_is_not_a_rating(text: str) -> None:
    assert parse_score(text) is None
