"""What the assistant and the hotline console say about a procedure, in Vietnamese.

Every sentence is built from stored facts. When a fact is missing the answer says so and points
to the source page instead of guessing.
"""

from __future__ import annotations

from knowledge.procedures.models import (
    CHANNEL_LABELS,
    DOCUMENT_KIND_LABELS,
    LEVEL_LABELS,
    Procedure,
    ProcedureChannel,
    ProcedureDocument,
)

MAX_CONDITIONAL_DOCUMENTS = 4
MAX_STEPS = 7

# --- which procedure? (knowledge.procedures.resolution decides; these are its words) ---------

# Several procedures match the question: the citizen picks one of the buttons.
CHOOSE_PROCEDURE = "Anh/chị muốn hỏi thủ tục nào dưới đây ạ?"
# No procedure is named, by the message or the conversation.
NAME_THE_PROCEDURE = (
    "Dạ, em chưa xác định được anh/chị hỏi thủ tục nào. Anh/chị nhắn giúp em tên thủ tục, "
    "ví dụ: “đăng ký khai sinh”, “đăng ký tạm trú”, “chứng thực bản sao” ạ."
)
# The assistant did not understand the message, and offers what it may have meant.
DID_YOU_MEAN = "Dạ, em chưa chắc đã hiểu đúng. Có phải anh/chị muốn hỏi một trong các nội dung sau không ạ?"
# The assistant did not understand the message and has nothing to offer.
SAY_IT_AGAIN = "Dạ, em chưa hiểu rõ ý anh/chị. Anh/chị nói rõ hơn tên thủ tục hoặc điều cần hỏi giúp em ạ."
# What the assistant can help with, as button titles, by the intent the button sends; offered in
# the order of the NLU's ranking when the message matched no procedure.
TOPIC_CHOICES: dict[str, str] = {
    "ask_documents": "Hỏi hồ sơ, giấy tờ",
    "ask_fee": "Hỏi lệ phí",
    "ask_processing_time": "Hỏi thời gian giải quyết",
    "ask_submission_place": "Hỏi nơi nộp hồ sơ",
    "ask_online_submission": "Nộp trực tuyến",
    "check_dossier_status": "Tra cứu hồ sơ",
    "find_office": "Tìm trung tâm hành chính công",
    "ask_unit_change": "Tra xã, phường mới",
    "give_feedback": "Gửi phản ánh",
}


def choice_title(name: str, code: str) -> str:
    """A procedure as a button title: the name a citizen knows, the code an officer can check."""
    return f"{name} ({code})"


def _source_line(proc: Procedure) -> str:
    parts = []
    if proc.source_url:
        parts.append(f"Nguồn: {proc.source_url}")
    if proc.last_verified:
        parts.append(f"cập nhật {proc.last_verified.strftime('%d/%m/%Y')}")
    return " · ".join(parts)


def _missing(proc: Procedure, what: str) -> str:
    where = f" Anh/chị xem chi tiết tại {proc.source_url}" if proc.source_url else ""
    return f"Hiện em chưa có thông tin chính thức về {what} của thủ tục này.{where}"


def _document_line(doc: ProcedureDocument) -> str:
    details = []
    if doc.count:
        kind = DOCUMENT_KIND_LABELS.get(doc.kind or "", "")
        details.append(f"{doc.count} {kind}".strip())
    elif doc.kind:
        details.append(DOCUMENT_KIND_LABELS.get(doc.kind, doc.kind))
    if doc.form:
        details.append(doc.form)
    suffix = f" ({'; '.join(details)})" if details else ""
    return f"• {doc.name}{suffix}"


def documents_answer(proc: Procedure) -> str:
    if not proc.documents:
        return f"{proc.name} ({proc.code}): " + _missing(proc, "thành phần hồ sơ")
    required = [d for d in proc.documents if d.required]
    conditional = [d for d in proc.documents if not d.required]
    lines = [f"Hồ sơ {_lower_first(proc.name)} (mã {proc.code}) gồm:"]
    lines += [_document_line(d) for d in required] or ["• (không có giấy tờ bắt buộc chung)"]
    if conditional:
        lines.append("Trong một số trường hợp cần thêm:")
        for doc in conditional[:MAX_CONDITIONAL_DOCUMENTS]:
            when = f" — {doc.condition}" if doc.condition else ""
            lines.append(f"{_document_line(doc)}{when}")
        if len(conditional) > MAX_CONDITIONAL_DOCUMENTS:
            lines.append(f"…và {len(conditional) - MAX_CONDITIONAL_DOCUMENTS} trường hợp khác (xem nguồn).")
    lines.append(_source_line(proc))
    return "\n".join(line for line in lines if line)


def _channel_fee(channel: ProcedureChannel) -> str:
    return channel.fee if channel.fee else "chưa có thông tin"


def fee_answer(proc: Procedure) -> str:
    known = [c for c in proc.channels if c.fee]
    if not known:
        return f"{proc.name} ({proc.code}): " + _missing(proc, "phí, lệ phí")
    lines = [f"Phí, lệ phí {_lower_first(proc.name)} (mã {proc.code}):"]
    for channel in proc.channels:
        note = f" — {channel.note}" if channel.note else ""
        lines.append(f"• {CHANNEL_LABELS.get(channel.kind, channel.kind)}: {_channel_fee(channel)}{note}")
    lines.append(_source_line(proc))
    return "\n".join(lines)


