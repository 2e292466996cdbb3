"""One vocabulary for what officers read about a conversation: the assistant's intents and the
channels citizens write from, each named once in Vietnamese (learning inbox, analytics, console).

Chat channels (where a citizen writes from) are not the submission channels of a procedure
(in person, online, by post: ``knowledge.procedures.models.CHANNEL_LABELS``)."""

from __future__ import annotations

from typing import Final

# Where a citizen writes from (the ``channel`` of conversations, handoffs and turns).
CHAT_CHANNEL_LABELS: Final[dict[str, str]] = {"web": "Trang web", "zalo": "Zalo"}

# Every intent of domain.yml, and Rasa's fallback, as an officer would say it.
INTENT_LABELS: Final[dict[str, str]] = {
    "ask_procedure": "Hỏi về thủ tục",
    "ask_documents": "Hỏi hồ sơ, giấy tờ cần nộp",
    "ask_fee": "Hỏi phí, lệ phí",
    "ask_processing_time": "Hỏi thời hạn giải quyết",
    "ask_steps": "Hỏi các bước thực hiện",
    "ask_submission_place": "Hỏi nơi nộp hồ sơ",
    "ask_online_submission": "Hỏi nộp trực tuyến",
    "ask_unit_change": "Hỏi về sáp nhập, đơn vị hành chính mới",
    "find_office": "Tìm trung tâm phục vụ hành chính công",
    "check_dossier_status": "Tra cứu tình trạng hồ sơ",
    "give_feedback": "Góp ý, phản ánh, kiến nghị",
    "rate_service": "Đánh giá mức độ hài lòng",
    "request_human": "Xin gặp cán bộ",
    "inform": "Cung cấp thông tin (tên thủ tục, địa bàn)",
    "greet": "Chào hỏi",
    "goodbye": "Chào tạm biệt",
    "thank": "Cảm ơn",
    "affirm": "Đồng ý",
    "deny": "Từ chối",
    "bot_challenge": "Hỏi có phải máy trả lời không",
    "out_of_scope": "Ngoài phạm vi",
    "ask_checklist": "Lập danh sách giấy tờ của mình",
    "subscribe_dossier_news": "Đăng ký nhận tin hồ sơ",
    "unsubscribe_dossier_news": "Hủy nhận tin hồ sơ",
    "request_callback": "Xin được gọi lại",
    "nlu_fallback": "Không hiểu câu hỏi",
}


def chat_channel_label(channel: str) -> str:
    """The channel's name for an officer; an unknown channel is shown as it is stored."""
    return CHAT_CHANNEL_LABELS.get(channel, channel)


def intent_label(intent: str) -> str:
    """The intent's name for an officer; an intent not (yet) listed is shown as it is."""
    return INTENT_LABELS.get(intent, intent)
