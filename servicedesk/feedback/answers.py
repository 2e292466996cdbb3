"""What the assistant says while taking a phản ánh, kiến nghị (feedback) and once it is recorded."""

from __future__ import annotations

# The description is too short to act on: the form asks again.
CONTENT_TOO_SHORT = "Nội dung hơi ngắn, anh/chị mô tả rõ hơn sự việc giúp em ạ."
# The service refused the content (servicedesk.feedback.service.FeedbackError).
NOT_RECORDED = "Em chưa ghi nhận được phản ánh vì nội dung chưa đủ rõ. Anh/chị gửi lại giúp em ạ."


def recorded(reference: str, *, with_contact: bool) -> str:
    """The receipt: the reference number, and who acts next."""
    follow_up = (
        "Cán bộ sẽ liên hệ lại theo thông tin anh/chị để lại."
        if with_contact
        else "Anh/chị có thể dùng mã này khi hỏi lại về phản ánh."
    )
    return (
        f"Em đã ghi nhận phản ánh, kiến nghị của anh/chị. Mã tiếp nhận: {reference}. {follow_up} "
        "Phản ánh được chuyển đến bộ phận có thẩm quyền xem xét, trả lời theo quy định ạ."
    )