def processing_time_answer(proc: Procedure) -> str:
    known = [c for c in proc.channels if c.processing_time]
    if not known:
        return f"{proc.name} ({proc.code}): " + _missing(proc, "thời hạn giải quyết")
    lines = [f"Thời hạn giải quyết {_lower_first(proc.name)} (mã {proc.code}):"]
    for channel in proc.channels:
        time = channel.processing_time or "chưa có thông tin"
        lines.append(f"• {CHANNEL_LABELS.get(channel.kind, channel.kind)}: {time}")
    lines.append(_source_line(proc))
    return "\n".join(lines)


def steps_answer(proc: Procedure) -> str:
    if not proc.steps:
        return f"{proc.name} ({proc.code}): " + _missing(proc, "trình tự thực hiện")
    lines = [f"Các bước {_lower_first(proc.name)} (mã {proc.code}):"]
    lines += [f"{i}. {step}" for i, step in enumerate(proc.steps[:MAX_STEPS], start=1)]
    if len(proc.steps) > MAX_STEPS:
        lines.append("…(xem đầy đủ tại nguồn)")
    lines.append(_source_line(proc))
    return "\n".join(lines)


def level_phrase(proc: Procedure) -> str:
    levels = [LEVEL_LABELS.get(level, level) for level in proc.levels or []]
    return ", ".join(levels) if levels else "chưa rõ cấp thực hiện"


def submission_place_answer(proc: Procedure, centre_line: str | None = None) -> str:
    lines = [f"{proc.name} (mã {proc.code}) được giải quyết ở {level_phrase(proc)}."]
    if proc.agency:
        lines.append(f"Cơ quan thực hiện: {proc.agency}.")
    if proc.receiving_place:
        lines.append(f"Nơi tiếp nhận hồ sơ: {proc.receiving_place}.")
    elif not proc.agency:
        lines.append(_missing(proc, "nơi tiếp nhận hồ sơ"))
    if centre_line:
        lines.append(centre_line)
    if any(c.kind == "online" for c in proc.channels):
        lines.append("Anh/chị cũng có thể nộp trực tuyến trên Cổng Dịch vụ công quốc gia.")
    lines.append(_source_line(proc))
    return "\n".join(lines)


def online_answer(proc: Procedure) -> str:
    online = [c for c in proc.channels if c.kind == "online"]
    if not proc.channels:
        return f"{proc.name} ({proc.code}): " + _missing(proc, "hình thức nộp hồ sơ")
    if not online:
        kinds = ", ".join(CHANNEL_LABELS.get(c.kind, c.kind).lower() for c in proc.channels)
        return (
            f"Theo thông tin công bố, {_lower_first(proc.name)} (mã {proc.code}) chưa nộp trực tuyến được; "
            f"hình thức nộp: {kinds}.\n{_source_line(proc)}"
        )
    channel = online[0]
    lines = [f"Có ạ, {_lower_first(proc.name)} (mã {proc.code}) nộp trực tuyến được."]
    if proc.online_url:
        lines.append(f"Nộp tại: {proc.online_url}")
    details = []
    if channel.processing_time:
        details.append(f"thời hạn {channel.processing_time}")
    if channel.fee:
        details.append(f"phí, lệ phí {channel.fee}")
    if details:
        lines.append("Khi nộp trực tuyến: " + "; ".join(details) + ".")
    lines.append(_source_line(proc))
    return "\n".join(lines)


def card_answer(proc: Procedure) -> str:
    """The overview: what, where, how long, how much, and the source."""
    lines = [f"📄 {proc.name} (mã {proc.code})", f"• Cấp thực hiện: {level_phrase(proc)}"]
    if proc.agency:
        lines.append(f"• Cơ quan thực hiện: {proc.agency}")
    if proc.documents:
        required = [d.name for d in proc.documents if d.required]
        lines.append(f"• Hồ sơ: {len(proc.documents)} loại giấy tờ ({len(required)} bắt buộc chung)")
    for channel in proc.channels:
        time = channel.processing_time or "chưa có thông tin"
        lines.append(
            f"• {CHANNEL_LABELS.get(channel.kind, channel.kind)}: {time}; phí, lệ phí: {_channel_fee(channel)}"
        )
    if proc.online_url:
        lines.append(f"• Nộp trực tuyến: {proc.online_url}")
    if proc.legal_basis:
        numbers = ", ".join(lb.get("number") or "" for lb in proc.legal_basis[:3] if lb.get("number"))
        if numbers:
            lines.append(f"• Căn cứ pháp lý: {numbers}")
    lines.append(_source_line(proc))
    return "\n".join(lines)


def card_payload(proc: Procedure) -> dict[str, object]:
    """Structured card for channels that can draw one (web widget, Zalo list template)."""
    return {
        "type": "procedure_card",
        "code": proc.code,
        "name": proc.name,
        "levels": list(proc.levels or []),
        "agency": proc.agency,
        "channels": [
            {
                "kind": c.kind,
                "label": CHANNEL_LABELS.get(c.kind, c.kind),
                "processing_time": c.processing_time,
                "fee": c.fee,
            }
            for c in proc.channels
        ],
        "online_url": proc.online_url,
        "source_url": proc.source_url,
        "last_verified": proc.last_verified.isoformat() if proc.last_verified else None,
    }


def _lower_first(text: str) -> str:
    # "Đăng ký khai sinh" reads "hồ sơ đăng ký khai sinh"; keep acronyms and proper names as they are.
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text
