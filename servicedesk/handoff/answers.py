"""What the assistant says about reaching an officer: the offer, and what happens after a request."""

from __future__ import annotations

from servicedesk.handoff.service import HandoffOutcome, office_hours_text

# After the assistant failed to understand twice in a row.
OFFER_PERSON = "Xin lỗi, em vẫn chưa hiểu ý anh/chị. Anh/chị muốn được cán bộ hỗ trợ trực tiếp không ạ?"
TALK_TO_OFFICER = "Gặp cán bộ"  # button: request a person
TRY_AGAIN = "Thử hỏi lại"  # button: start over with the assistant


def request_received(outcome: HandoffOutcome, hotline: str, hours_text: str | None = None) -> str:
    """In office hours: the place in the queue, in this chat; out of hours: when to expect a call.

    ``hours_text``: the schedule in words (default: the ``office_hours`` setting's)."""
    if outcome.in_office_hours:
        return (
            f"Em đã chuyển yêu cầu của anh/chị đến cán bộ hỗ trợ (vị trí trong hàng chờ: {outcome.position}). "
            "Cán bộ sẽ trả lời ngay trong cuộc trò chuyện này; anh/chị vui lòng giữ cửa sổ chat. "
            f"Nếu cần gấp, anh/chị gọi tổng đài {hotline} ạ."
        )
    return (
        f"Hiện ngoài giờ làm việc ({hours_text or office_hours_text()}). Em đã ghi nhận yêu cầu; cán bộ sẽ liên hệ lại "
        f"trong giờ hành chính. Anh/chị cũng có thể gọi tổng đài {hotline} trong giờ làm việc ạ."
    )
